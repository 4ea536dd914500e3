"""The garble stage's shortcuts give what the plain paths they replace give (generated inputs)."""

from __future__ import annotations

import re

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble.features import _END_CANDIDATE, _SENT_END, end_candidates

# The references below were the module's paths before session 8b (split_sentences now scans the whole text once and
# end_candidates finds marks with str.find); they stay here to check the new paths against.
_LINE_RE = regex.compile(r"[^\n]+")
_END_CANDIDATE_ASCII = re.compile(r"[.!?][\"')\]]*")
"""``_END_CANDIDATE`` on ASCII text, where its other characters cannot occur."""


def _sentence_cuts(seg: str) -> list[tuple[int, int]]:
    """``[m.span() for m in _SENT_END.finditer(seg)]``, with ``_SENT_END`` tried only at candidate positions."""
    out: list[tuple[int, int]] = []
    last = 0
    match = _SENT_END.match
    for p in end_candidates(seg):
        if p >= last:
            m = match(seg, p)
            if m is not None:
                out.append(m.span())
                last = m.end()
    return out


# every character the sentence-end pattern looks at, plus letters, digits and other spaces
_SENT_ALPHABET = [
    "a", "B", "Dr", "Mr", "No", "Z", "3", " ", "  ", "\t", "\u00a0", "\u3000", "\x1c", "\r",
    ".", "!", "?", "。", "！", "？", '"', "'", "”", "’", ")", "]", "」", "』", "）", "“", "‘", "(", "[",
    "中", "x.", "e.g.", "...",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_SENT_ALPHABET), max_size=40).map("".join))
def test_sentence_cuts_equal_the_full_scan(seg: str) -> None:
    assert _sentence_cuts(seg) == [m.span() for m in _SENT_END.finditer(seg)]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from([c for c in _SENT_ALPHABET if c.isascii()] + ["'", '"', ")", "]", "a.b", "!?"]),
                max_size=40).map("".join))
def test_ascii_end_candidates_equal_the_full_pattern(seg: str) -> None:
    assert [m.span() for m in _END_CANDIDATE_ASCII.finditer(seg)] == [m.span() for m in _END_CANDIDATE.finditer(seg)]


def test_sentence_cuts_examples() -> None:
    for seg in [
        'He met Dr. Smith. Then he left! Mr. X said "go." And 3 more.',
        "你好。“好”？他说！」再见。]x",
        "Ends here.) (Next one.] [Third?\u00a0Fourth!  Fifth",
        "",
        ".",
        " . ",
        "a.b. C",
        "...  A",
        "!?! B",
    ]:
        assert _sentence_cuts(seg) == [m.span() for m in _SENT_END.finditer(seg)], seg


_WORDS = [
    "the", "council", "approved", "budget", "geosus", "gesterodes", "layoffs", "Layoffs", "reassurance",
    "don't", "can’t", "zzzqx", "qwertyuiop", "café", "naïve", "über", "abc", "x", "http://geosus.example",
    "multi-geosus", "geosus-like", "Éclair", "ünterwegs", "flibbertigib",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join), min_size=1, max_size=6))
def test_nonword_candidates_are_the_union_of_the_sentences_nonwords(sents: list[str]) -> None:
    from cleaner.garble.features import nonwords
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import nonword_candidates

    lex = load_model().lexicon
    expected = {w for s in sents for _, _, w in nonwords(s, lex)}
    assert nonword_candidates("\n".join(sents), lex) == expected


def _is_prose_reference(sentence: str, lang: str) -> bool:
    """is_prose as it was written before its shortcuts: both token scans, every time."""
    from cleaner.garble.features import FAST_WORDS_RE, HAN_RE
    from cleaner.garble.score import _FAST_TOKENS, _URL_OR_MAIL

    if _URL_OR_MAIL.search(sentence):
        return False
    if lang == "zh":
        return len(HAN_RE.findall(sentence)) >= 6
    n_tok = len(_FAST_TOKENS.findall(sentence))
    n_words = len(FAST_WORDS_RE.findall(sentence))
    return n_words >= 4 and n_words >= 0.5 * n_tok


_PROSE_PIECES = [
    "word", "Words", "don't", "x'y", "’", "'", "3", "3.5", "1,000", "_", "-", ".", ",", "!", "²", "Ⅷ", "é",
    " ", "  ", "\t", "\u00a0", "@", "a@b", "www.", "http://", "中文", "(", ")", "$", "%",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PROSE_PIECES), max_size=30).map("".join))
