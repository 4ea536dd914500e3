"""Tests for cleaner.garble.vec (vectorised featurisation) and the bounded document sampling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _native_paths import python_path
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.garble import score_garble, vec
from cleaner.garble.model import load_model
from cleaner.garble.score import ANALYSE_SENTENCES, FULL_SPLIT_CHARS, SAMPLE_SENTENCES, sample_spans


def _tokens(sentences: list[str]) -> tuple[vec.Tokens, str]:
    codes, low, seg, _ = vec.encode(sentences)
    return vec.tokenize(codes, low, seg), vec._joined(sentences)


def test_tokenizer_words_numbers_marks_and_han() -> None:
    tok, joined = _tokens(["Don't panic, it's 42!", "他在74码"])
    got = [joined[a:b] for a, b in zip(tok.start, tok.end, strict=True)]
    assert got == ["Don't", "panic", ",", "it's", "42", "!", "他", "在", "74", "码"]
    assert tok.seg.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert tok.upper.tolist()[:2] == [True, False]


def test_token_hash_is_case_insensitive_and_matches_hash_strings() -> None:
    tok, _ = _tokens(["The THE the cat"])
    assert tok.h[0] == tok.h[1] == tok.h[2] != tok.h[3]
    assert vec.hash_strings(["the", "cat"]).tolist() == [int(tok.h[0]), int(tok.h[3])]


def test_word_bigram_buckets_are_the_featurised_bigram_ids() -> None:
    """The evidence reads the model's weights through these buckets: they must be the ids that
    featurise gave the model for the same bigrams (a different salt read unrelated weights)."""
    sentences = ["the cat sat on the mat", "companies that buy lumpy chips"]
    tok, _ = _tokens(sentences)
    batch = vec.featurise(sentences, "en", load_model().tables)
    same = tok.seg[:-1] == tok.seg[1:]
    buckets = vec.word_bigram_buckets(tok)[same]
    assert len(buckets) == 9
    assert set(buckets.tolist()) <= set(batch.ids.tolist())


def test_ngrams_never_cross_sentences() -> None:
    _codes, low, seg, _ = vec.encode(["aaa", "bbb"])
    for h, o in vec.ngram_hashes_multi(low.astype(np.uint64), seg, (3, 4, 5), (vec._SALT["c3"],) * 3):
        assert len(h) == len(o)
    # the joined text is " aaa  bbb ": 5-grams must stay inside " aaa " / " bbb "
    _h5, o5 = vec.ngram_hashes(low.astype(np.uint64), seg, 5, vec._SALT["c5"])
    assert o5.tolist() == [0, 1]


def test_featurise_batch_equals_one_by_one() -> None:
    tab = load_model().tables
    sents = ["The council met on Monday.", "Smred in the banning of abdominal export.", "A year tense in geosus."]
    whole = vec.featurise(sents, "en", tab)
    for k, s in enumerate(sents):
        one = vec.featurise([s], "en", tab)
        assert whole.ids[whole.owner == k].tolist() == one.ids.tolist()
        np.testing.assert_allclose(whole.dense[k], one.dense[0], rtol=1e-6)


def test_clean_text_statistics_see_the_difference() -> None:
    tab = load_model().tables
    b = vec.featurise(["the government said on monday that it would", "geosus frumblated zorquent the of"], "en", tab)
    i_oov, i_unseen = vec.DENSE_NAMES.index("oov_rate"), vec.DENSE_NAMES.index("bigram_unseen")
    assert b.dense[0, i_oov] == 0.0 and b.dense[1, i_oov] > 0.5
    assert b.dense[0, i_unseen] < b.dense[1, i_unseen]


def _long_text(sentence: str, n: int) -> str:
    return "\n".join(f"{sentence} Paragraph {i} of the report adds one more sentence here." for i in range(n))


def test_long_documents_are_sampled_with_a_bounded_number_of_sentences() -> None:
    text = _long_text("The city council approved the budget for the new school year on Monday.", 200)
    assert len(text) > FULL_SPLIT_CHARS
    spans = sample_spans(text, "en")
    assert 1 <= len(spans) <= SAMPLE_SENTENCES
    assert spans == sample_spans(text, "en")  # deterministic
    starts = [a for a, _ in spans]
    assert starts == sorted(starts) and starts[-1] > len(text) // 2  # spread over the document
    for a, b in spans:
        piece = text[a:b]
        assert piece == piece.strip() and piece[-1] in ".!?"  # complete sentences
    g = score_garble(text, "en")
    assert len(g.sentences) <= max(SAMPLE_SENTENCES, ANALYSE_SENTENCES)
    for s in g.sentences:
        assert text[s["start"] : s["end"]] == s["text"]


def test_short_text_is_analysed_in_full() -> None:
    text = "The council met on Monday. It approved the budget. The mayor thanked the staff."
    assert len(sample_spans(text, "en")) == 3


def test_zh_features_mark_ascii_full_stop_and_quote_only() -> None:
    tab = load_model().tables
    sents = ["伊菲格尼亚跳了起来.", "价格为1.5元。", "详情见官网..", '他说"好"。', "他说“好”。"]
    f = vec.zh_features(sents, vec.featurise(sents, "zh", tab))
    dot, quote = vec.ZH_NAMES.index("ascii_full_stop"), vec.ZH_NAMES.index("ascii_quote")
    assert f[:, dot].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert f[:, quote].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


# ---- the compiled kernels (vec_tokenize, vec_ngrams in cleaner/_native.c) against numpy ----

needs_native = pytest.mark.skipif(vec._native is None, reason="cleaner._native not built (numpy path only)")
ODD = [
    "",
    "'",
    "a'b",
    "a''b 'a' a' ’tis rock’n’roll",
    "Don't panic, it's 42!",
    "他在74码 中文的句子。",
    "\ud800abc \udfff x\udc00y",
    "𝐀𝐁𝐂 abc 😀 12",
    "İstanbul ΟΔΟΣ ǅemal",
    "\x1c\x1d a\x00b\u2028c",
    "a" * 3000,
    "offerEstablishing a global cooperation organization.",
]


def test_shipped_tables_are_finite() -> None:
    """The compiled and numpy paths may differ only in a NaN's sign (:func:`_nan_canonical`); real tables have none."""
    tab = load_model().tables
    for name in ("vocab_logp", "bigram_logp", "zh_uni_logp", "zh_bi_logp"):
        assert np.isfinite(getattr(tab, name)).all(), name
    assert np.isfinite([tab.oov_logp, tab.zh_oov_logp]).all()


