"""Stage 2 (HTML only): main-content extraction with trafilatura and the DOM block model.

The page is parsed once (:func:`parse`: trafilatura's loading steps, lxml's C class lookup); trafilatura extracts from
that tree (it works on a copy; a large page it parses itself, :data:`REPARSE_CHARS`) and finds
the metadata; then :mod:`cleaner.htmlblocks` cuts the same tree into text blocks and its learned
model re-selects the article block by block, with what trafilatura kept as one of its cues
(5-fold CV on dev, bench/results/boilerplate-html.md:
F1 0.906 for trafilatura alone, 0.934 for the block selection, 0.932 after the text stage).
The plain-text boilerplate stage then moves the bylines and date lines to metadata and cuts a related block
(``source="html-blocks"``; on trafilatura's text, when the block model is off, its chrome rules
apply too: ``source="html"``).
trafilatura and numpy are imported lazily: plain-text runs never pay for them.

trafilatura settings, measured on ../shared/bench/boilerplate/dev.jsonl.gz: comments are kept
(``Config.html_comments``) because readers' comments are part of the page's content in the
benchmarks' gold (Dragnet F1 0.736 without them, 0.861 with); ``deduplicate=False`` so a
paragraph quoted twice is not silently dropped; tables kept; the default fallback extractors
(readability, jusText) stay on: ``fast=True`` saves ~10% of trafilatura's time but loses 0.018
F1 alone and ~0.005 after the block model.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .config import Config

# A DOCTYPE with an internal subset (``<!DOCTYPE x [<!ENTITY ...>]>``) at the start of a page.
# HTML has no use for entity declarations; they are how XXE and "billion laughs" attacks are
# written, and lxml's HTML parser, though it expands none of them, loses the whole page after
# one (trafilatura then returns nothing).  Anchored at the start and lazy up to the first
# ``]>``: one linear pass.
_INTERNAL_SUBSET = re.compile(r"\A(\s*(?:<\?xml[^>]*>\s*)?)<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.I | re.S)
_TITLE_OPEN = re.compile(r"<title(?=[\s/>])[^>]*>", re.I)
_TITLE_CLOSE = re.compile(r"</title", re.I)


TRAFILATURA_SETTINGS: dict[str, Any] = {"with_metadata": True, "include_tables": True, "deduplicate": False}
"""The trafilatura settings every extraction uses (besides comments and favour, from Config);
bench/boilerplate_html.py times trafilatura alone with exactly these."""


def parse(html: str) -> Any:
    """The page as an lxml.html tree, parsed the way trafilatura parses it, or None.

    Parsed once: the block walk reads this tree and trafilatura gets it as input (it works on
    a copy).  trafilatura's own loader rejects a page that is a bare fragment (a ``<div>``
    without ``<html>``: 2 CleanEval dev pages); such a page is parsed as a document instead.
    """
    return _parse(html)[0]


def _parse(html: str) -> tuple[Any, str | None]:
    """``(tree, source)``: the tree of :func:`parse`, and the repaired markup that trafilatura's own
    loader turned into that very tree (None when the tree came from the fallback parser or there is
    none): ``trafilatura.bare_extraction(source)`` then parses the same tree itself."""
    html = _INTERNAL_SUBSET.sub(r"\1", html, count=1)
    if not html.strip():
        return None, None
    # A <title> that is never closed swallows the whole page as its text (libxml2 reads title
    # as raw text up to </title>): close it at the first markup.  2 dev pages (truncated
    # crawls) went from an empty body (F1 0) to trafilatura's F1 0.97 / 0.95.
    m = _TITLE_OPEN.search(html)
    if m is not None and _TITLE_CLOSE.search(html, m.end()) is None:
        lt = html.find("<", m.end())
        if lt > 0:
            html = f"{html[:lt]}</title>{html[lt:]}"
    tree = _load_html(html)
    if tree is None or len(tree) == 0:
        import lxml.html
        from lxml.etree import ParserError

        try:  # bytes: lxml refuses a str that carries an XML encoding declaration
            tree = lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_parser())
        except (ParserError, ValueError, UnicodeError):  # nothing parseable (lxml's messages vary)
            return None, None
        return tree, None
    return tree, html


@functools.cache
def _parser() -> Any:
    """An ``lxml.html.HTMLParser`` with trafilatura's options whose element classes are looked up in C.

    ``lxml.html``'s parsers find the Python class of every element proxy lxml creates (each element
    an iteration, an XPath or ``getparent`` hands out, over and over) by calling a Python method,
    ``HtmlElementClassLookup.lookup``: 2.8 M calls over the 459 dev pages, in the block walk and in
    everything trafilatura does with our tree and its copies (which keep the tree's parser).  The
    same classes come from lxml's C lookups: ``HtmlElement`` (``HtmlComment``, ...) by default, and
    the five tags ``lxml.html`` gives their own classes (``form``, ``input``...) by name in the
    empty namespace, the same names (the HTML parser lower-cases tags; ``lookup`` lower-cases them
    too).  0.34 -> 0.20 us per element proxy.  Parsing options as ``trafilatura.utils.HTML_PARSER``
    (plus ``no_network``, lxml's default): the same trees.  Where ``lxml.html`` does not expose its
    tag classes as this was written against, the parser keeps ``lxml.html``'s own lookup."""
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True,
                                  remove_pis=True, no_network=True, encoding="utf-8")
    classes = getattr(lxml.html.HtmlElementClassLookup, "_default_element_classes", None)
    if not isinstance(classes, dict):  # pragma: no cover - another lxml
        return parser
    lookup = etree.ElementNamespaceClassLookup(etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity))
    names = lookup.get_namespace(None)
    for tag, cls in classes.items():
        names[tag] = cls
    parser.set_element_class_lookup(lookup)
    return parser


