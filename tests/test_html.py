"""HTML extraction (trafilatura) and the text stage after it, on fixture pages we wrote."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cleaner.boilerplate import strip_boilerplate
from cleaner.config import Config
from cleaner.html import extract, looks_like_html, sniff_charset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_extract_english_article_and_metadata() -> None:
    text, meta = extract((FIXTURES / "en_article.html").read_text(encoding="utf-8"), Config())
    assert "Marine biologists say the giant kelp" in text
    assert "the loss of the southern forests." in text
    for chrome in ("Stock markets close higher", "FOLLOW US", "All rights reserved", "Sport"):
        assert chrome not in text
    assert meta["title"] == "Kelp Forests Are Moving North as Coastal Waters Warm"
    assert meta["author"] == "Marta Olsen"
    assert meta["date"].startswith("2023-03-14")
    assert meta["source"] == "Northern Ledger"


def test_text_stage_cleans_what_extraction_leaves() -> None:
    text, meta = extract((FIXTURES / "zh_article.html").read_text(encoding="utf-8"), Config())
    assert "版权所有" not in text and "首页" not in text
    assert meta["date"] == "2023-08-12"
    res = strip_boilerplate(text, "zh", Config(), model=False, source="html")
    # the block model keeps the headline and the date/source line (the benchmarks' gold counts
    # them as content); the text stage moves the date line and the editor line to metadata
    assert ("metadata", "editor-line") in [(r.kind, r.reason) for r in res.removed]
    assert {r.kind for r in res.removed} <= {"metadata"}
    assert res.metadata["editor"] == "张华"
    assert res.labels[0] == "title" and res.metadata["title"] == "城市屋顶上的菜园"
    assert res.text.split("\n")[1].startswith("清晨六点") and "责任编辑" not in res.text


def test_extract_without_comments_setting() -> None:
    text, _ = extract((FIXTURES / "en_article.html").read_text(encoding="utf-8"), Config(html_comments=False))
    assert "Marine biologists" in text


def test_empty_and_non_article_html() -> None:
    text, meta = extract("<html><body></body></html>", Config())
    assert text == "" and isinstance(meta, dict)


def test_sniffing() -> None:
    assert looks_like_html("<!DOCTYPE html><html><body><p>x</p></body></html>")
    assert looks_like_html("\ufeff  <html>")
    assert not looks_like_html("Plain text that mentions <p> once.")
    assert sniff_charset(b'<html><head><meta charset="gb2312"></head>') == "gb2312"
    assert sniff_charset(b"<html><head></head>") is None


def test_page_text_puts_blocks_on_lines_and_drops_scripts() -> None:
    from cleaner.html import page_text

    html = (
        "<html><head><title>T</title><script>var x = 1;</script></head><body>"
        "<div>Menu <b>one</b></div><p>First   para</p>tail<ul><li>a</li><li>b</li></ul></body></html>"
    )
    assert page_text(html) == "Menu one\nFirst para\ntail\na\nb"


def test_fallback_to_page_text_when_trafilatura_finds_nothing() -> None:
    links = "".join(f"<div><a href='/{i}'>Link {i}</a></div>" for i in range(30))
    html = f"<html><body>{links}</body></html>"
    text, meta = extract(html, Config())
    assert meta["extractor"] == "html-blocks"
    assert set(text.split("\n")) <= {f"Link {i}" for i in range(30)}
    text, meta = extract(html, Config(html_blocks=False))
    if meta.get("extractor") == "page-text":
        assert text.startswith("Link 0\nLink 1")
    else:
        assert meta["extractor"] == "trafilatura" and len(text.split()) >= 10


def test_justext_uses_trafilaturas_stoplist_itself() -> None:
    """The shared stoplist is the set jusText would build (every word is already lower case), and
    jusText's classification with it is unchanged; other stoplists still go through jusText's own."""
    pytest.importorskip("justext")
    from justext import core
    from trafilatura import external

    from cleaner import html

    assert html.share_justext_stoplist()
    assert html.share_justext_stoplist()  # idempotent: wrapped once
    assert core.define_stoplist.shares_stoplist
    words = external.JT_STOPLIST or external.jt_stoplist_init()
    shared = core.define_stoplist(words)
    assert core.define_stoplist(words) is shared  # built once
    assert shared == frozenset(w.lower() for w in words)
    some = next(iter(shared))
    assert any(w is some for w in words[:1]) or some in words  # the tuple's own strings
    assert len(shared) > 100_000
    assert core.define_stoplist(("The", "AND", "of")) == frozenset({"the", "and", "of"})
    page = ("<html><body><div><p>The council approved the new budget on Monday after a long debate about "
            "the schools and the roads of the town.</p><p>Share | Tweet | Email</p></div></body></html>")
    text, _ = html._trafilatura(html.parse(page), Config(), None)
    assert "council approved" in text


def _pages_for_reparse() -> list[str]:
    """Pages of every kind ``_parse`` handles: plain, a title never closed, a DOCTYPE with an
    internal subset, a bare fragment (fallback parser), and a large one (its own size: 640 KB)."""
    en = (FIXTURES / "en_article.html").read_text(encoding="utf-8")
    zh = (FIXTURES / "zh_article.html").read_text(encoding="utf-8")
    unclosed = en.replace("</title>", "", 1)
    subset = '<!DOCTYPE html [<!ENTITY x "y">]>' + en.split(">", 1)[1]
    fragment = "<div><p>" + "A bare fragment: one division with a paragraph and nothing around it. " * 8 + "</p></div>"
    rule = ".c{color:#123456;background:url(data:image/png;base64," + "A" * 200 + ")}\n"
    css = "<style>" + rule * 2_000 + "</style>"
    huge = en.replace("</head>", css + "</head>", 1)
    assert unclosed != en and subset != en and len(huge) > 400_000
    return [en, zh, unclosed, subset, fragment, huge]


@pytest.mark.parametrize("index", range(6))
def test_trafilatura_on_our_tree_owned_or_not_or_on_the_markup_answers_alike(index: int) -> None:
    """trafilatura working on our tree itself (``own``: extract() is done with it), on a copy, or
    parsing the repaired markup itself: the same text and metadata, for every kind of page."""
    import cleaner.html as html_mod

    def answer(result: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        return result[0], {k: v for k, v in result[1].items() if k in _FIELDS}

    page = _pages_for_reparse()[index]
    markup = html_mod._parse(page)[1]
    for mode in ("precision", "balanced"):
        cfg = Config(html_favor=mode)
        want = answer(html_mod._trafilatura(html_mod.parse(page), cfg, None))
        assert want[0].strip()
        assert answer(html_mod._trafilatura(html_mod.parse(page), cfg, None, own=True)) == want
        if markup is not None:  # the bare fragment comes from the fallback parser: no markup rebuilds it
            assert answer(html_mod._trafilatura(markup, cfg, None)) == want
    assert (markup is None) == (index == 4)


def test_trafilatura_works_on_our_tree_once_the_blocks_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the block model, trafilatura gets our tree to work on (no copy: nothing reads it after the
    block walk); without it, the page-text fallback may read the tree afterwards, so it gets a copy."""
    import cleaner.html as html_mod

    page = (FIXTURES / "en_article.html").read_text(encoding="utf-8")
    owns: list[bool] = []
    trafilatura = html_mod._trafilatura

    def spy(tree, cfg, url, **kw):  # type: ignore[no-untyped-def]
        owns.append(kw.get("own", False))
        return trafilatura(tree, cfg, url, **kw)

    monkeypatch.setattr(html_mod, "_trafilatura", spy)
    text, meta = extract(page, Config())
    assert "Marine biologists say the giant kelp" in text and meta["extractor"] == "html-blocks"
    text, meta = extract(page, Config(html_blocks=False))
    assert "Marine biologists say the giant kelp" in text and meta["extractor"] == "trafilatura"
    assert owns == [True, False]


