"""Benchmark adapter: ``python -m cleaner.garble`` reads JSONL ``{id, text[, lang]}`` on stdin
and writes ``{id, score, flagged}`` per line (unsupported languages score 0.0, flagged false,
with their ``reason``), the interface of ``../shared/bench/mtgarble/score.py``."""

from __future__ import annotations

import argparse
import json
import sys

from ..config import Config
from . import score_garble


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cleaner.garble", description=__doc__)
    ap.add_argument("--threshold", type=float, default=None, help="override Config.garble_threshold")
    ap.add_argument("--evidence", action="store_true", help="also write evidence and sentence scores")
    a = ap.parse_args(argv)
    config = Config() if a.threshold is None else Config(garble_threshold=a.threshold)
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        rec = json.loads(line)
        g = score_garble(rec.get("text") or "", rec.get("lang"), config)
        res: dict[str, object] = {
            "id": rec.get("id"),
            "score": 0.0 if g.score is None else g.score,
            "flagged": g.flagged,
        }
        if g.reason:
            res["reason"] = g.reason
        if a.evidence:
            res["evidence"] = [{"text": e.text, "signal": e.signal, "start": e.start, "end": e.end} for e in g.evidence]
            res["sentences"] = list(g.sentences)
        out.write(json.dumps(res, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
