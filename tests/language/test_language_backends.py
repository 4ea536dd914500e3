"""cleaner.language.backends: py3langid's automaton as flat arrays gives py3langid's own answers.

The flat walk (:class:`~cleaner.language.backends.FlatAutomaton`) rests on one property of the
installed automaton: the state after a byte is the trie node of the longest suffix of the bytes
read that is a node.  ``test_transition_table_is_longest_suffix`` proves it on every (state, byte)
transition of the table (by induction over the failure links); the others compare features and
scores with py3langid's own walk.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

py3langid = pytest.importorskip("py3langid.langid")

from cleaner.language import backends  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return backends.read_py3langid_arrays(MODEL_DIR / MODEL_FILE)


@pytest.fixture(scope="module")
def original():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture(scope="module")
def flat():
    return backends._load("py3langid", backends._load_py3langid)


def test_loaded_as_flat_arrays(flat) -> None:
    assert isinstance(flat.automaton, backends.FlatAutomaton)
    assert flat.tk_output is None and flat.tk_nextmove is None  # no Python lists, no 39 MB table
    assert flat.automaton.depth == 6


def test_transition_table_is_longest_suffix(arrays) -> None:
    """delta(s, c) is the node of the longest suffix of label(s)+c that is a node, for every s and c.

    Induction on depth: from the root, delta(0, c) is the depth-1 node ``c`` or the root.  For a
    deeper s, label(s)+c is a node exactly when delta(s, c) is one level deeper with that label
    (labels are unique, so that node's parent is s); otherwise the longest suffix node of
    label(s)+c is that of label(f)+c, where f = fail(s) is the longest proper suffix of label(s)
    that is a node, and f is shallower: so delta(s, c) must equal delta(f, c).
    """
    rows = arrays["nextmove"].reshape(-1, 256)
    row_of = arrays["nextmove_row"]
    depth, label = backends.trie_of(arrays["nextmove"], row_of)
    auto = backends.FlatAutomaton(arrays["nextmove"], row_of, arrays["out_feat"])
    n = len(row_of)
    keyed = label | depth.astype(np.uint64) << np.uint64(48)
    assert len(np.unique(keyed)) == n  # labels are unique
    # fail(s): the longest proper suffix of label(s) that is a node (the root when none)
    fail = np.zeros(n, dtype=np.int64)
    for k in range(1, int(depth.max())):
        shorter = depth > k
        suffix = (label[shorter] & np.uint64((1 << (8 * k)) - 1)) | np.uint64(k) << np.uint64(48)
        node = auto.lookup(suffix)
        idx = np.flatnonzero(shorter)
        fail[idx[node >= 0]] = node[node >= 0]
    byte = np.arange(256, dtype=np.uint64)
    for lo in range(0, n, 4096):
        s = np.arange(lo, min(n, lo + 4096))
        t = rows[row_of[s]].astype(np.int64)  # (states, 256)
        child = (label[s, None] << np.uint64(8)) | byte[None, :]
        is_child = (depth[t] == depth[s, None] + 1) & (label[t] == child)
        if lo == 0:  # the root
            root_t = t[0]
            expect = auto.lookup(byte | np.uint64(1) << np.uint64(48))
            assert (np.where(expect >= 0, expect, 0) == root_t).all()
            s, t, is_child = s[1:], t[1:], is_child[1:]
        via_fail = rows[row_of[fail[s]]].astype(np.int64)
        assert (is_child | (t == via_fail)).all()
        # and a transition to a deeper state is a real child (not another parent's)
        assert not ((depth[t] > depth[s, None]) & ~is_child).any()


def _texts() -> list[str]:
    texts = [
        "Guten Tag", "The council approved the new budget on Monday.", "Politique de confidentialité",
        "这是一个测试句子，用于检测语言。", "Это тестовое предложение.", "", " ", "ABC DEF", "ÉCOLE",
        "x" * 3000, "\ud800 lone surrogate", "مرحبا بالعالم", "日本語のテキストです。", "a\u0301b",
    ]
    pages = SHARED / "bench" / "boilerplate" / "dev.jsonl.gz"
    if pages.exists():
        import gzip
        import json

        with gzip.open(pages, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= 60:
                    break
                text = json.loads(line)["text"]
                texts.append(text[:1000])
                texts += [ln for ln in text.splitlines() if ln.strip()][:20]
    return texts


def test_same_features_as_py3langid_walk(flat, original) -> None:
    from py3langid.langid import visit_counts

    rng = random.Random(5)
    data = [original._encode(t) for t in _texts()]
    data += [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 50))) for _ in range(500)]
    data += [bytes(rng.choice(b"aeinorst \xc3\xa9\xe4\xb8\xad\xd0\xb0") for _ in range(rng.randrange(0, 80)))
             for _ in range(500)]
    for d in data:
        want = visit_counts(original.tk_nextmove, original._rowbase, original.tk_output, d)
        got = flat.automaton.features(d)
        if want is None:
            assert got is None, d
        else:
            assert got is not None, d
            assert got[0].tolist() == list(want.keys()), d
            assert got[1].tolist() == list(want.values()), d


def test_same_scores_bit_for_bit(flat, original) -> None:
    for text in _texts():
        assert flat._decide(text).tobytes() == original._decide(text).tobytes(), text[:80]
        assert flat.classify(text) == original.classify(text)


def test_py3langid_dist_uses_the_flat_model(flat) -> None:
    dist = backends.py3langid_dist("Der Gemeinderat hat am Montag den neuen Haushalt beschlossen.")
    assert max(dist, key=lambda k: dist[k]) == "de"
    assert backends.available("py3langid")


def test_py3langid_falls_back_to_its_own_loader_on_any_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model file or py3langid release the flat reader does not know: py3langid's own loader, same answers."""
    def broken(arrays: object) -> object:
        raise ImportError("no RAW_FLOOR in this release")

    monkeypatch.setattr(backends, "_flat_identifier", broken)
    ident = backends._load_py3langid()
    assert type(ident).__name__ == "LanguageIdentifier"
    assert ident.classify("Das ist ein kurzer deutscher Satz über das Wetter.")[0] == "de"


# -- the shipped flat model (cleaner/data/py3langid_flat.npz) ------------------------------------


def test_shipped_flat_model_is_the_installed_models_arrays(arrays, key_is_current: Callable[..., None]) -> None:
    """The shipped file holds, bit for bit, what would be derived from the installed py3langid model
    (skips after a py3langid upgrade, which pyproject allows: rebuild with scripts/build_py3langid_flat.py)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    with np.load(backends.FLAT_MODEL, allow_pickle=False) as z:
        shipped_sha = str(z["source_sha256"][0])
    key_is_current("py3langid_flat.npz", {"py3langid model": shipped_sha},
                   {"py3langid model": backends._sha256(MODEL_DIR / MODEL_FILE)}, {"py3langid model"},
                   "python scripts/build_py3langid_flat.py")
    shipped = backends.read_flat_model(backends.FLAT_MODEL, MODEL_DIR / MODEL_FILE)
    assert shipped is not None, "py3langid_flat.npz was built from another py3langid model: rebuild it"
    want = backends.flat_arrays(arrays)
    assert set(shipped) == set(want)
    for name, arr in want.items():
        assert shipped[name].dtype == arr.dtype and shipped[name].shape == arr.shape, name
        assert shipped[name].tobytes() == arr.tobytes(), name


def test_flat_model_round_trip_and_source_check(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ptc = rng.choice(np.array([-14.5, -14.5, -14.5, -9.25, -3.0], dtype=np.float16), size=(40, 6))
    arrays = {"ptc": ptc, "pc": rng.random(6).astype(np.float32), "classes": np.array(list("abcdef")),
              "keys": np.sort(rng.choice(1 << 20, 9, replace=False).astype(np.uint64)) | np.uint64(1) << np.uint64(48),
              "nodes": np.arange(1, 10, dtype=np.int32), "out": rng.integers(-1, 40, 10).astype(np.int32)}
    source, other = tmp_path / "model.xz", tmp_path / "other.xz"
    source.write_bytes(b"model bytes")
    other.write_bytes(b"model bytez")  # same size, other content
    path = tmp_path / "flat.npz"
    backends.write_flat_model(path, arrays, source)
    back = backends.read_flat_model(path, source)
    assert back is not None
    for name, arr in arrays.items():
        assert back[name].dtype == arr.dtype and back[name].tobytes() == arr.tobytes(), name
    assert back["ptc"].flags["C_CONTIGUOUS"]  # row gathers stay cheap
    assert backends.read_flat_model(path, other) is None
    assert backends.read_flat_model(tmp_path / "missing.npz", source) is None


def test_loader_derives_the_arrays_without_the_shipped_file(monkeypatch: pytest.MonkeyPatch, flat,
                                                            tmp_path: Path) -> None:
    monkeypatch.setattr(backends, "FLAT_MODEL", tmp_path / "missing.npz")
    ident = backends._load_py3langid()
    assert isinstance(ident.automaton, backends.FlatAutomaton)
    for text in ["Guten Tag", "Politique de confidentialité", "Это тестовое предложение."]:
        assert ident._decide(text).tobytes() == flat._decide(text).tobytes()


def test_flat_automaton_rejects_malformed_arrays() -> None:
    keys = np.array([1 << 48, 2 << 48], dtype=np.uint64)
    with pytest.raises(ValueError):
        backends.FlatAutomaton.from_arrays(keys[::-1], np.array([1, 2]), np.zeros(3))  # not sorted
    with pytest.raises(ValueError):
        backends.FlatAutomaton.from_arrays(keys, np.array([1, 2]), np.zeros(2))  # an output short
    with pytest.raises(ValueError):
        backends.FlatAutomaton.from_arrays(np.array([1 << 48, 40000 << 48], dtype=np.uint64), np.array([1, 2]),
                                           np.zeros(3))  # deeper than the 6 bytes a key holds
    with pytest.raises(ValueError):
        backends.FlatAutomaton.from_arrays(keys, np.array([1, 3]), np.zeros(3))  # a node past ``out``
    auto = backends.FlatAutomaton.from_arrays(keys, np.array([1, 2]), np.zeros(3))
    assert auto.depth == 2


def test_a_flat_model_with_features_past_the_table_is_refused(tmp_path: Path) -> None:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    source = MODEL_DIR / MODEL_FILE
    arrays = backends.read_flat_model(backends.FLAT_MODEL, source)
    if arrays is None:
        pytest.skip("the shipped flat model was built from another py3langid model file")
    arrays["out"] = arrays["out"].copy()
    arrays["out"][-1] = arrays["ptc"].shape[0]  # one feature past the naive Bayes table
    bad = tmp_path / "flat.npz"
    backends.write_flat_model(bad, arrays, source)
    with pytest.raises(ValueError, match="malformed"):
        backends.read_flat_model(bad, source)


def test_choosing_the_backend_loads_fasttext_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving ``auto`` loads fastText (~25 ms; a broken model file must mean langdetect, not an error
    per document) and only checks that py3langid is installed: a long, clear text never loads it
    (py3langid is for short or unclear texts: ~0.1 s saved on a fresh process's first page)."""
    import cleaner.language as lang_mod

    monkeypatch.setattr(backends, "_models", {})
    monkeypatch.setattr(lang_mod, "_resolved", {})
    lang_mod._backend("auto")
    # one copy of the model: the compiled kernel's where it is built (it makes every prediction then),
    # else fasttext-predict's
    native = backends._models.get("fasttext-native") is not None
    model = {"fasttext-native"} if native else {"fasttext"}
    assert set(backends._models) - {"fasttext-native"} == model - {"fasttext-native"}
    assert lang_mod._resolved["auto"] == "auto"
    got = lang_mod.detect_language("The council approved the new budget on Monday after a long debate about "
                                   "the schools, the roads and the library, which will open on Sundays.")
    assert got.language == "en" and set(backends._models) - {"fasttext-native"} == model - {"fasttext-native"}
    assert lang_mod.detect_language("Guten Tag").language == "de"  # short: the second opinion loads now
    assert set(backends._models) - {"fasttext-native"} == (model | {"py3langid"}) - {"fasttext-native"}


def test_installed_checks_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert backends.installed("fasttext") and backends.installed("py3langid") and backends.installed("langdetect")
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: None)
    assert not backends.installed("py3langid") and not backends.installed("langdetect")
    assert not backends.installed("fasttext")