@pytest.mark.parametrize("markup", [
    "<html><body><FORM action=x><INPUT name=a><SELECT><option>o</select><textarea>t</textarea><label>l</label>"
    "</FORM><!-- c --><p>Text</p></body></html>",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>Declared encoding</p></body></html>',
    "<!DOCTYPE html>\n<html/><body><p>faulty html start</p></body></html>",
    "<div>a</div><div>b</div>",
    "<p>one element</p>",
    "plain text, no markup",
    "<html><body>bad\x00char\x0bs</body></html>",
])
def test_our_parser_builds_trafilaturas_tree_with_the_same_classes(markup: str) -> None:
    """cleaner.html._load_html is trafilatura's load_html with a parser whose class lookup runs in C:
    the same tree (serialised) and the same Python class for every element (FormElement, InputElement...)."""
    from lxml import etree
    from trafilatura.utils import load_html

    from cleaner.html import _load_html

    ours, theirs = _load_html(markup), load_html(markup)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert etree.tostring(ours) == etree.tostring(theirs)
        assert [type(e) for e in ours.iter()] == [type(e) for e in theirs.iter()]
        assert any(type(e).__name__ != "HtmlElement" for e in ours.iter()) or "FORM" not in markup
        # copies (trafilatura copies a tree it is given) keep the parser, hence the classes
        from copy import copy, deepcopy

        assert [type(e) for e in copy(ours).iter()] == [type(e) for e in deepcopy(theirs).iter()]


