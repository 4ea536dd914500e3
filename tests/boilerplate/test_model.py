"""Line model: alignment labels, the oblivious-tree forest, scoring, persistence, packaged model."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cleaner.boilerplate import features as F
from cleaner.boilerplate import model as M

NAV = ["Home", "News", "World", "Sport", "Weather", "Contact us", "Share this", "Follow us on Twitter"]
WORDS = (
    "the council city river bridge school budget mayor said would after before with from new old "
    "plan people year week residents vote meeting road water park money report local news world"
).split()
FOOT = ["© 2024 Example Media. All rights reserved.", "Privacy policy | Terms of use", "Back to top"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 30))]
    return " ".join(words).capitalize() + "."


def synthetic_page(seed: int) -> tuple[list[str], str]:
    rng = random.Random(seed)
    nav = rng.sample(NAV, 5)
    body = [_sentence(rng) for _ in range(rng.randint(3, 8))]
    lines = [*nav, "", *body, *rng.sample(FOOT, 2)]
    return lines, "\n".join(body)


def test_alignment_labels_do_not_let_navigation_steal_gold_tokens() -> None:
    lines = [
        "News",
        "World",
        "Sport",
        "World news: the city council met on Monday.",
        "Sport and news of the world are elsewhere.",
        "Contact",
    ]
    gold = "World news: the city council met on Monday.\nSport and news of the world are elsewhere."
    # greedy bag-of-words matching would call the navigation words content ...
    bag = Counter(F.TOKEN.findall(gold.lower()))
    greedy = []
    for ln in lines:
        toks = F.TOKEN.findall(ln.lower())
        hit = sum(1 for t in toks if bag[t] > 0 and not bag.subtract([t]))
        greedy.append(hit > len(toks) / 2)
    assert greedy[:3] == [True, True, True]
    # ... the in-order alignment does not
    lab = M.align_labels(lines, gold)
    assert lab.content().tolist() == [0, 0, 0, 1, 1, 0]
    assert lab.n_tok.tolist() == [1, 1, 1, 8, 8, 1]
    assert lab.aligned[3] == 8 and lab.gold_tokens == 16


def test_page_prf_from_alignment() -> None:
    lab = M.Labels(np.array([2, 10, 0, 4]), np.array([0, 10, 0, 2]), 14)
    p, r = M.page_prf(np.array([False, True, True, True]), lab)
    assert p == pytest.approx(12 / 14) and r == pytest.approx(12 / 14)
    assert M.page_prf(np.zeros(4, dtype=bool), lab) == (0.0, 0.0)


def test_forest_learns_a_threshold_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4))
    y = ((X[:, 1] > 0.3) & (X[:, 2] < 1.0)).astype(float)
    w = np.ones(2000)
    params = M.BoostParams(trees=30, depth=3, seed=1)
    f1 = M.fit_forest(X, y, w, params)
    f2 = M.fit_forest(X, y, w, params)
    assert np.array_equal(f1.raw(X), f2.raw(X))
    acc = ((f1.raw(X) > 0) == (y > 0)).mean()
    assert acc > 0.97
    assert set(f1.feat[:, 0].tolist()) <= {1, 2}


@pytest.fixture(scope="module")
def tiny_model() -> M.LineModel:
    examples = []
    for s in range(24):
        lines, gold = synthetic_page(s)
        examples.append(M.make_example(f"p{s}", lines, gold, "en"))
    return M.train_line_model(examples, M.BoostParams(trees=15, depth=3, seed=0), provenance={"test": True})


def test_tiny_model_separates_body_from_chrome(tiny_model: M.LineModel) -> None:
    lines, gold = synthetic_page(1000)
    p = tiny_model.score(lines, "en")
    assert p.shape == (len(lines),) and p.dtype == np.float64
    assert ((p >= 0) & (p <= 1)).all()
    body = [i for i, ln in enumerate(lines) if ln and ln in gold]
    chrome = [i for i, ln in enumerate(lines) if ln and ln not in gold]
    assert p[body].min() > p[chrome].max()
    keep = tiny_model.keep(lines, "en", "balanced")
    assert keep[body].all() and not keep[chrome].any()
    assert np.array_equal(p, tiny_model.score(lines, "en"))  # deterministic
    assert tiny_model.score([], "en").shape == (0,)


def test_thresholds_are_ordered_by_mode(tiny_model: M.LineModel) -> None:
    t = tiny_model.thresholds
    assert set(t) == set(M.MODES)
    assert t["precision"] >= t["balanced"] >= t["recall"]
    with pytest.raises(ValueError):
        tiny_model.threshold("aggressive")


def test_save_load_round_trip(tiny_model: M.LineModel, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    tiny_model.save(path)
    again = M.LineModel.load(path)
    lines, _ = synthetic_page(7)
    np.testing.assert_allclose(again.score(lines, "en"), tiny_model.score(lines, "en"), atol=1e-5)
    assert again.thresholds == tiny_model.thresholds
    assert again.meta["test"] is True and again.meta["format_version"] == M.FORMAT_VERSION
    assert again.meta["trained_on_pages"] == 24


def test_packaged_model() -> None:
    model = M.default_model()
    if model is None:
        pytest.skip("cleaner/data/boilerplate_model.npz is not built")
    assert M.default_model() is model  # cached
    assert model.meta.get("data") and model.meta.get("built") and model.meta.get("cv") is not None
    assert M.MODEL_FILE.stat().st_size < 5_000_000
    lines, gold = synthetic_page(3)
    p = model.score(lines, "en")
    assert p.shape == (len(lines),)
    body = [i for i, ln in enumerate(lines) if ln and ln in gold]
    nav = list(range(5))
    assert p[body].mean() > p[nav].mean()


def test_stale_model_file_warns_and_is_not_used(
    tiny_model: M.LineModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stale.npz"
    tiny_model.save(path)
    monkeypatch.setattr(M.F, "FEATURE_NAMES", (*M.F.FEATURE_NAMES, "a_new_feature"))
    with pytest.raises(ValueError, match="other features"):
        M.LineModel.load(path)
    monkeypatch.setattr(M, "MODEL_FILE", path)
    M.default_model.cache_clear()
    try:
        with pytest.warns(RuntimeWarning):
            assert M.default_model() is None
    finally:
        M.default_model.cache_clear()


@pytest.mark.parametrize("depth", [1, 4, 6, 8, 9])  # 1-8: the uint8 leaf-index path; 9: shift/or
def test_prepared_forest_scores_exactly_as_the_plain_one(depth: int) -> None:
    rng = np.random.default_rng(3)
    X = rng.integers(0, 6, size=(400, 5)).astype(np.float64)
    y = ((X[:, 0] > 2) ^ (X[:, 3] > 4)).astype(np.float64)
    forest = M.fit_forest(X, y, np.ones(400), M.BoostParams(trees=30, depth=depth, bins=8))
    plain = forest.raw(X)
    prepared = M.Forest(forest.feat, forest.thr, forest.leaf, forest.bias).prepare()
    assert prepared._tests is not None and prepared._tests[0].shape[0] < forest.feat.size  # shared tests
    assert np.array_equal(prepared.raw(X), plain)


def test_expected_f_decoding_adapts_to_the_page() -> None:
    n_tok = np.array([3, 40, 35, 0, 50, 4, 2])
    # a page whose every line scores low still keeps its best line(s), where a fixed 0.5
    # threshold keeps nothing
    low = np.array([0.02, 0.3, 0.25, 0.0, 0.05, 0.01, 0.02])
    keep = M.decode_expected(low, n_tok)
    assert keep[1] and not keep[3] and not keep[5]
    assert not (low >= 0.5).any()
    # a clear article block: kept, chrome around it dropped; empty lines never kept
    clear = np.array([0.05, 0.95, 0.9, 0.9, 0.85, 0.1, 0.02])
    keep = M.decode_expected(clear, n_tok)
    assert keep.tolist() == [False, True, True, False, True, False, False]
    # a higher beta (recall mode) keeps at least what a lower one (precision mode) keeps
    mid = np.array([0.3, 0.8, 0.55, 0.5, 0.45, 0.35, 0.2])
    sizes = [int(M.decode_expected(mid, n_tok, beta).sum()) for beta in (0.5, 1.0, 2.0)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    # the stage's candidates: only those lines may be kept
    cand = np.array([True, False, True, True, True, True, True])
    assert not M.decode_expected(clear, n_tok, 1.0, cand)[1]


def test_long_pages_are_scored_in_windows(tiny_model: M.LineModel, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages over WINDOW_LINES are featurised window by window (bounded memory), with the
    caller's rule hits shifted into each window: the same scores as scoring each window alone."""
    lines: list[str] = []
    for seed in range(12):
        lines += synthetic_page(seed)[0]
    from cleaner.boilerplate import rules as R

    page = "\n".join(lines)
    starts = np.cumsum([0] + [len(s) + 1 for s in lines[:-1]])
    hits = R.scan(page)
    rows = (np.searchsorted(starts, [h.start for h in hits], side="right") - 1).tolist()
    assert rows  # the footers and share lines hit rules, so the shift is exercised
    w = 40
    expected = np.concatenate([tiny_model.score(lines[a : a + w], "en") for a in range(0, len(lines), w)])
    monkeypatch.setattr(M, "WINDOW_LINES", w)
    probs, n_tok = tiny_model.score_tokens(lines, "en", rule_lines=(rows, [h.reason for h in hits]))
    assert probs.shape == n_tok.shape == (len(lines),)
    np.testing.assert_allclose(probs, expected)
    np.testing.assert_allclose(tiny_model.score(lines, "en"), expected)