def featurise_both(sentences: list[str], lang: str) -> tuple[vec.Batch, vec.Batch]:
    tab = load_model().tables
    native = vec.featurise(sentences, lang, tab, sparse=lang != "zh")
    with python_path(vec):
        plain = vec.featurise(sentences, lang, tab, sparse=lang != "zh")
    return native, plain


def _nan_canonical(x: np.ndarray) -> np.ndarray:
    """``x`` with every NaN replaced by one bit pattern.  A NaN's sign is not part of the contract: on x86 a sum
    keeps its first NaN operand's sign and ``inf + -inf`` gives a negative NaN, so numpy's pairwise sums and the
    kernel's running sums disagree on it when random test tables hold NaN and both infinities (the shipped tables
    hold none: :func:`test_shipped_tables_are_finite`).  Every other bit must match."""
    if x.dtype.kind != "f" or not np.isnan(x).any():
        return x
    return np.where(np.isnan(x), np.array(np.nan, x.dtype), x)


def assert_same_batch(a: vec.Batch, b: vec.Batch) -> None:
    for name in ("ids", "owner", "dense", "offs"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert _nan_canonical(x).tobytes() == _nan_canonical(y).tobytes(), name
    for name in ("seg", "cls", "h", "upper", "start", "end"):
        x, y = getattr(a.tokens, name), getattr(b.tokens, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name


@needs_native
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_native_featurise_is_numpys(lang: str) -> None:
    assert_same_batch(*featurise_both(ODD, lang))
    for s in ODD:
        assert_same_batch(*featurise_both([s], lang))


@needs_native
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="aZ09 ,.'’éΣİ\ud800😀\t\n-_中文日", max_size=40), min_size=1, max_size=5),
    st.sampled_from(["en", "zh"]),
)
def test_native_featurise_on_mixed_pieces(sentences: list[str], lang: str) -> None:
    assert_same_batch(*featurise_both(sentences, lang))


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=60), st.integers(0, 5), st.integers(0, 2**31))
def test_native_ngram_hashes_are_numpys(values: list[int], owners: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    seq = np.array(values, dtype=np.uint64)
    seg = np.sort(rng.integers(0, owners + 1, size=len(seq))).astype(np.int64)
    ns, salts = (1, 2, 3, 4, 5), tuple(vec._SALT[f"c{k}"] for k in (1, 2, 3, 4, 5))
    got = vec._ngrams_native(seq, seg, ns, salts)
    with python_path(vec):
        want = vec.ngram_hashes_multi(seq, seg, ns, salts)
    for (h, o), (h0, o0) in zip(got, want, strict=True):
        assert h.tolist() == h0.tolist() and o.tolist() == o0.tolist()


@needs_native
def test_native_featuriser_kernels_check_their_inputs() -> None:
    n = 5
    codes = np.zeros(n, dtype=np.uint32)
    out = [np.empty(n, np.int64), np.empty(n, np.uint8), np.empty(n, np.uint64), np.empty(n, np.uint8),
           np.empty(n, np.int64), np.empty(n, np.int64)]
    table = vec._tables()[1]
    with pytest.raises(ValueError):  # low shorter than codes
        vec._native.vec_tokenize(codes, codes[:2], np.zeros(n, np.int64), table, vec._Q, *out)
    with pytest.raises(ValueError):  # an output too short
        vec._native.vec_tokenize(codes, codes, np.zeros(n, np.int64), table, vec._Q, *out[:5], np.empty(2, np.int64))
    seq, seg = np.zeros(4, np.uint64), np.zeros(4, np.int64)
    with pytest.raises(ValueError):  # order 0
        vec._native.vec_ngrams(seq, seg, np.array([0]), np.array([1], np.uint64), vec._Q, np.empty(9, np.uint64),
                               np.empty(9, np.int64))
    with pytest.raises(ValueError):  # outputs below capacity
        vec._native.vec_ngrams(seq, seg, np.array([1, 2]), np.array([1, 2], np.uint64), vec._Q,
                               np.empty(6, np.uint64), np.empty(6, np.int64))
    counts = vec._native.vec_ngrams(seq, seg, np.array([9]), np.array([1], np.uint64), vec._Q, np.empty(0, np.uint64),
                                    np.empty(0, np.int64))
    assert counts == (0,)  # longer than the sequence: no n-grams


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**20)), max_size=300), st.integers(1, 4))
def test_native_sparse_keys_are_numpys(pairs: list[tuple[int, int]], nparts: int) -> None:
    h = np.array([p[0] for p in pairs] * 2, dtype=np.uint64)  # every key twice: duplicates to drop
    o = np.array([p[1] for p in pairs] * 2, dtype=np.int64)
    cut = np.linspace(0, len(h), nparts + 1).astype(int)
    parts = [h[a:b] for a, b in itertools.pairwise(cut)]
    owners = [o[a:b] for a, b in itertools.pairwise(cut)]
    got = vec._sparse_keys(parts, owners)
    with python_path(vec):
        want = vec._sparse_keys(parts, owners)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


