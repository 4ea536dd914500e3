"""bench/RESULTS.md is assembled from one file per benchmark in bench/results/.

Each benchmark script writes its own ``bench/results/<area>.md`` (with the command that
produced it and the machine); ``python bench/results.py`` rebuilds RESULTS.md from
``bench/results/summary.md`` followed by every area file, so no figure is copied by hand.

Hand-written notes in an area file go below a line starting with :data:`NOTES_MARKER`
(``<!-- notes: ... -->``): :func:`write_part` (and so :func:`replace_section`) rewrites what is
above it and keeps that line and everything after it.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PARTS = HERE / "results"
NOTES_MARKER = "<!-- notes:"
"""How the line starts that separates a part's generated text (above) from its hand-written notes."""
ORDER = ["summary", "seeds", "encoding", "langid", "boilerplate", "boilerplate-rules", "garble", "speed", "hostile"]


def write_part(path: Path, report: str) -> None:
    """Write ``report`` to ``path``, keeping the hand-written notes of the file already there.

    The notes are the first line of the old file that starts with :data:`NOTES_MARKER` and
    everything after it; they follow ``report`` after a blank line.  Without such a line the
    file is simply replaced.
    """
    if path.exists():
        old = path.read_text(encoding="utf-8")
        at = re.search("^" + re.escape(NOTES_MARKER), old, flags=re.M)
        if at:
            report = report.rstrip("\n") + "\n\n" + old[at.start() :]
    path.write_text(report, encoding="utf-8")


def replace_section(title: str, body: str) -> None:
    """Write ``body`` as ``bench/results/<title>.md`` (title lower-cased; its notes kept) and reassemble."""
    name = "speed" if title.lower().startswith("throughput") else re.sub(r"\W+", "-", title.lower())
    write_part(PARTS / f"{name}.md", body.strip() + "\n")
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