def _load_html(html: str) -> Any:
    """``trafilatura.utils.load_html(html)`` for a str, parsed by :func:`_parser`: the same steps
    (its repairs, a str parse then bytes, its rejection of a dubious one-element tree)."""
    from lxml.html import fromstring

    try:  # trafilatura's own (internal) steps; a release without them gets its public loader
        from trafilatura.utils import is_dubious_html, repair_faulty_html
    except ImportError:  # pragma: no cover - another trafilatura
        from trafilatura.utils import load_html

        return load_html(html)
    parser = _parser()
    beginning = html[:50].lower()
    check_flag = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree, tried_bytes = None, False
    try:
        tree = fromstring(html, parser=parser)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree, tried_bytes = _fromstring_bytes(html, parser), True
    except Exception:  # pragma: no cover - as trafilatura: any other lxml failure is "no tree"
        tree = None
    if (tree is None or len(tree) < 1) and not tried_bytes:
        tree = _fromstring_bytes(html, parser)
    if tree is not None and check_flag and len(tree) < 2:
        tree = None
    return tree


def _fromstring_bytes(html: str, parser: Any) -> Any:
    """The markup parsed as UTF-8 bytes (lxml refuses a str with an encoding declaration), or None."""
    from lxml.html import fromstring

    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=parser)
    except Exception:  # as trafilatura's fromstring_bytes
        return None


def extract(html: str, config: Config | None = None, url: str | None = None) -> tuple[str, dict[str, str]]:
    """Return ``(text, metadata)``; text is one block per line, metadata holds what was found.

    ``metadata["extractor"]`` says what the text is: ``html-blocks`` (the blocks the DOM block
    model chose, see :mod:`cleaner.htmlblocks`), ``trafilatura`` (trafilatura's main content
    with its comments after a blank line: the block model is off or missing) -- the text stage
    then runs with ``source="html-blocks"`` and ``source="html"`` -- or ``page-text`` (no model and trafilatura found
    nothing: the whole page's text, for the text stage as on plain text).
    """
    from . import htmlblocks

    cfg = config or Config()
    tree, source = _parse(html)
    model = htmlblocks.default_model() if cfg.html_blocks and tree is not None else None
    # page_blocks only reads the tree, and trafilatura works on a copy of a tree it is given: the order is free
    blocks = htmlblocks.page_blocks(tree) if model is not None else None
    if blocks is not None and source is not None and len(html) >= REPARSE_CHARS:
        # a large page: let trafilatura parse the markup itself, so that our tree is gone before
        # trafilatura makes its copies (same tree: same text, same metadata)
        tree = source
    del source
    text, data = _trafilatura(tree, cfg, url)
    meta: dict[str, str] = {"extractor": "trafilatura"}
    if model is not None and blocks is not None:
        if len(blocks):
            if not cfg.html_comments:  # the model keeps readers' comments; this drops them
                blocks = htmlblocks.without_flag(blocks, htmlblocks.COMMENT_FLAG)
            text, meta["extractor"] = htmlblocks.select(blocks, text, model, cfg.mode), "html-blocks"
    elif len(text.split()) < _MIN_WORDS and not _HAS_CJK.search(text) and tree is not None:
        # trafilatura found (almost) nothing: give the text stage the whole page instead
        fallback = _tree_text(tree)
        if len(fallback.split()) > len(text.split()):
            text, meta["extractor"] = fallback, "page-text"
    for key in ("title", "author", "date", "sitename", "url", "description"):
        value = data.get(key)
        if value:
            meta["source" if key == "sitename" else key] = str(value)
    return text, meta