def test_is_prose_equals_the_plain_token_count(sentence: str) -> None:
    from cleaner.garble.score import _URL_OR_MAIL, is_prose

    for lang in ("en", "zh"):
        expected = _is_prose_reference(sentence, lang)
        assert is_prose(sentence, lang) == expected
        if _URL_OR_MAIL.search(sentence) is None:
            assert is_prose(sentence, lang, url_free=True) == expected


def _two_senses_reference(text: str, acronyms: dict[str, list[str]]) -> bool:
    """_maybe_two_senses as it was written before: word set first, then the substrings, per group."""
    from cleaner.garble.features import FAST_WORDS_RE

    groups = [
        tuple(sorted({(e.lower(), FAST_WORDS_RE.findall(e.lower())[-1]) for e in exps}))
        for exps in acronyms.values()
        if len(exps) >= 2
    ]
    low = text.lower()
    words = set(FAST_WORDS_RE.findall(low))
    return any(
        sum(1 for _, last in g if last in words) >= 2 and sum(1 for e, _ in g if e in low) >= 2 for g in groups
    )


_ENTITY_PIECES = [
    "artificial intelligence", "Amnesty International", "Artificial Intelligences", "intelligence's",
    "Associated Press", "Andhra Pradesh", "Advanced Placement", "placement", "press", "the", " ", ", ",
    "xartificial intelligence", "air conditioning", "alternating current", "current", "AI",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ENTITY_PIECES), max_size=10).map("".join))
def test_maybe_two_senses_equals_the_word_set_check(text: str) -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import _maybe_two_senses

    acronyms = load_model().acronyms
    assert _maybe_two_senses(text, acronyms) == _two_senses_reference(text, acronyms)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join), min_size=1, max_size=6))
def test_nonword_evidence_with_the_documents_candidates_is_unchanged(sents: list[str]) -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import nonword_candidates, nonword_evidence

    lex = load_model().lexicon
    cands = nonword_candidates("\n".join(sents), lex)
    for s in sents:
        assert nonword_evidence(s, lex, cands) == nonword_evidence(s, lex)


def test_thin_keeps_the_evenly_spaced_spans() -> None:
    import numpy as np

    from cleaner.garble.score import _thin

    for n in range(80):
        spans = [(k, k + 1) for k in range(n)]
        for cap in (1, 2, 8, 32, 96):
            if n <= cap:
                assert _thin(spans, cap) == spans
            else:
                keep = np.unique(np.linspace(0, n - 1, cap).round().astype(np.int64))
                assert _thin(spans, cap) == [spans[int(k)] for k in keep]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_word_patterns_equal_the_unicode_ones_on_ascii_text(text: str) -> None:
    from cleaner.garble.features import ALPHA_RE, FAST_WORDS_RE

    # the byte tokenisers' definition on ASCII text: a letter is [A-Za-z], the only apostrophe is '
    _ASCII_LOWER_WORDS = re.compile(r"[a-z]+(?:'[a-z]+)*")
    _ASCII_ALPHA = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
    low = text.lower()
    assert _ASCII_LOWER_WORDS.findall(low) == FAST_WORDS_RE.findall(low)
    assert _ASCII_ALPHA.findall(text) == ALPHA_RE.findall(text)
    for piece in ["don't", "a''b", "x'", "'y", "A_b", "a1b", "rock'n'roll"]:
        assert _ASCII_ALPHA.findall(piece) == ALPHA_RE.findall(piece)
        assert _ASCII_LOWER_WORDS.findall(piece.lower()) == FAST_WORDS_RE.findall(piece.lower())


_SWAP_PIECES = [
    "artificial intelligence", "Amnesty International", "ARTIFICIAL INTELLIGENCE", "amneſty international",
    "\u0130ntellectual property", "intellectual property", "South Africa", "full-time", "Full-Time",
    "Associated Press", "Andhra Pradesh", "Advanced Placement", "air conditioning", "alternating current",
    "\u212aing", "é", "x", " ", ", ", "-", "\n",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SWAP_PIECES), max_size=12).map("".join))
def test_present_expansions_pattern_finds_what_the_full_alternation_finds(text: str) -> None:
    # entity_swaps asks an alternation of only the expansions present in the text (case-folded as the
    # regex folds): the matches must be those of the alternation of all expansions
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import _alternation, _expansion_table, _present_expansions_pattern

    acronyms = load_model().acronyms
    order = _expansion_table(acronyms)[2]
    full = _alternation(order, regex.IGNORECASE)
    fast = _present_expansions_pattern(order, text)
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in full.finditer(text)]


