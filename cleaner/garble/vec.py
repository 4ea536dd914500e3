"""Vectorised batch featurisation of sentences (numpy, no per-character Python loops).

The runtime scorer and ``scripts/build_garble_model.py`` both call :func:`featurise`,
so the shipped weights always see the features they were trained on.  A batch of
sentences is joined into one code-point array; everything below is array arithmetic
over it:

* tokens come from a code-point class table (letter / digit / Han / punctuation /
  space): runs of letters or digits are one token, every punctuation mark or Han
  character is its own token;
* every token gets a 64-bit polynomial hash of its lower-cased code points from one
  prefix sum (``hash(s[a:b]) = (S[b] - S[a]) * P**a`` modulo 2**64, with
  ``S[k] = sum_{j<k} c_j * P**-j``; P is odd, hence invertible modulo 2**64);
* look-ups (vocabulary, clean-text bigrams, Han bigrams, skeleton trigrams) are
  ``searchsorted`` in sorted 32-bit fingerprint tables built from ``clean_en_zh``;
  with < 400k entries a random fingerprint collides with probability < 1e-4;
* hashed sparse features (2**20 buckets): character n-grams (English 3..5, Chinese
  1..3), word 1..4-grams and 1..4-grams of the *skeleton* (the 300 most frequent
  clean-text words verbatim, every other word as shape + frequency class), which
  describe grammar rather than topic;
* dense features (:data:`DENSE_NAMES`): length, out-of-vocabulary rates, unigram
  surprisal, clean-text bigram coverage and stupid-backoff surprisal (the
  language-model signal), skeleton-trigram coverage, repeats, glued words,
  capitalisation, Chinese character-bigram surprisal / coverage and Latin share; optionally
  (:data:`LM_DENSE`, when ``Tables.lm`` is set) the mean log-probability and mean gain over the
  unigram model under the Kneser-Ney trigram LM of :mod:`cleaner.garble.lm`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import regex

from .features import GLUED_RE as _GLUED
from .nn import DATA_DIR, _native

if TYPE_CHECKING:
    from .lm import LM

HASH_BITS = 20
HASH_SIZE = 1 << HASH_BITS
_M64 = (1 << 64) - 1
_P = 0x100000001B3  # FNV prime: odd, so invertible modulo 2**64
_Q = pow(_P, -1, 1 << 64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PU = np.uint64(_P)

SPACE, LET, DIG, HAN, PUN, APO = 0, 1, 2, 3, 4, 5
N_FUNCTION_WORDS = 300
"""Words kept verbatim in the skeleton: the most frequent clean-text words (covers the function words; not tuned)."""

DENSE_NAMES = (
    "bias",
    "log_len",
    "oov_rate",
    "lower_oov_rate",
    "mean_uni_logp",
    "min_uni_logp",
    "bigram_unseen",
    "bigram_logp",
    "max_bigram_surprisal",
    "skel3_unseen",
    "repeat_rate",
    "glued",
    "caps_mid_rate",
    "zh_bigram_logp",
    "zh_min_bigram_logp",
    "zh_bigram_unseen",
    "latin_share",
    "is_zh",
)
LM_DENSE = ("lm_mean", "lm_gain")
"""Trigram-LM features (:mod:`cleaner.garble.lm`) appended to the dense inputs when ``Tables.lm`` is set
(English only; 0 for Chinese).  Off in the shipped model: with the LM built apart from the fluent
training rows they did not move the grouped train CV (``bench/results/garble.md``, session 4)."""


def dense_names(tab: Tables) -> tuple[str, ...]:
    """Names of the dense columns :func:`featurise` returns with ``tab``."""
    return DENSE_NAMES + (LM_DENSE if tab.lm is not None else ())


def _salt(name: str) -> np.uint64:
    v = 0xCBF29CE484222325
    for ch in name.encode():
        v = ((v ^ ch) * _P) & _M64
    return np.uint64(v)


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(29))
    h = h * _MIX
    out: np.ndarray = h ^ (h >> np.uint64(32))
    return out


_LOWER_PATTERN = r"\p{Lu}|\p{Lt}"
"""Code points that :func:`build_char_tables` lower-cases (where ``str.lower`` gives one code point)."""
_CLASS_PATTERNS = (
    (r"[\p{L}\p{M}]", LET),
    (r"\p{N}", DIG),
    (r"\p{Han}", HAN),
    (r"[\s\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Co}\p{Z}]", SPACE),
    (r"['’]", APO),
)
"""Token classes of :func:`build_char_tables`, later patterns overriding earlier ones (every other code point: PUN)."""
CHAR_TABLES_FILE = "garble_chartables.npz"
CHAR_TABLES_PATH = DATA_DIR / CHAR_TABLES_FILE
CHAR_TABLES_VERSION = 1
"""Bump when :func:`build_char_tables` changes in a way its patterns do not show (the key holds the patterns)."""


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Lower-case map and class of every BMP code point: :func:`build_char_tables`' arrays, read from
    ``cleaner/data/garble_chartables.npz`` when that file's key is :func:`char_tables_key` (~1 ms), else built
    here (~25-30 ms of the loader's start-up: a regex match object per code point, five patterns)."""
    shipped = _shipped_char_tables()
    return shipped if shipped is not None else build_char_tables()


def char_tables_key() -> str:
    """What :func:`build_char_tables`' answer depends on: the ``regex`` module (its own Unicode tables decide the
    classes), Python's Unicode database (``str.lower``), the patterns, :data:`CHAR_TABLES_VERSION` and the source
    of this module and of ``nn`` (the build code)."""
    import unicodedata

    from .._shipped import source_digest
    from . import nn
    from .nn import CLASS_PATTERNS

    return json.dumps({"version": CHAR_TABLES_VERSION, "regex": regex.__version__,
                       "source": source_digest(__file__, nn.__file__),
                       "unidata": unicodedata.unidata_version, "lower": _LOWER_PATTERN,
                       "classes": [[p, c] for p, c in _CLASS_PATTERNS],
                       "nn_classes": [[p, c] for p, c in CLASS_PATTERNS]}, sort_keys=True)