@needs_native
@pytest.mark.parametrize("bits", [1, 7, 20, 33, 40])
def test_native_sparse_keys_radix_edges(bits: int) -> None:
    """The radix sort's digit layouts (one to six passes; passes whose digit all keys share are skipped)."""
    rng = np.random.default_rng(bits)
    omax = (1 << (62 - bits)) - 1
    for owners in (np.zeros(50, np.int64), np.full(50, omax, np.int64), rng.integers(0, omax, 500),
                   rng.integers(0, 3, 500), np.array([omax, 0], np.int64)):
        h = rng.integers(0, 2**63, len(owners)).astype(np.uint64)
        if len(owners) == 50:
            h[:] = h[0]  # one key: every digit shared
        hs, os_ = [h, h[::-1].copy()], [owners, owners[::-1].copy()]
        out = np.empty(2 * len(h), np.int64)
        got = out[: vec._native.vec_keys(tuple(hs), tuple(os_), bits, out)]
        key = (np.concatenate(os_) << bits) | (np.concatenate(hs) & np.uint64((1 << bits) - 1)).astype(np.int64)
        assert got.tolist() == np.unique(key).tolist()


@needs_native
def test_native_sparse_keys_check_their_inputs() -> None:
    h, o = np.zeros(3, np.uint64), np.zeros(3, np.int64)
    with pytest.raises(ValueError):  # out too short
        vec._native.vec_keys((h,), (o,), 20, np.empty(2, np.int64))
    with pytest.raises(ValueError):  # a negative owner
        vec._native.vec_keys((h,), (o - 1,), 20, np.empty(3, np.int64))
    with pytest.raises(ValueError):  # owners shorter than hashes
        vec._native.vec_keys((h,), (o[:2],), 20, np.empty(3, np.int64))
    with pytest.raises(ValueError):
        vec._native.vec_keys((h,), (), 20, np.empty(3, np.int64))
    assert vec._native.vec_keys((), (), 20, np.empty(0, np.int64)) == 0


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=40), st.integers(0, 3), st.integers(0, 2**31))
def test_native_token_ngrams_are_numpys(owners: list[int], extra: int, seed: int) -> None:
    """Word and skeleton n-grams, empty sentences (no tokens) included."""
    rng = np.random.default_rng(seed)
    seg = np.sort(np.array(owners, dtype=np.int64))
    n = (int(seg.max()) + 1 if len(seg) else 1) + extra
    tok = vec.Tokens(seg, np.zeros(len(seg), np.uint8), rng.integers(0, 2**63, size=len(seg), dtype=np.uint64),
                     np.zeros(len(seg), bool), np.arange(len(seg)), np.arange(len(seg)) + 1)
    sk = rng.integers(0, 2**63, size=len(seg), dtype=np.uint64)
    grams, (h3, o3) = vec.token_ngrams(tok, sk, n)
    with python_path(vec):
        grams0, (h30, o30) = vec.token_ngrams(tok, sk, n)
    for (h, o), (h0, o0) in zip(grams, grams0, strict=True):
        assert h.tolist() == h0.tolist() and o.tolist() == o0.tolist()
    assert h3.tolist() == h30.tolist() and o3.tolist() == o30.tolist()