REPARSE_CHARS = 400_000
"""From this many characters of HTML (with the block model on) trafilatura gets the page's markup
instead of our tree and parses it itself: ``bare_extraction`` copies a tree it is given and holds
the original until it returns, so a large page's tree was alive twice over all of trafilatura's
own copies.  On the largest real article among the dev pages (1.04 M characters, 9,888 elements) a
tree is 7.5 MB of C heap and a copy 7.7 MB; the process's resident peak over ``extract`` went from
+36/+40 MB to +25/+32 MB (two runs each, bench/results/speed.md).  The price is a second parse:
7% of trafilatura's CPU on the 16 dev pages this large, 0.7% over all 459, so pages where a tree is
small (and the saving too) do not pay it; the same size as the runner's ``SOLO_CHARS``.  The output
is the same: the markup is the one :func:`_parse` parsed with trafilatura's loading steps, which build
the same tree from it (every dev page's record byte-identical)."""


def _trafilatura(tree: Any, cfg: Config, url: str | None) -> tuple[str, dict[str, Any]]:
    """trafilatura's text (comments after a blank line) and its result as a dict.

    ``tree`` is a parsed page or the markup trafilatura's loader parses (:data:`REPARSE_CHARS`)."""
    if tree is None:
        return "", {}
    import trafilatura

    share_justext_stoplist()  # once per process (cached)

    doc: Any = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=cfg.html_comments,
        favor_precision=cfg.html_favor == "precision",
        favor_recall=cfg.html_favor == "recall",
        **TRAFILATURA_SETTINGS,
    )
    data = (doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)) if doc is not None else {}
    text = data.get("text") or ""
    comments = data.get("comments") or ""
    if comments and cfg.html_comments:
        text = f"{text}\n\n{comments}" if text else comments
    return text, data


@functools.cache
def share_justext_stoplist() -> bool:
    """Let jusText use trafilatura's all-language stoplist itself instead of a lower-cased copy (-12 MB).

    trafilatura's jusText fallback (6 of the first 100 dev pages reach it) passes ``JT_STOPLIST``
    (all of jusText's stoplists: 154,484 words, 12 MB of strings) to ``justext.core.classify_paragraphs``,
    which builds (once, cached) ``frozenset(w.lower() for w in stoplist)``: a second 12 MB of equal
    strings, since every word is already lower case.  This wraps jusText's ``define_stoplist`` so that,
    for that tuple and when lower-casing is checked to change no word, the set of the words themselves
    is used: the same set, so jusText classifies every paragraph as before.  Nothing is built before
    jusText first needs it (as before); other stoplists go through jusText's own function.  Returns
    whether the wrapper is in place (False when trafilatura/jusText are not the versions this was
    written against, which changes nothing).
    """
    try:
        from justext import core
        from trafilatura import external

        original = core.define_stoplist
        if getattr(original, "shares_stoplist", False):
            return True
        held: list[tuple[Any, frozenset[str] | None]] = []  # (the tuple, its set or None: not all lower case)

        def define_stoplist(stoplist: Any) -> frozenset[str]:
            if stoplist is not external.JT_STOPLIST or not isinstance(stoplist, tuple):
                return original(stoplist)  # type: ignore[no-any-return]
            if not held or held[0][0] is not stoplist:
                lower = all(w == w.lower() for w in stoplist)
                held[:] = [(stoplist, frozenset(stoplist) if lower else None)]
            words = held[0][1]
            return original(stoplist) if words is None else words

        define_stoplist.shares_stoplist = True  # type: ignore[attr-defined]
        core.define_stoplist = define_stoplist
        return True
    except (ImportError, AttributeError):
        return False


_MIN_WORDS = 10
"""Below this many words trafilatura's output is treated as a failed extraction (dev: 2
CleanEval pages come back empty; the page text through the text stage scores 0.74 and 1.0)."""
_HAS_CJK = re.compile(r"[\u3040-\u9fff]{10}")


def page_text(html: str) -> str:
    """The page's visible text with every block element on its own line (what a simple
    scraper saves); the plain-text stage then finds the article in it."""
    tree = parse(html)
    return _tree_text(tree) if tree is not None else ""


def _tree_text(tree: Any) -> str:
    from . import htmlblocks

    return "\n".join(htmlblocks.page_blocks(tree).lines)


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
