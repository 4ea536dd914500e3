"""Stage 2 (HTML only): main-content extraction with trafilatura.

trafilatura sees the DOM, so it does the first cut and finds metadata; the
plain-text boilerplate stage then removes what it leaves behind (bylines, share
lines, credits, footers it kept).  trafilatura is imported lazily: plain-text runs
never pay for it.

Settings, measured on ../shared/bench/boilerplate/dev.jsonl.gz (bench/boilerplate_rules.py):
comments are kept (``Config.html_comments``) because readers' comments are part of the
page's content in the benchmarks' gold (Dragnet F1 0.736 without them, 0.861 with);
``deduplicate=False`` so a paragraph quoted twice is not silently dropped; tables kept.
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
    """Return ``(text, metadata)``; text is one block per line, metadata holds what was found.

    The comments trafilatura finds follow the article text, separated by a blank line.
    ``metadata["extractor"]`` says what the text is: ``trafilatura`` (main content: run the
    text stage with ``source="html"``) or ``page-text`` (trafilatura found nothing, this
    is the whole page's text: run the text stage as on plain text).
    """
    import trafilatura

    cfg = config or Config()
    html = _INTERNAL_SUBSET.sub(r"\1", html, count=1)
    doc: Any = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=cfg.html_comments,
        include_tables=True,
        favor_precision=cfg.html_favor == "precision",
        favor_recall=cfg.html_favor == "recall",
        deduplicate=False,
    )
    data = (doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)) if doc is not None else {}
    text = data.get("text") or ""
    comments = data.get("comments") or ""
    if comments and cfg.html_comments:
        text = f"{text}\n\n{comments}" if text else comments
    meta: dict[str, str] = {"extractor": "trafilatura"}
    if len(text.split()) < _MIN_WORDS and not _HAS_CJK.search(text):
        # trafilatura found (almost) nothing: give the text stage the whole page instead
        fallback = page_text(html)
        if len(fallback.split()) > len(text.split()):
            text, meta["extractor"] = fallback, "page-text"
    for key in ("title", "author", "date", "sitename", "url", "description"):
        value = data.get(key)
        if value:
            meta["source" if key == "sitename" else key] = str(value)
    return text, meta


_MIN_WORDS = 10
"""Below this many words trafilatura's output is treated as a failed extraction (dev: 2
CleanEval pages come back empty; the page text through the text stage scores 0.74 and 1.0)."""
_HAS_CJK = __import__("re").compile(r"[\u3040-\u9fff]{10}")

_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table section article header footer nav aside "
    "blockquote pre form dd dt dl figure figcaption main address hr title option".split()
)
_SKIP_TAGS = frozenset("script style noscript template svg head iframe object".split())


def page_text(html: str) -> str:
    """The page's visible text with every block element on its own line (what a simple
    scraper saves); the plain-text stage then finds the article in it."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except Exception:  # lxml raises several types on junk input; nothing to extract then
        return ""
    parts: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in _SKIP_TAGS:
            if el.tail:
                parts.append(el.tail)
            return
        block = tag.lower() in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


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