@needs_native
def test_native_token_ngrams_check_their_inputs() -> None:
    h = np.zeros(3, np.uint64)
    out = [np.empty(64, np.uint64), np.empty(64, np.int64), np.empty(64, np.uint64), np.empty(64, np.int64)]
    salts = np.zeros(4, np.uint64)
    for seg, n in ((np.array([0, 2, 1]), 3), (np.array([0, 0, 3]), 3), (np.array([-1, 0, 0]), 3)):
        with pytest.raises(ValueError):  # decreasing, out of range, negative owners
            vec._native.vec_token_ngrams(h, h, seg.astype(np.int64), n, salts, 0, 1, 2, vec._Q, *out)
    with pytest.raises(ValueError):  # outputs below capacity
        vec._native.vec_token_ngrams(h, h, np.zeros(3, np.int64), 1, salts, 0, 1, 2, vec._Q, out[0][:5], *out[1:])


def _lookup_numpy(table: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with python_path(vec):
        return vec.lookup(table, keys)


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=200), st.lists(st.integers(0, 2**32 - 1), max_size=100),
       st.booleans())
def test_native_lookup_is_searchsorted(table: list[int], keys: list[int], dense: bool) -> None:
    t = np.sort(np.array(table, dtype=np.uint32))  # duplicates allowed: the leftmost position, as searchsorted
    if dense:  # entries and keys crowded around bucket edges
        t = np.sort((t % 7 + (t % 3 << np.uint32(vec._LOOKUP_SHIFT))).astype(np.uint32))
    k = np.array(keys + t[:: max(1, len(t) // 10)].tolist() + [0, 2**32 - 1, 1 << vec._LOOKUP_SHIFT], dtype=np.uint32)
    found, pos = vec.lookup(t, k)
    found0, pos0 = _lookup_numpy(t, k)
    assert found.dtype == found0.dtype and pos.dtype == pos0.dtype
    assert found.tolist() == found0.tolist() and pos.tolist() == pos0.tolist()


@needs_native
def test_native_lookup_on_the_shipped_tables_and_bad_index() -> None:
    tab = load_model().tables
    rng = np.random.default_rng(0)
    for table in (tab.vocab, tab.bigram, tab.skel3, tab.zh_uni, tab.zh_bi):
        keys = np.concatenate([table[::7], rng.integers(0, 2**32, size=5000, dtype=np.uint32)])
        for a, b in zip(vec.lookup(table, keys), _lookup_numpy(table, keys), strict=True):
            assert a.tolist() == b.tolist()
    t = np.arange(10, dtype=np.uint32)
    idx = vec._bucket_index(t).copy()
    idx[-1] = 3  # the last offset must be len(table)
    with pytest.raises(ValueError):
        vec._native.vec_lookup(t, idx, vec._LOOKUP_SHIFT, t, np.empty(10, np.uint8), np.empty(10, np.int64))
    with pytest.raises(ValueError):  # index too short for the shift
        vec._native.vec_lookup(t, idx[:100], vec._LOOKUP_SHIFT, t, np.empty(10, np.uint8), np.empty(10, np.int64))


# ---- vec_skeleton and vec_dense_en (the English dense columns) against numpy ----

_WORDS = "the cat sat on a mat The Cat ran far away don't 42 7 , . ! offerEstablishing Über naïve Σίσυφος".split()


def _random_tables(seed: int, special: bool) -> vec.Tables:
    """Tables whose vocabulary and bigrams hold some of ``_WORDS``, with random float32 values (``special``:
    also NaN, infinities, signed zeros and exact multiples of 3 and their float32 neighbours)."""
    rng = np.random.default_rng(seed)
    words = sorted(set(_WORDS) | {w.lower() for w in _WORDS})
    h = vec.hash_strings(words)
    keep = rng.random(len(words)) < 0.7
    fp = np.unique(np.concatenate([vec.fingerprint(h[keep]), rng.integers(0, 2**32, 50, dtype=np.uint32)]))

    def values(m: int) -> np.ndarray:
        v = (rng.standard_normal(m) * 8 - 6).astype(np.float32)
        if special:
            pool = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -3.0, -6.0, -12.0, 3.0, -1e30, 1e-45], np.float32)
            near = pool[5:9]  # multiples of 3 and their float32 neighbours
            pool = np.concatenate([pool, np.nextafter(near, np.float32(0)), np.nextafter(near, np.float32(-99))])
            pick = rng.random(m) < 0.4
            v[pick] = rng.choice(pool, int(pick.sum()))
        return v

    pairs = [(a, b) for a in h for b in h if rng.random() < 0.2]
    bfp = np.unique(vec.fingerprint(vec.lm_bigram_hash(np.array([a for a, _ in pairs], dtype=np.uint64),
                                                       np.array([b for _, b in pairs], dtype=np.uint64))))
    base = load_model().tables
    return vec.Tables(
        vocab=fp, vocab_logp=values(len(fp)), vocab_fw=rng.random(len(fp)) < 0.3, oov_logp=float(values(1)[0]),
        bigram=bfp, bigram_logp=values(len(bfp)), skel3=base.skel3, zh_uni=base.zh_uni, zh_uni_logp=base.zh_uni_logp,
        zh_oov_logp=base.zh_oov_logp, zh_bi=base.zh_bi, zh_bi_logp=base.zh_bi_logp,
    )


def _featurise_both_tab(sentences: list[str], tab: vec.Tables) -> tuple[vec.Batch, vec.Batch]:
    native = vec.featurise(sentences, "en", tab)
    with python_path(vec):
        with np.errstate(all="ignore"):
            plain = vec.featurise(sentences, "en", tab)
    return native, plain


@needs_native
def test_native_dense_columns_are_used_on_the_shipped_tables() -> None:
    tok = _tokens(["a b"])[0]
    assert vec._dense_native(load_model().tables, tok, 1)
    assert not vec._dense_native(vec.Tables(**{**load_model().tables.__dict__, "oov_logp": np.float64(-20.0)}), tok, 1)


@needs_native
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(_WORDS), max_size=30).map(" ".join), min_size=1, max_size=6),
    st.integers(0, 2**31),
    st.booleans(),
)
def test_native_dense_columns_are_numpys_on_random_tables(sentences: list[str], seed: int, special: bool) -> None:
    tab = _random_tables(seed, special)
    assert vec._dense_native(tab, _tokens(sentences)[0], len(sentences))
    assert_same_batch(*_featurise_both_tab(sentences, tab))


