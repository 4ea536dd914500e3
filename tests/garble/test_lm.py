"""Tests for cleaner/garble/lm.py: the hashed Kneser-Ney trigram LM and its sentence features."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from cleaner.garble import lm, vec
from cleaner.garble.model import load_model

CORPUS = [
    "the cat sat on the mat .",
    "the dog sat on the rug .",
    "a cat lay on the mat .",
    "the cat sat on a chair .",
    "my dog lay on the rug .",
    "the bird sat on the fence .",
]


def _tokens(sents: list[str]) -> vec.Tokens:
    codes, low, seg, _ = vec.encode(sents)
    return vec.tokenize(codes, low, seg)


def _lm(min_ctx: int = 1) -> lm.LM:
    tok = _tokens(CORPUS)
    return lm.build_lm([(tok.h, tok.seg, len(CORPUS))], min_ctx=min_ctx)


def test_probabilities_of_a_seen_context_sum_to_about_one() -> None:
    model = _lm()
    vocab = sorted({w for s in CORPUS for w in s.split()})
    hs = vec.hash_strings(vocab)
    ctx = vec.hash_strings(["sat", "on"])
    u = np.full(len(hs) + 1, ctx[0])
    v = np.full(len(hs) + 1, ctx[1])
    w = np.r_[hs, lm._EOS]
    lp = model.token_logp(u, v, w)[0]
    # 0.1-nat quantisation and the unknown-word mass keep this from being exactly 1
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=0.12)


def test_seen_sentence_is_more_fluent_than_its_shuffle() -> None:
    model = _lm()
    sents = ["the cat sat on the mat .", "mat the on . sat cat the"]
    f = lm.lm_features(model, _tokens(sents), 2)
    mean, gain = lm.LM_NAMES.index("lm_mean"), lm.LM_NAMES.index("lm_gain")
    assert f[0, mean] > f[1, mean]
    assert f[0, gain] > f[1, gain]
    assert f[1, lm.LM_NAMES.index("lm_bi_unseen")] > f[0, lm.LM_NAMES.index("lm_bi_unseen")]


def test_saved_arrays_round_trip() -> None:
    model = _lm(min_ctx=2)
    buf = io.BytesIO()
    np.savez_compressed(buf, **model.arrays("en_"))
    buf.seek(0)
    back = lm.LM.from_arrays(np.load(buf), "en_")
    for k in lm._FIELDS:
        assert np.array_equal(getattr(model, k), getattr(back, k)), k
    assert back.bow3_default == pytest.approx(np.log(lm.DISCOUNT), abs=1e-6)
    assert back.unk_logp == pytest.approx(model.unk_logp, abs=1e-5)


def test_features_do_not_depend_on_batch_neighbours() -> None:
    model = _lm()
    a = lm.lm_features(model, _tokens(["the dog sat on the mat ."]), 1)
    b = lm.lm_features(model, _tokens(["a bird lay", "the dog sat on the mat .", "rug"]), 3)
    assert np.allclose(a[0], b[1])


def test_empty_sentence_gets_finite_features() -> None:
    f = lm.lm_features(_lm(), _tokens(["", "the cat"]), 2)
    assert np.isfinite(f).all()


def test_featurise_appends_the_lm_columns_only_with_an_lm() -> None:
    tab = load_model().tables
    sents = ["the cat sat on the mat .", "mat the on . sat cat the"]
    plain = vec.featurise(sents, "en", replace(tab, lm=None))
    with_lm = vec.featurise(sents, "en", replace(tab, lm=_lm()))
    assert plain.dense.shape[1] == len(vec.DENSE_NAMES)
    assert with_lm.dense.shape[1] == len(vec.dense_names(replace(tab, lm=_lm()))) == len(vec.DENSE_NAMES) + 2
    np.testing.assert_array_equal(with_lm.dense[:, : len(vec.DENSE_NAMES)], plain.dense)
    gain = with_lm.dense[:, len(vec.DENSE_NAMES) + vec.LM_DENSE.index("lm_gain")]
    assert gain[0] > gain[1]
    zh = vec.featurise(["他把欧文扔进坑里。"], "zh", replace(tab, lm=_lm()))
    assert (zh.dense[:, len(vec.DENSE_NAMES) :] == 0).all()  # English LM only


def test_shipped_model_and_lm_file_agree() -> None:
    m = load_model()
    assert (m.tables.lm is not None) == bool(m.meta.get("lm"))
    assert len(m.dense_mean) == len(vec.dense_names(m.tables))


def test_least_likely_bigram_points_at_the_odd_word_pair() -> None:
    model = _lm()
    sents = ["the cat sat on the mat .", "the cat sat on the fence dog ."]
    tok = _tokens(sents)
    content = np.ones(len(tok.h), dtype=bool)
    pick, gain = lm.least_likely_bigrams(model, tok, 2, content)
    assert pick.shape == (2,) and np.isfinite(gain).all()
    i = int(pick[1])
    _, _, _, offs = vec.encode(sents)
    a, b = int(tok.start[i - 1]) - int(offs[1]) - 1, int(tok.end[i]) - int(offs[1]) - 1
    assert sents[1][a:b] == "fence dog"
    assert gain[1] < gain[0]  # the unseen "fence dog" is less expected than anything in the seen sentence


def test_least_likely_bigram_without_candidates() -> None:
    tok = _tokens([". ,", "cat"])
    pick, gain = lm.least_likely_bigrams(_lm(), tok, 2, np.ones(len(tok.h), dtype=bool))
    assert pick.tolist() == [-1, -1] and np.isinf(gain).all()
