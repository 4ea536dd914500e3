"""The compiled kernels (cleaner/_native.c) against the numpy path they replace: the same line
features, token ids and forest scores to the bit, on texts we wrote, generated texts and (when
../shared exists) every dev page.  Skipped where the extension was not built (no C compiler at
install time); ``CLEANER_NO_NATIVE=1`` forces the numpy path, which the rest of the suite then runs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import boilerplate as S
from cleaner.boilerplate import features as F
from cleaner.boilerplate import rules
from cleaner.boilerplate.model import Forest, default_model

from ._paths import NATIVE, needs_native, numpy_path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared"


def both(lines: list[str], language: str | None = "en") -> None:
    """Every output of the line features and the model's scores, native and numpy, bit for bit."""
    X1, n1, t1 = F._base(lines, language)
    model = default_model()
    p1 = model.score_tokens(lines, language)[0] if model is not None else None
    with numpy_path():
        X0, n0, t0 = F._base(lines, language)
        p0 = model.score_tokens(lines, language)[0] if model is not None else None
    assert X1.tobytes() == X0.tobytes()
    assert np.array_equal(n1, n0)
    assert np.array_equal(t1.ids, t0.ids) and np.array_equal(t1.line, t0.line)
    if p1 is not None:
        assert p0 is not None and p1.tobytes() == p0.tobytes()
        words = np.expm1(X1[:, F.BASE_NAMES.index("log_words")])
        s1 = F.score_context_features(p1, words, n1, t1)
        with numpy_path():
            s0 = F.score_context_features(p1, words, n1, t1)
        assert s1.tobytes() == s0.tobytes()


def fixture_pages() -> list[list[str]]:
    pages = []
    for p in sorted((ROOT / "fixtures").glob("*.txt")):
        pages.append(p.read_text("utf-8").split("\n"))
    return pages


@needs_native
@pytest.mark.parametrize("k", range(len(fixture_pages())))
def test_fixtures_same_features_and_scores(k: int) -> None:
    both(fixture_pages()[k])
    both(fixture_pages()[k], "zh")


@needs_native
@pytest.mark.parametrize(
    "lines",
    [
        [""],
        ["", ""],
        ["a"],
        ["   ", "\t"],
        ["x@y", "@", "a@", "@b"],  # @ before a word character, at a line end, at the page end
        ["12-3", "1/2", "2024年1", "9.", "9.9"],  # digit-separator-digit at line and page ends
        ["...", "..", "a...", "…", "»", ". . ."],
        ["İstanbul İŞ", "ǅemal ß STRASSE"],  # lower() changes lengths
        ["\U0001f600 emoji \U00020000 ext-B", "\ud800 lone surrogate"],
        ["中文的标题", "相关新闻：今天的新闻", "日本語のテキストです。"],
        ["tab\tseparated\u3000ideographic\u00a0nbsp", "\x1c\x1f unit separators"],
        ["line with\rcarriage return", "and\nnewline inside"],  # normalised to spaces first
        ["Word " * 300, "x" * 70_000],  # a line over the packed counts' 16-bit fields
    ],
)
def test_edge_cases_same_features(lines: list[str]) -> None:
    both(lines)


_ALPHABET = [*"aZé9 .,;:!?…»|/@©-年月中的の\t", "\n", "\r", "İ", "ß", "\U0001f600", "\u3000", "\u00a0", "\x1f",
             "www.", ".com", "Reply", " ago", "相关", "Home", "the", "By"]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_ALPHABET), max_size=25).map("".join), min_size=1, max_size=12))
def test_generated_pages_same_features(lines: list[str]) -> None:
    both(lines)


@needs_native
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "ab", "the", "share", "may", "by", "é", "中", "x1", "_", "the_end"]),
             max_size=40),
    st.integers(1, 3), st.integers(0, 2**31), st.sampled_from(["en", "de", None, "zh"]),
)
def test_token_columns_number_first_occurrences_and_count_words(
    words: list[str], spaces: int, seed: int, language: str | None
) -> None:
    text = (" " * spaces).join(words)
    k = len(text.split())
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    wline = np.sort(rng.integers(0, n, size=k))
    wlen = np.array([len(w) for w in text.split()], dtype=np.int64)
    got = F._token_columns_native(text, language, wline, wlen, n)
    want = F._token_columns_numpy(text, language, wline, wlen, n)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


