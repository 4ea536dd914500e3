"""Stage 2 (HTML only): main-content extraction with trafilatura and the DOM block model.

The page is parsed once (:func:`parse`: trafilatura's loading steps, lxml's C class lookup); trafilatura extracts from
that tree and finds the metadata (:func:`_extraction`: ``bare_extraction``'s steps for our settings,
without its copy of the tree or the metadata we do not keep, and trafilatura's cascade as
:mod:`cleaner.htmlsequence` runs it: fewer copies of a large page at once), after :mod:`cleaner.htmlblocks` has cut
the same tree into text blocks; its learned model re-selects the article block by block, with what
trafilatura kept as one of its cues
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

    Parsed once: the block walk reads this tree, then trafilatura works on it.  trafilatura's own
    loader rejects a page that is a bare fragment (a ``<div>`` without ``<html>``: 2 CleanEval dev
    pages); such a page is parsed as a document instead.
    """
    return _parse(html)[0]


def _parse(html: str) -> tuple[Any, str | None]:
    """``(tree, source)``: the tree of :func:`parse`, and the repaired markup that trafilatura's own
    loader turned into that very tree (None when the tree came from the fallback parser or there is
    none): ``trafilatura.bare_extraction(source)`` parses the same tree itself (tests/test_html.py)."""
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
    html = _repair(html, beginning) if _replicable() else repair_faulty_html(html, beginning)
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


def _repair(html: str, beginning: str) -> str:
    """``trafilatura.utils.repair_faulty_html(html, beginning)`` (2.3.1) without its copies of an unchanged page.

    trafilatura cuts the page at its first line break to take a DOCTYPE with a slash off the first line, and glues
    the parts together again whether or not it took anything off: for every page whose first 50 characters say
    "doctype" (most), two full-size copies of the page at once, one kept (1.3 M characters of a dev page held as
    four bytes each: 10 MB).  Here a first line the DOCTYPE pattern leaves as it is leaves the page as it is (the
    same string; only where the page has no line break does trafilatura's add one at the end).  The same string
    on every dev page and on the edge cases in tests/test_html.py."""
    from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS

    html = INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:
        cut = html.find("\n")
        firstline = html if cut < 0 else html[:cut]
        repaired = DOCTYPE_TAG.sub("", firstline, count=1)
        if cut < 0:
            html = repaired + "\n"
        elif repaired is not firstline:
            html = repaired + html[cut:]
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html


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
    tree = parse(html)
    model = htmlblocks.default_model() if cfg.html_blocks and tree is not None else None
    # page_blocks reads the tree first: trafilatura then works on it (own) rather than on a copy
    blocks = htmlblocks.page_blocks(tree) if model is not None else None
    text, data = _trafilatura(tree, cfg, url, own=blocks is not None)
    meta: dict[str, str] = {"extractor": "trafilatura"}
    if model is not None and blocks is not None:
        tree = None  # trafilatura is done with the page: only the blocks are read from here on
        if len(html) >= RELEASE_CHARS:
            _release_in_pool()
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


RELEASE_CHARS = 200_000
"""After trafilatura, a page of this many characters or more in a worker of an HTML pool hands the C heap's free
pages back (glibc ``malloc_trim``, :func:`cleaner.runner._release_memory`) before the block selection and the text
stages run.

Its trees (the page, trafilatura's copies, readability's) are freed by then, but their pages stay resident in
the heap, and the block model's arrays and the text stages do not fit in them all: on the dev page of
1,037,081 characters the worker's peak over its resident memory before the page went 23.6 -> 21.2 MB, on one
of 476,745 characters 13.9 -> 9.6 MB (bench/html_mem_steps.py; bench/results/html_mem_s8.md).  19 of the
459 dev pages are this large.  Only in a pool's worker, where memory is what is measured and the runner trims after
the page anyway: in a process of its own a trim costs the page faults of memory it uses again (the 459 dev pages in
one process: +0.26 G kernel instructions a pass, +0.2%)."""


def _release_in_pool() -> None:
    """:func:`cleaner.runner._release_memory` where this process is a worker of an HTML pool (else nothing)."""
    import sys

    runner = sys.modules.get("cleaner.runner")
    if runner is not None and getattr(runner, "_html_pool", False):
        runner._release_memory()