@needs_native
@pytest.mark.parametrize("special", [False, True])
def test_native_dense_columns_on_odd_text(special: bool) -> None:
    tab = _random_tables(7, special)
    assert_same_batch(*_featurise_both_tab(ODD, tab))
    long = [" ".join(_WORDS * 40), "the the the the cat cat", ""]  # > 128 tokens, repeats, an empty sentence
    assert_same_batch(*_featurise_both_tab(long, tab))


@needs_native
def test_native_skeleton_frequency_class_is_numpys_floor_division() -> None:
    lp = np.array([0.0, -0.0, -3.0, -6.0, -12.0, -15.0, 3.0, -1e-45, np.nan, np.inf, -np.inf, -1e30, 1e30, -2.9999998,
                   -5.9999995, -11.999999, -12.000001], dtype=np.float32)
    rng = np.random.default_rng(3)
    lp = np.concatenate([lp, (rng.standard_normal(5000) * 10).astype(np.float32),
                         np.nextafter(np.float32(-3) * np.arange(6, dtype=np.float32), np.float32(0))])
    n = len(lp)
    tab = vec.Tables(**{**load_model().tables.__dict__, "vocab_logp": lp, "vocab_fw": rng.random(n) < 0.2})
    tok = vec.Tokens(np.zeros(n, np.int64), rng.choice(np.array([1, 1, 1, 2, 4], np.uint8), n),
                     rng.integers(0, 2**63, n, dtype=np.uint64), rng.random(n) < 0.5, np.zeros(n, np.int64),
                     np.ones(n, np.int64))
    found, pos = rng.random(n) < 0.8, rng.permutation(n).astype(np.int64)
    got = vec.skeleton(tok, found, pos, tab)
    with python_path(vec):
        with np.errstate(all="ignore"):
            want = vec.skeleton(tok, found, pos, tab)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