@pytest.mark.parametrize("prepared", [True, False])
def test_forest_on_split_columns_scores_as_on_the_joined_matrix(
    prepared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second pass hands its score columns as ``extra`` instead of one concatenated matrix
    rng = np.random.default_rng(4)
    X = rng.integers(0, 6, size=(300, 7)).astype(np.float64)
    y = ((X[:, 1] > 2) ^ (X[:, 6] > 3)).astype(np.float64)
    forest = M.fit_forest(X, y, np.ones(300), M.BoostParams(trees=25, depth=5, bins=8))
    if prepared:
        forest = M.Forest(forest.feat, forest.thr, forest.leaf, forest.bias).prepare()
    left, right = np.asfortranarray(X[:, :4]), np.ascontiguousarray(X[:, 4:])
    a, b, c = np.asfortranarray(X[:, :2]), np.ascontiguousarray(X[:, 2:3]), np.asfortranarray(X[:, 3:])
    assert np.array_equal(forest.raw(left, right), forest.raw(X))
    assert np.array_equal(forest.raw(a, b, c), forest.raw(X))
    monkeypatch.setattr(M, "RAW_CHUNK", 64)  # chunked pages split every block alike
    assert np.array_equal(forest.raw(left, right), forest.raw(X))
    assert np.array_equal(forest.raw(a, b, c), forest.raw(X))


def test_model_scores_blocks_as_the_joined_features(tiny_model: M.LineModel) -> None:
    lines = ["Home | News", "", "The council approved the budget on Tuesday after a long debate.", "Share this"]
    X1, n_tok, toks = F.page_features(lines, "en")
    base, _, _ = F._base(lines, "en")
    blocks = tiny_model.score_features(base, n_tok, toks, blocks=(F.context_features(base, n_tok),))
    assert np.array_equal(blocks, tiny_model.score_features(X1, n_tok, toks))
    assert np.array_equal(tiny_model.score(lines, "en"), blocks)
