"""The stage's session-8 kernels (block "boilerplate s8a" of cleaner/_native.c) against the Python
they replace: label codes, row fills, the join of the kept lines and the expected-F keep, on
generated inputs, and the whole stage's answers with and without the kernels on every dev page."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import boilerplate as B
from cleaner.boilerplate import features as F
from cleaner.config import Config

from ._paths import NATIVE, needs_native, numpy_path


def fresh(s: str) -> str:
    """An equal str that is not the same object (as a label read from elsewhere would be)."""
    return "".join(list(s))


_LABEL_CHOICES = [*B._LABELS, "", "bod", "Body", "other"]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_LABEL_CHOICES), st.booleans()), max_size=60))
def test_label_codes_are_the_python_ones(items: list[tuple[str, bool]]) -> None:
    label = [fresh(s) if copy else s for s, copy in items]
    got = B._label_codes(label)
    with numpy_path():
        want = B._label_codes(label)
    assert got.tolist() == want.tolist()
    assert got.tolist() == [B._LABELS.index(s) if s in B._LABELS else 255 for s, _ in items]


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 50), st.lists(st.integers(0, 49), max_size=30))
def test_fill_rows_sets_the_rows_as_the_loop(n: int, picks: list[int]) -> None:
    rows = np.array(sorted({i for i in picks if i < n}), dtype=np.int64)
    lab1, why1 = [f"l{i}" for i in range(n)], [f"r{i}" for i in range(n)]
    lab0, why0 = list(lab1), list(why1)
    B._fill_rows(lab1, why1, rows, "chrome", "low-content-score")
    with numpy_path():
        B._fill_rows(lab0, why0, rows, "chrome", "low-content-score")
    assert lab1 == lab0 and why1 == why0


@needs_native
def test_fill_rows_refuses_a_row_out_of_range_and_writes_nothing() -> None:
    assert NATIVE is not None
    label, reason = ["a", "b", "c"], ["x", "y"]
    for bad in ([0, 2], [-1], [3]):  # 2 is past the shorter list
        with pytest.raises(IndexError):
            NATIVE.fill_rows((label, reason), ("L", "R"), np.array(bad, dtype=np.int64))
        assert label == ["a", "b", "c"] and reason == ["x", "y"]
    with pytest.raises(ValueError):
        NATIVE.fill_rows((label, reason), ("L",), np.array([0], dtype=np.int64))


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "", "Long line é 中文", "\U0001f600 y"]),
                          st.sampled_from(_LABEL_CHOICES)), max_size=40))
def test_join_is_the_python_join(items: list[tuple[str, str]]) -> None:
    lines = [s for s, _ in items]
    label = [lab for _, lab in items]
    got = B._join(lines, label)
    assert got == B._join(lines, label, B._label_codes(label))
    with numpy_path():
        assert got == B._join(lines, label)


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.integers(0, 120), st.integers(0, 2**31), st.booleans(), st.sampled_from([0.5, 1.0, 2.0]),
       st.sampled_from(["none", "all", "some"]))
def test_expected_f_keep_same_lines(n: int, seed: int, coarse: bool, beta: float, pool_kind: str) -> None:
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    if coarse:  # ties: numpy's stable order must be kept
        p = np.round(p * 4) / 4
    n_tok = rng.integers(0, 4, n) * rng.integers(0, 30, n)
    pool = None
    if pool_kind == "all":
        pool = np.arange(n)
    elif pool_kind == "some":
        pool = np.flatnonzero(rng.random(n) < 0.5)
    got = F.expected_f_keep(p, n_tok, beta, pool)
    with numpy_path():
        want = F.expected_f_keep(p, n_tok, beta, pool)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


@needs_native
def test_join_kernel_wants_one_code_per_line() -> None:
    """As ``_join``'s ``zip(strict=True)``: extra or missing codes are a caller's bug, refused."""
    for codes in (np.zeros(3, np.uint8), np.zeros(1, np.uint8)):
        with pytest.raises(ValueError):
            NATIVE.join_kept(["a", "b"], codes, 0, 0)


@needs_native
def test_expected_f_keep_with_a_nan_score_takes_the_numpy_order() -> None:
    p = np.array([0.2, np.nan, 0.9, 0.4])
    n_tok = np.array([3, 4, 5, 6])
    with numpy_path():
        want = F.expected_f_keep(p, n_tok)
    assert F.expected_f_keep(p, n_tok).tolist() == want.tolist()


def _record(res: B.BoilerplateResult) -> tuple:
    return res.text, [(r.kind, r.reason, r.text, r.start, r.end) for r in res.removed], res.metadata, res.labels


@needs_native
def test_dev_pages_same_stage_answers(dev_pages: list[dict]) -> None:
    """The whole stage (model path, every mode) with and without the kernels: the same records."""
    for k, page in enumerate(dev_pages[::3]):
        cfg = Config(mode=("balanced", "precision", "recall")[k % 3], keep_title=k % 2 == 0)
        got = _record(B.strip_boilerplate(page["text"], page.get("lang"), cfg))
        with numpy_path():
            want = _record(B.strip_boilerplate(page["text"], page.get("lang"), cfg))
        assert got == want, page.get("id")


@needs_native
@pytest.mark.parametrize("language", ["en", "de", "zh", None, "xx"])
def test_vocab_filter_lets_every_vocabulary_word_through(language: str | None) -> None:
    """token_columns with the bitmap counts what the dict alone counts: every vocabulary word (and
    words next to them) on a page, native (filtered) against the numpy path."""
    words = sorted(F._vocab(language))
    rng = np.random.default_rng(0)
    extra = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyzäöü中文"), 6)) for _ in range(200)]
    pool = words + extra
    lines = [" ".join(pool[i : i + 9]) for i in range(0, len(pool), 9)]
    X1, n1, t1 = F._base(lines, language)
    with numpy_path():
        X0, n0, t0 = F._base(lines, language)
    assert X1.tobytes() == X0.tobytes() and np.array_equal(n1, n0)
    assert np.array_equal(t1.ids, t0.ids) and np.array_equal(t1.line, t0.line)
    bits = F._vocab_filter(language)
    assert 0 < int(np.unpackbits(bits.view(np.uint8)).sum()) <= len(words)


def _table_and_shapes_agree(text: str) -> None:
    lines, starts, ends, shapes = B._line_table_shapes(text)
    lines0, starts0, ends0 = B._line_table(text)
    assert lines == lines0 and starts.tolist() == starts0.tolist() and ends.tolist() == ends0.tolist()
    assert starts.dtype == starts0.dtype and ends.dtype == ends0.dtype
    stripped = [s.strip() for s in lines]
    with numpy_path():
        cjk0, para0 = B._line_shapes(text, stripped, starts0, ends0)
    if shapes is None:
        assert "\r" in text or NATIVE is None
        return
    assert shapes[0].tolist() == cjk0.tolist() and shapes[1].tolist() == para0.tolist()


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "word ", "中文字", "。", ".", "\n", "\r", " ", "\u3000", "\x1c", "\U0001f600",
                                 "é", "Long sentence with eight words in it here."]), max_size=60).map("".join))
def test_line_table_with_shapes_is_table_then_shapes(text: str) -> None:
    _table_and_shapes_agree(text)


@needs_native
def test_line_table_with_shapes_on_dev_pages(dev_texts: list[str]) -> None:
    for text in dev_texts:
        _table_and_shapes_agree(text)


def test_probe_rows_with_the_line_lengths_given(dev_texts: list[str]) -> None:
    """The stage hands _probe_rows its line table's lengths: the same rows as measuring them."""
    for text in [*dev_texts[::4], "a\r\nBy Jane Doe\r\n\r\n(Reuters)\nUpdated: 2021-03-04\n作者：张三"]:
        lines, starts, ends = B._line_table(text)
        stripped = [s.strip() for s in lines]
        assert B._probe_rows(lines, stripped, ends - starts) == B._probe_rows(lines, stripped)