@needs_native
def test_native_dense_kernels_check_their_inputs() -> None:
    tab = load_model().tables
    n, t = 2, 4
    seg = np.array([0, 0, 1, 1], np.int64)
    u8, i64 = np.zeros(t, np.uint8), np.zeros(t, np.int64)
    h = np.arange(t, dtype=np.uint64)
    bt, bi = tab.bigram, vec._bucket_index(tab.bigram)

    def call(seg: np.ndarray = seg, pos: np.ndarray = i64, found: np.ndarray = u8, d: np.ndarray | None = None,
             o3: np.ndarray = i64[:1], bi: np.ndarray = bi) -> None:
        vec._native.vec_dense_en(seg, u8, h, u8, i64, i64, found, pos, tab.vocab_logp, -20.0, bt, bi,
                                 vec._LOOKUP_SHIFT, tab.bigram_logp, np.zeros(len(o3), np.uint8), o3, 1, vec._P,
                                 vec.LET, n, np.zeros((n, 18), np.float32) if d is None else d)

    call()
    for bad in (
        {"seg": np.array([1, 0, 0, 1], np.int64)},  # owners must not decrease
        {"seg": np.array([0, 0, 1, 2], np.int64)},  # nor reach n
        {"found": np.ones(t, np.uint8), "pos": np.full(t, len(tab.vocab_logp), np.int64)},  # pos past the table
        {"d": np.zeros((n, 12), np.float32)},  # too few columns
        {"d": np.zeros(37, np.float32)},  # not n rows
        {"o3": np.array([n], np.int64)},
        {"bi": bi[:100]},
    ):
        with pytest.raises(ValueError):
            call(**bad)
    bad_index = bi.copy()
    bad_index[1:-1] = len(bt) + 5  # every bucket's bounds leave the table
    tok = vec.Tokens(seg, np.ones(t, np.uint8), vec.hash_strings(["the", "cat", "sat", "on"]), u8.astype(bool), i64,
                     i64 + 3)
    with pytest.raises(ValueError):
        vec._native.vec_dense_en(seg, tok.cls, tok.h, u8, i64, i64, u8, i64, tab.vocab_logp, -20.0, bt, bad_index,
                                 vec._LOOKUP_SHIFT, tab.bigram_logp, u8[:0], i64[:0], int(vec._SALT["lm2"]), vec._P,
                                 vec.LET, n, np.zeros((n, 18), np.float32))
    with pytest.raises(ValueError):
        vec._native.vec_lookup(bt, bad_index, vec._LOOKUP_SHIFT, np.array([1, 2**31], np.uint32), np.empty(2, np.uint8),
                               np.empty(2, np.int64))
    with pytest.raises(ValueError):
        vec._native.vec_skeleton(u8 + 1, np.full(t, 10**9, np.int64), np.ascontiguousarray(tab.vocab_fw).view(np.uint8),
                                 tab.vocab_logp, u8, u8, h, vec._SHAPE, 0, vec.LET, vec.DIG, np.empty(t, np.uint64))
    with pytest.raises(ValueError):
        vec._native.vec_skeleton(u8, i64, np.ascontiguousarray(tab.vocab_fw).view(np.uint8), tab.vocab_logp, u8, u8,
                                 h, vec._SHAPE[:5], 0, vec.LET, vec.DIG, np.empty(t, np.uint64))