def _trafilatura(tree: Any, cfg: Config, url: str | None, *, own: bool = False) -> tuple[str, dict[str, Any]]:
    """trafilatura's text (comments after a blank line) and its result as a dict.

    ``tree`` is a parsed page or markup for trafilatura's loader.  ``own``: the caller is done with the
    tree, so trafilatura may work on it instead of a copy (:func:`_extraction`)."""
    if tree is None:
        return "", {}
    share_justext_stoplist()  # once per process (cached)
    kwargs: dict[str, Any] = {"url": url, "include_comments": cfg.html_comments,
                              "favor_precision": cfg.html_favor == "precision",
                              "favor_recall": cfg.html_favor == "recall", **TRAFILATURA_SETTINGS}
    data = _extraction(tree, own, **kwargs)
    if data is None:  # _NOT_REPLICATED
        import trafilatura

        doc: Any = trafilatura.bare_extraction(tree, **kwargs)
        data = (doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)) if doc is not None else {}
    text = data.get("text") or ""
    comments = data.get("comments") or ""
    if comments and cfg.html_comments:
        text = f"{text}\n\n{comments}" if text else comments
    return text, data


_NOT_REPLICATED = None
""":func:`_extraction`'s answer where the installed trafilatura is not the one it replicates."""

REPLICATED_TRAFILATURA = ("2.3.1",)
"""The trafilatura releases whose ``bare_extraction``, ``extract_metadata`` and ``extract_author`` steps
:func:`_extraction` and :func:`_author` were written from and checked against (every dev page, and
tests/test_html.py).  Any other release gets ``bare_extraction`` itself: slower, but never a silent
difference from a changed step."""


def _extraction(tree: Any, own: bool, *, url: str | None, include_comments: bool, favor_precision: bool,
                favor_recall: bool, with_metadata: bool, include_tables: bool,
                deduplicate: bool) -> dict[str, Any] | None:
    """``trafilatura.bare_extraction(tree, ...).as_dict()`` for our settings ({} where it returns None), less
    the work whose result nobody reads; :data:`_NOT_REPLICATED` where this trafilatura is another.

    bare_extraction's own steps (options, metadata, ``trafilatura_sequence``, its size check, ``xmltotxt``),
    except that (0) ``trafilatura_sequence`` is :func:`cleaner.htmlsequence.sequence` (the same answer with its
    backup trees built only when read); (1) a tree we are done with (``own``, the document's root) is not copied
    first: trafilatura copies a tree it is given only to leave the caller's alone; (2) the metadata are
    ``extract_metadata``'s without categories, tags and licence (no field of ours; each a set of
    XPath searches over the page, read-only); (3) the author comes from :func:`_author`.  Over the 459 dev
    pages (CPU, one process): catstags 0.49 s, licence 0.14 s, the copy ~0.2 s, author 1.4 -> ~0.3 s, of
    trafilatura's ~10.5 s; every dev page's record byte-identical (bench/results/html_speed_s7.md)."""
    try:
        from trafilatura.metadata import (
            META_URL,
            extract_domain,
            extract_meta_json,
            extract_sitename,
            extract_title,
            extract_url,
            find_date,
        )
        from trafilatura.metadata import examine_meta as _examine_meta
        from trafilatura.settings import Document, Extractor
        from trafilatura.utils import load_html
        from trafilatura.xml import xmltotxt
    except ImportError:  # pragma: no cover - another trafilatura
        return _NOT_REPLICATED
    from .htmlsequence import sequence

    if not with_metadata or deduplicate or not _replicable():
        return _NOT_REPLICATED  # pragma: no cover - settings or a trafilatura this was not written for
    options = Extractor(output_format="python", precision=favor_precision, recall=favor_recall,
                        comments=include_comments, tables=include_tables, dedup=deduplicate, url=url,
                        with_metadata=with_metadata)
    if options.lang or options.max_tree_size:  # pragma: no cover - a trafilatura config this does not replicate
        return _NOT_REPLICATED
    try:
        if isinstance(tree, str):
            tree = load_html(tree, options.max_file_size)
            if tree is None:
                raise ValueError
        elif not own or tree.getparent() is not None:  # a fragment's element: trafilatura's copy is a new document
            from copy import copy

            tree = copy(tree)
        # extract_metadata(tree, options.url, options.date_params, ...), its steps
        document: Any = _examine_meta(tree)
        if document.author and " " not in document.author:
            document.author = None
        try:
            document = extract_meta_json(tree, document)
        except Exception:  # as trafilatura: bugs in its json_metadata.py
            pass
        if not document.title:
            document.title = extract_title(tree)
        if not document.author:
            document.author = _author(tree)
        if not document.url:
            document.url = extract_url(tree, options.url)
        if document.url:
            document.hostname = extract_domain(document.url, fast=True)
        date_config = {**options.date_params, "url": document.url}
        document.date = find_date(tree, **date_config)
        if not document.sitename:
            document.sitename = extract_sitename(tree)
        if document.sitename:
            document.sitename = document.sitename.lstrip("@")
            if document.sitename and "." not in document.sitename and not document.sitename[0].isupper():
                document.sitename = document.sitename.title()
        elif document.url:
            mymatch = META_URL.match(document.url)
            if mymatch:
                document.sitename = mymatch[1]
        document.filedate = date_config.get("max_date")
        document.clean_and_trim()
        if document.url in options.url_blacklist:  # pragma: no cover - empty: no blacklist is given
            raise ValueError
        postbody, temp_text, commentsbody, temp_comments = sequence(tree, options, options.url or document.url)
        if len(temp_text) < options.min_output_size and len(temp_comments) < options.min_output_comm_size:
            raise ValueError
    except (TypeError, ValueError):
        return {}
    assert isinstance(document, Document)
    document.text = xmltotxt(postbody, options.formatting)
    if options.comments:
        document.comments = xmltotxt(commentsbody, options.formatting)
        document.commentsbody = commentsbody
    document.raw_text = document.text
    document.body = postbody
    return document.as_dict()