def test_ascii_folds_are_every_non_ascii_character_the_regex_matches_to_ascii() -> None:
    # _present_expansions_pattern relies on it: no other code point matches an ASCII character of an
    # expansion case-insensitively (letters, and the marks expansions hold)
    import sys

    from cleaner.garble.model import load_model
    from cleaner.garble.signals import _ASCII_FOLDS

    chars = sorted({c for exps in load_model().acronyms.values() for e in exps for c in e.lower()})
    chars = sorted(set(chars) | set("abcdefghijklmnopqrstuvwxyz-&'. "))
    probe = regex.compile("[" + regex.escape("".join(chars)) + "]", regex.IGNORECASE)
    everything = "".join(chr(cp) for cp in range(128, sys.maxunicode + 1) if not 0xD800 <= cp < 0xE000)
    found = {m.group() for m in probe.finditer(everything)}
    assert found == set(_ASCII_FOLDS)
    assert all(probe.fullmatch(v) for v in _ASCII_FOLDS.values())


def test_entity_swaps_on_a_long_non_ascii_text() -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import entity_swaps

    acronyms = load_model().acronyms
    body = "Café owners said artificial intelligence will change everything. " * 40
    text = body + "The Amnesty International report on AI came out. " + body
    got = entity_swaps(text, acronyms)
    assert [(e.text, e.signal) for e in got] == [("Amnesty International", "entity-swap")]


def _tortured_head_reference(text: str, phrases: dict[str, str]) -> bool:
    """has_tortured_head as first written: every word pair and every word triple against the heads."""
    import itertools

    from cleaner.garble.features import FAST_WORDS_RE

    heads = frozenset(tuple(p.split(" ")[:3]) for p in phrases if " " in p)
    words = FAST_WORDS_RE.findall(text.lower())
    triples = zip(words, words[1:], words[2:], strict=False)
    return not (heads.isdisjoint(itertools.pairwise(words)) and heads.isdisjoint(triples))


def _tortured_pieces() -> list[str]:
    from cleaner.garble.model import load_model

    phrases = sorted(load_model().tortured)
    two = [p for p in phrases if p.count(" ") == 1][:3]
    long = [p for p in phrases if p.count(" ") >= 2][:3]
    words = sorted({w for p in two + long for w in p.split(" ")})
    return [*two, *long, *words, *(p.title() for p in long), " ", ". ", "the", "x"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_has_tortured_head_equals_every_pair_and_triple(data: st.DataObject) -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import has_tortured_head

    text = " ".join(data.draw(st.lists(st.sampled_from(_tortured_pieces()), max_size=12)))
    phrases = load_model().tortured
    assert has_tortured_head(text, phrases) == _tortured_head_reference(text, phrases)


def _tortured_phrases_reference(text: str, phrases: dict[str, str]) -> list:
    """signals.tortured_phrases as first written: a match object and a tuple per word."""
    from cleaner.document import Evidence
    from cleaner.garble.signals import _WORD_SPANS, _first_words

    words = [(m.group().lower(), m.start(), m.end()) for m in _WORD_SPANS.finditer(text)]
    first = _first_words(phrases)
    out = []
    i = 0
    while i < len(words):
        if words[i][0] not in first:
            i += 1
            continue
        hit = 0
        for n in (5, 4, 3, 2):
            if i + n <= len(words):
                key = " ".join(w for w, _, _ in words[i : i + n])
                if key in phrases:
                    s, e = words[i][1], words[i + n - 1][2]
                    out.append(Evidence(text[s:e], "tortured-phrase", s, e, 1.0))
                    hit = n
                    break
        i += hit or 1
    return out


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_tortured_phrases_equal_the_per_word_scan(data: st.DataObject) -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import tortured_phrases

    pieces = [*_tortured_pieces(), "-", "'", "’", "\u0130", "é", "Shot-Learning", "x'y"]
    seps = st.sampled_from([" ", "  ", "-", ", ", "\n", "'", ""])
    parts = data.draw(st.lists(st.tuples(st.sampled_from(pieces), seps), max_size=14))
    text = "".join(p + sep for p, sep in parts)
    phrases = load_model().tortured
    assert tortured_phrases(text, phrases) == _tortured_phrases_reference(text, phrases)


def test_tortured_phrases_finds_a_phrase_with_its_offsets() -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import tortured_phrases

    phrases = load_model().tortured
    phrase = next(p for p in sorted(phrases) if p.count(" ") == 1 and p.isascii())
    text = f"Prior work. The {phrase.title()} approach failed."
    got = tortured_phrases(text, phrases)
    start = text.index(phrase.title())
    assert [(e.text, e.start, e.end) for e in got] == [(phrase.title(), start, start + len(phrase))]
    assert got == _tortured_phrases_reference(text, phrases)


_ASCII_PROSE_PIECES = [
    "word", "Words", "don't", "x'y", "'", "''", "a'", "'b", "3", "3.5", "_", "-", ".", ",", "!", " ", "  ", "\t",
    "@", "a@b", "www.", "http://", "https", "(", "$", "\n",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ASCII_PROSE_PIECES), max_size=30).map("".join))