# ---- session 7: vec_encode ----


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="aZzé ÉΣσİǅ\ud800\udfff😀𝐀\t\n'’中1", max_size=30), min_size=1, max_size=6),
       st.booleans())
def test_native_encode_is_numpys(sentences: list[str], want64: bool) -> None:
    codes, low, seg, offs, low64, hint = vec._encode_batch(sentences, want64)
    c2, l2, s2, o2 = vec.encode(sentences)
    for x, y in ((codes, c2), (low, l2), (seg, s2), (offs, o2)):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    assert (low64 is not None) == want64 and (low64 is None or low64.tobytes() == l2.astype(np.uint64).tobytes())
    old = bool(np.any((c2[1:] != l2[1:]) & (c2[:-1] == l2[:-1]) & (c2[:-1] >= 97)))
    assert hint <= old  # (GARBLE_ABI 5: the numpy prefilter and a place where GLUED_RE could match)
    if old and vec._GLUED.search(vec._joined(sentences)):
        assert hint  # a false hint only where the numpy path's regex finds nothing either


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="abcxyzAQZ éÉΣσİℂ𝐀ǅµ.'1", max_size=40), min_size=1, max_size=5))
def test_native_glued_column_is_numpys(sentences: list[str]) -> None:
    """The glued-word column (the regex behind the hint) is the same on both paths, İ, ℂ (an upper-case
    letter that lower-cases to itself), astral capitals and µ (a lower-case letter below 'a' in no table) included."""
    tab = load_model().tables
    native = vec.featurise(sentences, "en", tab).dense[:, vec.DENSE_NAMES.index("glued")]
    with python_path(vec):
        numpy = vec.featurise(sentences, "en", tab).dense[:, vec.DENSE_NAMES.index("glued")]
    assert native.tobytes() == numpy.tobytes()


def test_glued_hint_cases() -> None:
    if vec._native is None:
        pytest.skip("compiled kernels not built")
    for s, want in (("a thisGlued word", True), ("a thisIsGlued word", False), ("McDonald iPhone", False),
                    ("theCat", True), ("abcXy", False),
                    ("abcXyz1", True), ("abcXy1", False), ("abXyz", False), ("abcX", False), ("abcℂxy", False),
                    ("abcℂxy aB", True), ("abcdéfg aB", True), ("abcdefg aB", False)):
        assert vec._encode_batch([s], False)[5] is want, s