@needs_native
@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 7), st.integers(0, 300), st.integers(0, 2**31))
def test_forest_raw_same_scores(trees: int, depth: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cols = (5, 3)
    blocks = [rng.integers(0, 4, size=(n, c)).astype(np.float64) for c in cols]  # ties at the thresholds
    if n:
        blocks[0][rng.random(n) < 0.1, 0] = np.nan
    feat = rng.integers(0, sum(cols), size=(trees, depth))
    thr = rng.integers(0, 4, size=(trees, depth)).astype(np.float64) - 0.5 * rng.integers(0, 2, size=(trees, depth))
    leaf = rng.normal(size=(trees, 2**depth))
    forest = Forest(feat, thr, leaf, float(rng.normal())).prepare()
    native = forest.raw(*blocks)
    with numpy_path():
        plain = forest.raw(*blocks)
        unprepared = Forest(feat, thr, leaf, forest.bias).raw(*blocks)
    assert native.tobytes() == plain.tobytes() == unprepared.tobytes()


@needs_native
def test_forest_raw_same_scores_with_and_without_avx512() -> None:
    # the AVX-512 loop (where the CPU has it) against the AVX2/SSE2 ones, in a process told not to use it
    code = (
        "import hashlib, numpy as np; from cleaner.boilerplate.model import Forest\n"
        "rng = np.random.default_rng(7); n = 1203\n"
        "x = rng.integers(0, 5, size=(n, 9)).astype(np.float64); x[rng.random(n) < 0.05, 2] = np.nan\n"
        "out = [Forest(rng.integers(0, 9, size=(40, d)), rng.integers(0, 5, size=(40, d)) - 0.5,"
        " rng.normal(size=(40, 2**d)), 0.25).prepare().raw(x).tobytes() for d in (1, 4, 6, 8)]\n"
        "print(hashlib.sha256(b''.join(out)).hexdigest())"
    )
    got = []
    for env in ({}, {"CLEANER_NO_AVX512": "1"}):
        full = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        full.pop("CLEANER_NO_NATIVE", None)
        out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, check=True)
        got.append(out.stdout.strip())
    with numpy_path():
        exec(code.replace("print(", "want = ("), scope := {})  # the same computation on the numpy path
    assert got[0] == got[1] == scope["want"]


def test_env_var_forces_the_numpy_path() -> None:
    code = "import cleaner.boilerplate.features as F; print(F._native is None)"
    env = {**os.environ, "CLEANER_NO_NATIVE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


@needs_native
def test_dev_pages_same_features_and_scores(dev_pages: list[dict]) -> None:
    from cleaner import boilerplate as B

    for page in dev_pages:
        both(page["text"].split("\n"), page.get("lang"))
        lines, starts, ends = B._line_table(page["text"])
        stripped = [s.strip() for s in lines]
        cjk, para = B._line_shapes(page["text"], stripped, starts, ends)
        with numpy_path():
            cjk0, para0 = B._line_shapes(page["text"], stripped, starts, ends)
        assert cjk.tolist() == cjk0.tolist() and para.tolist() == para0.tolist()


@pytest.mark.parametrize("native", [True, False])
def test_cue_and_token_columns_count_what_they_name(native: bool) -> None:
    # the per-line counts come out of one array in both paths: each column read from its own slot
    lines = ["Mail me@example.com or you@there.org on 2024-01-05 and 1/2...", "Title Case Words here", "…… 中文"]
    saved = F._native
    if not native:
        F._native = None
    elif saved is None:
        pytest.skip("cleaner._native not built")
    try:
        X, n_tok = F.base_features(lines, "en")
    finally:
        F._native = saved

    def c(name: str) -> list[float]:
        return X[:, F.BASE_NAMES.index(name)].tolist()

    assert c("cue_email") == [2.0, 0.0, 0.0]
    assert c("cue_date") == [3.0, 0.0, 0.0]  # "4-0" and "1-0" in 2024-01-05, "1/2"
    assert c("cue_ellipsis") == [1.0, 0.0, 2.0]
    assert n_tok.tolist() == [15, 4, 2]  # the two Han characters are a token each
    assert c("title_share") == [1 / 15, 3 / 4, 0.0]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.integers(0, 2**31), st.booleans())