def test_a_corrupt_fasttext_model_falls_back_to_langdetect(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import cleaner.language as lang_mod

    bad = tmp_path / "lid.176.ftz"
    bad.write_bytes(b"\x00not a fastText model" * 40)
    monkeypatch.setattr(backends, "_models", {})
    monkeypatch.setattr(backends, "model_path", lambda: bad)
    monkeypatch.setattr(lang_mod, "_resolved", {})
    assert not backends.available("fasttext")
    assert lang_mod._resolved.get("auto") is None and lang_mod._backend("auto") is lang_mod._BACKENDS["langdetect"]
    got = lang_mod.detect_language("The council approved the new budget on Monday after a long debate about "
                                   "the schools, the roads and the library, which will open on Sundays.")
    assert got.language == "en"


def test_compiled_states_are_the_numpy_states(flat) -> None:
    """lid_states (binary searches from one more than the previous byte's suffix length, on a trie) gives
    FlatAutomaton's numpy states; an automaton whose keys are no trie keeps to numpy."""
    if backends._native_lid() is None:
        pytest.skip("compiled lid_states not built (or switched off)")
    auto = flat.automaton
    assert auto.prefix_closed
    rng = random.Random(11)
    data = [t.encode("utf-8", "surrogatepass") for t in _texts()]
    data += [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60))) for _ in range(300)]
    data += [bytes(rng.choice(b"aeinorst \xc3\xa9\xe4\xb8\xad") for _ in range(rng.randrange(0, 80)))
             for _ in range(300)]
    for d in data:
        assert auto.states(d).tolist() == auto.states_numpy(d).tolist(), d[:60]
    # "bc" without "b": not a trie, so the shortcut (which would skip "bc" after a miss on "b") is not used
    keys = np.array([1 << 48 | ord("a"), 2 << 48 | ord("b") << 8 | ord("c")], dtype=np.uint64)
    odd = backends.FlatAutomaton.from_arrays(keys, np.array([1, 2]), np.zeros(3))
    assert not odd.prefix_closed and odd.states(b"xbc").tolist() == [0, 0, 2]
    with pytest.raises(ValueError):
        backends._native_lid()(auto._keys, auto._nodes, 7, b"abc")
    with pytest.raises(ValueError):
        backends._native_lid()(auto._keys, auto._nodes[:5], 6, b"abc")