def test_is_prose_on_ascii_text_equals_the_plain_token_count(sentence: str) -> None:
    # ASCII sentences take the byte path (_ascii_word_stats) and the URL hint check
    from cleaner.garble.score import _URL_OR_MAIL, is_prose

    expected = _is_prose_reference(sentence, "en")
    assert is_prose(sentence, "en") == expected
    if _URL_OR_MAIL.search(sentence) is None:
        assert is_prose(sentence, "en", url_free=True) == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ASCII_PROSE_PIECES), max_size=30).map("".join))
def test_ascii_word_stats_equal_the_word_regex(sentence: str) -> None:
    from cleaner.garble.features import FAST_WORDS_RE
    from cleaner.garble.score import _URL_OR_MAIL, _ascii_word_stats, _may_hold_url

    words = FAST_WORDS_RE.findall(sentence)
    assert _ascii_word_stats(sentence) == (len(words), sum(map(len, words)))
    if _URL_OR_MAIL.search(sentence):
        assert _may_hold_url(sentence)


def test_ascii_word_stats_examples() -> None:
    from cleaner.garble.score import _ascii_word_stats

    assert _ascii_word_stats("Don't stop-me now, it's 3 o'clock!") == (6, 25)
    assert _ascii_word_stats("a''b 'x' y'") == (4, 4)
    assert _ascii_word_stats("") == (0, 0)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*_ASCII_PROSE_PIECES, "Rock'N'Roll", "X", "z'", "é"]), max_size=30).map("".join))
def test_ascii_lower_words_equal_the_word_regex(text: str) -> None:
    # the byte tokeniser (has_tortured_head uses it) gives the regex's words on ASCII text
    from cleaner.garble.features import FAST_WORDS_RE
    from cleaner.garble.signals import ascii_lower_words

    if not text.isascii():
        return
    assert ascii_lower_words(text) == [w.encode() for w in FAST_WORDS_RE.findall(text.lower())]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_ENTITY_PIECES, "full-time", "Financial Times", "'s", "times", "é"]),
                max_size=12).map("".join))
def test_maybe_two_senses_on_mixed_texts_equals_the_word_set_check(text: str) -> None:
    from cleaner.garble.model import load_model
    from cleaner.garble.signals import _maybe_two_senses

    acronyms = load_model().acronyms
    assert _maybe_two_senses(text, acronyms) == _two_senses_reference(text, acronyms)


_BOUNDARY_REFERENCE = r"\n|[.!?][\"'”’)\]]*(?=\s)|[。！？][\"'”’」』）)]*"
_BOUNDARY_PIECES = ["a", "B", " ", "  ", "\t", "\n", "\r", "\u3000", ".", "!", "?", '"', "'", "”", "’", ")", "]",
                    "。", "！", "？", "」", "』", "）", "中", "x.y", "..."]  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(_BOUNDARY_PIECES), max_size=40).map("".join), st.integers(0, 45), st.integers(0, 45))
def test_boundary_pattern_matches_as_the_plain_alternation(text: str, pos: int, endpos: int) -> None:
    # score._BOUNDARY takes its first character out of the alternation (so re can skip to candidates):
    # finditer and search with pos/endpos (as sample_spans asks) must give the same matches
    import re

    from cleaner.garble.score import _BOUNDARY

    ref = re.compile(_BOUNDARY_REFERENCE)
    assert [m.span() for m in _BOUNDARY.finditer(text)] == [m.span() for m in ref.finditer(text)]
    got, want = _BOUNDARY.search(text, pos, endpos), ref.search(text, pos, endpos)
    assert (got and got.span()) == (want and want.span())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*_ASCII_PROSE_PIECES, "Rock'N'Roll", "X", "z'", "'Q", "aB"]), max_size=30)
       .map("".join))
def test_ascii_alpha_words_equal_the_word_regex(text: str) -> None:
    from cleaner.garble.features import ALPHA_RE
    from cleaner.garble.signals import _ascii_alpha_words

    assert _ascii_alpha_words(text) == [w.encode() for w in ALPHA_RE.findall(text)]


