"""The fused English sentence-model kernels (garble s7b: lin_prep, cnn_relu_window, cnn_relu_pool, lin_stack)
against the numpy expressions they replace, bit for bit, hostile inputs and argument checks included."""

from __future__ import annotations

import numpy as np
import pytest
from _native_paths import python_path

from cleaner.garble import model as gmodel
from cleaner.garble import nn, vec
from cleaner.garble.model import load_model

k = nn._native
needs_native = pytest.mark.skipif(k is None, reason="cleaner._native not built (numpy path only)")


def _hostile(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    x = rng.normal(0, 3, shape).astype(np.float32)
    flat = x.reshape(-1)
    if flat.size:
        pick = rng.integers(0, flat.size, max(1, flat.size // 10))
        flat[pick] = rng.choice(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -3e38], dtype=np.float32),
                                len(pick))
    return x


@needs_native
@pytest.mark.parametrize("seed", range(12))
def test_lin_prep_is_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, kcols, buckets = int(rng.integers(0, 9)), int(rng.integers(1, 20)), 1 << int(rng.integers(1, 12))
    m = int(rng.integers(0, 300)) if n else 0
    owner = np.sort(rng.integers(0, max(n, 1), m)).astype(np.int64)
    ids = rng.integers(0, buckets, m).astype(np.int64)
    w = _hostile(rng, (buckets,)) if seed % 3 == 0 else rng.normal(0, 1, buckets).astype(np.float32)
    dense, mu, sd = _hostile(rng, (n, kcols)), _hostile(rng, (kcols,)), _hostile(rng, (kcols,))
    s, z = np.empty(n), np.empty((n, kcols), dtype=np.float32)
    k.lin_prep(owner, ids, w, dense, mu, sd, n, s, z)
    cnt = np.bincount(owner, minlength=n)
    want_s = np.bincount(owner, weights=w[ids], minlength=n) / np.sqrt(np.maximum(cnt, 1))
    with np.errstate(all="ignore"):
        want_z = (dense - mu) / sd
    assert s.tobytes() == want_s.tobytes() and z.tobytes() == want_z.tobytes()


@needs_native
def test_lin_prep_checks_its_inputs() -> None:
    o, i = np.zeros(3, np.int64), np.zeros(3, np.int64)
    w, d, mu = np.ones(8, np.float32), np.ones((2, 4), np.float32), np.ones(4, np.float32)
    s, z = np.empty(2), np.empty((2, 4), np.float32)
    k.lin_prep(o, i, w, d, mu, mu, 2, s, z)
    for args in (
        (np.array([0, 2, 1]), i, w, d, mu, mu, 2, s, z),  # owner out of range
        (np.array([0, -1, 1]), i, w, d, mu, mu, 2, s, z),
        (o, np.array([0, 8, 1]), w, d, mu, mu, 2, s, z),  # bucket out of range
        (o, np.array([0, -1, 1]), w, d, mu, mu, 2, s, z),
    ):
        with pytest.raises(IndexError):
            k.lin_prep(*args)
    for args in (
        (o, i[:2], w, d, mu, mu, 2, s, z),  # ids shorter than owner
        (o, np.zeros(4, np.int64), w, d, mu, mu, 2, s, z),  # longer
        (o, i, w, d, mu, mu[:3], 2, s, z),  # mean and std differ
        (o, i, w, np.ones((2, 3), np.float32), np.ones(4, np.float32), np.ones(4, np.float32), 2, s,
         np.empty(6, np.float32)),  # dense not (rows, 4)
        (o, i, w, d, mu, mu, 3, s, z),  # s too short
        (o, i, w, d, mu, mu, 2, s, np.empty(7, np.float32)),  # z too short
        (o.astype(np.int32), i, w, d, mu, mu, 2, s, z),  # wrong item sizes
        (o, i, w.astype(np.float64), d, mu, mu, 2, s, z),
        (o, i, w, d, mu, mu, 2, s.astype(np.float32), z),
        (o, i, w, d, np.ones(0, np.float32), np.ones(0, np.float32), 2, s, z),  # no columns
        (o, i, w, d, mu, mu, -1, s, z),
    ):
        with pytest.raises(ValueError):
            k.lin_prep(*args)
    ro = np.empty(2)
    ro.flags.writeable = False
    with pytest.raises((ValueError, BufferError)):
        k.lin_prep(o, i, w, d, mu, mu, 2, ro, z)


def _lengths(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 40, int(rng.integers(0, 7))).astype(np.int64)


@needs_native
@pytest.mark.parametrize("seed", range(12))
def test_relu_window_and_pool_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lens = _lengths(rng)
    c, total = int(rng.integers(1, 70)), int(lens.sum())
    raw1, raw2 = _hostile(rng, (total, c)), _hostile(rng, (total, c))
    b1, b2 = rng.normal(0, 1, c).astype(np.float32), rng.normal(0, 1, c).astype(np.float32)
    b1[rng.integers(0, c)] = 0.0  # (+0.0 is allowed; -0.0 is refused by ConvNet.fused)
    want_h1 = np.maximum(raw1 + b1, 0.0)
    want_cat = np.empty((total, 3 * c), np.float32)
    k.cnn_window(want_h1, c, lens, want_cat)
    want_h2 = np.maximum(raw2 + b2, 0.0) + want_h1
    want_pool = np.empty((len(lens), 2 * c), np.float32)
    k.cnn_pool(want_h2, c, lens, nn._SUM_INIT, want_pool)
    h1, cat = raw1.copy(), np.full((total, 3 * c), 7.0, np.float32)
    k.cnn_relu_window(h1, b1, c, lens, cat)
    assert h1.tobytes() == want_h1.tobytes() and cat.tobytes() == want_cat.tobytes()
    h2, pool = raw2.copy(), np.full((len(lens), 2 * c), 7.0, np.float32)
    k.cnn_relu_pool(h2, b2, h1, c, lens, nn._SUM_INIT, pool)
    assert h2.tobytes() == want_h2.tobytes() and pool.tobytes() == want_pool.tobytes()


@needs_native
def test_relu_kernels_check_their_inputs() -> None:
    lens, c = np.array([2, 0, 3], np.int64), 4
    h, b = np.zeros((5, c), np.float32), np.zeros(c, np.float32)
    cat, pool = np.empty((5, 3 * c), np.float32), np.empty((3, 2 * c), np.float32)
    k.cnn_relu_window(h, b, c, lens, cat)
    k.cnn_relu_pool(h.copy(), b, h, c, lens, 0.0, pool)
    for args in ((h[:4], b, c, lens, cat), (h, b[:3], c, lens, cat), (h, b, c, lens, cat[:4]), (h, b, 0, lens, cat),
                 (h, b, c, np.array([2, -1, 3]), cat), (h, b, c, lens.astype(np.int32), cat),
                 (h.astype(np.float64), b, c, lens, cat)):
        with pytest.raises(ValueError):
            k.cnn_relu_window(*args)
    for args in ((h[:4], b, h, c, lens, 0.0, pool), (h.copy(), b, h[:4], c, lens, 0.0, pool),
                 (h.copy(), b, h, c, lens, 0.0, pool[:2]), (h.copy(), b, h, 300, lens, 0.0, pool),
                 (h.copy(), b[:3], h, c, lens, 0.0, pool), (h.copy(), b, h, c, np.array([9, 0, 0]), 0.0, pool)):
        with pytest.raises(ValueError):
            k.cnn_relu_pool(*args)


@needs_native
@pytest.mark.parametrize("seed", range(6))
def test_lin_stack_is_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    s = rng.normal(0, 2, n)
    s[: n // 5] = np.inf if seed % 2 else np.nan
    zw, pw = _hostile(rng, (n,)), _hostile(rng, (n,))
    intercept, b_out = float(rng.normal()), float(rng.normal())
    stack = rng.normal(0, 1, 3)
    out = np.empty(n)
    k.lin_stack(s, zw, intercept, None, 0.0, None, out)
    with np.errstate(all="ignore"):
        lin = s + zw + intercept
        want = stack[0] * lin + stack[1] * (pw.astype(np.float64) + b_out) + stack[2]
    assert out.tobytes() == lin.tobytes()
    k.lin_stack(s, zw, intercept, pw, b_out, stack, out)
    assert out.tobytes() == want.tobytes()
    with pytest.raises(ValueError):
        k.lin_stack(s, zw[: n - 1] if n else np.zeros(0, np.float64), intercept, None, 0.0, None, out)
    with pytest.raises(ValueError):
        k.lin_stack(np.zeros(3), np.zeros(3, np.float32), 0.0, np.zeros(3, np.float32), 0.0, np.zeros(2), np.empty(3))
    with pytest.raises(ValueError):
        k.lin_stack(np.zeros(3), np.zeros(3, np.float32), 0.0, None, 0.0, None, np.empty(2))


SENTENCES = [
    "The models of Amnesty International are trained on large data sets.",
    "",
    "Don't panic: it's 42!",
    "a thisGlued word and McDonald's iPhone",
    "He said “yes” — and left.",
    "x",
    "He was living in the house of his grandmother during the war years and she was teaching him to read " * 3,
    "Σίσυφος ΚΑΙ İstanbul 𝐀𝐁 1.5 km",
]


@needs_native
def test_batch_logits_native_is_numpys() -> None:
    m = load_model()
    batches = [SENTENCES, SENTENCES[:1], SENTENCES[1:2], SENTENCES[2:5], [s + " more" for s in SENTENCES] * 5]
    for b in batches:
        got, _ = m.batch_logits(b, "en")
        with python_path(gmodel):  # the linear model's and the stack's numpy (the CNN's kernels unfused)
            mid, _ = m.batch_logits(b, "en")
        with python_path(gmodel, nn, vec):  # all numpy
            ref, _ = m.batch_logits(b, "en")
        assert got.dtype == ref.dtype == np.float64
        assert got.tobytes() == mid.tobytes() == ref.tobytes()
    assert m.cnn is None or m.cnn.fused


def test_fused_cnn_refuses_a_negative_zero_bias() -> None:
    m = load_model()
    if m.cnn is None:
        pytest.skip("no CNN shipped")
    from dataclasses import replace

    b1 = m.cnn.b1.copy()
    b1[0] = -0.0
    assert not replace(m.cnn, b1=b1).fused
    assert not replace(m.cnn, b2=m.cnn.b2.astype(np.float64)).fused
    assert replace(m.cnn, b1=m.cnn.b1.copy()).fused == m.cnn.native_width


def test_fused_cnn_refuses_weights_the_kernels_would_misread() -> None:
    """The kernels read buffers by item size: an int64 stack (8 bytes, like float64) would be read as
    doubles, so ConvNet.fused refuses it, a strided stack and float64 layer weights; the model then
    scores by numpy and gives numpy's answer (review of session 7)."""
    m = load_model()
    if m.cnn is None or not m.cnn.fused:
        pytest.skip("no fused CNN here")
    from dataclasses import replace

    assert not replace(m.cnn, stack=np.array([1, 1, 0])).fused
    assert not replace(m.cnn, stack=np.repeat(m.cnn.stack, 2)[::2]).fused
    assert not replace(m.cnn, w1=m.cnn.w1.astype(np.float64)).fused
    assert not replace(m.cnn, w2=m.cnn.w2.astype(np.float64)).fused
    odd = replace(m, cnn=replace(m.cnn, stack=np.array([1, 1, 0])))
    with python_path(gmodel):
        want = odd.batch_logits(["The council met on Monday .", "It voted the budget ."], "en")[0]
    got = odd.batch_logits(["The council met on Monday .", "It voted the budget ."], "en")[0]
    assert np.array_equal(got, want)