def test_two_at_a_time_runs_every_task_joins_and_raises() -> None:
    """read_flat_model's helper thread: every task runs once, the helper is gone when it returns (the
    pool's loader forks right after), and a task's exception reaches the caller."""
    import threading

    done: list[int] = []
    backends._run_two_at_a_time([lambda i=i: done.append(i) for i in range(9)])
    assert sorted(done) == list(range(9))
    assert not [t for t in threading.enumerate() if t.name == "cleaner-py3langid-load"]

    def boom() -> None:
        raise OSError("disk")

    with pytest.raises(OSError, match="disk"):
        backends._run_two_at_a_time([boom, lambda: None, lambda: None])
    assert not [t for t in threading.enumerate() if t.name == "cleaner-py3langid-load"]


def test_flat_model_blocks_of_the_wrong_shape_are_refused(tmp_path: Path) -> None:
    import io
    import zipfile

    rng = np.random.default_rng(5)
    arrays = {"ptc": rng.random((30, 4)).astype(np.float16), "pc": rng.random(4).astype(np.float32),
              "classes": np.array(list("abcd")),
              "keys": np.arange(1, 4, dtype=np.uint64) | np.uint64(1) << np.uint64(48),
              "nodes": np.arange(1, 4, dtype=np.int32), "out": np.zeros(4, dtype=np.int32)}
    source = tmp_path / "model.xz"
    source.write_bytes(b"model")
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    backends.write_flat_model(good, arrays, source)
    assert backends.read_flat_model(good, source)["ptc"].tobytes() == arrays["ptc"].tobytes()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "ptc_hi_0.npy":  # a high byte array of another dtype
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.zeros(3, dtype=np.uint16))
                data = buf.getvalue()
            dst.writestr(info, data)
    with pytest.raises(ValueError, match="malformed"):
        backends.read_flat_model(bad, source)


