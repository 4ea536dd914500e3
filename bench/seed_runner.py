"""Run ``cleaner.Cleaner().clean_records`` over a JSONL file (or stdin to stdout).

Used as the system command of ``../shared/seeds/check.py`` and of the benchmark
``score.py`` until the CLI lands on this branch:

    python bench/seed_runner.py IN.jsonl OUT.jsonl
    python bench/seed_runner.py < pages.jsonl > records.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cleaner import Cleaner


def main(argv: list[str]) -> int:
    src = open(argv[0], encoding="utf-8") if argv else sys.stdin
    dst = open(argv[1], "w", encoding="utf-8") if len(argv) > 1 else sys.stdout
    records = (json.loads(line) for line in src if line.strip())
    for rec in Cleaner().clean_records(records):
        dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
    dst.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