def char_table_arrays() -> dict[str, np.ndarray]:
    """The arrays of ``garble_chartables.npz`` (``scripts/build_garble_chartables.py``): the key, the lower-case
    map as its difference from the identity (int32, nearly all zeros: ~2 kB deflated), the classes and the
    sentence CNN's BMP token classes (``nn.build_classes(False)``, ~2 ms more of the loader's start-up)."""
    from .nn import build_classes

    low, cls = build_char_tables()
    delta = low.astype(np.int64) - np.arange(0x10000, dtype=np.int64)
    nn_cls = np.frombuffer(build_classes(False), dtype=np.uint8)
    return {"key": np.array(char_tables_key()), "low_delta": delta.astype(np.int32), "cls": cls, "nn_cls": nn_cls}


def _shipped_char_tables() -> tuple[np.ndarray, np.ndarray] | None:
    """The shipped tables, or None when the file is missing, unreadable or built under another key."""
    z = _shipped_arrays()
    return None if z is None else (z["low"], z["cls"])


def shipped_nn_classes() -> bytes | None:
    """``nn.build_classes(False)`` from the shipped file, or None (as :func:`_shipped_char_tables`)."""
    z = _shipped_arrays()
    return None if z is None else z["nn_cls"].tobytes()


@lru_cache(maxsize=1)
def _shipped_arrays() -> dict[str, np.ndarray] | None:
    """The shipped file's arrays (read once: the CNN's classes and the featuriser's tables come from it)."""
    from .._shipped import read_npz

    shape = (0x10000,)
    z = read_npz(CHAR_TABLES_PATH, char_tables_key(),
                 {"low_delta": ("i4", shape), "cls": ("u1", shape), "nn_cls": ("u1", shape)})
    if z is None:
        return None
    delta, cls, nn_cls = z["low_delta"], np.ascontiguousarray(z["cls"]), z["nn_cls"]
    low = np.arange(0x10000, dtype=np.int64) + delta
    if int(low.min()) < 0 or int(low.max()) > 0x10FFFF or int(cls.max()) > APO or int(nn_cls.max()) > 3:
        return None
    return {"low": low.astype(np.uint32), "cls": cls, "nn_cls": nn_cls}