_FIELDS = ("text", "comments", "title", "author", "date", "sitename", "url", "description", "hostname")


def _extraction_pages() -> list[str]:
    """The reparse pages (fixtures, an unclosed title, an internal subset, a fragment, a huge page) and
    pages shaped for the author search: a byline with a <time> inside (trafilatura's copy loses it), a
    byline inside a comment thread (deleted from the copy), an element named ``rel``, an author link."""
    body = "<p>" + "The harbour board met on Tuesday to weigh the plan for the new pier and its costs. " * 6 + "</p>"
    return [*_pages_for_reparse(),
            f'<html><body><div class="byline">By Ann Lee, <time>3 May 2021</time> in Oslo</div>{body}</body></html>',
            f'<html><body>{body}<div id="comments"><span class="author">Bob Stone</span></div>'
            f'<p class="author-name">Carla Diaz</p></body></html>',
            f'<html><body><div class="author">x<rel>me</rel></div><p>By <a rel="author">Dan Wu</a></p>{body}'
            '</body></html>',
            f'<html><body><div data-component="Byline"><figure>img</figure>tail text by Eve Ng</div>{body}'
            '</body></html>']


def _dev_html() -> Iterator[str]:
    """The HTML of every page of ../shared's boilerplate dev set (skips the test without ../shared)."""
    import gzip
    import json

    dev = Path(__file__).resolve().parents[1] / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not dev.exists():
        pytest.skip("../shared not available")
    with gzip.open(dev, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line).get("html") or ""


_replicated_only = pytest.mark.skipif(
    not __import__("cleaner.html", fromlist=["_replicable"])._replicable(),
    reason="the installed trafilatura is not a release cleaner.html replicates (it then runs bare_extraction)",
)


@_replicated_only
@pytest.mark.parametrize("index", range(10))
def test_our_extraction_answers_as_bare_extraction(index: int) -> None:
    """cleaner.html._extraction replicates ``trafilatura.bare_extraction`` (less categories, tags and
    licence, and without copying a tree we are done with): the same text and metadata fields, on our
    tree (owned or not) and on the markup; a tree not owned is left as it was."""
    import trafilatura
    from lxml import etree

    from cleaner.html import _NOT_REPLICATED, TRAFILATURA_SETTINGS, _extraction, _parse, parse

    page = _extraction_pages()[index]
    markup = _parse(page)[1] or page  # the repaired markup trafilatura's loader parses to our tree
    for precision, comments in ((False, True), (True, True), (False, False)):
        kw: dict[str, Any] = {"url": None, "include_comments": comments, "favor_precision": precision,
                              "favor_recall": False, **TRAFILATURA_SETTINGS}
        doc = trafilatura.bare_extraction(parse(page), **kw)
        want = {k: v for k, v in doc.as_dict().items() if k in _FIELDS} if doc is not None else {}
        tree = parse(page)
        before = etree.tostring(tree)
        for got in (_extraction(tree, False, **kw), _extraction(parse(page), True, **kw)):
            assert got is not _NOT_REPLICATED
            assert {k: v for k, v in got.items() if k in _FIELDS} == want
        assert etree.tostring(tree) == before
        if _parse(page)[1] is not None:  # the fallback parser's tree (a bare fragment) has no markup to hand over
            got = _extraction(markup, False, **kw)
            assert {k: v for k, v in got.items() if k in _FIELDS} == want


@_replicated_only
@pytest.mark.parametrize("index", range(10))
def test_author_search_answers_as_trafilaturas(index: int) -> None:
    """cleaner.html._author is ``trafilatura.metadata.extract_author`` on every kind of page, its fallback
    included (a discarded element inside the match; an element named ``rel``)."""
    from trafilatura.metadata import extract_author

    from cleaner.html import _author, _author_xpaths_changed, parse

    assert not _author_xpaths_changed()
    tree = parse(_extraction_pages()[index])
    assert _author(tree) == extract_author(tree)


@_replicated_only
def test_author_search_answers_as_trafilaturas_on_the_dev_pages() -> None:
    """The same on every page of ../shared's boilerplate dev set (195 of 459 have an author there)."""
    from trafilatura.metadata import extract_author

    from cleaner.html import _author, parse

    found = 0
    for page in _dev_html():
        tree = parse(page)
        if tree is not None:
            want = extract_author(tree)
            assert _author(tree) == want
            found += want is not None
    assert found > 100