def test_score_context_columns_same(n: int, seed: int, coarse: bool) -> None:
    rng = np.random.default_rng(seed)
    p1 = rng.random(n)
    if coarse:  # ties: equal scores (rank order), scores at exactly 0.5, equal words
        p1 = np.round(p1 * 4) / 4
    words = rng.integers(0, 30, size=n).astype(np.float64) / (1 if coarse else 3)
    n_tok = rng.integers(0, 3, size=n) * (rng.random(n) < 0.8)
    m = int(rng.integers(0, 3 * n + 1))
    toks = F.PageTokens(rng.integers(0, max(m // 2, 1), size=m), np.sort(rng.integers(0, max(n, 1), size=m)))
    s1 = F.score_context_features(p1, words, n_tok, toks if n else None)
    with numpy_path():
        s0 = F.score_context_features(p1, words, n_tok, toks if n else None)
    assert s1.tobytes() == s0.tobytes()


_SHAPE_PIECES = ["word ", "Word. ", "中文的句子", "。", "！", "\n", "\r\n", "\t", " ", "\u3000", "\u2028", "x", "…",
                 "”", "a b c d e f g h ", "\x1f", "ﾃ", "ひらがな"]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SHAPE_PIECES), max_size=40))
def test_line_shapes_are_the_python_ones(pieces: list[str]) -> None:
    from cleaner import boilerplate as B

    text = "".join(pieces)
    lines, starts, ends = B._line_table(text)
    stripped = [s.strip() for s in lines]
    cjk, para = B._line_shapes(text, stripped, starts, ends)
    with numpy_path():
        cjk0, para0 = B._line_shapes(text, stripped, starts, ends)
    assert cjk.tolist() == cjk0.tolist() and para.tolist() == para0.tolist()


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 300), st.integers(0, 2**31))
def test_context_columns_same(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xt = rng.integers(0, 6, size=(len(F.BASE_NAMES), n)).astype(np.float64) / 3  # ties and repeats
    xt[F.BASE_NAMES.index("log_words")] = np.log1p(rng.integers(0, 30, size=n))  # runs of 12+ words
    base = xt.T
    n_tok = rng.integers(0, 3, size=n)
    c1 = F.context_features(base, n_tok)
    with numpy_path():
        c0 = F.context_features(base, n_tok)
    assert c1.tobytes() == c0.tobytes()


def test_a_built_extension_imports() -> None:
    # a compiled module that fails to import (a missing symbol) would silently leave the numpy path
    import importlib.machinery

    pkg = ROOT / "cleaner"
    built = [p for p in pkg.iterdir() if p.name.startswith("_native") and p.name.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES))]
    if not built and NATIVE is None:
        pytest.skip("cleaner._native not built here (no compiler at install time)")
    if os.environ.get("CLEANER_NO_NATIVE", "") not in ("", "0"):
        pytest.skip("numpy path forced by CLEANER_NO_NATIVE")
    assert NATIVE is not None, f"built but not importable, or a stale build: {built}"
    assert NATIVE.ABI == F.NATIVE_ABI
    for name in ("char_pass", "token_columns", "forest_raw", "score_context", "context", "line_shapes", "literal_hits",
                 "new_frozen", "lexicon_lines"):
        assert callable(getattr(NATIVE, name))


def test_env_var_zero_keeps_the_native_path() -> None:
    if os.environ.get("CLEANER_NO_NATIVE", "") not in ("", "0"):
        pytest.skip("this process runs the numpy path by CLEANER_NO_NATIVE: NATIVE says nothing of the build")
    code = "import cleaner.boilerplate.features as F; print(F._native is None)"
    env = {**os.environ, "CLEANER_NO_NATIVE": "0", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(NATIVE is None)


@needs_native
def test_a_stale_build_is_refused_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    assert NATIVE is not None
    monkeypatch.setattr(NATIVE, "ABI", F.NATIVE_ABI + 1)
    with pytest.warns(UserWarning, match="stale build"):
        assert F._load_native() is None


@needs_native
def test_char_pass_refuses_a_page_with_more_lines_than_its_buffers() -> None:
    # the check must come before the extra line's first write (it came after it: a heap overflow)
    n = 64
    page = "\n".join(["ab"] * (n + 1))
    sums = np.zeros((n, len(F._SUM_BITS) + 5))
    u16, i64 = np.zeros(n, np.uint16), np.zeros(len(page), np.int64)
    starts, ends, last_cp = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.uint32)
    args = (starts, ends, sums, u16, u16.copy(), last_cp, i64, i64.copy())
    for lower in (None, F._lower_table()):
        with pytest.raises(ValueError, match="more lines"):
            NATIVE.char_pass(page, F._class_table(), F._SUM_BITS, n, *args, lower)
        with pytest.raises(ValueError):
            NATIVE.char_pass(page, F._class_table(), F._SUM_BITS, -1, *args, lower)
    with pytest.raises(ValueError, match="lower"):  # a lower-case table too short
        NATIVE.char_pass("ab", F._class_table(), F._SUM_BITS, 1, *args, np.zeros(100, np.uint16))


