"""Whole-line chrome rules: what each one removes, and prose it must leave alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import features, rules

CHROME = [
    ("Share", "share-buttons"),
    ("Share - WeChat", "share-buttons"),
    ("Facebook | Twitter | Email", "share-buttons"),
    ("分享到：微信 微博", "share-buttons"),
    ("FOLLOW US", "follow-us"),
    ("关注我们", "follow-us"),
    ("Back to top", "back-to-top"),
    ("返回顶部", "back-to-top"),
    ("© 2021 Example Media Ltd. All rights reserved.", "copyright-footer"),
    ("Copyright 2003 - 2020 Example Group", "copyright-footer"),
    ("版权所有 某某日报社", "copyright-footer"),
    ("Some Paper Inc 1998-2021, all rights reserved", "copyright-footer"),
    ("京ICP备12345678号", "licence-footer"),
    ("Registration Number: 445566", "licence-footer"),
    ("Source link", "source-link"),
    ("阅读原文", "source-link"),
    ("https://example.org/img/photo.jpg", "url"),
    ("Contact the editor at desk@example.org.", "contact-footer"),
    ("(555) 123-4567", "contact-footer"),
    ("error: Content is protected !!", "copy-protection"),
    ("Right-click is disabled", "copy-protection"),
    ("Cover Image: A harbour at dawn. (Source: Example Photos)", "image-credit"),
    ("PETER HOLM/EXAMPLE TIMES", "image-credit"),
    ("A man walks past the station. Getty Images", "image-credit"),
    ("（新华社记者 王某 摄）", "image-credit"),
    ("Home / Opinion / Columns", "navigation"),
    ("首页 > 新闻 > 国内", "navigation"),
    ("Advertisement", "navigation"),
    ("Most Viewed in 24 Hours", "popular-box"),
    ("热门推荐", "popular-box"),
    ("Leave a comment", "comments"),
    ("Related:", "related-header"),
    ("相关:", "related-header"),
    ("You may also like", "related-header"),
]

PROSE = [
    "People share recipes with neighbours because sharing food is an old habit.",
    "Copyright law rarely covers a list of ingredients, the lawyer said.",
    "She said that all rights reserved notices rarely cover the ingredients.",
    "The top of the mountain was covered in snow.",
    "Follow the instructions on the packet, she said, and then change them.",
    "He moved to Washington, DC in 2004 and worked at the bureau for a decade.",
    "编辑们围坐在会议桌旁，讨论当天稿件的来源和核实办法。",
    "The photo, taken by a tourist, shows the bridge just before it collapsed.",
    "Reuters reported on Monday that the talks had stalled.",
    "Tech,  Wealth",  # a category line: chrome by position, never by a lexicon rule
]


@pytest.mark.parametrize(("line", "reason"), CHROME)
def test_rule_fires_on_whole_chrome_line(line: str, reason: str) -> None:
    hits = rules.scan(f"First paragraph of prose here.\n{line}\nLast paragraph of prose here.")
    assert [h.reason for h in hits] == [reason]
    hit = hits[0]
    assert hit.kind == ("related" if reason == "related-header" else "chrome")


@pytest.mark.parametrize("line", PROSE)
def test_prose_is_left_alone(line: str) -> None:
    assert rules.scan(line) == []


def test_hits_are_whole_lines_with_offsets() -> None:
    text = "Intro line of the article.\n  Share  \nBody text follows here.\n"
    (hit,) = rules.scan(text)
    assert text[hit.start : hit.end] == "  Share  "


def test_rules_never_span_lines() -> None:
    text = "ANNA\nBERG/NORTHERN LEDGER"
    assert all("\n" not in text[h.start : h.end] for h in rules.scan(text))


def test_lexicons_are_plain_importable_data() -> None:
    for r in rules.RULES:
        assert isinstance(r, rules.Rule) and r.reason and r.kind in ("chrome", "related")
    assert rules.LEXICON.match("Share")
    assert rules.PUBLISHER_BLURB.search(
        "The Example Institute is an independent nonprofit research organization dedicated to trade."
    )
    assert rules.ADDRESS.match("1200 Main St. Suite 5,")
    assert not rules.ADDRESS.match("The main street was closed for the parade.")


def test_table_rows_are_not_breadcrumbs_and_scan_stays_linear() -> None:
    row = "|  |  | " + "A long cell of article text about the sentencing hearing, " * 60 + "| "
    rows = "|  | Everton beats Wigan | \n| Name | Goals | Minutes |"
    assert rules.scan(row) == []
    assert rules.scan(rows) == []
    assert [h.reason for h in rules.scan("News / Sport / Football")] == ["navigation"]


def test_stdlib_spelling_of_regex_classes() -> None:
    import re

    p = re.compile(rules.stdlib_pattern(r"a\s+b[\s,]\p{Han}+\h\p{Latin}"))
    assert p.fullmatch("a \u3000b,中文\u00a0é")
    assert not p.fullmatch("a\nb,中文 é")  # \s means horizontal space in a whole-line rule
    # contains-rules: wire credits need a word boundary, found anywhere in a short line
    hits = rules.scan("Fire crews at the scene. Photo: REUTERS\nThe ANNAPOLIS REUTERS line stays")
    assert [h.reason for h in hits] == ["image-credit"]


def test_newline_led_scan_finds_the_lexicon_matches() -> None:
    # scan() runs LEXICON led by the newline before each line (a literal first character);
    # its matches must be LEXICON's own, shifted by that newline
    lines = [c for c, _ in CHROME] + ["", "  ", "\r", "Share\r", "The council met on Tuesday. Share this story."]
    for text in ("\n".join(lines), "\n" + "\n".join(reversed(lines)) + "\n", "Share", ""):
        want = [(m.start(), m.end(), m.lastgroup) for m in rules.LEXICON.finditer(text)]
        got = [(m.start(), m.end() - 1, m.lastgroup) for m in rules._LEXICON_NL.finditer("\n" + text)]
        assert got == want


_CONTAINS_PIECES = ["All rights reserved", "all rights reserved", "all", "All", "ALL RIGHTS RESERVED", "rights",
                    "registration number", "Registration Number", "licence for publishing", "license", "iStock",
                    " via ", "AFP", "Reuters", "Getty Images", "(Photo: a)", "(Source: all rights)", "ICP备",
                    "版权所有", "未经授权不得转载", "供图", "\n", " ", "a", "x.", ")", "("]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CONTAINS_PIECES), max_size=12))
def test_contains_starts_are_the_one_scans(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert rules._contains_starts(text) == [m.start() for m in rules.CONTAINS.finditer(text)]


def test_contains_starts_when_a_lower_case_match_hides_a_cased_one() -> None:
    # "iStock via AFP": the cased scan finds "AFP" (a wire credit at the line end) inside the iStock match
    for text in ("Photo: iStock via AFP\nbody", "iStock via AFP", "x all rights reserved AFP"):
        assert rules._contains_starts(text) == [m.start() for m in rules.CONTAINS.finditer(text)]


def test_fold_classes_are_what_ignorecase_matches() -> None:
    # every cased character of the rules (and of the line decoration) against every code point
    import re

    every = "".join(map(chr, [*range(0xD800), *range(0xE000, 0x110000)]))
    letters = {c for c in rules._lexicon_body(rules.RULES) if c.lower() != c.upper() or c in "\u0130\u0131\u017f\u212a"}
    assert {"a", "s", "k", "i", "z", "\u010d", "\u0161"} <= letters
    for c in sorted(letters):
        want = set(re.findall(re.escape(c), every, re.IGNORECASE))
        got = set(re.findall(rules._fold_class(c), every))
        assert got == want, c


def test_case_expanded_spellings() -> None:
    import re

    assert rules.case_expanded("ab") == "[aA][bB]"
    assert rules.case_expanded("is") == "[iI\u0130\u0131][sS\u017f]"
    assert rules.case_expanded(r"\s+x(?P<r1>y)(?-i:Tt[A-Z]){1,2}") == r"\s+[xX](?P<r1>[yY])(?-i:Tt[A-Z]){1,2}"
    assert rules.case_expanded("(?:a|(?=b))[0-9]") == "(?:[aA]|(?=[bB]))[0-9]"
    with pytest.raises(ValueError):
        rules.case_expanded("[a-z]")
    p = re.compile(rules.case_expanded("share|(?-i:AP)|k"))
    assert p.fullmatch("SHARE") and p.fullmatch("\u017fhare") and p.fullmatch("\u212a") and not p.fullmatch("ap")


def test_fast_lexicon_is_the_named_one() -> None:
    # one flat alternation without IGNORECASE, each alternative closing an empty group a<j>: the
    # same matches as the named lexicon, and the rule of the alternative that matched
    lines = [c for c, _ in CHROME] + ["", "  ", "\r", "Share\r", "SHARE ON FACEBOOK", "\u017fhare", "Top \u00bb",
                                      "The council met on Tuesday. Share this story.", "- Related:", "【相关新闻】"]
    for text in ("\n".join(lines), "\n" + "\n".join(reversed(lines)) + "\n", "Share", ""):
        want = [(m.span(), m.lastgroup) for m in rules._LEXICON_NL.finditer("\n" + text)]
        got = [(m.span(), f"r{rules._ALT_RULE[m.lastindex - 1]}") for m in rules._LEXICON_FAST.finditer("\n" + text)]
        assert got == want


_LEX_PIECES = [
    "Share", "share", "SHARE", "\u017fhare", " on ", "Facebook", " | ", "Twitter", "Home", " > ", "News", " / ",
    "Copyright", "\u00a9 2024", "Related", " stories", "Read more", "Photo: ", "AP", "www.x.com", "mail@x.org",
    "- ", "\u2022 ", "\u3010", "\u3011", ":", "\u5206\u4eab\u5230", "\u76f8\u5173", "Back to top", "Top",
    "Comments", "3 comments", "Tel: 555 1234", "Advertisement", "Most read", "Pro\u010ditajte i", "\u0130", "K",
    "\u212a", "x", " ", "\t", "\n", "\r\n", "the council met", ".",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_LEX_PIECES), max_size=14))
def test_fast_lexicon_on_generated_lines(pieces: list[str]) -> None:
    text = "".join(pieces)
    want = [(m.span(), m.lastgroup) for m in rules._LEXICON_NL.finditer("\n" + text)]
    got = [(m.span(), f"r{rules._ALT_RULE[m.lastindex - 1]}") for m in rules._LEXICON_FAST.finditer("\n" + text)]
    assert got == want


def test_fast_lexicon_on_dev_pages() -> None:
    import gzip
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not path.exists():
        pytest.skip("../shared/bench/boilerplate/dev.jsonl.gz not found")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            text = "\n" + json.loads(line)["text"]
            want = [(m.span(), m.lastgroup) for m in rules._LEXICON_NL.finditer(text)]
            got = [(m.span(), f"r{rules._ALT_RULE[m.lastindex - 1]}") for m in rules._LEXICON_FAST.finditer(text)]
            assert got == want


def test_literal_prefixes() -> None:
    assert rules._literal_prefix(r"Licen[cs]e\h+for") == "Licen"
    assert rules._literal_prefix(r"\((?:[Ss]ource)") == "("
    assert rules._literal_prefix("未经.{0,10}") == "未经"
    assert rules._literal_prefix("abc?d") == "ab" and rules._literal_prefix("ab*") == "a"
    assert rules._literal_prefix("ab+c") == "ab" and rules._literal_prefix("a{2}") == ""
    assert rules._literal_prefix(r"Reuters\b") == "Reuters"
    assert rules._literal_prefix(r"/19\d\d") == "/19" and rules._literal_prefix(r":(?=\s*$)") == ":"
    assert rules._literal_prefix("（[^)]{2}") == "（" and rules._literal_prefix(".x") == ""


def test_literal_heads() -> None:
    import re

    def heads(p: str) -> set[str]:
        return rules._heads(list(re._parser.parse(rules.stdlib_pattern(p))), {""})[0]  # type: ignore[attr-defined]

    assert heads(r"\((?:[Ss]ource|[Pp]hoto)\h*:") == {"(Sourc", "(sourc", "(Photo", "(photo"}
    assert heads("ab[cd]e?f") == {"abc", "abd"}  # an optional part ends the heads
    assert heads("a(?:b|cd)e") == {"abe", "acde"} and heads("x(?:b|c+)e") == {"xb", "xc"}
    assert heads(r"ICP\h*(?:备|证)") == {"ICP"} and heads("版权所有") == {"版权所有"}
    assert heads("[^a]bc") == {""} and heads(r"\dabc") == {""}  # no literal head
    assert heads(r"Getty[ \t]+Images") == {"Getty ", "Getty\t"}
    # every alternative of CONTAINS has heads; "all"/"AP" followed by white space are found behind it
    assert all(rules._CONTAINS_NEEDLES) and len(rules._CONTAINS_NEEDLES) == len(rules._CONTAINS_STARTS)
    pairs = zip(rules._CONTAINS_NEEDLES, rules._CONTAINS_BEHIND, strict=True)
    behind = {n: {lead.lead for lead in b} for n, b in pairs if b}
    assert behind == {"Rights": {"All", "all"}, "rights": {"All", "all"}, "RIGHTS": {"ALL"}, "Photo": {"AP"}}
    assert "(" not in rules._CONTAINS_NEEDLES and "all" not in rules._CONTAINS_NEEDLES


_CONTAINS_PIECES = ["All", "all", "ALL", "AP", "Al", " ", "  ", "\t", "\u3000", "\xa0", "\u2009", "Rights", "rights",
                    "RIGHTS", "Righ", " reserved", " Reserved", " RESERVED", "Photo", " via x", "(Photo: x)",
                    "(source:", "(Source", ")", "\n", "©", "2020", "Getty", " Images", "GETTY IMAGES", "Reuters",
                    "REUTERS",
                    "AFP", "EPA", "版权所有", "未经", "许可", "转载", "ICP备", "Licence for publishing", "licen",
                    "registration number", "供图", "图片来源：", "x", ".", "small", "-"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_CONTAINS_PIECES), max_size=24).map("".join))
def test_contains_starts_on_generated_text(text: str) -> None:
    want = [m.start() for m in rules.CONTAINS.finditer(text)]
    assert rules._contains_starts(text) == want
    if features._native is not None:
        assert set(want) <= rules._contains_candidates(text)


def test_contains_starts_on_dev_pages_both_paths(dev_texts: list[str], kernel_path: str) -> None:
    for text in dev_texts:
        assert rules._contains_starts(text) == [m.start() for m in rules.CONTAINS.finditer(text)]


def _one_scan(text: str) -> list[tuple[int, int, int]]:
    return [(m.start(), m.end() - 1, m.lastindex - 1) for m in rules._LEXICON_FAST.finditer("\n" + text)]


def _lines_matched(text: str) -> set[int]:
    """The lines the one scan matches (index of the line a match starts on)."""
    line_of = np.cumsum([0] + [c == "\n" for c in text])
    return {int(line_of[s]) for s, _, _ in _one_scan(text)}


def _check_line_filter(text: str) -> None:
    from cleaner.boilerplate import features

    lines = rules._lexicon_lines_numpy(text)
    assert _lines_matched(text) <= set(lines.tolist())  # the filter never drops a line that matches
    if features._native is not None:
        assert rules.lexicon_lines(text).tolist() == lines.tolist()
    saved = rules.LINE_FILTER_AFTER_PAGES
    rules.LINE_FILTER_AFTER_PAGES = 0  # the filtered scan from the first page on
    try:
        assert rules._lexicon_matches(text) == _one_scan(text)
    finally:
        rules.LINE_FILTER_AFTER_PAGES = saved


_FILTER_PIECES = [*_LEX_PIECES, "12", "2024-05-01", "(0)20 7946 0000", "+44", "\u2013", "|", "&gt;", "\u00bb", "\u203a",
                  "\u6761\u8bc4\u8bba", "\u8bc4\u8bba(3)", "Loading...", "\u3000", "\U0001f600", "Editor's pick", "a",
                  "menu", "MENU", "Skip to content", "Image credit: ", "GETTY IMAGES / AFP", "ab/cd/ef", "\u4e2d",
                  # digits above the BMP and outside ASCII: the phone columns count them as digits
                  "\U0001d7d8", "\U0001d7d8\U0001d7d9\U0001d7da\U0001d7db", "\u0663\u0664\u0665", "555-0100"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FILTER_PIECES), max_size=10).map("".join), min_size=8, max_size=16))
def test_line_filter_keeps_every_matching_line(lines: list[str]) -> None:
    # at least LINE_FILTER_MIN_LINES lines, so the filtered scan runs
    _check_line_filter("\n".join(lines))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_FILTER_PIECES), st.integers(1, 90)).map(lambda t: t[0] * t[1]), min_size=8,
                max_size=12))
def test_line_filter_on_long_lines(lines: list[str]) -> None:
    # the kernel adds the counted sets in chunks of 31 characters: lines far longer, with many counted
    # characters (digits, separators, letters), before and after the leading bullets
    _check_line_filter("\n".join(lines))


def test_line_filter_edges() -> None:
    for text in ("", "\n" * 9, "Share\n" * 9, "x\n" * 8 + "Share", " \t\u3000\n" * 9, "\u2022 Home\n" * 9,
                 "Home \u00bb News \u00bb World\n" * 9 + "\r",
                 "- " * 40 + "Share\n" + "1" * 95 + "\n" + "a/" * 70 + "\n" * 6 + "\u2022" * 33 + "+44 " + "7" * 40,
                 "- - Share -\r\n" * 9, "\U00010400\n" * 9, "\U0001d7d8" * 8 + "\n2\n(1)\n" * 4,
                 "\u0663" * 4 + " " + "\U0001d7d9" * 4 + "\n" + "12 345 678\n" * 8):
        _check_line_filter(text)


def test_line_filter_on_dev_pages(dev_texts: list[str]) -> None:
    kept = total = 0
    for text in dev_texts:
        _check_line_filter(text)
        kept += rules.lexicon_lines(text).shape[0]
        total += text.count("\n") + 1
    assert kept < total / 3  # what the filter is for: most lines are not scanned


def test_case_expanded_folds_letters_inside_classes() -> None:
    import re

    assert rules.case_expanded("[ \t,T]") == "[ \t,Tt]"
    assert rules.case_expanded("[AaPp]") == "[AaaAPppP]"
    for bad in ("[^a]", "[0-a]", "[a-]", "[^ks]"):
        with pytest.raises(ValueError):
            rules.case_expanded(bad)
    # each class member matches, without the flag, what it matches under re.IGNORECASE
    every = "".join(map(chr, range(0x110000)))
    for c in "aeiksxAEIKSX":
        p = re.compile(rules.case_expanded(f"[0{c}]"))
        assert set(p.findall(every)) == set(re.findall(f"[0{c}]", every, re.IGNORECASE)), c


@pytest.mark.skipif(features._native is None, reason="without the kernel both sides take the whole-page scan")
def test_scan_with_the_callers_lines_and_offsets(dev_texts: list[str]) -> None:
    # strip_boilerplate hands scan its split lines and their offsets: the same hits as scan(text)
    saved = rules.LINE_FILTER_AFTER_PAGES
    rules.LINE_FILTER_AFTER_PAGES = 0  # the filtered path, where they are used
    try:
        for text in [*dev_texts[:150], "", "\n", "Share\nMenu\n\nHome | News | Sport\n" * 3]:
            lines = text.split("\n")
            starts = np.concatenate(([0], np.cumsum(np.array([len(x) + 1 for x in lines[:-1]], dtype=np.int64))))
            assert rules.scan(text, lines=lines, starts=starts) == rules.scan(text)
    finally:
        rules.LINE_FILTER_AFTER_PAGES = saved


def test_line_filter_tables_hold_each_columns_first_characters_and_no_build_memo() -> None:
    """The packed first/second tables are np.packbits of the per-column tables along the columns (column j:
    bit 7 - j % 8 of byte j // 8), built column by column; the per-item tables memoised while building
    are dropped after (they held ~8 MB in every process)."""
    rules._line_filter.cache_clear()
    lf = rules._line_filter()
    assert not rules._FIRST_MEMO
    alternatives = rules._top_alternatives(rules._FLAT_BODY)
    columns = [c for a in alternatives for c in rules._split(list(rules._re_parser.parse(a)))]
    assert lf.first.shape == lf.second.shape == (rules._BMP + 1, (len(columns) + 7) // 8)
    first = np.unpackbits(lf.first, axis=1)[:, : len(columns)].astype(bool)
    second = np.unpackbits(lf.second, axis=1)[:, : len(columns)].astype(bool)
    for j, items in enumerate(columns):
        f, empty = rules._first_chars(items)
        if f is None or empty:
            assert first[:, j].all() and second[:, j].all()
            continue
        assert np.array_equal(first[:, j], f)
        f2 = rules._second_chars(items)
        assert second[:, j].all() if f2 is None else np.array_equal(second[:, j], f2)
    rules._FIRST_MEMO.clear()


def test_scan_hits_same_on_both_paths(dev_texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # the compiled path builds the RuleHit records by new_frozen and scans only the filtered lines
    if features._native is None:
        pytest.skip("cleaner._native not built")
    monkeypatch.setattr(rules, "LINE_FILTER_AFTER_PAGES", 0)
    native = [rules.scan(t) for t in dev_texts[:120]]
    monkeypatch.setattr(features, "_native", None)
    assert [rules.scan(t) for t in dev_texts[:120]] == native
    assert sum(map(len, native)) > 500 and all(type(h) is rules.RuleHit for hs in native for h in hs)


def test_hit_records_are_the_dataclass_records() -> None:
    cols = ([0, 7], [5, 9], ["chrome", "related"], ["share-buttons", "related-header"])
    want = list(map(rules.RuleHit, *cols))
    assert rules._hit_records(*cols) == want and rules._HIT_BY_SLOTS
    with pytest.raises(AttributeError):
        rules._hit_records(*cols)[0].start = 3  # type: ignore[misc]