def test_models_load_behind_their_own_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow model load does not hold up another model's first use."""
    import threading

    monkeypatch.setattr(backends, "_models", {})
    monkeypatch.setattr(backends, "_locks", {})
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        assert release.wait(10)
        return "slow"

    thread = threading.Thread(target=backends._load, args=("a", slow))
    thread.start()
    assert started.wait(10)
    assert backends._load("b", lambda: "quick") == "quick"  # while "a" is still loading
    release.set()
    thread.join()
    assert backends._load("a", lambda: "again") == "slow"  # made once


def _random_block(rng: np.random.Generator, rows: int, width: int) -> tuple[np.ndarray, ...]:
    floor = rng.integers(0, 1 << 16, width).astype(np.uint16)
    table = np.where(rng.random((rows, width)) < 0.2, rng.integers(0, 1 << 16, (rows, width)), floor).astype(np.uint16)
    mask = table != floor
    vals = table[mask]
    return (np.packbits(mask.ravel(), bitorder="little"), (vals >> 8).astype(np.uint8),
            (vals & 0xFF).astype(np.uint8), floor, table)


@pytest.mark.parametrize("rows,width", [(0, 3), (1, 1), (7, 3), (50, 142), (333, 9)])
def test_unpack_block_native_and_numpy_agree(monkeypatch: pytest.MonkeyPatch, rows: int, width: int) -> None:
    """lid_unpack and the numpy path rebuild the same table from a block (any width, n not a multiple of 8)."""
    mask, hi, lo, floor, table = _random_block(np.random.default_rng(rows * 7 + width), rows, width)
    got = np.full((rows, width), 7, dtype=np.uint16)
    backends._unpack_block(mask, hi, lo, floor, got)
    assert got.tobytes() == table.tobytes()
    monkeypatch.setattr(backends, "_native_unpack", lambda: None)
    got2 = np.full((rows, width), 9, dtype=np.uint16)
    backends._unpack_block(mask, hi, lo, floor, got2)
    assert got2.tobytes() == table.tobytes()