# trafilatura's author search (trafilatura.xpaths, as of the version this was written against): three
# XPaths tried in turn on a copy of the page from which the matches of two "discard" XPaths were deleted.
_AUTHOR_PATHS = (
    "\n        //*[self::a or self::address or self::div or self::link or self::p or self::span or self::strong][\n"
    "        @rel='author' or @id='author' or @class='author' or @itemprop='author name' or rel='me' or\n"
    "        @data-testid='AuthorCard' or @data-testid='AuthorURL' or\n"
    "        re:test(@class, 'author-?name|AuthorName|authorName')]|//author\n        ",
    "\n        //*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][\n"
    "        @class='byline' or @class='username' or @class='byl' or @class='BBL' or\n"
    "        contains(@itemprop, 'author') or\n"
    "        re:test(@id, 'author|zuozhe|bianji|xiaobian') or\n"
    "        re:test(@class, 'author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name')]\n"
    "        ",
    "\n        //*[\n        contains(@data-component, 'Byline') or contains(@itemprop, 'author') or\n"
    "        re:test(@id, '[Aa]uthor') or\n        re:test(@class, '[Aa]uthor|screenname|writer|[Bb]yline')]\n        ",
)
_AUTHOR_DISCARD_PATHS = (
    "\n        .//*[self::a or self::div or self::section or self::span][\n"
    "        @id='comments' or @class='comments' or @class='title' or @class='date' or\n"
    "        re:test(@id, '^comments|comment-?list|ProductReviews') or\n"
    "        re:test(@class, '^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer') or\n"
    "        contains(@data-component, 'Figure')]\n        ",
    "//time|//figure",
)
# The same predicates in Python (lxml's EXSLT ``re:test`` is ``re.search``; an absent attribute is "").
_A0_TAGS = frozenset("a address div link p span strong".split())
_A1_TAGS = frozenset("a div h3 h4 p span".split())
_D1_TAGS = frozenset("a div section span".split())
_D2_TAGS = frozenset(("time", "figure"))
_A0_CLASS = re.compile("author-?name|AuthorName|authorName")
_A1_ID = re.compile("author|zuozhe|bianji|xiaobian")
_A1_CLASS = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_A2_ID = re.compile("[Aa]uthor")
_A2_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_D1_ID = re.compile("^comments|comment-?list|ProductReviews")
_D1_CLASS = re.compile("^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
                       "article-(?:share|support)|print|category|meta-date|meta-reviewer")


