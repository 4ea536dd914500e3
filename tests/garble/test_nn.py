"""The sentence CNN (cleaner/garble/nn.py): numpy forward pass vs PyTorch, batch independence, loader checks."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# ---- the compiled kernels (cleaner/_native.c, garble block) against the numpy/Python path ----

needs_native = pytest.mark.skipif(gnn._native is None, reason="cleaner._native not built (Python path only)")
ODD = [
    "",
    " ",
    "\ud800abc \udfff x\udc00y",  # lone surrogates (json.loads can produce them)
    "ΟΔΟΣ Σ σ ΣΑ",  # final sigma: Python's lower() sees the token's end
    "İstanbul ǅemal ﬁne",  # one-to-many lower case, titlecase digraph, ligature
    "𝐀𝐁𝐂 abc 😀 12 𝟙𝟚",  # astral letters, emoji, astral digits
    "Ⓐ ½ ² x² ١٢٣ Ⅻ",  # cased symbols, vulgar fractions, superscripts, Arabic digits, Roman numerals
    "\x1c\x1d a\x00b\x7f\u0085c\u2028d\u00a0e",  # control characters and Unicode white space
    "日本語 テスト 中文句子",
    "ABC Abc aBC aB A a 123 a1b2 _x_ don't ’ “quoted” — dash",
    "a" * 5000,  # one very long token: 5,000 trigrams
    "Zz" * 3000,
    " ".join(["word"] * 500),  # cut at MAX_TOKENS
    "café naïve Ünïcödé wörds, 3.14 and $100 -- still tokens!",
]


def both_encodings(sentences: list[str], buckets: int) -> tuple[gnn.Encoded, gnn.Encoded]:
    return gnn._encode_native(sentences, buckets), gnn._encode_python(sentences, buckets)


def assert_same_encoding(a: gnn.Encoded, b: gnn.Encoded) -> None:
    for f in dataclasses.fields(gnn.Encoded):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        assert x.tobytes() == y.tobytes(), f.name


@needs_native
@pytest.mark.parametrize("buckets", [2, 7, 1 << 15])
def test_native_token_codes_are_the_python_ones(buckets: int) -> None:
    assert_same_encoding(*both_encodings(ODD, buckets))
    for s in ODD:
        assert_same_encoding(*both_encodings([s], buckets))
    assert_same_encoding(*both_encodings([], buckets))
    assert_same_encoding(*both_encodings(["", ""], buckets))


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60), max_size=5))
def test_native_token_codes_on_any_text(sentences: list[str]) -> None:
    assert_same_encoding(*both_encodings(sentences, 1 << 15))


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="aZ09 ,.'’éΣσİ\ud800😀\t\n-_中", max_size=80), max_size=6))
def test_native_token_codes_on_mixed_pieces(sentences: list[str]) -> None:
    assert_same_encoding(*both_encodings(sentences, 1 << 15))


@needs_native
def test_native_token_coder_rejects_bad_arguments() -> None:
    table = gnn._classes(False)
    nat = gnn._native
    with pytest.raises(TypeError):
        nat.cnn_encode(["ok", 3], table, 64, 8, gnn.token_code)
    with pytest.raises(ValueError):
        nat.cnn_encode(["ok"], table, 1, 8, gnn.token_code)
    with pytest.raises(ValueError):
        nat.cnn_encode(["ok"], table, 64, 0, gnn.token_code)
    with pytest.raises(TypeError):
        nat.cnn_encode(["ok"], table, 64, 8, None)
    with pytest.raises(TypeError):
        nat.cnn_encode(["é"], table, 64, 8, lambda tok, b: (1, 2))  # the fallback's answer is checked
    with pytest.raises(ZeroDivisionError):
        nat.cnn_encode(["é"], table, 64, 8, lambda tok, b: 1 / 0)  # its exception propagates
    # a code point beyond the table: None (the caller retries with the full table)
    assert nat.cnn_encode(["a \U0001F600"], table, 64, 8, gnn.token_code) is None
    assert nat.cnn_encode(["a \U0001F600"], table, 64, 1, gnn.token_code) is not None  # not scanned: no retry
    # error paths release what they hold: no reference leaks on the arguments
    sents, fb = ["é x"], (lambda tok, b: 1 / 0)
    before = sys.getrefcount(sents), sys.getrefcount(fb), sys.getrefcount(table)
    for _ in range(100):
        with pytest.raises(ZeroDivisionError):
            nat.cnn_encode(sents, table, 64, 8, fb)
    assert (sys.getrefcount(sents), sys.getrefcount(fb), sys.getrefcount(table)) == before


def small_net(rng: np.random.Generator, d: int, c: int, buckets: int = 50) -> gnn.ConvNet:
    emb = rng.standard_normal((buckets, d)).astype(np.float32)
    emb[rng.random((buckets, d)) < 0.2] = -0.0  # signed zeros: the sums must keep numpy's signs

    def f32(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    return gnn.ConvNet(emb=emb, shape_emb=f32(gnn.SHAPES, d), w1=f32(3 * d, c), b1=f32(c), w2=f32(3 * c, c),
                       b2=f32(c), w_out=f32(2 * c), b_out=0.1, stack=np.zeros(3), calib=np.zeros(2), meta={})


@needs_native
def test_native_forward_is_numpys_to_the_bit() -> None:
    cnn = shipped()
    for batch in (SENTENCES, ODD, [], [""], ODD[-3:], [" ".join(["supercalifragilistic" * 20] * 70)]):
        enc = gnn.encode(batch, cnn.buckets)
        assert cnn._forward_native(enc).tobytes() == cnn._forward_numpy(enc).tobytes()
    rng = np.random.default_rng(7)
    words = ["a", "ab", "the", "word", "z" * 9, "q" * 140, "x" * 300]  # bags of 1..300 trigrams (pairwise > 128)
    for d, c in ((1, 1), (3, 5), (32, 64), (7, 256)):
        net = small_net(rng, d, c)
        for _ in range(20):
            batch = [" ".join(rng.choice(words, size=int(rng.integers(0, 70)))) for _ in range(int(rng.integers(0, 5)))]
            enc = gnn.encode(batch, net.buckets)
            assert net._forward_native(enc).tobytes() == net._forward_numpy(enc).tobytes()


@needs_native
def test_native_token_rows_and_pooling_are_numpys() -> None:
    """The intermediate arrays, not only the logits: token rows (embedding sums, bag means) and pooling."""
    rng = np.random.default_rng(3)
    net = small_net(rng, 6, 9)
    enc = gnn.encode(["the cat sat", "", "q" * 140 + " a", "x"], net.buckets)
    lens = enc.lengths
    valid = (np.arange(enc.words.shape[1])[None, :] < lens[:, None]).ravel()
    ref = net.emb[enc.words.ravel()[valid]] + net.shape_emb[enc.shapes.ravel()[valid]]
    sums = np.add.reduceat(net.emb[enc.sub_ids], np.cumsum(enc.bag_cnt) - enc.bag_cnt, axis=0)
    ref[(np.cumsum(valid) - 1)[enc.bag_pos]] += sums / enc.bag_cnt[:, None].astype(np.float32)
    x = np.empty_like(ref)
    gnn._native.cnn_embed(net.emb, net.shape_emb, 6, enc.words, enc.shapes, lens, enc.sub_ids, enc.bag_pos,
                          enc.bag_cnt, gnn._SUM_INIT, x)
    assert x.tobytes() == ref.tobytes()
    h = rng.standard_normal((int(lens.sum()), 9)).astype(np.float32)
    h[rng.random(h.shape) < 0.3] = -0.0
    pooled = np.empty((len(lens), 18), dtype=np.float32)
    gnn._native.cnn_pool(h, 9, lens, gnn._SUM_INIT, pooled)
    starts = (np.cumsum(lens) - lens)[lens > 0]
    want = np.zeros((len(lens), 18), dtype=np.float32)
    want[lens > 0, :9] = np.add.reduceat(h, starts, axis=0) / lens[lens > 0][:, None].astype(np.float32)
    want[lens > 0, 9:] = np.maximum.reduceat(h, starts, axis=0)
    assert pooled.tobytes() == want.tobytes()


@needs_native
def test_native_forward_kernels_check_their_inputs() -> None:
    cnn = shipped()
    enc = gnn.encode(["the cat sat", "a b"], cnn.buckets)
    total = int(enc.lengths.sum())
    nat = gnn._native

    def embed(**kw: Any) -> None:
        a = {"words": enc.words, "sub_ids": enc.sub_ids, "bag_pos": enc.bag_pos, "bag_cnt": enc.bag_cnt,
             "lengths": enc.lengths, "x": np.empty((total, 32), dtype=np.float32), **kw}
        nat.cnn_embed(cnn.emb, cnn.shape_emb, 32, a["words"], enc.shapes, a["lengths"], a["sub_ids"], a["bag_pos"],
                      a["bag_cnt"], -0.0, a["x"])

    embed()
    with pytest.raises(IndexError):
        embed(words=np.where(enc.words > 0, cnn.buckets, 0))  # a bucket past the table
    with pytest.raises(IndexError):
        embed(sub_ids=enc.sub_ids * 0 - 1)
    with pytest.raises(ValueError):
        embed(bag_cnt=enc.bag_cnt + 1)  # the bags no longer add up to the trigrams
    with pytest.raises(ValueError):
        embed(bag_pos=enc.bag_pos[::-1].copy())
    with pytest.raises(ValueError):
        embed(lengths=enc.lengths + 100)  # longer than the padded width
    with pytest.raises(ValueError):
        embed(x=np.empty((total - 1, 32), dtype=np.float32))  # output too short
    with pytest.raises(ValueError):
        embed(words=enc.words.astype(np.int32))  # wrong item size
    with pytest.raises(ValueError):
        nat.cnn_window(np.zeros((total, 4), np.float32), 4, enc.lengths, np.empty((total, 11), np.float32))
    with pytest.raises(ValueError):
        nat.cnn_pool(np.zeros((total - 1, 4), np.float32), 4, enc.lengths, -0.0, np.empty((2, 8), np.float32))
    with pytest.raises(ValueError):
        nat.cnn_pool(np.zeros((total, 300), np.float32), 300, enc.lengths, -0.0, np.empty((2, 600), np.float32))
    wraps = np.array([1 << 62] * 4 + [1], dtype=np.int64)  # sums to 2**64 + 1: would wrap to 1 row
    with pytest.raises(ValueError, match="overflow"):
        nat.cnn_window(np.zeros((1, 4), np.float32), 4, wraps, np.empty((1, 12), np.float32))
    with pytest.raises(ValueError, match="overflow"):
        nat.cnn_pool(np.zeros((1, 4), np.float32), 4, wraps, -0.0, np.empty((5, 8), np.float32))


def test_a_build_lacking_a_kernel_is_refused_as_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-place build of an older checkout can carry the current ABI number without every kernel."""
    import types

    from cleaner import native

    fake = types.SimpleNamespace(GARBLE_ABI=gnn.GARBLE_ABI, cnn_encode=len)
    monkeypatch.delenv("CLEANER_NO_NATIVE", raising=False)
    monkeypatch.setattr(native.importlib, "import_module", lambda name: fake)
    with pytest.warns(UserWarning, match="lacks cnn_embed"):
        assert gnn._load_native() is None


def test_env_var_forces_the_python_token_coder() -> None:
    code = ("import cleaner.garble.nn as N, cleaner.garble.vec as V; "
            "print(N._native is None, V._native is None, N.TOKEN_CACHE)")
    env = {**os.environ, "CLEANER_NO_NATIVE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "16384"]


@needs_native
def test_compiled_path_keeps_a_small_token_cache() -> None:
    assert gnn.TOKEN_CACHE == 1_024
    gnn.token_code.cache_clear()
    gnn.encode(["plain ascii words only, 42 of them."], 1 << 15)
    assert gnn.token_code.cache_info().currsize == 0  # only non-ASCII tokens reach the Python coder
    gnn.encode(["naïve “quotes”"], 1 << 15)
    assert gnn.token_code.cache_info().currsize == 3


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
