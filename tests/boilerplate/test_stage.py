"""The stage end to end on golden cases (tests/boilerplate/cases/*.json) and invariants."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import THRESHOLDS, strip_boilerplate
from cleaner.config import Config

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(p for p in (ROOT / "tests/boilerplate/cases").glob("*.json") if p.name != "negative.json")
NEGATIVE = json.loads((ROOT / "tests/boilerplate/cases/negative.json").read_text(encoding="utf-8"))["cases"]


def _text(case: dict[str, Any]) -> str:
    return case.get("text") or (ROOT / "fixtures" / case["fixture"]).read_text(encoding="utf-8")


def _check_invariants(text: str, res: Any) -> None:
    lines = text.split("\n")
    for r in res.removed:
        assert text[r.start : r.end] == r.text
        assert r.kind in ("chrome", "related", "metadata") and r.reason
    # the output is made of whole input lines, in input order, nothing invented
    kept = [x for x in res.text.split("\n") if x.strip()]
    pos = 0
    for line in kept:
        pos = lines.index(line, pos) + 1


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    text = _text(case)
    res = strip_boilerplate(text, case["language"], Config(), model=False)
    _check_invariants(text, res)
    got = [(r.text, r.kind, r.reason) for r in res.removed]
    want = [(r["text"], r["kind"], r["reason"]) for r in case["removed"]]
    assert got == want
    assert [x for x in res.text.split("\n") if x.strip()] == case["kept"]
    for key, value in case["metadata"].items():
        assert str(res.metadata.get(key, "")).startswith(value), key


@pytest.mark.parametrize("case", NEGATIVE, ids=[c["name"] for c in NEGATIVE])
def test_negative_case_untouched(case: dict[str, Any]) -> None:
    text = _text(case)
    res = strip_boilerplate(text, case["language"], Config(), model=False)
    assert res.removed == []
    assert res.text == text.rstrip("\n")


def test_title_kept_and_reported() -> None:
    text = (ROOT / "fixtures/en_news_chrome.txt").read_text(encoding="utf-8")
    title = "Kelp Forests Are Moving North as Coastal Waters Warm"
    res = strip_boilerplate(text, "en", Config(), model=False)
    assert res.metadata["title"] == title and title in res.text.split("\n")
    res = strip_boilerplate(text, "en", Config(keep_title=False), model=False)
    assert res.metadata["title"] == title and title not in res.text


def test_empty_and_blank_input() -> None:
    for text in ("", "\n\n", "   "):
        res = strip_boilerplate(text, None, Config(), model=False)
        assert res.text == "" and res.removed == []


def test_crlf_offsets() -> None:
    text = (
        "Title Of The Piece Here\r\n\r\nShare\r\n"
        "A first paragraph that is long enough to count as running text.\r\n"
    )
    res = strip_boilerplate(text, "en", Config(), model=False)
    (share,) = [r for r in res.removed if r.reason == "share-buttons"]
    assert text[share.start : share.end] == "Share"


class _FakeModel:
    """P(content) = 0.5 for every line but the longest (0.99): the mode threshold decides
    the others (one line always passes, so the empty-page fallback stays out of it)."""

    def score(self, lines: Sequence[str], language: str | None) -> np.ndarray:
        p = np.full(len(lines), 0.5)
        if lines:
            p[max(range(len(lines)), key=lambda i: len(lines[i]))] = 0.99
        return p


def test_model_that_keeps_nothing_falls_back_to_the_best_lines() -> None:
    class Flat:
        def score(self, lines: Sequence[str], language: str | None) -> np.ndarray:
            return np.array([0.2 if len(x) > 60 else 0.05 for x in lines])

    text = (ROOT / "fixtures/en_clean.txt").read_text(encoding="utf-8")
    res = strip_boilerplate(text, "en", Config(mode="precision"), model=Flat())
    assert res.text.strip() and all(len(x) > 60 or x == res.metadata.get("title") for x in res.text.splitlines()
                                    if x.strip())


def test_model_threshold_follows_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import cleaner.boilerplate as stage

    monkeypatch.setattr(stage, "GROW_RATIO", 0.0)  # the threshold alone (hysteresis: next test)
    text = (ROOT / "fixtures/en_clean.txt").read_text(encoding="utf-8")
    assert THRESHOLDS["precision"] > THRESHOLDS["balanced"] > THRESHOLDS["recall"]
    kept = strip_boilerplate(text, "en", Config(mode="recall"), model=_FakeModel())
    assert kept.removed == []
    dropped = strip_boilerplate(text, "en", Config(mode="precision"), model=_FakeModel())
    body = [r for r in dropped.removed if r.reason == "low-content-score"]
    assert body and all(r.kind == "chrome" for r in body)
    assert dropped.metadata["title"] in dropped.text  # the title is decided before the model


def test_hysteresis_keeps_lead_paragraphs_chained_to_the_body() -> None:
    lines = [
        "Menu | Home | News",
        "",
        "The council met on Tuesday night to discuss the budget for the coming year.",
        "",
        "Members argued for hours about the cost of the new bridge over the river.",
        "",
        "In the end the budget passed by seven votes to four, and the bridge will be built.",
        "",
        "Work starts in the spring and should take two years, the mayor said afterwards.",
        "",
        "Subscribe to our newsletter",
    ]

    class Lead:
        """The two lead paragraphs score under the threshold but over half of it."""

        def threshold(self, mode: str) -> float:
            return 0.5

        def score(self, lines: Sequence[str], language: str | None) -> np.ndarray:
            return np.array([0.05, 0.0, 0.3, 0.0, 0.45, 0.0, 0.9, 0.0, 0.9, 0.0, 0.05])

    res = strip_boilerplate("\n".join(lines), "en", Config(), model=Lead())
    assert lines[2] in res.text and lines[4] in res.text and lines[6] in res.text
    assert "Menu" not in res.text and "Subscribe" not in res.text

    class Island(Lead):
        """A paragraph under the threshold that no kept line touches stays out."""

        def score(self, lines: Sequence[str], language: str | None) -> np.ndarray:
            return np.array([0.05, 0.0, 0.3, 0.0, 0.1, 0.0, 0.9, 0.0, 0.9, 0.0, 0.05])

    res = strip_boilerplate("\n".join(lines), "en", Config(), model=Island())
    assert lines[2] not in res.text and lines[4] not in res.text and lines[6] in res.text


def test_rules_win_over_model() -> None:
    class Keep:
        def score(self, lines: Sequence[str], language: str | None) -> np.ndarray:
            return np.ones(len(lines))

    text = (ROOT / "fixtures/en_news_chrome.txt").read_text(encoding="utf-8")
    res = strip_boilerplate(text, "en", Config(), model=Keep())
    reasons = {r.reason for r in res.removed}
    # hard rules and metadata lines hold; soft rules (copyright lines, breadcrumbs) yield
    # to a model that is certain the line is content
    hard = {"share-buttons", "byline", "back-to-top", "follow-us", "image-credit", "contact-footer"}
    assert hard <= reasons
    assert "copyright-footer" not in reasons


def _probe_whole_page(text: str) -> list[int]:
    """The metadata probe as one scan of the whole page (the reference for ``_probe_rows``)."""
    import cleaner.boilerplate as S

    starts = np.concatenate(([0], np.cumsum([len(x) + 1 for x in text.split("\n")])[:-1]))
    stripped = [x.rstrip("\r").strip() for x in text.split("\n")]
    out: set[int] = set()
    for m in S._META_PROBE.finditer(text):
        i = int(np.searchsorted(starts, m.start(), side="right") - 1)
        s = stripped[i]
        if not s or len(s) > 160:
            continue
        g = m.group()
        if g[0] in ":：" and not 2 <= len(s) <= 11:
            continue
        if g[0] in "(（" and not S._BRACKET_LINE.fullmatch(s):
            continue
        if g in S._BY_SET and m.start() and S._WORDISH.match(text, m.start() - 1):
            continue
        out.add(i)
    return sorted(out)


def test_metadata_probe_scans_short_lines_only_with_the_same_rows() -> None:
    import cleaner.boilerplate as S

    texts = [(ROOT / "fixtures" / name).read_text(encoding="utf-8") for name in ("en_news_chrome.txt", "en_clean.txt")]
    texts.append(
        "By Jane Doe\r\nStandby mode (2 min)\r\n"
        + "A long line of prose, (with a bracket) and a year 2021-05 and By the way, " * 4
        + "\nSource:\n作者：王欣\n（新华社）\nUpdated March 3, 2020\nabcBy x\n\n   \nPosted:"
    )
    for text in texts:
        lines, _, _ = S._line_table(text)
        assert S._probe_rows(lines, [x.strip() for x in lines]) == _probe_whole_page(text)


_PROBE_PIECES = ["by", "By", "author", "Author", "source", "posted", "Updated", "updated", "published", "editor",
                 "(by Reuters)", "（新华社）", "(", ")", "2021-05", "2019年", "/2020", "March 3, 2020", "Jan", "作者",
                 "文:", "nearby", "abc", ":", "：", " ", "\t", "\n", "x", "_", "1"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PROBE_PIECES), max_size=12))
def test_probe_hits_are_the_one_scan_hits(pieces: list[str]) -> None:
    # the cased scan + str.find of the lower-case byline words find what the one regex finds
    import cleaner.boilerplate as S

    text = "".join(pieces)
    assert S._probe_hits(text) == [(m.start(), m.group()) for m in S._META_PROBE.finditer(text)]


def test_html_blocks_source_leaves_chrome_rules_to_the_block_model() -> None:
    """The block model saw the whole-line rules as features and kept the line: only the
    metadata lines and the related cut apply to its selection, every rule still to trafilatura's."""
    text = (
        "Harbour Council Approves New Ferry Timetable\n"
        "By Jane Doe\n"
        "The council voted on Tuesday to add two evening ferries between the harbour and the islands.\n"
        "Residents had asked for later crossings for years, and the operator agreed to a trial.\n"
        "(C) 2008 Harbour Ferries Ltd. All rights reserved.\n"
    )
    extractor = strip_boilerplate(text, "en", Config(), source="html")
    blocks = strip_boilerplate(text, "en", Config(), source="html-blocks")
    assert [r.reason for r in extractor.removed if r.kind == "chrome"] == ["copyright-footer"]
    assert "All rights reserved" in blocks.text
    assert not [r for r in blocks.removed if r.kind == "chrome"]
    for res in (extractor, blocks):
        assert res.metadata.get("author") == "Jane Doe"
        assert "By Jane Doe" not in res.text


def test_unknown_source_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="source must be one of"):
        strip_boilerplate("Some text.\n", "en", Config(), source="pdf")


def test_probe_scans_on_dev_pages_both_paths(dev_texts: list[str], kernel_path: str) -> None:
    # the compiled path's literal candidates + match walk, and the numpy path's regex scan, against
    # the one regex on the short lines of every dev page
    import cleaner.boilerplate as S

    for page in dev_texts:
        text = "\n".join(s for s in page.split("\n") if 0 < len(s.strip()) <= 160)
        want = [(m.start(), m.end(), m.group()) for m in S._META_PROBE_CASED.finditer(text)]
        assert S._probe_cased(text) == want
        assert S._probe_hits(text) == [(m.start(), m.group()) for m in S._META_PROBE.finditer(text)]