def test_another_trafilatura_release_gets_bare_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trafilatura release _extraction was not written from falls back to bare_extraction itself
    (a changed step would otherwise differ silently), and the record stays the same on this one."""
    from cleaner import html as html_mod

    page = _extraction_pages()[-1]
    want = html_mod.extract(page, Config())
    monkeypatch.setattr(html_mod, "REPLICATED_TRAFILATURA", ("0.0",))
    html_mod._replicable.cache_clear()
    try:
        kw: dict[str, Any] = {"url": None, "include_comments": True, "favor_precision": False,
                              "favor_recall": False, **html_mod.TRAFILATURA_SETTINGS}
        assert html_mod._extraction(html_mod.parse(page), True, **kw) is html_mod._NOT_REPLICATED
        assert html_mod.extract(page, Config()) == want
    finally:
        html_mod._replicable.cache_clear()


@_replicated_only
def test_our_extraction_answers_as_bare_extraction_on_dev_pages() -> None:
    """_extraction against bare_extraction on every 12th page of ../shared's boilerplate dev set (all 459
    were checked once by hand: bench/results/html_speed_s7.md), owned tree and copied tree."""
    import gzip
    import json

    import trafilatura

    from cleaner.html import TRAFILATURA_SETTINGS, _extraction, parse

    dev = Path(__file__).resolve().parents[1] / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not dev.exists():
        pytest.skip("../shared not available")
    kw: dict[str, Any] = {"url": None, "include_comments": True, "favor_precision": False,
                          "favor_recall": False, **TRAFILATURA_SETTINGS}
    with gzip.open(dev, "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["html"] for i, line in enumerate(f) if i % 12 == 0]
    for page in pages:
        if parse(page) is None:
            continue
        doc = trafilatura.bare_extraction(parse(page), **kw)
        want = {k: v for k, v in doc.as_dict().items() if k in _FIELDS} if doc is not None else {}
        for own in (False, True):
            got = _extraction(parse(page), own, **kw)
            assert {k: v for k, v in got.items() if k in _FIELDS} == want


_REPAIR_CASES = [
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/x.dtd">\n<html><body>x</body></html>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/x.dtd"><html><body>x</body></html>',
    "<!doctype html><html/>\n<p>x</p>", "<!DOCTYPE html>\n<html/>\n<body>\x01a\ufffe</body>", "<!DOCTYPE a/b>\n<html>",
    "<!doctype html>", "plain text, no markup", "<html lang='en'/>\n<body>y</body>", "",
]


@_replicated_only
@pytest.mark.parametrize("page", _REPAIR_CASES)
def test_repair_answers_as_trafilaturas(page: str) -> None:
    """cleaner.html._repair is ``trafilatura.utils.repair_faulty_html`` (a DOCTYPE with a slash on the first line,
    with and without a line break after it; a self-closing <html/>; control characters), and it hands back the page
    itself where nothing needs repairing (no copy of a large page)."""
    from trafilatura.utils import repair_faulty_html

    from cleaner.html import _repair

    beginning = page[:50].lower()
    want = repair_faulty_html(page, beginning)
    got = _repair(page, beginning)
    assert got == want
    if want == page:
        assert got is page


@_replicated_only
def test_repair_answers_as_trafilaturas_on_dev_pages() -> None:
    from trafilatura.utils import repair_faulty_html

    from cleaner.html import _repair

    kept = 0
    for page in _dev_html():
        got = _repair(page, page[:50].lower())
        assert got == repair_faulty_html(page, page[:50].lower())
        kept += got is page
    assert kept > 200


def test_large_pages_trim_the_heap_only_in_an_html_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """After trafilatura a page of RELEASE_CHARS or more trims the C heap in a worker of an HTML pool, and only
    there (a process of its own would fault the pages back in for nothing); the text is the same either way."""
    from cleaner import html as html_mod
    from cleaner import runner

    calls: list[int] = []
    monkeypatch.setattr(runner, "_release_memory", lambda growth=0: calls.append(growth))
    page = (FIXTURES / "en_article.html").read_text(encoding="utf-8")
    monkeypatch.setattr(html_mod, "RELEASE_CHARS", 1)
    monkeypatch.setattr(runner, "_html_pool", False)
    want = extract(page, Config())
    assert calls == []
    monkeypatch.setattr(runner, "_html_pool", True)
    assert extract(page, Config()) == want
    assert calls == [0]
    monkeypatch.setattr(html_mod, "RELEASE_CHARS", len(page) + 1)
    assert extract(page, Config()) == want
    assert calls == [0]
