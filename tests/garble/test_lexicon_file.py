"""The shipped garble files' layout (s9): the lexicon npz round trip and :func:`save_npz`'s stored members."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from cleaner._shipped import save_npz
from cleaner.garble import model

DATA = Path(model.__file__).resolve().parents[1] / "data"


def test_lexicon_round_trip_keeps_values_types_and_order() -> None:
    payload = {
        "version": 2,
        "unigram": {"a": -3.9, "don't": -9.0, "naïve": -13.8, "zz": -14.5},
        "tortured": {"counterfeit consciousness": "artificial intelligence", "big data": "tiny données"},
        "acronyms": {"AI": ["artificial intelligence", "Amnesty International"], "AC": ["air conditioning"]},
        "oov_logp": -14.5,
    }
    back = model.payload_from_arrays(model.lexicon_arrays(payload))
    assert back == payload
    assert list(back) == list(payload)
    for k in ("unigram", "tortured", "acronyms"):
        assert list(back[k]) == list(payload[k])
    assert all(type(v) is float for v in back["unigram"].values())
    empty = {"version": 2, "unigram": {}, "tortured": {}, "acronyms": {}}
    assert model.payload_from_arrays(model.lexicon_arrays(empty)) == empty


@pytest.mark.parametrize("bad", [{"unigram": {"a\nb": -1.0}, "tortured": {}},
                                 {"unigram": {"a": -1}, "tortured": {}},
                                 {"unigram": {}, "tortured": {"x y": "p\nq"}}])
def test_lexicon_arrays_refuse_what_would_not_come_back(bad: dict) -> None:
    with pytest.raises(ValueError):
        model.lexicon_arrays(bad)


def test_shipped_lexicon_survives_a_rewrite(tmp_path: Path) -> None:
    payload = model.load_lexicon_payload()
    assert len(payload["unigram"]) > 10_000 and len(payload["tortured"]) > 1_000
    model.save_lexicon(tmp_path / "lex.npz", payload)
    with np.load(tmp_path / "lex.npz", allow_pickle=False) as z:
        assert model.payload_from_arrays(z) == payload
    assert (tmp_path / "lex.npz").read_bytes() == (DATA / model.LEXICON_FILE).read_bytes()  # same bytes: deterministic


def test_save_npz_stores_only_what_deflate_cannot_shrink(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {"noise": rng.integers(0, 2**32, 4096, dtype=np.uint32), "zeros": np.zeros(4096), "s": np.array("x")}
    save_npz(tmp_path / "a.npz", arrays)
    kinds = {i.filename: i.compress_type for i in zipfile.ZipFile(tmp_path / "a.npz").infolist()}
    assert kinds == {"noise.npy": zipfile.ZIP_STORED, "zeros.npy": zipfile.ZIP_DEFLATED, "s.npy": zipfile.ZIP_DEFLATED}
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert z.files == list(arrays)
        for k, v in arrays.items():
            assert z[k].dtype == v.dtype and np.array_equal(z[k], v)
    save_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    save_npz(tmp_path / "c.npz", arrays, store=("zeros",))
    kinds = {i.filename: i.compress_type for i in zipfile.ZipFile(tmp_path / "c.npz").infolist()}
    assert kinds["zeros.npy"] == zipfile.ZIP_STORED and kinds["s.npy"] == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("name", ["garble_model.npz", "garble_nn.npz", model.LEXICON_FILE])
def test_shipped_files_are_in_save_npz_layout(name: str, tmp_path: Path) -> None:
    """Rewriting a shipped file with save_npz gives its bytes: its big random members are stored (read without
    an inflate at start-up) and the file is what ``build_garble_model.py --repack`` writes."""
    with np.load(DATA / name, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    save_npz(tmp_path / name, arrays, store=model.LEXICON_STORED if name == model.LEXICON_FILE else ())
    assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()


@pytest.mark.parametrize("spoil", [model.LEXICON_FILE, model.MODEL_FILE])
@pytest.mark.parametrize("how", ["half", "empty"])
def test_a_broken_model_file_raises_a_clear_error(spoil: str, how: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The garble model and lexicon are real models, not rebuildable tables: a broken one is an error (an
    OSError naming the files), never a silent fall-back."""
    for name in (model.LEXICON_FILE, model.MODEL_FILE):
        data = (model.DATA_DIR / name).read_bytes()
        (tmp_path / name).write_bytes((data[: len(data) // 2] if how == "half" else b"") if name == spoil else data)
    monkeypatch.setattr(model, "DATA_DIR", tmp_path)
    model.load_model.cache_clear()
    try:
        with pytest.raises(OSError, match=r"garble model files .*unreadable"):
            model.load_model()
    finally:
        model.load_model.cache_clear()