def _lowered(page: str) -> tuple[str | None, str | None, str]:
    n = page.count("\n") + 1
    chars, low, masked_low = F._char_pass_native_low(page, n)
    return low, masked_low, chars[-1]


_LOWER_ALPHABET = [*"aZé9 .,_-年中\t", "\n", "\u0130", "\u03a3", "\u03c3", "\u1e9e", "ß", "\u212a", "\u01c5", "ǅ",
                   "\U0001f600", "\U00010400", "\U00010428", "\u0100", "Ω", "\uffff", "\u00b5", "\u0178", "ÿ"]


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_LOWER_ALPHABET), max_size=40).map("".join))
def test_char_pass_lowers_the_page_as_str_lower(page: str) -> None:
    low, masked_low, masked = _lowered(page)
    # refers to Python exactly where a character needs it: U+0130 (two characters), capital sigma
    # (final form by context), cased letters above the BMP (Deseret U+10400); U+FFFF is the table's mark
    python_only = any(c in page for c in "\u0130\u03a3\U00010400\uffff")
    assert (low is None) == python_only and (masked_low is None) == python_only
    if low is not None:
        assert low == page.lower() and masked_low == masked.lower()


@needs_native
def test_lower_table_is_str_lower_per_code_point() -> None:
    table = F._lower_table()
    for c in range(0x10000):
        want = chr(c).lower()
        if table[c] != 0xFFFF:
            assert chr(table[c]) == want and c not in (0x130, 0x3A3)
        else:
            assert len(want) != 1 or c in (0x3A3, 0xFFFF)


@needs_native
def test_dev_pages_lowered_in_the_char_pass(dev_texts: list[str]) -> None:
    python_only = 0
    for text in dev_texts:
        page = text.replace("\r", " ")
        low, masked_low, masked = _lowered(page)
        if low is None:
            python_only += 1
            continue
        assert low == page.lower() and masked_low == masked.lower()
    assert python_only < len(dev_texts) // 10


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_ALPHABET), max_size=600).map("".join), min_size=1, max_size=4),
       st.sampled_from([1, 2, 3]))