@needs_native
def test_native_encode_checks_its_inputs() -> None:
    k = vec._native
    tab = vec._tables()[0]
    ok = [np.empty(6, dtype=np.uint32), np.empty(6, dtype=np.uint32), np.empty(6, dtype=np.int64),
          np.empty(3, dtype=np.int64)]
    assert k.vec_encode(["a", "b"], tab, *ok, None) is False
    assert ok[0].tolist() == [32, 97, 32, 32, 98, 32] and ok[3].tolist() == [0, 3, 6]
    assert ok[2].tolist() == [0, 0, 0, 1, 1, 1]
    with pytest.raises(TypeError):
        k.vec_encode(["a", b"b"], tab, *ok, None)
    with pytest.raises(TypeError):
        k.vec_encode(("a", "b"), tab, *ok, None)
    with pytest.raises(ValueError):
        k.vec_encode(["a", "bc"], tab, *ok, None)  # 7 code points: codes too short
    with pytest.raises(ValueError):
        k.vec_encode(["a", "b"], tab[:100], *ok, None)
    with pytest.raises(ValueError):
        k.vec_encode(["a", "b"], tab, *ok[:3], np.empty(2, dtype=np.int64), None)
    with pytest.raises(ValueError):
        k.vec_encode(["a", "b"], tab, *ok, np.empty(5, dtype=np.uint64))
    with pytest.raises(ValueError):
        k.vec_encode(["a", "b"], tab, ok[0], ok[1], ok[2].astype(np.int32), ok[3], None)
    assert vec._encode_batch([], True)[4] is None  # (an empty batch: numpy's arrays)


@needs_native
@pytest.mark.parametrize("words", [47, 48, 49, 50])
def test_native_repeat_rate_around_the_insertion_sort_bound(words: int) -> None:
    """(s8) ``vec_dense_en`` counts a sentence's distinct bigrams by insertion sort up to 48 bigrams, by qsort above:
    the repeat-rate column equals numpy's on either side of that bound, with repeated and distinct bigrams."""
    tab = _random_tables(11, False)
    rng = np.random.default_rng(words)
    sents = [" ".join(rng.choice(_WORDS[:8], words)), " ".join(["the cat"] * (words // 2)), " ".join(_WORDS[:words])]
    assert_same_batch(*_featurise_both_tab(sents, tab))


def _featurise_general_native(sentences: list[str], tab: vec.Tables) -> vec.Batch:
    """``featurise`` by the kernels one by one (the path before s8's streamlined English one)."""
    saved = vec._en_native_tables
    vec._en_native_tables = lambda tab: None  # type: ignore[assignment]
    try:
        return vec.featurise(sentences, "en", tab)
    finally:
        vec._en_native_tables = saved  # type: ignore[assignment]


@needs_native
def test_streamlined_english_featurise_is_the_general_path() -> None:
    """(s8) ``_featurise_en_native`` gives the batch the general compiled path and the numpy path give: odd text,
    one sentence at a time and together, an empty sentence among others, and real garble train sentences."""
    tab = load_model().tables
    assert vec._en_native_tables(tab) is not None
    batches = [ODD, *([s] for s in ODD), ["", "A sentence.", ""], [" ".join(_WORDS * 40), "the the cat"]]
    for sents in batches:
        fast = vec.featurise(sents, "en", tab)
        assert_same_batch(fast, _featurise_general_native(sents, tab))
        with python_path(vec):
            assert_same_batch(fast, vec.featurise(sents, "en", tab))


@needs_native
def test_streamlined_english_featurise_refuses_other_tables() -> None:
    """Tables the kernels would misread take the general path (which falls back kernel by kernel)."""
    base = load_model().tables
    for change in ({"oov_logp": np.float64(-20.0)}, {"vocab": base.vocab.astype(np.int64)},
                   {"skel3": base.skel3[:0]}, {"vocab_fw": base.vocab_fw.astype(np.uint8)},
                   {"bigram_logp": base.bigram_logp.astype(np.float64)}):
        tab = vec.Tables(**{**base.__dict__, **change})
        assert vec._en_native_tables(tab) is None
        with np.errstate(all="ignore"):
            got = vec.featurise(["The cat sat on the mat.", "Don't panic!"], "en", tab)
            with python_path(vec):
                assert_same_batch(got, vec.featurise(["The cat sat on the mat.", "Don't panic!"], "en", tab))
