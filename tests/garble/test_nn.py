"""The sentence CNN (cleaner/garble/nn.py): numpy forward pass vs PyTorch, batch independence, loader checks."""

from __future__ import annotations

import dataclasses
import json
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from cleaner.garble import model as gmodel
from cleaner.garble import nn as gnn
from cleaner.garble import score_garble

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "data" / "nn_torch_logits.json"
SENTENCES = [
    "The models of Amnesty International cannot be developed.",
    "A year tense in geosus artificial intelligence.",
    "Companies that buy lumpy chips, an offerEstablishing a global cooperation organization.",
    "The council approved the budget on Tuesday after a short debate.",
    "Ünïcödé wörds, 3.14 and $100 -- still tokens!",
    "",
]


def shipped() -> gnn.ConvNet:
    cnn = gnn.load_convnet()
    if cnn is None:
        pytest.skip("no garble_nn.npz shipped")
    return cnn


def test_numpy_forward_matches_the_stored_torch_logits() -> None:
    """The fixture holds PyTorch's logits of the shipped weights (``make_fixture`` below, run with torch)."""
    cnn = shipped()
    fx = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert fx["linear_signature"] == cnn.meta["linear_signature"], "fixture is stale: regenerate it"
    np.testing.assert_allclose(cnn.logits(fx["sentences"]), fx["torch_logits"], atol=1e-4)


def test_numpy_forward_matches_torch_when_torch_is_installed() -> None:
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_garble_nn as t

    torch.manual_seed(3)
    net = t.build_net(torch, 1 << 12, 8, 16)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)
    arrays = t.export(net)
    arrays.update(stack=np.array([1.0, 1.0, 0.0]), calib=np.array([1.0, 0.0]), meta=np.array("{}"))
    net = t.net_from_arrays(torch, arrays)  # float16 embeddings on both sides
    with torch.no_grad():
        ref = net(*t.to_torch(torch, gnn.encode(SENTENCES, 1 << 12))).numpy()
    np.testing.assert_allclose(gnn.convnet_from_arrays(arrays).logits(SENTENCES), ref, atol=1e-4)
    if gnn.load_convnet() is not None:
        z = np.load(ROOT / "cleaner" / "data" / gnn.NN_FILE)
        with torch.no_grad():
            ref = t.net_from_arrays(torch, z)(*t.to_torch(torch, gnn.encode(SENTENCES, z["emb"].shape[0]))).numpy()
        np.testing.assert_allclose(shipped().logits(SENTENCES), ref, atol=1e-4)


def test_logit_does_not_depend_on_the_batch() -> None:
    cnn = shipped()
    one_by_one = np.array([cnn.logits([s])[0] for s in SENTENCES])
    np.testing.assert_allclose(cnn.logits(SENTENCES), one_by_one, atol=1e-5)
    np.testing.assert_allclose(cnn.logits(SENTENCES[::-1])[::-1], one_by_one, atol=1e-5)


def test_token_codes_are_fixed_crc_buckets() -> None:
    """Training and inference must hash alike in every process (CRC-32, not Python's salted hash)."""
    w, shape, tri = gnn.token_code("Establishing", 1 << 15)
    assert shape == 2 and len(tri) == len("<establishing>") - 2
    assert gnn.token_code("establishing", 1 << 15)[0] == w
    assert gnn.token_code("offerEstablishing", 1 << 15)[1] == 4  # mixed case: glued words
    assert gnn.token_code(",", 1 << 15)[2] == ()
    enc = gnn.encode(["a b", ""], 1 << 15)
    assert enc.words.shape == (2, 2) and enc.lengths.tolist() == [2, 0] and (enc.words[1] == 0).all()


def test_long_sentences_are_cut_at_max_tokens() -> None:
    enc = gnn.encode([" ".join(["word"] * 500)], 1 << 15)
    assert enc.words.shape == (1, gnn.MAX_TOKENS)