def test_char_pass_class_counts_packed_and_one_test_per_class(lines: list[str], spread: int) -> None:
    # the packed counters (single-bit classes) against the one-test-per-class loop (a class of two
    # bits forces it), on lines longer than the 255-character flush of the packed counters
    page = "\n".join(ln.replace("\n", " ").replace("\r", " ") * spread for ln in lines)
    n = page.count("\n") + 1
    bits = F._SUM_BITS
    two = np.concatenate([bits, np.array([F._WORD | F._DIGIT], dtype=np.uint16)])
    out = []
    for sb in (bits, two):
        sums = np.empty((n, sb.shape[0] + 5))
        args = (np.empty(n, np.int64), np.empty(n, np.int64), sums, np.empty(n, np.uint16), np.empty(n, np.uint16),
                np.empty(n, np.uint32), np.empty(len(page) // 2 + 1, np.int64), np.empty(len(page) // 2 + 1, np.int64))
        NATIVE.char_pass(page, F._class_table(), sb, n, *args, None)
        out.append(sums)
    nb = bits.shape[0]
    assert out[0][:, :nb].tobytes() == out[1][:, :nb].tobytes()
    assert out[0][:, nb:].tobytes() == out[1][:, nb + 1 :].tobytes()
    table = F._class_table()
    cps = [[min(ord(c), 0x10000) for c in ln] for ln in page.split("\n")]
    want = [[sum((int(table[c]) & int(b)) != 0 for c in row) for b in two] for row in cps]
    assert out[1][:, : nb + 1].tolist() == want


@needs_native
def test_float32_inputs_take_the_numpy_path_and_agree() -> None:
    rng = np.random.default_rng(3)
    n = 50
    p1 = rng.random(n)
    words = rng.integers(1, 30, size=n).astype(np.float64)
    n_tok = np.ones(n, dtype=np.int64)
    s64 = F.score_context_features(p1, words, n_tok)
    s32 = F.score_context_features(p1.astype(np.float32), words.astype(np.float32), n_tok)
    with numpy_path():
        s32_numpy = F.score_context_features(p1.astype(np.float32), words.astype(np.float32), n_tok)
    assert s32.tobytes() == s32_numpy.tobytes() and s64.shape == s32.shape
    base = rng.random((n, len(F.BASE_NAMES)))
    c32 = F.context_features(base.astype(np.float32), n_tok)
    with numpy_path():
        assert c32.tobytes() == F.context_features(base.astype(np.float32), n_tok).tobytes()


def _find_loops(hay: str, lits: tuple[str, ...], boundary: bytes) -> list[tuple[int, int]]:
    with numpy_path():
        return F.literal_hits(hay, lits, boundary)


_LIT_ALPHABET = [*"abyB _1é\n中文", "\U0001f600", "\u0161", "by", "aby", "bb", "中文", "\U0001f600a"]


@needs_native
@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_LIT_ALPHABET), max_size=20).map("".join),
    st.lists(st.tuples(st.lists(st.sampled_from(_LIT_ALPHABET), min_size=1, max_size=3).map("".join), st.booleans()),
             min_size=1, max_size=6),
)
def test_literal_hits_are_the_find_loops(hay: str, needles: list[tuple[str, bool]]) -> None:
    # needles sharing first characters or low bytes (a/\u0161, a/\U0001f600a), repeated, overlapping,
    # one character long, at the text's end, above the BMP, with and without the word boundary
    lits = tuple(w for w, _ in needles)
    bounds = bytes(b for _, b in needles)
    assert F.literal_hits(hay, lits, bounds) == _find_loops(hay, lits, bounds)


@needs_native
def test_literal_hits_edges() -> None:
    hits = NATIVE.literal_hits("abc by bye by_ x by", ("by", "abc", "c b"), b"\1\0\0")
    assert hits == [(4, 0), (17, 0), (0, 1), (2, 2)]
    assert NATIVE.literal_hits("aaa", ("aa", "a"), b"\0\0") == [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1)]
    assert NATIVE.literal_hits("", ("a",), b"\0") == []
    assert NATIVE.literal_hits("x", (), b"") == []
    with pytest.raises(ValueError):
        NATIVE.literal_hits("x", ("",), b"\0")
    with pytest.raises(ValueError):
        NATIVE.literal_hits("x", ("a", "b"), b"\0")
    with pytest.raises(TypeError):
        NATIVE.literal_hits("x", ["a"], b"\0")


@needs_native
def test_literal_hits_on_dev_pages(dev_texts: list[str]) -> None:
    for text in dev_texts:
        low = text.lower()
        for hay, lits, bounds in (
            (low, *F._split_alternatives(F._COMMENT_CJK_LITERALS + F._URL_ALTERNATIVES)),
            (text, rules._LOWER_PREFIXES, rules._NO_BOUNDARY),
            (text, S._LOWER_BY_WORDS, S._WORD_BOUNDARY),
        ):
            assert F.literal_hits(hay, lits, bounds) == _find_loops(hay, lits, bounds)


@needs_native
def test_removed_records_are_the_dataclass_records() -> None:
    from cleaner.document import Removed

    assert S._REMOVED_BY_SLOTS
    cols = (["chrome", "related"], ["footer", "related-block"], ["© 2024", "More: x"], [0, 10], [6, 17])
    got = S._removed_records(*cols)
    with numpy_path():
        want = S._removed_records(*cols)
    assert want == list(map(Removed, *cols))
    assert got == want and [type(r) for r in got] == [Removed, Removed]
    assert [hash(r) for r in got] == [hash(r) for r in want] and list(map(repr, got)) == list(map(repr, want))
    with pytest.raises(dataclasses.FrozenInstanceError):
        got[0].kind = "body"  # type: ignore[misc]
    assert S._removed_records([], [], [], [], []) == []


