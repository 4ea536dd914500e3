"""The vectorised shortcuts of cleaner.language.detect_blocks give what the plain per-line path gives."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.document import split_lines
from cleaner.language import _line_spans


def _spans(text: str) -> list[tuple[int, int]]:
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts, ends = _line_spans(cps)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _reference(text: str) -> list[tuple[int, int]]:
    return [(ln.start, ln.end) for ln in split_lines(text) if ln.end - ln.start >= 2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "é", "中", " ", "\n", "\r", "\r\n", "\u2028"]), max_size=60).map("".join))
def test_line_spans_match_split_lines(text: str) -> None:
    assert _spans(text) == _reference(text)


def test_line_spans_edge_cases() -> None:
    for text in ["", "\n", "\r\n", "ab", "ab\r", "ab\r\n", "\nab\n\ncd\r\nef\r", "a\rb\n\rcd", "\r\r\nxy"]:
        assert _spans(text) == _reference(text), text


_EN = (
    "The council approved the new budget on Monday after a long debate about the schools "
    "and the roads that were damaged during the winter storms."
)


def _line_languages(lines: list[str]) -> dict[str, str]:
    from cleaner.language import detect_blocks

    text = "\n".join(lines)
    doc, blocks, _ = detect_blocks(text)
    assert doc.language == "en"
    return {text[b.start : b.end]: b.language for b in blocks}


def test_unconfirmed_lines_without_cues_inherit_the_document_language() -> None:
    # a headline of names has no English function words, and no cue of another language:
    # it is not sent to a detector (which calls such lines German or Italian)
    headline = "Gary Shilling: Bonds Are Great, Stocks Will Plunge Soon"
    got = _line_languages([_EN, headline, _EN])
    assert got[headline] == "en"


def test_lines_with_cues_of_another_language_are_detected() -> None:
    accented = "Tu fais bien d’aller à Paris c’est une ville magnifique !"  # à: not an English letter
    function_words = "Deze site gebruikt cookies van Google om te kunnen werken"  # Dutch function words
    got = _line_languages([_EN, accented, _EN, function_words, _EN])
    assert got[accented] == "fr"
    assert got[function_words] == "nl"


def test_may_differ_cues() -> None:
    from cleaner.language import _may_differ
    from cleaner.language.orthography import _WORD

    def differs(line: str, lang: str = "en") -> bool:
        low = line.lower()
        return _may_differ(low, _WORD.findall(low), lang, 0)

    assert not differs("Gary Shilling Bonds Are Great Stocks Will Plunge")
    assert differs("Müller Schmidt Schneider Fischer Weber Meyer")  # ü: not an English letter
    assert not differs("Müller Schmidt Schneider Fischer Weber Meyer", "de")
    assert differs("die Katze und der Hund")  # German function words
    assert differs(" ".join(["word"] * 12))  # long enough to be prose
    assert differs("anything at all", "xx")  # no lists for the language: always detect


def test_function_word_count_matches_orthography() -> None:
    # _Judge.ascii_lines counts the document language's function words itself (on bytes tokens);
    # it must agree with orthography.function_word_share (whose counting _Judge.line uses)
    from cleaner.language import FUNCTION_WORDS
    from cleaner.language.orthography import _WORD, function_word_share

    for line, lang in [("The report was published by the ministry of finance on Monday.", "en"),
                       ("Le rapport a été publié lundi par le ministère des finances.", "fr"),
                       ("Well-known and the-end of THE story", "en")]:
        tokens = _WORD.findall(line.lower())
        hits = sum(map(FUNCTION_WORDS[lang].__contains__, tokens))
        assert (hits, len(tokens)) == function_word_share(line, lang)


def _ascii_words(text: str) -> list[bytes]:
    """The words of all lines of ``text``, from the byte tokeniser detect_blocks uses."""
    from cleaner.language import _ascii_word_lists

    return [w for words in _ascii_word_lists(text.split("\n")) for w in words]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "B", "z", "-", "--", " ", "\u2019", ".", "1", "_", "\t", "?", "\u00a0",
                                 "\u24b6", "\n"]), max_size=30).map("".join))
def test_ascii_words_match_the_word_regex(text: str) -> None:
    # the byte tokeniser gives _WORD's words for any text whose letters are ASCII (Ⓐ is a symbol)
    from cleaner.language.orthography import _WORD

    assert _ascii_words(text) == [w.encode() for w in _WORD.findall(text.lower())]


def test_ascii_words_hyphens() -> None:
    assert _ascii_words("Well-known --- e-mail -x y- a--b -") == [b"well-known", b"e-mail", b"x", b"y", b"a", b"b"]


def test_fasttext_top_is_the_first_of_the_distribution() -> None:
    import pytest

    from cleaner.language import backends

    if not backends.available("fasttext"):
        pytest.skip("fastText not installed")
    for line in ["The council approved the new budget on Monday", "Le conseil a approuvé le budget",
                 "Gary Shilling: Bonds Are Great", "x"]:
        dist = backends.fasttext_dist(line, k=3)
        top = max(dist, key=lambda k: (dist[k], k))
        assert backends.fasttext_top(line) == (top, dist[top])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "B", "-", "--", " ", "\u2019", ".", "1", "\r", "\u00a0"]),
                         max_size=12).map("".join), min_size=1, max_size=5))
def test_ascii_word_lists_cut_each_line_as_the_regex(lines: list[str]) -> None:
    # many lines are tokenised in one pass; hyphens at a line's ends must not join across lines
    from cleaner.language import _ascii_word_lists
    from cleaner.language.orthography import _WORD

    assert _ascii_word_lists(lines) == [[w.encode() for w in _WORD.findall(line.lower())] for line in lines]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "Z", " ", "\n", "é", "’", "—", "中", "ж", "\U0001f600", "\U00020000", "1"]),
                max_size=50).map("".join))
def test_ascii_lettered_lines_match_the_cumulative_count(text: str) -> None:
    from cleaner.language import _ascii_lettered
    from cleaner.language.scripts import script_ids_of, script_table

    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ids = script_ids_of(cps)
    starts, ends = _line_spans(cps)
    wide = (cps >= 128) & ((ids != 0) | (cps >= len(script_table())))
    cum = np.concatenate(([0], np.cumsum(wide)))
    assert _ascii_lettered(cps, ids, starts, ends).tolist() == (cum[ends] == cum[starts]).tolist()


def test_long_lines_with_the_document_languages_function_words_need_no_detector() -> None:
    """A long line is sent to a detector when few of its words are the document language's function
    words (prose in another language, or a long menu); with 2+ and 10%+ of them and no other cue it
    is the document language (a byline with names, a long headline) and inherits."""
    from cleaner.language import _may_differ
    from cleaner.language.orthography import _WORD, function_word_hits

    def differs(line: str) -> bool:
        low = line.lower()
        tokens = _WORD.findall(low)
        return _may_differ(low, tokens, "en", function_word_hits(tokens, "en"))

    byline = "Reporting by Jane Doe and John Roe in Washington Anna Smith Peter Miller Editing Mark Potter Paul Simmons"
    assert not differs(byline)  # "by", "and": 2 of 17 (unconfirmed: 3 and 20% confirm)
    menu = "Home Weather News Morning Show Sports TV Station Contests Local Features Blogs Video"
    assert differs(menu)  # no English function word: another language's prose would look so
    swahili = "Serikali imetangaza mpango mpya wa elimu kwa shule za msingi katika mikoa yote nchini"
    assert differs(swahili)
    one = "Serikali imetangaza mpango mpya wa elimu for shule za msingi katika mikoa yote nchini"
    assert differs(one)  # one stray English function word is not enough
    sparse = " ".join(["and", "the"] + ["Name"] * 22)  # 2 of 24: under 10%
    assert differs(sparse)
    accented = byline.replace("Potter", "Pötter")
    assert differs(accented)  # a foreign letter is still a cue


def test_a_long_byline_inherits_without_a_detector_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner.language import backends

    byline = "Reporting by Jane Doe and John Roe in Washington Anna Smith Peter Miller Editing Mark Potter Paul Simmons"
    calls: list[str] = []
    real = backends.fasttext_top
    monkeypatch.setattr(backends, "fasttext_top", lambda text: calls.append(text) or real(text))
    got = _line_languages([_EN, byline, _EN])
    assert got[byline] == "en" and not calls


def _greedy_sample(text: str, limit: int) -> str:
    """The document sample as the greedy loop took it before the cumulative-sum version."""
    if len(text) <= limit:
        return text
    lines = list(filter(str.strip, text.splitlines()))
    lengths = list(map(len, lines))
    order = sorted(range(len(lines)), key=lengths.__getitem__, reverse=True)
    chosen: list[int] = []
    size = 0
    for i in order:
        if size >= limit:
            break
        chosen.append(i)
        size += lengths[i] + 1
    return "\n".join(lines[i] for i in sorted(chosen))[:limit]


_SAMPLE_PIECES = ["a", "bb ", "\n", " ", "\r\n", "\r", "ccc", "\u2028", "\x85", "\x1c", "\x0b", "\u3000",
                  "\xa0", "xxxxxxx", "yyyy yyyy", "\t\n", "é", "中文", "😀"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_SAMPLE_PIECES), max_size=40), st.integers(0, 40))
def test_sample_is_the_greedy_choice(pieces: list[str], limit: int) -> None:
    import cleaner.language as lang_mod

    text = "".join(pieces)
    want = _greedy_sample(text, limit)
    assert lang_mod._sample(text, limit) == want  # compiled where built
    nat = lang_mod._native_sample
    try:
        lang_mod._native_sample = lambda: None
        assert lang_mod._sample(text, limit) == want  # numpy path
    finally:
        lang_mod._native_sample = nat


def test_sample_kernel_on_real_pages() -> None:
    import cleaner.language as lang_mod

    if lang_mod._native_sample() is None:
        pytest.skip("compiled lang_sample not built (or switched off)")
    root = Path(__file__).resolve().parents[2] / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not root.exists():
        pytest.skip("../shared not available")
    with gzip.open(root, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for _, line in zip(range(150), f, strict=False)]
    for text in texts:
        for limit in (4000, 500, 1):
            assert lang_mod._sample(text, limit) == _greedy_sample(text, limit)


def test_sample_kernel_breaks_lines_where_splitlines_does() -> None:
    """lang_sample's line breaks are str.splitlines' for every code point (and "\\r\\n" is one break)."""
    import cleaner.language as lang_mod

    nat = lang_mod._native_sample()
    if nat is None:
        pytest.skip("compiled lang_sample not built (or switched off)")
    breaks = [c for c in range(0x110000) if 0xD800 > c or c > 0xDFFF if len(("a" + chr(c) + "b").splitlines()) == 2]
    assert breaks == [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
    for c in breaks:
        text = "xx" + chr(c) + "yyy"
        assert nat(text, 100) == ([0, 3], [2, 6])
    assert nat("a\r\nbb", 100) == ([0, 3], [1, 5]) and nat("a\n\rbb", 100) == ([0, 3], [1, 5])
    assert nat("", 10) == ([], []) and nat(" \n\t\n", 10) == ([], []) and nat("abc", 0) == ([], [])