# (s8b) the str.find scans that replaced re's scans of every position
_FIND_PIECES = [*_BOUNDARY_PIECES, "\u00a0", "\x1c", "\x85", "\u2028", "“", "‘", "(", "[", "Dr", "Mr", "3", "e.g."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FIND_PIECES), max_size=40).map("".join), st.integers(0, 45), st.integers(0, 45))
def test_boundaries_by_find_are_the_patterns_matches(text: str, lo: int, hi: int) -> None:
    from cleaner.garble.score import _BOUNDARY, _boundaries

    assert _boundaries(text, 0, len(text)) == [m.span() for m in _BOUNDARY.finditer(text)]
    hi = min(hi, len(text))
    assert _boundaries(text, lo, hi) == [m.span() for m in _BOUNDARY.finditer(text, lo, hi)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FIND_PIECES), max_size=40).map("".join))
def test_end_candidates_by_find_are_the_patterns_matches(text: str) -> None:
    from cleaner.garble.features import end_candidates

    assert end_candidates(text) == [m.end() for m in _END_CANDIDATE.finditer(text)]
    if text.isascii():
        assert end_candidates(text) == [m.end() for m in _END_CANDIDATE_ASCII.finditer(text)]


def _split_sentences_per_line(text: str) -> list[tuple[int, int]]:
    """split_sentences as it was written before s8b: one candidate scan per line, cut at _SENT_END's matches."""
    from cleaner.garble.features import _HAS_LETTER

    spans = []
    for line in _LINE_RE.finditer(text):
        ls, pos, seg = line.start(), 0, line.group()
        for a, b in [*[m.span() for m in _SENT_END.finditer(seg)], (len(seg), len(seg))]:
            piece = seg[pos:a]
            s, e = len(piece) - len(piece.lstrip()), len(piece.rstrip())
            if e > s and _HAS_LETTER.search(piece):
                spans.append((ls + pos + s, ls + pos + e))
            pos = b
    return spans


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*_SENT_ALPHABET, "\n", "\n\n", " \n ", "\x85", "\u2028", "\r\n"]), max_size=40)
       .map("".join))
def test_split_sentences_in_one_scan_is_the_per_line_split(text: str) -> None:
    from cleaner.garble.features import split_sentences

    assert split_sentences(text) == _split_sentences_per_line(text)


def test_split_sentences_examples() -> None:
    from cleaner.garble.features import split_sentences

    for text in [
        "He met Dr. Smith. Then he left!\nMr. X said \"go.\" And 3 more.\n\n  Last line",
        "Mr.\nSmith came. Z.\nA new line? Yes.\n",
        "你好。“好”？他说！」再见。\n第二行。Done.",
        "", "\n", " . \n . ", "a.\n\nB. c.  D",
    ]:  # fmt: skip
        assert split_sentences(text) == _split_sentences_per_line(text), text


_GLUED_PIECES = ["a", "b", "c", "A", "Z", "ª", "º", "µ", "ß", "é", "É", "ÿ", "α", "Ω", "ж", "Ж", "𐐨", "𐐀", "𝐀",
                 "ǅ", "3", "٣", "’", "'", " ", "  ", "\n", "-", "_", "中", "xyz", "Abc", "abcDef", "offerEstablishing",
                 "\u00a0"]  # fmt: skip


def _glued_reference(text: str) -> list[int]:
    from cleaner.garble.vec import _GLUED

    return [m.start() for m in _GLUED.finditer(text)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_GLUED_PIECES), max_size=16).map("".join))
def test_glued_starts_in_chunks_are_the_regexs(text: str) -> None:
    import numpy as np

    from cleaner.garble.vec import _glued_starts

    assert _glued_starts(text, np.array([ord(c) for c in text], dtype=np.uint32)) == _glued_reference(text)


def test_glued_starts_with_each_code_point_in_each_place() -> None:
    # the chunk test's classes hold every lower- and upper-case letter: each code point of the first planes' letters
    # (and a few others) in each place of a glued word
    import numpy as np

    from cleaner.garble.vec import _glued_starts

    points = [*range(0x41, 0x2000, 1), *range(0x10400, 0x10450), *range(0x1D400, 0x1D420)]
    for cp in points:
        ch = chr(cp)
        for text in (f" abc{ch}def ", f" ab{ch}Def ", f" abcD{ch}f ", f"{ch}bcDef", f" abcDe{ch} ", f"x abcDef{ch}"):
            assert _glued_starts(text, np.array([ord(c) for c in text], dtype=np.uint32)) == _glued_reference(text)
