"""The stage's round-2 session-8 kernels (block "boilerplate s8c" of cleaner/_native.c) against
what they replace, on generated inputs: ``line_keys2`` against the Python columns (a ``Counter`` of stripped
lines, ``str.strip(_STRIP_CHARS)`` in the label set, looked up only up to ``max_len`` characters)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import features as F

from ._paths import NATIVE, needs_native, numpy_path

# label entries in every text kind, decorated, in other cases, one character changed (same length,
# same first and last character: the filter lets them through, the set must say no)
_PIECES = ["home", "share", "login", "首页", "相关新闻", "ログイン", "skip to main content", "hone", "shore", "首贝",
           "x", "", " ", "\t", "\u3000", "\u00a0", "-", "»", "•", "12", ":", "(", ")", "é", "\U0001f600", "σοφια",
           "\u0100", "\u01ff", "a" * 70, "\n"]


def _python_columns(low: str, chrome: frozenset, strip: str, max_len: int) -> tuple[list[float], list[float]]:
    keys = [k.strip() for k in low.split("\n")]
    counts = Counter(keys)
    labels = [k.strip(strip) for k in keys]
    return [counts[k] - 1.0 for k in keys], [1.0 if len(x) <= max_len and x in chrome else 0.0 for x in labels]


def _both(low: str, chrome: frozenset, strip: str, max_len: int) -> None:
    n = low.count("\n") + 1
    got = [np.empty(n), np.empty(n)]
    assert NATIVE.line_keys2(low, n, chrome, strip, max_len, *got) == n
    dup, cl = _python_columns(low, chrome, strip, max_len)
    assert got[0].tolist() == dup
    assert got[1].tolist() == cl


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=5).map("".join), min_size=1, max_size=25))
def test_line_keys2_is_the_python_columns(lines: list[str]) -> None:
    low = "\n".join(lines)
    _both(low, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX)
    # a set with long entries, non-ASCII first/last characters sharing low bytes with others, and
    # an empty entry; a max_len that cuts some entries off
    chrome = frozenset({"a" * 70, "\u0168ome", "hom\u0165", "é", "", "σοφια", "\U0001f600x"})
    _both(low, chrome, F._STRIP_CHARS, 100)
    _both(low, chrome, "-»•é", 3)


@needs_native
def test_line_keys2_with_a_set_of_other_objects_looks_every_short_key_up() -> None:
    class Key(str):
        pass

    chrome = frozenset({Key("home"), 5, "share"})
    low = "Home\n\nshare\n-- home --\nx"
    _both(low, chrome, F._STRIP_CHARS, 10)


@needs_native
def test_line_keys2_refuses_a_wrong_line_count_and_short_buffers() -> None:
    buf = np.empty(3)
    with pytest.raises(ValueError, match="more lines"):
        NATIVE.line_keys2("a\nb\nc\nd", 3, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, buf, np.empty(3))
    with pytest.raises(ValueError, match="fewer lines"):
        NATIVE.line_keys2("a\nb", 3, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, buf, np.empty(3))
    with pytest.raises(ValueError, match="dup"):
        NATIVE.line_keys2("a\nb", 2, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, np.empty(1), np.empty(2))
    with pytest.raises(ValueError, match="more lines"):
        NATIVE.line_keys2("", 0, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, np.empty(0), np.empty(0))


def _char_pass(page: str, sum_bits: np.ndarray, lower: bool) -> tuple:
    n = page.count("\n") + 1
    outs = [np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros((n, sum_bits.shape[0] + 5)),
            np.zeros(n, np.uint16), np.zeros(n, np.uint16), np.zeros(n, np.uint32)]
    cap = len(page) // 2 + 1
    wline, wlen = np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    k, masked, low, masked_low = NATIVE.char_pass(page, F._class_table(), sum_bits, n, *outs, wline, wlen,
                                                  F._lower_table() if lower else None)
    return [o.tolist() for o in outs], wline[:k].tolist(), wlen[:k].tolist(), masked, low, masked_low


_CP_PIECES = ["word", "Word", " ", "\t", "\n", "12", "-", "3", "...", "…", "@", "a@b", ".", "中文", "。", "Σ", "İ",
              "\U0001f600", "\u00a0", "©", ":", "x" * 300]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CP_PIECES), max_size=40).map("".join), st.booleans())
def test_char_pass_packed_and_per_class_loops_agree(page: str, lower: bool) -> None:
    # one class of two bits makes the kernel take its per-class loop (s8c: a separate instantiation);
    # the other columns must be those of the packed loop, the added one the count of its characters
    bits = F._SUM_BITS
    assert all(int(b) & (int(b) - 1) == 0 for b in bits)  # the shipped classes: the packed loop
    wide = np.concatenate([bits, [bits[0] | bits[1]]]).astype(np.uint16)
    packed = _char_pass(page, bits, lower)
    plain = _char_pass(page, wide, lower)
    nb = bits.shape[0]
    assert [row[:nb] + row[nb + 1:] for row in plain[0][2]] == packed[0][2]
    assert plain[0][:2] == packed[0][:2] and plain[0][3:] == packed[0][3:] and plain[1:] == packed[1:]
    table = F._class_table()
    want = [float(sum(1 for c in line if table[min(ord(c), 0x10000)] & wide[-1])) for line in page.split("\n")]
    assert [row[nb] for row in plain[0][2]] == want


@needs_native
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.sampled_from([2, 3, 15, 16, 17, 31, 32, 33, 511, 512, 513, 529, 1100]),
       st.integers(0, 2**31))
def test_forest_of_depth_six_same_scores_as_numpy(trees: int, n: int, seed: int) -> None:
    # depth 6 takes the unrolled AVX-512 loop (s8c) where the CPU has it: row counts around its 16-row
    # steps and the 512-row chunks, ties at the thresholds, NaN and infinite values
    from cleaner.boilerplate.model import Forest

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(n, 7)).astype(np.float64)
    x[rng.random(n) < 0.1, 1] = np.nan
    x[rng.random(n) < 0.05, 2] = np.inf
    x[rng.random(n) < 0.05, 3] = -np.inf
    feat = rng.integers(0, 7, size=(trees, 6))
    thr = rng.integers(0, 4, size=(trees, 6)).astype(np.float64) - 0.5 * rng.integers(0, 2, size=(trees, 6))
    forest = Forest(feat, thr, rng.normal(size=(trees, 64)), float(rng.normal())).prepare()
    native = forest.raw(x[:, :4], x[:, 4:])
    with numpy_path():
        plain = forest.raw(x[:, :4], x[:, 4:])
    assert native.tobytes() == plain.tobytes()


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**31), st.sampled_from(["fine", "coarse", "zeros", "nan"]))
def test_score_context_rank_is_numpys_stable_order(k: int, seed: int, kind: str) -> None:
    # the rank row of score_context comes from rank_sort (s8c): numpy's stable argsort of -p, ties
    # (coarse scores, +0.0 against -0.0) in line order; with a NaN, qsort as before
    rng = np.random.default_rng(seed)
    p = rng.random(k)
    if kind == "coarse":
        p = np.round(p * 3) / 3
    elif kind == "zeros":
        p = np.where(rng.random(k) < 0.5, 0.0, -0.0) * (rng.random(k) < 0.7) + (rng.random(k) < 0.3) * 0.5
    elif kind == "nan":
        p[rng.integers(0, k)] = np.nan
    out = np.empty((28, k))
    NATIVE.score_context(p, np.maximum(rng.random(k) * 20, 0.5), rng.random(k), np.zeros(k, np.uint8), out)
    if kind == "nan":
        return  # (no order to compare with: the run must only not fail)
    rank = np.empty(k)
    rank[np.argsort(-p, kind="stable")] = np.arange(k)
    assert out[14].tolist() == (rank / max(k - 1, 1)).tolist()


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "ab", "b", "ba", "aa", "中", "中文", "x_", "by", "é"]), max_size=60).map("".join),
       st.lists(st.tuples(st.sampled_from(["a", "ab", "aa", "b", "中", "中文", "by", "a", "é", "zz"]), st.booleans()),
                min_size=1, max_size=40))
def test_literal_hits_grouped_by_needle_as_the_find_loops(hay: str, needles: list[tuple[str, bool]]) -> None:
    # many needles, repeated ones and several at one offset: the counting sort (s8c) must give the
    # find loops' order, needle by needle, each needle's hits in text order
    lits = tuple(w for w, _ in needles)
    bounds = bytes(b for _, b in needles)
    got = NATIVE.literal_hits(hay, lits, bounds)
    with numpy_path():
        want = F.literal_hits(hay, lits, bounds)
    assert got == want


class _HidingSet(frozenset):
    """A frozenset whose iteration shows none of its entries (the filter must not trust a subclass's __iter__)."""

    def __iter__(self) -> Iterator[str]:
        return iter(())


@pytest.mark.skipif(NATIVE is None, reason="compiled kernels not built")
def test_line_keys2_builds_its_filter_only_from_an_exact_set() -> None:
    _both("home\nlogin\nfoo\nHome", _HidingSet({"home", "login"}), " ", 40)
    _both("home\nlogin\nfoo", set({"home", "login"}), " ", 40)  # type: ignore[arg-type]
