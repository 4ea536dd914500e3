"""cleaner.htmlsequence: trafilatura's extraction cascade with its backup trees built only when read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from cleaner import htmlsequence
from cleaner.html import _replicable, parse

pytestmark = pytest.mark.skipif(not _replicable(), reason="written from trafilatura 2.3.1; another release is not used")

DEV = Path(__file__).resolve().parents[1] / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"

_PARA = ("<p>The council approved the new budget on Monday after a long debate about the schools, the roads and "
         "the harbour, which the mayor said would be repaired before the winter storms arrive.</p>")
_FORUM_LD = ('<script type="application/ld+json">{"@context": "https://schema.org", '
             '"@type": "DiscussionForumPosting", "headline": "Budget"}</script>')
PAGES = {
    "article": f"<html><head><title>Budget</title></head><body><nav><a href='/'>Home</a></nav><article>"
               f"<h1>Budget approved</h1>{_PARA * 6}</article><footer>Contact us</footer></body></html>",
    # too little in the main pass: extract_content reads its backup (wild text), then a short text: jusText
    "short": "<html><body><div><span>Short note.</span></div><div>A few words here and there, not a paragraph."
             "</div><td>cell text that stands alone</td></body></html>",
    # an <aside> left in the extraction makes it "unclean": jusText's rescue reads the cleaned backup
    "unclean": f"<html><body><div class='main'>{_PARA * 2}<aside>Related: other news</aside>{_PARA}"
               f"<figure><figcaption>A caption</figcaption></figure></div></body></html>",
    # a thread forum: the comments are the posts, the converted tree is rebuilt from the backup
    "forum": f"<html><head>{_FORUM_LD}</head><body><h1>Budget thread</h1>{_PARA}<div id='comments'>"
             f"<div class='comment'><p>First post: {_PARA[3:-4]}</p></div><div class='comment'><p>Second post "
             f"agrees with the first one and adds a few more words about the harbour.</p></div></div></body></html>",
}
SETTINGS = [(focus, comments) for focus in ("balanced", "precision", "recall") for comments in (True, False)]


def _options(focus: str, comments: bool) -> Any:
    from trafilatura.settings import Extractor

    return Extractor(output_format="python", precision=focus == "precision", recall=focus == "recall",
                     comments=comments, tables=True, dedup=False, with_metadata=True)


def _answer(result: tuple[Any, str, Any, str]) -> tuple[bytes, str, bytes, str]:
    from lxml import etree

    body, text, comments, comments_text = result
    return etree.tostring(body), text, etree.tostring(comments), comments_text


def _same_as_trafilatura(page: str, focus: str, comments: bool, counts: dict[str, int] | None = None,
                         ours: dict[str, int] | None = None) -> None:
    """Our answer is trafilatura's; ``ours`` adds up what :func:`_count`'s ``counts`` saw during our call only."""
    from trafilatura.core import trafilatura_sequence

    want = _answer(trafilatura_sequence(parse(page), _options(focus, comments), None))
    before = dict(counts or {})
    assert _answer(htmlsequence.sequence(parse(page), _options(focus, comments), None)) == want
    if counts is not None and ours is not None:
        for key, value in counts.items():
            ours[key] = ours.get(key, 0) + value - before[key]


def _count(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Calls of the steps that read a backup tree, and of the cleaning that builds one."""
    from trafilatura import external, main_extractor

    counts = {"wild": 0, "justext": 0, "cleaned": 0}

    def counted(name: str, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(main_extractor, "recover_wild_text", counted("wild", main_extractor.recover_wild_text))
    monkeypatch.setattr(external, "justext_rescue", counted("justext", external.justext_rescue))
    monkeypatch.setattr(htmlsequence, "_cleaned", counted("cleaned", htmlsequence._cleaned))
    return counts


@pytest.mark.parametrize("lazy", [0, htmlsequence.LAZY_ELEMENTS])
@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize(("focus", "comments"), SETTINGS)
def test_sequence_answers_as_trafilaturas(name: str, focus: str, comments: bool, lazy: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The same body, text, comments and comment text as ``trafilatura_sequence``, for every setting, with
    ``extract_content``'s backup rebuilt (``LAZY_ELEMENTS`` 0: every tree counts as large) or deep-copied."""
    monkeypatch.setattr(htmlsequence, "LAZY_ELEMENTS", lazy)
    _same_as_trafilatura(PAGES[name], focus, comments)


def test_the_pages_reach_the_steps_that_read_a_backup(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture pages above do take the paths where a backup is built again (else the comparison proves
    nothing about them): wild-text recovery, jusText's rescue after an unclean or short extraction, a forum."""
    monkeypatch.setattr(htmlsequence, "LAZY_ELEMENTS", 0)
    counts = _count(monkeypatch)
    for name in ("short", "unclean"):
        htmlsequence.sequence(parse(PAGES[name]), _options("balanced", True), None)
    assert counts["wild"] >= 1 and counts["justext"] >= 1
    forum_before = counts["cleaned"]
    htmlsequence.sequence(parse(PAGES["forum"]), _options("balanced", True), None)
    assert counts["cleaned"] - forum_before >= 2  # the converted tree comes from a backup built again


def test_an_article_is_cleaned_once_and_never_copied_for_a_backup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where nothing reads a backup none is made: one copy of the page is cleaned and converted, and a large
    tree's deep copy in ``extract_content`` is gone (the memory this module is for); a small one is still made."""
    import copy as copy_module

    counts = _count(monkeypatch)
    deep: list[int] = []
    monkeypatch.setattr(htmlsequence, "deepcopy", lambda x: deep.append(1) or copy_module.deepcopy(x))
    for lazy, copies in ((0, 0), (10**9, 1)):
        monkeypatch.setattr(htmlsequence, "LAZY_ELEMENTS", lazy)
        deep.clear()
        counts.update(cleaned=0)
        _, text, _, _ = htmlsequence.sequence(parse(PAGES["article"]), _options("balanced", True), None)
        assert "council approved" in text
        assert counts == {"wild": 0, "justext": 0, "cleaned": 1}
        assert len(deep) == copies


@pytest.mark.skipif(not DEV.exists(), reason="../shared not available")
def test_sequence_answers_as_trafilaturas_on_dev_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dev pages that reach wild-text recovery and jusText's rescue (found by a scan of the first 200, both
    paths counted in our calls), and every 25th page, with and without comments; every backup rebuilt."""
    monkeypatch.setattr(htmlsequence, "LAZY_ELEMENTS", 0)
    counts = _count(monkeypatch)
    ours: dict[str, int] = {}
    chosen = {1, 3, 17, 72, 86, 142, 147, 157, 199}
    with gzip.open(DEV, "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["html"] for i, line in enumerate(f) if i in chosen or i % 25 == 0]
    for page in pages:
        if parse(page) is None:
            continue
        for focus, comments in (("balanced", True), ("precision", False)):
            _same_as_trafilatura(page, focus, comments, counts, ours)
    assert ours["wild"] >= 4 and ours["justext"] >= 4


def test_a_rebuilt_backup_of_another_shape_is_an_error_not_an_empty_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backup is rebuilt from the page's tree, which nothing changes; were that ever untrue, the element
    pairing would be wrong, and ``_extraction`` turns ValueError into "nothing extracted": so a RuntimeError."""
    from lxml import html as lh

    monkeypatch.setattr(htmlsequence, "LAZY_ELEMENTS", 0)
    tree = lh.fromstring("<html><body><div><p>Too short.</p><span>x</span></div></body></html>")
    other = lh.fromstring("<html><body><p>Too short.</p></body></html>")
    with pytest.raises(RuntimeError, match="rebuilt tree"):
        htmlsequence._extract_content(tree, _options("balanced", False), lambda: other)