@pytest.mark.parametrize("use_native", [True, False])
def test_unpack_block_refuses_disagreeing_parts(monkeypatch: pytest.MonkeyPatch, use_native: bool) -> None:
    if use_native and backends._native_unpack() is None:
        pytest.skip("compiled lid_unpack not built (or switched off)")
    if not use_native:
        monkeypatch.setattr(backends, "_native_unpack", lambda: None)
    mask, hi, lo, floor, table = _random_block(np.random.default_rng(1), 13, 5)
    out = np.empty_like(table)
    bad_cases = [
        (mask, hi[:-1], lo[:-1], floor, out),  # fewer values than set bits
        (mask, np.append(hi, 1).astype(np.uint8), np.append(lo, 1).astype(np.uint8), floor, out),  # more
        (mask, hi, lo[:-1], floor, out),  # hi and lo of different lengths
        (mask[:-1], hi, lo, floor, out),  # mask too short
        (np.append(mask, 0).astype(np.uint8), hi, lo, floor, out),  # mask too long
    ]
    tail = mask.copy()
    tail[-1] |= 0x80  # a bit past the 65 entries
    bad_cases.append((tail, np.append(hi, 1).astype(np.uint8), np.append(lo, 1).astype(np.uint8), floor, out))
    for case in bad_cases:
        with pytest.raises(ValueError):
            backends._unpack_block(*case)
    with pytest.raises(ValueError):  # not whole rows (the kernel checks it; numpy finds the mask the wrong length)
        backends._unpack_block(mask, hi, lo, floor, np.empty(64, dtype=np.uint16))