@functools.cache
def _replicable() -> bool:
    """Whether the installed trafilatura is a release :func:`_extraction` replicates, with the same author XPaths."""
    import trafilatura

    return getattr(trafilatura, "__version__", None) in REPLICATED_TRAFILATURA and not _author_xpaths_changed()


@functools.cache
def _author_xpaths_changed() -> bool:
    """Whether trafilatura's author XPaths are other than those :func:`_author` evaluates in Python."""
    try:
        from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS
    except ImportError:  # pragma: no cover - another trafilatura
        return True
    return (tuple(x.path for x in AUTHOR_XPATHS) != _AUTHOR_PATHS
            or tuple(x.path for x in AUTHOR_DISCARD_XPATHS) != _AUTHOR_DISCARD_PATHS)


def _author(tree: Any) -> str | None:
    """``trafilatura.metadata.extract_author(tree)``, the same answer at a fifth of the cost.

    trafilatura deep-copies the page, deletes the matches of its two discard XPaths from the copy (a
    comment thread, a sidebar, ``<time>``, ``<figure>``...; the tail text of each kept) and tries its three
    author XPaths in turn on what is left, taking the first match whose text has 3-119 characters.  Those
    XPaths call Python's ``re`` for every element through EXSLT (1.4 s over the 459 dev pages, the copy
    and deletions included).  Here one pass over the page's elements evaluates the same predicates in
    Python, on the page itself: a match is skipped where it or an ancestor is a discard match (it was
    deleted from the copy), and its text is the same where no discard match lies inside it.  Where one
    does (its text in the copy lost that element and had its tail merged), or where an element
    named ``rel`` makes the ``rel='me'`` test (a child element, not the attribute) matter,
    trafilatura's own function answers.  Checked against it on every dev page (tests/test_html.py)."""
    from lxml import etree
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.metadata import extract_author
    from trafilatura.utils import trim

    found: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    discard: set[Any] = set()
    for el in tree.iter(etree.Element):
        tag = el.tag
        cls = el.get("class")
        ident = el.get("id")
        comp = el.get("data-component")
        prop = el.get("itemprop")
        if tag == "rel":
            return extract_author(tree)
        if (tag in _A0_TAGS and (el.get("rel") == "author" or ident == "author" or cls == "author"
                                or prop == "author name" or el.get("data-testid") in ("AuthorCard", "AuthorURL")
                                or (cls is not None and _A0_CLASS.search(cls)))) or tag == "author":
            found[0].append(el)
        if tag in _A1_TAGS and (cls in ("byline", "username", "byl", "BBL") or (prop is not None and "author" in prop)
                                or (ident is not None and _A1_ID.search(ident))
                                or (cls is not None and _A1_CLASS.search(cls))):
            found[1].append(el)
        if ((comp is not None and "Byline" in comp) or (prop is not None and "author" in prop)
                or (ident is not None and _A2_ID.search(ident)) or (cls is not None and _A2_CLASS.search(cls))):
            found[2].append(el)
        if tag in _D2_TAGS or (tag in _D1_TAGS and (
                ident == "comments" or cls in ("comments", "title", "date")
                or (ident is not None and _D1_ID.search(ident)) or (cls is not None and _D1_CLASS.search(cls))
                or (comp is not None and "Figure" in comp))):
            discard.add(el)
    if not any(found):
        return None
    discard.discard(tree)  # the root is never deleted (it has no parent)
    holds_discarded: set[Any] = set()  # ancestors of a discard match
    for d in discard:
        for a in d.iterancestors():
            if a in holds_discarded:
                break
            holds_discarded.add(a)
    for results in found:
        for el in results:
            if el in discard or any(a in discard for a in el.iterancestors()):
                continue  # deleted from trafilatura's copy
            if el in holds_discarded:
                return extract_author(tree)
            content = trim(" ".join(el.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


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