@needs_native
def test_new_frozen_refuses_what_it_cannot_build() -> None:
    from cleaner.document import Removed

    names = S._REMOVED_FIELDS
    one = (["a"], ["b"], ["c"], [1], [2])
    with pytest.raises(ValueError):
        NATIVE.new_frozen(Removed, names, one[:4])  # a column short
    with pytest.raises(ValueError):
        NATIVE.new_frozen(Removed, names, (*one[:4], [2, 3]))  # columns of two lengths
    with pytest.raises(ValueError):
        NATIVE.new_frozen(Removed, ("kind", "reason", "text", "start", "nope"), one)  # not a slot
    with pytest.raises(ValueError):
        NATIVE.new_frozen(Removed, ("kind", "reason", "text", "start", "__doc__"), one)  # not a member
    with pytest.raises(TypeError):
        NATIVE.new_frozen(Removed, list(names), one)

    class Other:  # slots, but a __new__ that returns another type: the kernel must not write into it
        __slots__ = ("a", "b")

        def __new__(cls, *args: object) -> Other:
            return 12345678901234567890  # type: ignore[return-value]

    with pytest.raises(TypeError, match="did not return an instance"):
        NATIVE.new_frozen(Other, ("a", "b"), ([1] * 50, [2] * 50))


@needs_native
def test_line_keys_on_lines_whose_code_points_share_low_bits() -> None:
    """FNV-1a's low bits depend only on the code points' low bits: lines of code points 2**17 apart must
    still get their own slots (they shared one, and probing went quadratic) and the same counts."""
    import itertools

    var = [chr(0x41 + j * 0x20000) for j in range(9)]
    lines = ["".join(p) for p in itertools.islice(itertools.product(var, repeat=5), 20000)]
    lines += lines[:100]  # some repeated
    low = "\n".join(lines)
    dup, chrome = np.empty(len(lines)), np.empty(len(lines))
    NATIVE.line_keys2(low, len(lines), F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, dup, chrome)
    counts = Counter(lines)
    assert dup.tolist() == [counts[k] - 1.0 for k in lines] and not chrome.any()


_KEY_LINES = ["Home", " home ", "-- Home --", "HOME:", "Share", "share this", "| Menu |", "12 Comments", "x", "", " ",
              "\u3000Home\u3000", "\u00a0Login\u00a0", "相关新闻", "首页", "Skip to main content", "The same line.",
              "the same line.", "(Archives)", "#tags", "ΣΟΦΙΑ", "Iİ"]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_KEY_LINES), min_size=1, max_size=15))
def test_repeated_and_ui_label_lines_same_columns(lines: list[str]) -> None:
    # the kernel's hash table of stripped lines and its label test against Counter and str.strip
    both(lines)
    X, _ = F.base_features(lines, "en")
    with numpy_path():
        X0, _ = F.base_features(lines, "en")
    for name in ("dup", "dup_log", "chrome_line"):
        j = F.BASE_NAMES.index(name)
        assert X[:, j].tolist() == X0[:, j].tolist()


@needs_native
def test_lexicon_lines_refuses_bad_tables() -> None:
    lf = rules._line_filter()
    args = [lf.flags, lf.first, lf.second, lf.width, lf.req_bits, lf.col_req, lf.col_multi, lf.multi_count]
    assert np.frombuffer(NATIVE.lexicon_lines("Share\nprose", *args), np.int64).tolist() == [0]
    bad = lf.col_multi.copy()
    bad[0] = 12  # a counted set beyond the flag bits
    with pytest.raises(ValueError, match="col_multi"):
        NATIVE.lexicon_lines("Share", *args[:6], bad, lf.multi_count)
    with pytest.raises(ValueError, match="first"):  # a table too short for the columns
        NATIVE.lexicon_lines("Share", lf.flags, lf.first[:100], *args[2:])
    with pytest.raises(ValueError, match="col_multi"):
        NATIVE.lexicon_lines("Share", *args[:6], lf.col_multi[:3], lf.multi_count)
