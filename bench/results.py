"""Keep bench/RESULTS.md as sections that each benchmark script replaces on its own."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(title: str, body: str) -> None:
    """Replace the ``## {title}...`` section (up to the next ``## ``) with ``body``, or append it."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    body = body.strip() + "\n"
    pattern = re.compile(rf"^## {re.escape(title)}.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: body + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + body
    RESULTS.write_text(text, encoding="utf-8")