def build_char_tables() -> tuple[np.ndarray, np.ndarray]:
    """Lower-case map and class of every BMP code point, from ``regex``'s Unicode properties (~30 ms)."""
    allc = np.arange(0x10000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")  # (no 65,536 str objects)
    low = np.arange(0x10000, dtype=np.uint32)
    for m in regex.finditer(_LOWER_PATTERN, allc):
        lc = m.group().lower()
        if len(lc) == 1:
            low[m.start()] = ord(lc)
    cls = np.full(0x10000, PUN, dtype=np.uint8)
    for pat, c in _CLASS_PATTERNS:
        idx = [m.start() for m in regex.finditer(pat, allc)]
        cls[idx] = c
    return low, cls


_POW: dict[str, np.ndarray] = {}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**k and P**-k modulo 2**64 for k < n (cached, grown on demand)."""
    if len(_POW.get("p", ())) < n:
        m = max(n, 2 * len(_POW.get("p", ())), 4096)
        with np.errstate(over="ignore"):
            p = np.cumprod(np.full(m, _P, dtype=np.uint64))
            q = np.cumprod(np.full(m, _Q, dtype=np.uint64))
        _POW["p"] = np.concatenate([[np.uint64(1)], p[:-1]])
        _POW["q"] = np.concatenate([[np.uint64(1)], q[:-1]])
    return _POW["p"], _POW["q"]


_U32 = np.uint64(32)


def fingerprint(h: np.ndarray) -> np.ndarray:
    """32-bit fingerprint of 64-bit hashes (for the sorted look-up tables)."""
    return (h >> _U32).astype(np.uint32)


def lookup(table: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, position) of ``keys`` (uint32) in the sorted ``table``.

    Compiled (``vec_lookup``) when built: a binary search inside the key's bucket of
    :data:`_LOOKUP_SHIFT` bits (:func:`_bucket_index`), the same positions as ``np.searchsorted``."""
    if len(table) == 0:
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
    if _native is not None and table.dtype == keys.dtype == np.uint32:
        found, pos = np.empty(len(keys), dtype=bool), np.empty(len(keys), dtype=np.int64)
        t = np.ascontiguousarray(table)
        _native.vec_lookup(t, _bucket_index(t), _LOOKUP_SHIFT, np.ascontiguousarray(keys), found.view(np.uint8), pos)
        return found, pos
    pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[pos] == keys, pos


_LOOKUP_SHIFT = 20
"""Fingerprints are bucketed by their top 12 bits: 4,097 offsets (32 kB) per table, ~10-30 entries a bucket."""
_INDEX: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _bucket_index(table: np.ndarray) -> np.ndarray:
    """``np.searchsorted(table, b << _LOOKUP_SHIFT)`` for every bucket ``b``, then ``len(table)`` (once per table)."""
    hit = _INDEX.get(id(table))
    if hit is None or hit[0] is not table:
        starts = np.arange(1 << (32 - _LOOKUP_SHIFT), dtype=np.uint64) << np.uint64(_LOOKUP_SHIFT)
        idx = np.append(np.searchsorted(table.astype(np.uint64), starts), len(table)).astype(np.int64)
        if len(_INDEX) > 64:
            _INDEX.clear()  # (tables are a handful per model; this only bounds a test's throwaway ones)
        hit = _INDEX[id(table)] = (table, idx)
    return hit[1]


@dataclass(frozen=True)
class Tables:
    """Clean-text statistics used by :func:`featurise` (sorted fingerprints + values)."""

    vocab: np.ndarray  # uint32 sorted word fingerprints
    vocab_logp: np.ndarray  # float32 log-probability per word
    vocab_fw: np.ndarray  # bool: one of the N_FUNCTION_WORDS most frequent
    oov_logp: float
    bigram: np.ndarray  # uint32 sorted fingerprints of word bigrams seen >= 2 times
    bigram_logp: np.ndarray  # float32 log P(w2 | w1)
    skel3: np.ndarray  # uint32 sorted fingerprints of skeleton trigrams seen >= 2 times
    zh_uni: np.ndarray
    zh_uni_logp: np.ndarray
    zh_oov_logp: float
    zh_bi: np.ndarray
    zh_bi_logp: np.ndarray
    lm: LM | None = None  # the English trigram LM (garble_lm.npz); None: its features stay 0


@dataclass
class Tokens:
    """Tokens of a batch: owner sentence, class, hash, upper-case start, start/end offsets."""

    seg: np.ndarray
    cls: np.ndarray
    h: np.ndarray
    upper: np.ndarray
    start: np.ndarray
    end: np.ndarray


def encode(sentences: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Code points (original, lower-cased), owner sentence per code point, and sentence offsets.

    Each sentence is padded with one space on either side, so tokens never cross
    sentences; n-grams are masked by owner.
    """
    lens = np.fromiter((len(s) + 2 for s in sentences), dtype=np.int64, count=len(sentences))
    joined = " " + "  ".join(sentences) + " "
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lowt, _ = _tables()
    if len(codes) and int(codes.max()) < 0x10000:
        low = lowt[codes]  # the common case: no astral code points
    else:
        low = np.where(codes < 0x10000, lowt[np.minimum(codes, 0xFFFF)], codes)
    seg = np.repeat(np.arange(len(sentences)), lens)
    offs = np.concatenate([[0], np.cumsum(lens)])
    return codes, low, seg, offs


def _encode_batch(
    sentences: list[str], want64: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, bool | None]:
    """:func:`encode`, plus (compiled path) ``low`` as uint64 when ``want64`` and :func:`featurise`'s glued-word
    hint; the numpy path gives None for both (the caller computes them).

    Compiled (``vec_encode``) for a non-empty list: one pass instead of the join, the UTF-32 encoding, the table
    gather, ``np.repeat`` and ``np.cumsum``; the same arrays (tests/garble/test_vec.py)."""
    if _native is not None and type(sentences) is list and sentences:
        total = sum(map(len, sentences)) + 2 * len(sentences)
        codes, low = np.empty(total, dtype=np.uint32), np.empty(total, dtype=np.uint32)
        seg, offs = np.empty(total, dtype=np.int64), np.empty(len(sentences) + 1, dtype=np.int64)
        low64 = np.empty(total, dtype=np.uint64) if want64 else None
        hint = _native.vec_encode(sentences, _tables()[0], codes, low, seg, offs, low64)
        return codes, low, seg, offs, low64, bool(hint)
    codes, low, seg, offs = encode(sentences)
    return codes, low, seg, offs, None, None


def tokenize(codes: np.ndarray, low: np.ndarray, seg: np.ndarray) -> Tokens:
    """Tokens of the joined code points: the compiled kernel (``vec_tokenize``) when built, else numpy;
    the same arrays either way (tests/garble/test_vec.py)."""
    if _native is not None and codes.dtype == np.uint32 and low.dtype == np.uint32 and seg.dtype == np.int64:
        return _tokenize_native(codes, low, seg)
    return _tokenize_numpy(codes, low, seg)


def _tokenize_native(codes: np.ndarray, low: np.ndarray, seg: np.ndarray) -> Tokens:
    n = len(codes)
    tseg, tcls = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.uint8)
    h, upper = np.empty(n, dtype=np.uint64), np.empty(n, dtype=bool)
    start, end = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    k = _native.vec_tokenize(
        np.ascontiguousarray(codes), np.ascontiguousarray(low), np.ascontiguousarray(seg), _tables()[1], _Q,
        tseg, tcls, h, upper.view(np.uint8), start, end,
    )
    return Tokens(tseg[:k], tcls[:k], h[:k], upper[:k], start[:k], end[:k])


def _tokenize_numpy(codes: np.ndarray, low: np.ndarray, seg: np.ndarray) -> Tokens:
    _, clst = _tables()
    if len(codes) and int(codes.max()) < 0x10000:
        cls = clst[codes]
    else:
        cls = np.where(codes < 0x10000, clst[np.minimum(codes, 0xFFFF)], PUN).astype(np.uint8)
    if len(cls) > 2:
        # an apostrophe between two letters belongs to the word ("don't", "Ireland’s")
        inner = (cls[1:-1] == APO) & (cls[:-2] == LET) & (cls[2:] == LET)
        cls[1:-1][inner] = LET
    cls[cls == APO] = PUN
    prev = np.concatenate([[SPACE], cls[:-1]])
    nxt = np.concatenate([cls[1:], [SPACE]])
    single = (cls == PUN) | (cls == HAN)
    solid = cls != SPACE
    starts = np.flatnonzero(solid & ((cls != prev) | single))
    ends = np.flatnonzero(solid & ((cls != nxt) | single)) + 1
    ppow, qpow = _powers(len(low) + 1)
    with np.errstate(over="ignore"):
        s = np.concatenate([[np.uint64(0)], np.cumsum(low.astype(np.uint64) * qpow[: len(low)])])
        h = _mix((s[ends] - s[starts]) * ppow[starts])
    upper = codes[starts] != low[starts]
    return Tokens(seg[starts], cls[starts], h, upper, starts, ends)


def hash_strings(words: list[str]) -> np.ndarray:
    """The token hash :func:`tokenize` gives each of ``words`` (each taken as one token)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    _codes, low, _seg, offs = encode(words)
    ppow, qpow = _powers(len(low) + 1)
    a = offs[:-1] + 1
    b = offs[1:] - 1
    with np.errstate(over="ignore"):
        s = np.concatenate([[np.uint64(0)], np.cumsum(low.astype(np.uint64) * qpow[: len(low)])])
        return _mix((s[b] - s[a]) * ppow[a])


def ngram_hashes_multi(
    seq: np.ndarray, seg: np.ndarray, ns: tuple[int, ...], salts: tuple[np.uint64, ...]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hashes (and owners) of the ``n``-grams of ``seq`` that stay within one owner, for each n.

    One prefix sum serves every order: ``hash(i, n) = (T[i+n] - T[i]) * P**i`` with
    ``T[k] = sum_{j<k} seq_j * P**-j`` (modulo 2**64), salted per order and mixed.
    """
    if _native is not None and seq.dtype == np.uint64 and seg.dtype == np.int64:
        return _ngrams_native(seq, seg, ns, salts)
    out = []
    ppow, qpow = _powers(len(seq) + 1)
    with np.errstate(over="ignore"):
        t = np.concatenate([[np.uint64(0)], np.cumsum(seq * qpow[: len(seq)])])
        for n, salt in zip(ns, salts, strict=True):
            m = len(seq) - n + 1
            if m <= 0:
                out.append((np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)))
                continue
            ok = seg[:m] == seg[n - 1 :]
            h = _mix(((t[n : n + m] - t[:m]) * ppow[:m]) ^ salt)
            out.append((h[ok], seg[:m][ok]))
    return out


@lru_cache(maxsize=16)
def _ngram_args(ns: tuple[int, ...], salts: tuple[np.uint64, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``vec_ngrams``' order and salt arrays (read-only, cached: the same two or three tuples every batch)."""
    a, b = np.array(ns, dtype=np.int64), np.array(salts, dtype=np.uint64)
    a.flags.writeable = b.flags.writeable = False
    return a, b


def _ngrams_native(
    seq: np.ndarray, seg: np.ndarray, ns: tuple[int, ...], salts: tuple[np.uint64, ...]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`ngram_hashes_multi` by the compiled kernel (``vec_ngrams``): the same hashes, in the same order."""
    cap = sum(max(len(seq) - n + 1, 0) for n in ns)
    h, o = np.empty(cap, dtype=np.uint64), np.empty(cap, dtype=np.int64)
    ns_arr, salts_arr = _ngram_args(ns, salts)
    counts = _native.vec_ngrams(np.ascontiguousarray(seq), np.ascontiguousarray(seg), ns_arr, salts_arr, _Q, h, o)
    out = []
    a = 0
    for c in counts:
        out.append((h[a : a + c], o[a : a + c]))
        a += c
    return out


def ngram_hashes(seq: np.ndarray, seg: np.ndarray, n: int, salt: np.uint64) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ngram_hashes_multi` for one order."""
    return ngram_hashes_multi(seq, seg, (n,), (salt,))[0]


_BOS = _salt("<s>")
_EOS = _salt("</s>")
_NUM = _salt("<N>")
_SHAPE = np.array([_salt(f"{u}{c}") for u in "lC" for c in range(6)], dtype=np.uint64)
_SALT = {k: _salt(k) for k in ("c1", "c2", "c3", "c4", "c5", "a1", "a2", "a3", "a4", "lm2")}
_A_SALTS = np.array([_SALT[f"a{k}"] for k in (1, 2, 3, 4)], dtype=np.uint64)
_A_SALTS.flags.writeable = False
_C_NS = {False: (3, 4, 5), True: (1, 2, 3)}
"""Character n-gram orders of :func:`featurise` (by ``is_zh``), with their salts below (built once, not per batch)."""
_C_SALTS = {z: tuple(_SALT[f"c{k}"] for k in ns) for z, ns in _C_NS.items()}
_IS_ZH = DENSE_NAMES.index("is_zh")


def lm_bigram_hash(prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Hash of the token bigram (prev, nxt) in the clean-text bigram tables (English words and
    Han characters): the build and the featuriser must hash alike, so both call this."""
    with np.errstate(over="ignore"):
        out: np.ndarray = _mix((prev ^ _SALT["lm2"]) * _PU ^ nxt)
    return out


def with_bounds(values: np.ndarray, tseg: np.ndarray, n_sent: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` per token with <s> / </s> inserted around every sentence; owners; token positions."""
    cnt = np.bincount(tseg, minlength=n_sent)
    start_ext = np.concatenate([[0], np.cumsum(cnt + 2)])[:-1]
    pos = np.arange(len(values)) + 2 * tseg + 1
    ext = np.full(len(values) + 2 * n_sent, _EOS, dtype=np.uint64)
    ext[start_ext] = _BOS
    ext[pos] = values
    return ext, np.repeat(np.arange(n_sent), cnt + 2), pos


_SKEL = _salt("skeleton")


def token_ngrams(
    tok: Tokens, sk: np.ndarray, n: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], tuple[np.ndarray, np.ndarray]]:
    """Word and skeleton 1..4-grams in one pass, and the skeleton trigrams (for the coverage table).

    The word sequence and the (salted) skeleton sequence of every sentence, each with <s>/</s>,
    are laid end to end as 2n pseudo-sentences, so one prefix sum hashes all of them.
    The compiled kernel (``vec_token_ngrams``) when built: the same hashes, owners and order.
    """
    if _native is not None and tok.h.dtype == sk.dtype == np.uint64 and tok.seg.dtype == np.int64 and n > 0:
        return _token_ngrams_native(tok, sk, n)
    vals = np.concatenate([tok.h, sk ^ _SKEL])
    ext, eseg, _ = with_bounds(vals, np.concatenate([tok.seg, tok.seg + n]), 2 * n)
    grams = ngram_hashes_multi(ext, eseg, (1, 2, 3, 4), tuple(_SALT[f"a{k}"] for k in (1, 2, 3, 4)))
    h3, o3 = grams[2]
    skel = o3 >= n
    return [(h, o % n) for h, o in grams], (h3[skel], o3[skel] - n)


def _token_ngrams_native(
    tok: Tokens, sk: np.ndarray, n: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], tuple[np.ndarray, np.ndarray]]:
    e = 2 * len(tok.h) + 4 * n
    cap = sum(max(e - k + 1, 0) for k in (1, 2, 3, 4))
    h, o = np.empty(cap, dtype=np.uint64), np.empty(cap, dtype=np.int64)
    h3, o3 = np.empty(e, dtype=np.uint64), np.empty(e, dtype=np.int64)
    salts = _A_SALTS
    counts, n3 = _native.vec_token_ngrams(
        np.ascontiguousarray(tok.h), np.ascontiguousarray(sk), np.ascontiguousarray(tok.seg), n, salts,
        int(_SKEL), int(_BOS), int(_EOS), _Q, h, o, h3, o3,
    )
    grams = []
    a = 0
    for c in counts:
        grams.append((h[a : a + c], o[a : a + c]))
        a += c
    return grams, (h3[:n3], o3[:n3])


def skeleton(tok: Tokens, found: np.ndarray, pos: np.ndarray, tab: Tables) -> np.ndarray:
    """Function words verbatim, other words as shape + frequency class, numbers as <N>, marks verbatim.

    Compiled (``vec_skeleton``) when built and the vocabulary columns are float32 / bool and not empty:
    the same values (its frequency class copies numpy's float32 floor division; tests/garble/test_vec.py)."""
    if (
        _native is not None and len(tab.vocab_logp) and tab.vocab_logp.dtype == np.float32
        and tab.vocab_fw.dtype == np.bool_ and len(tab.vocab_fw) == len(tab.vocab_logp)
        and found.dtype == np.bool_ and pos.dtype == np.int64
    ):
        out = np.empty(len(tok.h), dtype=np.uint64)
        _native.vec_skeleton(
            np.ascontiguousarray(found).view(np.uint8), np.ascontiguousarray(pos),
            np.ascontiguousarray(tab.vocab_fw).view(np.uint8),
            np.ascontiguousarray(tab.vocab_logp), np.ascontiguousarray(tok.upper).view(np.uint8),
            np.ascontiguousarray(tok.cls, dtype=np.uint8), np.ascontiguousarray(tok.h, dtype=np.uint64), _SHAPE,
            int(_NUM), LET, DIG, out,
        )
        return out
    fw = _vals(tab.vocab_fw, pos, found, 0.0).astype(bool)
    lp = _vals(tab.vocab_logp, pos, found, 99.0)
    fc = np.where(found, np.minimum(4, (-lp // 3)).astype(np.int64), 5)
    shape = _SHAPE[tok.upper.astype(np.int64) * 6 + np.clip(fc, 0, 5)]
    sk = np.where(tok.cls == LET, np.where(fw, tok.h, shape), tok.h)
    return np.where(tok.cls == DIG, _NUM, sk)


def word_bigram_buckets(tok: Tokens) -> np.ndarray:
    """Bucket of the word-bigram feature of tokens (i, i + 1), for every i (meaningful within a sentence).

    Equal to the word 2-gram hash :func:`token_ngrams` gives :func:`featurise` (the model's weights):
    :func:`ngram_hashes_multi`'s ``(h_i + h_{i+1} * P**-1) ^ salt``, mixed, with the ``a2`` salt.
    """
    if len(tok.h) < 2:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(over="ignore"):
        h = _mix((tok.h[:-1] + tok.h[1:] * np.uint64(_Q)) ^ _SALT["a2"])
    return (h & np.uint64(HASH_SIZE - 1)).astype(np.int64)


def _vals(values: np.ndarray, pos: np.ndarray, found: np.ndarray, default: float) -> np.ndarray:
    """``values[pos]`` where ``found``, else ``default`` (safe on empty tables)."""
    if len(values) == 0:
        return np.full(len(pos), default, dtype=np.float64)
    return np.where(found, values[pos], default)


def _per_sent(seg: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(seg, weights=vals, minlength=n)


def _seg_min(seg: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    np.minimum.at(out, seg, vals)
    return out


def _seg_max(seg: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    np.maximum.at(out, seg, vals)
    return out


def _dense_native(tab: Tables, tok: Tokens, n: int) -> bool:
    """Whether ``vec_dense_en`` computes the English dense columns: the kernel is built and the tables have
    the types that make the numpy path's float work float32 (float32 columns, not empty; ``oov_logp`` a
    Python float, which numpy rounds to float32 beside them; a numpy float64 would make it float64), and
    fewer than 2**24 sentences (the numpy path's repeated-bigram keys hold the owner in 24 bits)."""
    return (
        _native is not None and n < (1 << 24) and type(tab.oov_logp) is float
        and tab.vocab_logp.dtype == np.float32 and len(tab.vocab_logp) > 0
        and tab.bigram.dtype == np.uint32 and len(tab.bigram) > 0
        and tab.bigram_logp.dtype == np.float32 and len(tab.bigram_logp) >= len(tab.bigram)
        and tok.seg.dtype == np.int64 and tok.seg.flags.c_contiguous
    )


@dataclass
class Batch:
    """Features of a batch: unique bucket ids with their owner sentence, and dense rows."""

    ids: np.ndarray
    owner: np.ndarray
    dense: np.ndarray
    tokens: Tokens
    offs: np.ndarray


def featurise(sentences: list[str], lang: str, tab: Tables, *, sparse: bool = True) -> Batch:
    """Sparse bucket ids and dense features of ``sentences`` (all in language ``lang``).

    ``sparse=False`` leaves the bucket ids empty (no n-gram hashing, no sort): the Chinese model
    reads dense columns only, and its batches skipped about a quarter of this work's time."""
    n = len(sentences)
    is_zh = lang == "zh"
    if not is_zh and sparse and _native is not None and type(sentences) is list and 0 < n < (1 << 24):
        en = _en_native_tables(tab)
        if en is not None:
            return _featurise_en_native(sentences, tab, en)
    codes, low, seg, offs, low64, glued_hint = _encode_batch(sentences, sparse and not is_zh)
    tok = tokenize(codes, low, seg)
    parts: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    # character n-grams (Chinese: 1..3 over the text without spaces; English: 3..5)
    if sparse:
        if is_zh:
            keep = codes != 32
            cl, cs = low[keep].astype(np.uint64), seg[keep]
        else:
            cl, cs = (low.astype(np.uint64) if low64 is None else low64), seg
        for h, o in ngram_hashes_multi(cl, cs, _C_NS[is_zh], _C_SALTS[is_zh]):
            parts.append(h)
            owners.append(o)
    found, pos = lookup(tab.vocab, fingerprint(tok.h))
    word = tok.cls == LET
    d = np.zeros((n, len(dense_names(tab))), dtype=np.float32)
    d[:, 0] = 1.0
    ntok = np.bincount(tok.seg, minlength=n).astype(np.float64)
    d[:, 1] = np.log1p(ntok)
    d[:, _IS_ZH] = float(is_zh)
    if not is_zh:
        grams, (h3, o3) = token_ngrams(tok, skeleton(tok, found, pos, tab), n)
        if sparse:
            for h, o in grams:
                parts.append(h)
                owners.append(o)
        f3, _ = lookup(tab.skel3, fingerprint(h3))
    big_h: np.ndarray | None = None
    if not is_zh and _dense_native(tab, tok, n):
        bt = np.ascontiguousarray(tab.bigram)
        _native.vec_dense_en(
            tok.seg, np.ascontiguousarray(tok.cls, dtype=np.uint8), np.ascontiguousarray(tok.h, dtype=np.uint64),
            np.ascontiguousarray(tok.upper).view(np.uint8), np.ascontiguousarray(tok.start, dtype=np.int64),
            np.ascontiguousarray(tok.end, dtype=np.int64), np.ascontiguousarray(found).view(np.uint8),
            np.ascontiguousarray(pos, dtype=np.int64), np.ascontiguousarray(tab.vocab_logp), tab.oov_logp,
            bt, _bucket_index(bt), _LOOKUP_SHIFT, np.ascontiguousarray(tab.bigram_logp),
            np.ascontiguousarray(f3).view(np.uint8),
            np.ascontiguousarray(o3, dtype=np.int64), int(_SALT["lm2"]), _P, LET, n, d,
        )
        # (columns 2-10 and 12 are done, the repeated bigrams among them: big_h stays None)
        if tab.lm is not None:
            from .lm import lm_features

            d[:, len(DENSE_NAMES) :] = lm_features(tab.lm, tok, n, names=LM_DENSE)
    elif not is_zh:
        d[:, 9] = _per_sent(o3, (~f3).astype(np.float64), n) / np.maximum(np.bincount(o3, minlength=n), 1)
        nw = np.bincount(tok.seg[word], minlength=n).astype(np.float64)
        oov = word & ~found
        d[:, 2] = np.bincount(tok.seg[oov], minlength=n) / np.maximum(nw, 1)
        lengths = tok.end - tok.start
        low_oov = oov & ~tok.upper & (lengths >= 4)
        d[:, 3] = np.bincount(tok.seg[low_oov], minlength=n) / np.maximum(nw, 1)
        ulp = _vals(tab.vocab_logp, pos, found, tab.oov_logp)
        d[:, 4] = _per_sent(tok.seg[word], ulp[word], n) / np.maximum(nw, 1) / 10.0
        d[:, 5] = _seg_min(tok.seg[word], ulp[word], n) / 10.0
        # clean-text word bigram language model (stupid backoff: seen -> log P(w2|w1),
        # unseen -> log P(w2) - 2.5), over adjacent tokens of one sentence
        same = tok.seg[:-1] == tok.seg[1:]
        bh = lm_bigram_hash(tok.h[:-1], tok.h[1:])[same]
        bseg = tok.seg[:-1][same]
        fb, pb = lookup(tab.bigram, fingerprint(bh))
        nb = np.bincount(bseg, minlength=n)
        back = ulp[1:][same] - 2.5
        blp = np.where(fb, _vals(tab.bigram_logp, pb, fb, 0.0), back)
        d[:, 6] = _per_sent(bseg, (~fb).astype(np.float64), n) / np.maximum(nb, 1)
        d[:, 7] = _per_sent(bseg, blp, n) / np.maximum(nb, 1) / 10.0
        d[:, 8] = _seg_max(bseg, -blp, n) / 10.0
        big_seg = bseg
        big_h = bh
        caps = word & tok.upper & (np.concatenate([[False], same]))
        d[:, 12] = np.bincount(tok.seg[caps], minlength=n) / np.maximum(ntok, 1)
        if tab.lm is not None:
            from .lm import lm_features

            d[:, len(DENSE_NAMES) :] = lm_features(tab.lm, tok, n, names=LM_DENSE)
    else:
        han = tok.cls == HAN
        hs, hh = tok.seg[han], tok.h[han]
        hstart, hend = tok.start[han], tok.end[han]
        adj = (hs[:-1] == hs[1:]) & (hend[:-1] == hstart[1:])
        zb = lm_bigram_hash(hh[:-1], hh[1:])[adj]
        zseg = hs[:-1][adj]
        fu, pu = lookup(tab.zh_uni, fingerprint(hh))
        ulp = _vals(tab.zh_uni_logp, pu, fu, tab.zh_oov_logp)
        fz, pz = lookup(tab.zh_bi, fingerprint(zb))
        zlp = np.where(fz, _vals(tab.zh_bi_logp, pz, fz, 0.0), ulp[1:][adj] - 1.0)
        nz = np.bincount(zseg, minlength=n)
        d[:, 13] = _per_sent(zseg, zlp, n) / np.maximum(nz, 1) / 10.0
        d[:, 14] = _seg_min(zseg, zlp, n) / 10.0
        d[:, 15] = _per_sent(zseg, (~fz).astype(np.float64), n) / np.maximum(nz, 1)
        nlet = np.bincount(tok.seg[word], weights=(tok.end - tok.start)[word], minlength=n)
        nhan = np.bincount(hs, minlength=n)
        d[:, 16] = nlet / np.maximum(nlet + nhan, 1)
        big_seg, big_h = zseg, zb
    # repeated bigrams ("the the", "露天露天")
    if big_h is not None and len(big_h):
        key = np.sort(big_seg.astype(np.uint64) << np.uint64(40) ^ (big_h >> np.uint64(24)))
        uniq = key[np.concatenate([[True], key[1:] != key[:-1]])]
        nb = np.bincount(big_seg, minlength=n)
        nu = np.bincount((uniq >> np.uint64(40)).astype(np.int64), minlength=n)
        d[:, 10] = (nb - nu) / np.maximum(nb, 1)
    # glued words need a lower-case letter followed by an upper-case one: a vectorised test of
    # that (a superset: codes >= 97 that lower-case to themselves, then a code that does not)
    # runs first, the regex only when it passes
    if glued_hint is None and not is_zh:
        glued_hint = bool(np.any((codes[1:] != low[1:]) & (codes[:-1] == low[:-1]) & (codes[:-1] >= 97)))
    if not is_zh and glued_hint:
        joined_off = offs
        gl = _glued_starts(_joined(sentences), codes)
        if gl:
            owner = np.searchsorted(joined_off, np.asarray(gl), side="right") - 1
            d[:, 11] = np.bincount(owner, minlength=n)
    key = _sparse_keys(parts, owners)
    return Batch(key & (HASH_SIZE - 1), key >> HASH_BITS, d, tok, offs)


_EnTables = tuple[np.ndarray, ...]
_EN_TABLES: dict[int, tuple[Tables, _EnTables | None]] = {}


def _en_native_tables(tab: Tables) -> _EnTables | None:
    """The table arrays :func:`_featurise_en_native` hands the kernels, C-contiguous and viewed as the kernels read
    them (once per ``Tables``), or None when the compiled English path does not take ``tab``: the conditions under
    which :func:`featurise` runs every kernel (``vec_lookup``, ``vec_skeleton``, ``vec_dense_en``: uint32 sorted
    tables, float32 values, a bool function-word column, a Python float ``oov_logp``; :func:`_dense_native`), with
    the vocabulary and skeleton tables not empty."""
    hit = _EN_TABLES.get(id(tab))
    if hit is not None and hit[0] is tab:
        return hit[1]
    ok = (
        type(tab.oov_logp) is float and tab.vocab.dtype == np.uint32 and len(tab.vocab) > 0
        and tab.vocab_logp.dtype == np.float32 and len(tab.vocab_logp) > 0
        and tab.vocab_fw.dtype == np.bool_ and len(tab.vocab_fw) == len(tab.vocab_logp)
        and tab.bigram.dtype == np.uint32 and len(tab.bigram) > 0
        and tab.bigram_logp.dtype == np.float32 and len(tab.bigram_logp) >= len(tab.bigram)
        and tab.skel3.dtype == np.uint32 and len(tab.skel3) > 0
    )
    out: _EnTables | None = None
    if ok:
        vocab, bt, skel3 = (np.ascontiguousarray(a) for a in (tab.vocab, tab.bigram, tab.skel3))
        out = (vocab, _bucket_index(vocab), np.ascontiguousarray(tab.vocab_fw).view(np.uint8),
               np.ascontiguousarray(tab.vocab_logp), bt, _bucket_index(bt), np.ascontiguousarray(tab.bigram_logp),
               skel3, _bucket_index(skel3))
    if len(_EN_TABLES) > 16:
        _EN_TABLES.clear()  # (a model has one Tables; this only bounds a test's throwaway ones)
    _EN_TABLES[id(tab)] = (tab, out)
    return out


def _native_lookup(table: np.ndarray, index: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lookup` by ``vec_lookup`` for a uint32 ``table`` (not empty) with its :func:`_bucket_index`."""
    found, pos = np.empty(len(keys), dtype=bool), np.empty(len(keys), dtype=np.int64)
    _native.vec_lookup(table, index, _LOOKUP_SHIFT, keys, found.view(np.uint8), pos)
    return found, pos


def _featurise_en_native(sentences: list[str], tab: Tables, en: _EnTables) -> Batch:
    """:func:`featurise` of English ``sentences`` (a non-empty list) with the compiled kernels: the same calls on the
    same arrays in the same order, without the per-call conversions (every array here is made contiguous with the
    kernels' dtypes, the tables once by :func:`_en_native_tables`) and with each kernel's n-gram output handed to
    ``vec_keys`` whole instead of as one slice per order (the same keys in the same order).  ~40 small numpy and
    Python steps per batch fewer (s8); tests/garble/test_vec.py compares it with the general path."""
    vocab, vidx, fw, vlp, bt, bidx, blp, skel3, sidx = en
    n = len(sentences)
    codes, low, seg, offs, low64, glued_hint = _encode_batch(sentences, True)
    assert low64 is not None
    tok = _tokenize_native(codes, low, seg)
    t = len(tok.h)
    # character 3..5-grams (one buffer, the orders one after another)
    ns_arr, salts_arr = _ngram_args(_C_NS[False], _C_SALTS[False])
    cap = sum(max(len(low64) - k + 1, 0) for k in _C_NS[False])
    hc, oc = np.empty(cap, dtype=np.uint64), np.empty(cap, dtype=np.int64)
    nc = sum(_native.vec_ngrams(low64, seg, ns_arr, salts_arr, _Q, hc, oc))
    found, pos = _native_lookup(vocab, vidx, fingerprint(tok.h))
    d = np.zeros((n, len(dense_names(tab))), dtype=np.float32)
    d[:, 0] = 1.0
    d[:, 1] = np.log1p(np.bincount(tok.seg, minlength=n).astype(np.float64))
    upper, cls = tok.upper.view(np.uint8), tok.cls
    sk = np.empty(t, dtype=np.uint64)
    found8 = found.view(np.uint8)
    _native.vec_skeleton(found8, pos, fw, vlp, upper, cls, tok.h, _SHAPE, int(_NUM), LET, DIG, sk)
    # word and skeleton 1..4-grams, the skeleton trigrams apart
    e = 2 * t + 4 * n
    cap = sum(max(e - k + 1, 0) for k in (1, 2, 3, 4))
    ht, ot = np.empty(cap, dtype=np.uint64), np.empty(cap, dtype=np.int64)
    h3, o3 = np.empty(e, dtype=np.uint64), np.empty(e, dtype=np.int64)
    counts, n3 = _native.vec_token_ngrams(tok.h, sk, tok.seg, n, _A_SALTS, int(_SKEL), int(_BOS), int(_EOS), _Q, ht,
                                          ot, h3, o3)
    f3, _ = _native_lookup(skel3, sidx, fingerprint(h3[:n3]))
    _native.vec_dense_en(
        tok.seg, cls, tok.h, upper, tok.start, tok.end, found8, pos, vlp, tab.oov_logp, bt, bidx, _LOOKUP_SHIFT, blp,
        f3.view(np.uint8), o3[:n3], int(_SALT["lm2"]), _P, LET, n, d,
    )
    if tab.lm is not None:
        from .lm import lm_features

        d[:, len(DENSE_NAMES) :] = lm_features(tab.lm, tok, n, names=LM_DENSE)
    if glued_hint:
        gl = _glued_starts(_joined(sentences), codes)
        if gl:
            owner = np.searchsorted(offs, np.asarray(gl), side="right") - 1
            d[:, 11] = np.bincount(owner, minlength=n)
    nt = sum(counts)
    out = np.empty(nc + nt, dtype=np.int64)
    key = out[: _native.vec_keys((hc[:nc], ht[:nt]), (oc[:nc], ot[:nt]), HASH_BITS, out)]
    return Batch(key & (HASH_SIZE - 1), key >> HASH_BITS, d, tok, offs)


def _sparse_keys(parts: list[np.ndarray], owners: list[np.ndarray]) -> np.ndarray:
    """The sorted unique ``owner << HASH_BITS | bucket`` keys of the sparse features (``vec_keys`` when built)."""
    if _native is not None:
        hs = tuple(np.ascontiguousarray(h, dtype=np.uint64) for h in parts)
        os_ = tuple(np.ascontiguousarray(o, dtype=np.int64) for o in owners)
        out = np.empty(sum(len(h) for h in hs), dtype=np.int64)
        return out[: _native.vec_keys(hs, os_, HASH_BITS, out)]
    allh = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    allo = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
    key = (allo.astype(np.int64) << HASH_BITS) | (allh & np.uint64(HASH_SIZE - 1)).astype(np.int64)
    key = np.sort(key)
    out_: np.ndarray = key[np.concatenate([[True], key[1:] != key[:-1]])] if len(key) else key
    return out_


def _glued_starts(joined: str, codes: np.ndarray) -> list[int]:
    """``[m.start() for m in GLUED_RE.finditer(joined)]``, ``codes`` the code points of ``joined`` (s8b).

    A match is a whole run of letters and digits (its look-arounds), so it lies between two spaces, and it holds
    three ``\\p{Ll}``, a ``\\p{Lu}`` and two ``\\p{Ll}`` in a row.  Every ``\\p{Ll}`` is in ``[a-z]`` or >= U+00AA and
    every ``\\p{Lu}`` in ``[A-Z]`` or >= U+00C0 (in any Unicode version: Latin-1's letters are fixed, ª and º aside), so
    six such code points in a row, found by numpy, mark the space-delimited chunks that can hold a match; the
    regex, asked only there (``pos``/``endpos`` at the chunk's spaces, which its look-arounds read as a non-letter,
    as they read the ends), finds the same matches.  It cost ~880 instructions a character over the whole batch
    on the ~1 in 9 English batches with a glued-word hint.
    """
    n = len(codes)
    if n < 6:
        return [m.start() for m in _GLUED.finditer(joined)]
    lo = ((codes >= 0x61) & (codes <= 0x7A)) | (codes >= 0xAA)
    up = ((codes >= 0x41) & (codes <= 0x5A)) | (codes >= 0xC0)
    hits = np.flatnonzero(lo[:-5] & lo[1:-4] & lo[2:-3] & up[3:-2] & lo[4:-1] & lo[5:])
    out: list[int] = []
    done = 0
    for k in hits.tolist():
        if k < done:
            continue  # (its chunk was searched)
        a = joined.rfind(" ", 0, k) + 1
        done = joined.find(" ", k)
        if done < 0:
            done = len(joined)
        out += [m.start() for m in _GLUED.finditer(joined, a, done)]
    return out


def _joined(sentences: list[str]) -> str:
    return " " + "  ".join(sentences) + " "


ZH_NAMES = ("zh_bigram_logp", "ascii_full_stop", "ascii_quote", "cjk_mark_rate")
"""Inputs of the separate Chinese sentence model (see :func:`zh_features`)."""
_ZH_HAN = "\u3400-\u9fff\uf900-\ufaff"
# An ASCII full stop right after a Han character ("...的呕吐.", not ".." teaser truncation,
# not a decimal point) and an ASCII double quote next to a Han character.  Both are what the
# en->zh MT of MLQE emits where a translator writes 。 and “ ”; NFKC folding of full-width
# punctuation (common in scraped Chinese: the seed 001 news page) turns ， into "," but leaves
# 。 and “ ” alone, so these two marks stay rare in fluent web Chinese.  The ASCII *comma*
# separated train MT from post-edits as well, but NFKC makes it ordinary: not used.
_ZH_DOT = re.compile(f"[{_ZH_HAN}]\\.(?![.\\d])")
_ZH_QUOTE = re.compile(f'[{_ZH_HAN}]"|"[{_ZH_HAN}]')
# Chinese punctuation that NFKC leaves alone (。、 quotes, title and corner brackets; the half-width
# forms of 。、「」 fold into them), counted per Han character.  Translators write 。“”、《》 where the
# MLQE en->zh MT writes ". , or nothing (titles without 《》, lists without 、); full-width ，：；（）
# are not counted because NFKC, common in scraped Chinese, folds them into ASCII (seed 001).
_ZH_MARK = re.compile("[。、《》“”‘’「」『』【】｡､｢｣]")
_ZH_HAN_RE = re.compile(f"[{_ZH_HAN}]")
ZH_MARK_CAP = 0.5
"""Upper bound of ``cjk_mark_rate`` (see :func:`zh_features`)."""


def zh_features(sentences: list[str], batch: Batch) -> np.ndarray:
    """Rows of :data:`ZH_NAMES` for Chinese ``sentences`` featurised as ``batch``.

    The clean-text character-bigram log-probability (stupid backoff, mean over the
    sentence), two MT punctuation marks and the rate of NFKC-stable Chinese marks per Han
    character; chosen by repeated 4-fold CV on the 26 train Chinese MT/post-edit pairs (pairs
    kept together), see ``bench/results/garble.md``.
    """
    out = np.zeros((len(sentences), len(ZH_NAMES)), dtype=np.float64)
    out[:, 0] = batch.dense[:, DENSE_NAMES.index("zh_bigram_logp")]
    out[:, 1] = [1.0 if _ZH_DOT.search(s) else 0.0 for s in sentences]
    out[:, 2] = [1.0 if _ZH_QUOTE.search(s) else 0.0 for s in sentences]
    # capped at 0.5, the most any train item reaches: a list of titles (《家》、《春》、《秋》。, 1.1)
    # or a quoted name alone would otherwise give a sentence logit of -10 or less and cancel a
    # document's flag by itself (the document score is the mean of sentence logits)
    out[:, 3] = [min(ZH_MARK_CAP, len(_ZH_MARK.findall(s)) / max(1, len(_ZH_HAN_RE.findall(s)))) for s in sentences]
    return out
