"""Stage 2 (HTML only): main-content extraction with trafilatura.

trafilatura sees the DOM, so it does the first cut and finds metadata; the
plain-text boilerplate stage then removes what it leaves behind.  trafilatura
is imported lazily: plain-text runs never pay for it.
"""

from __future__ import annotations

import re
from typing import Any

from .config import Config

# A DOCTYPE with an internal subset (``<!DOCTYPE x [<!ENTITY ...>]>``) at the start of a page.
# HTML has no use for entity declarations; they are how XXE and "billion laughs" attacks are
# written, and lxml's HTML parser, though it expands none of them, loses the whole page after
# one (trafilatura then returns nothing).  Anchored at the start and lazy up to the first
# ``]>``: one linear pass.
_INTERNAL_SUBSET = re.compile(r"\A(\s*(?:<\?xml[^>]*>\s*)?)<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.I | re.S)


def extract(html: str, config: Config | None = None, url: str | None = None) -> tuple[str, dict[str, str]]:
    """Return ``(text, metadata)``; text is one block per line, metadata holds what was found."""
    import trafilatura

    cfg = config or Config()
    html = _INTERNAL_SUBSET.sub(r"\1", html, count=1)
    doc: Any = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=cfg.html_favor == "precision",
        favor_recall=cfg.html_favor == "recall",
        deduplicate=False,
    )
    if doc is None:
        return "", {}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    meta: dict[str, str] = {}
    for key in ("title", "author", "date", "sitename", "url", "description"):
        value = data.get(key)
        if value:
            meta["source" if key == "sitename" else key] = str(value)
    return text, meta


_HTML_START = ("<!doctype html", "<html", "<?xml", "<head", "<body")
_TAG_PROBE = ("<p>", "<p ", "<div", "<br", "<span", "<a href", "<table", "<li>", "<h1", "<h2")


def looks_like_html(head: str) -> bool:
    """Cheap sniff on the first few KB: a document start tag, or several common block tags."""
    s = head.lstrip("\ufeff \t\r\n").lower()
    if s.startswith(_HTML_START):
        return True
    if not s.startswith("<"):
        return sum(s.count(t) for t in _TAG_PROBE) >= 5
    return sum(s.count(t) for t in _TAG_PROBE) >= 2


def sniff_charset(raw: bytes) -> str | None:
    """The charset declared in a ``<meta>`` tag within the first 4 KB, if any."""
    import re

    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", raw[:4096], re.I)
    return m.group(1).decode("ascii").lower() if m else None
