"""The compiled ``unlikely-ngram`` search (``unl_best``, garble s8) against the numpy expressions it replaces."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from _native_paths import python_path
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble import score as S
from cleaner.garble import vec
from cleaner.garble.model import load_model

needs_native = pytest.mark.skipif(S._native is None, reason="cleaner._native not built (numpy path only)")

SENTENCES = [
    "The models of Amnesty International learned to write lumpy chips in the cloud.",
    "It was a cold day, and the the committee decided to postpone its meeting until further notice.",
    "offerEstablishing a global cooperation organization is the aim of the the summit.",
    "Don't panic: 42 people's houses were rebuilt after the flood, said Mr. Smith.",
    "A",
    "",
    "Über naïve café owners sell rock’n’roll records in İstanbul.",
    "The quick brown fox jumps over the lazy dog near the river bank in the morning.",
]


def numpy_picks(tok: vec.Tokens, tab: vec.Tables, w_sparse: np.ndarray, n: int,
                driving: list[int]) -> list[tuple[int, float]]:
    """(best, weight) per driving sentence by the numpy expressions of ``score._unlikely_ngrams`` before s8."""
    weights = w_sparse[vec.word_bigram_buckets(tok)].astype(np.float64)
    found, pos = vec.lookup(tab.vocab, vec.fingerprint(tok.h))
    lp = vec._vals(tab.vocab_logp, pos, found, -99.0)
    ok = (tok.seg[:-1] == tok.seg[1:]) & (tok.cls[:-1] == vec.LET) & (tok.cls[1:] == vec.LET)
    with np.errstate(invalid="ignore"):
        ok &= np.minimum(lp[:-1], lp[1:]) <= S.FUNCTION_WORD_LOGP
    weights[~ok] = -np.inf
    bounds = np.searchsorted(tok.seg[:-1], np.arange(n + 1))
    out = []
    for k in driving:
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        best = lo + int(np.argmax(weights[lo:hi])) if hi > lo else -1
        out.append((best, float(weights[best]) if best >= 0 else 0.0))
    return out


def kernel_picks(tok: vec.Tokens, tab: vec.Tables, w_sparse: np.ndarray, n: int,
                 driving: list[int]) -> list[tuple[int, float]]:
    found, pos = vec.lookup(tab.vocab, vec.fingerprint(tok.h))
    bounds = np.searchsorted(tok.seg[:-1], np.arange(n + 1))
    drv = np.array(driving, dtype=np.int64)
    best, w = np.empty(len(drv), dtype=np.int64), np.empty(len(drv), dtype=np.float64)
    S._native.unl_best(tok.h, tok.seg, tok.cls, found.view(np.uint8), pos, tab.vocab_logp, w_sparse,
                       int(vec._SALT["a2"]), vec._Q, vec.HASH_SIZE - 1, vec.LET, S.FUNCTION_WORD_LOGP, bounds, drv,
                       best, w)
    return list(zip(best.tolist(), w.tolist(), strict=True))


def same(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> bool:
    """Equal picks, a NaN weight equal to a NaN (the bits of the float64 of one float32)."""
    return [(i, np.float64(w).tobytes()) for i, w in a] == [(i, np.float64(w).tobytes()) for i, w in b]


@needs_native
def test_kernel_is_numpys_on_the_shipped_model() -> None:
    m = load_model()
    for sents in (SENTENCES, SENTENCES[:1], SENTENCES[4:6] + SENTENCES[:2], [s for s in SENTENCES if s]):
        b = vec.featurise(sents, "en", m.tables)
        if len(b.tokens.h) < 2:
            continue
        driving = list(range(len(sents)))
        assert same(kernel_picks(b.tokens, m.tables, m.w_sparse, len(sents), driving),
                    numpy_picks(b.tokens, m.tables, m.w_sparse, len(sents), driving))


@needs_native
@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**31), st.floats(0.0, 0.5), st.lists(st.integers(0, 7), min_size=1, max_size=12))
def test_kernel_is_numpys_with_odd_weights(seed: int, odd: float, driving: list[int]) -> None:
    """Random weights and vocabulary values with NaN, infinities and ties (numpy's argmax: the first maximum, or the
    first NaN), repeated and unordered driving sentences."""
    m = load_model()
    rng = np.random.default_rng(seed)
    pool = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.35, -7.5, -99.0], dtype=np.float32)
    w = rng.choice(np.array([0.1, 0.2, 0.35, 0.5], np.float32), vec.HASH_SIZE)
    pick = rng.random(vec.HASH_SIZE) < odd
    w[pick] = rng.choice(pool, int(pick.sum()))
    lp = (rng.standard_normal(len(m.tables.vocab_logp)) * 5 - 8).astype(np.float32)
    pick = rng.random(len(lp)) < odd
    lp[pick] = rng.choice(pool, int(pick.sum()))
    tab = replace(m.tables, vocab_logp=lp)
    b = vec.featurise(SENTENCES, "en", m.tables)
    assert same(kernel_picks(b.tokens, tab, w, len(SENTENCES), driving),
                numpy_picks(b.tokens, tab, w, len(SENTENCES), driving))


@needs_native
def test_unlikely_ngrams_is_the_same_on_both_paths() -> None:
    """The evidence ``_unlikely_ngrams`` gives with the kernel and on the numpy path (every sentence driving)."""
    m = load_model()
    text = " ".join(SENTENCES)
    spans = S.fast_split(text)
    sents = [text[a:b] for a, b in spans]
    _, batch = m.batch_logits(sents, "en")
    driving = list(range(len(spans)))[::-1]
    got = S._unlikely_ngrams(text, spans, driving, batch, m)
    with python_path(S):
        want = S._unlikely_ngrams(text, spans, driving, batch, m)
    assert got == want and got


@needs_native
def test_kernel_checks_its_inputs() -> None:
    m = load_model()
    b = vec.featurise(SENTENCES[:2], "en", m.tables)
    tok, tab = b.tokens, m.tables
    found, pos = vec.lookup(tab.vocab, vec.fingerprint(tok.h))
    bounds = np.searchsorted(tok.seg[:-1], np.arange(3))
    out = np.empty(1, np.int64), np.empty(1, np.float64)
    first = np.zeros(1, np.int64)

    def call(w: np.ndarray = m.w_sparse, bounds: np.ndarray = bounds, drv: np.ndarray = first,
             pos: np.ndarray = pos, out: tuple = out) -> None:
        S._native.unl_best(tok.h, tok.seg, tok.cls, found.view(np.uint8), pos, tab.vocab_logp, w,
                           int(vec._SALT["a2"]), vec._Q, vec.HASH_SIZE - 1, vec.LET, -7.5, bounds, drv, *out)

    call()
    with pytest.raises(ValueError):  # w_sparse shorter than the buckets
        call(w=m.w_sparse[:100])
    with pytest.raises(ValueError):  # a driving sentence out of range
        call(drv=np.array([2], np.int64))
    with pytest.raises(ValueError):  # bounds past the bigrams / decreasing
        call(bounds=np.array([0, len(tok.h), 1], np.int64))
    with pytest.raises(ValueError):
        call(bounds=np.array([3, 1, 5], np.int64))
    with pytest.raises(ValueError):  # a found word's position outside the vocabulary values
        call(pos=np.where(found, len(tab.vocab_logp), pos).astype(np.int64))
    with pytest.raises(ValueError):  # outputs shorter than the driving sentences
        call(drv=np.zeros(2, np.int64))