def test_loader_falls_back_to_the_linear_model_when_the_cnn_is_stacked_on_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cnn = shipped()
    wrong = dataclasses.replace(cnn, meta={**cnn.meta, "linear_signature": "0" * 16})
    monkeypatch.setattr(gmodel, "load_convnet", lambda: wrong)
    with pytest.warns(UserWarning, match="train_garble_nn"):
        m = gmodel.load_model.__wrapped__()
    assert m.cnn is None and "cnn" not in m.meta and not np.array_equal(m.calib, cnn.calib)


@pytest.mark.parametrize(
    "meta_change",
    [{"version": 99}, {"strict_threshold": None}],
)
def test_loader_falls_back_on_a_cnn_file_it_cannot_trust(
    monkeypatch: pytest.MonkeyPatch, meta_change: dict[str, object]
) -> None:
    cnn = shipped()
    meta = {k: v for k, v in {**cnn.meta, **meta_change}.items() if v is not None}
    monkeypatch.setattr(gmodel, "load_convnet", lambda: dataclasses.replace(cnn, meta=meta))
    with pytest.warns(UserWarning, match="linear model alone"):
        assert gmodel.load_model.__wrapped__().cnn is None


@pytest.mark.parametrize("error", [ValueError("bad"), zipfile.BadZipFile("truncated"), zlib.error("crc")])
def test_loader_falls_back_on_an_unreadable_cnn_file(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def broken() -> gnn.ConvNet:
        raise error

    monkeypatch.setattr(gmodel, "load_convnet", broken)
    with pytest.warns(UserWarning, match="unreadable"):
        assert gmodel.load_model.__wrapped__().cnn is None


def test_loader_falls_back_on_a_cnn_file_with_wrong_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    cnn = shipped()
    bad = dataclasses.replace(cnn, w2=cnn.w2[:-1])
    monkeypatch.setattr(gmodel, "load_convnet", lambda: bad)
    with pytest.warns(UserWarning, match="unreadable"):
        assert gmodel.load_model.__wrapped__().cnn is None


def test_stacked_logits_are_the_stack_of_linear_and_cnn_logits() -> None:
    cnn = shipped()
    m = gmodel.load_model()
    assert m.cnn is not None and m.meta["strict_threshold"] == cnn.meta["strict_threshold"]
    stacked, _ = m.batch_logits(SENTENCES[:4], "en")
    linear, _ = dataclasses.replace(m, cnn=None).batch_logits(SENTENCES[:4], "en")
    s = cnn.stack
    np.testing.assert_allclose(stacked, s[0] * linear + s[1] * cnn.logits(SENTENCES[:4]) + s[2], rtol=1e-6)
    assert not np.allclose(stacked, linear)
    for text in SENTENCES:
        g = score_garble(text, "en")
        assert g.score is None or 0.0 <= g.score <= 1.0


def test_lone_surrogates_are_scored_not_raised() -> None:
    text = "The council approved \ud800 the budget on Tuesday after debate."
    assert gnn.token_code("\ud800", 1 << 15)[0] > 0
    g = score_garble(text, "en")
    assert g.score is not None and 0.0 <= g.score <= 1.0


def make_fixture() -> None:  # pragma: no cover - run by hand with torch installed after a rebuild
    import torch

    sys.path.insert(0, str(ROOT / "scripts"))
    import train_garble_nn as t

    z = np.load(ROOT / "cleaner" / "data" / gnn.NN_FILE)
    with torch.no_grad():
        ref = t.net_from_arrays(torch, z)(*t.to_torch(torch, gnn.encode(SENTENCES, z["emb"].shape[0]))).numpy()
    meta = json.loads(str(z["meta"]))
    FIXTURE.write_text(
        json.dumps(
            {"linear_signature": meta["linear_signature"], "sentences": SENTENCES, "torch_logits": ref.tolist()},
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":  # pragma: no cover
    make_fixture()
