"""bench/RESULTS.md is assembled from one file per benchmark in bench/results/.

Each benchmark script writes its own ``bench/results/<area>.md`` (with the command that
produced it and the machine); ``python bench/results.py`` rebuilds RESULTS.md from
``bench/results/summary.md`` followed by every area file, so no figure is copied by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PARTS = HERE / "results"
ORDER = ["summary", "seeds", "encoding", "langid", "boilerplate", "boilerplate-rules", "garble", "speed", "hostile"]


def replace_section(title: str, body: str) -> None:
    """Write ``body`` as ``bench/results/<title>.md`` (title lower-cased) and reassemble."""
    name = "speed" if title.lower().startswith("throughput") else re.sub(r"\W+", "-", title.lower())
    (PARTS / f"{name}.md").write_text(body.strip() + "\n", encoding="utf-8")
    assemble()


def _demote(md: str) -> str:
    """Each part's headings go one level down, under RESULTS.md's own title."""
    return re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", md, flags=re.M)


def assemble() -> None:
    parts = sorted(PARTS.glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    out = ["# Benchmark results", "",
           "Assembled by `python bench/results.py` from `bench/results/*.md`; each part names the "
           "command that produced it and the machine it ran on.", ""]
    for p in parts:
        out += [_demote(p.read_text(encoding="utf-8")).strip(), ""]
    RESULTS.write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    assemble()
