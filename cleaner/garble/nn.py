"""A small convolutional sentence model (numpy forward pass) stacked on the linear garble model.

Why: the linear model sees hashed n-grams independently; a convolution over word vectors
built from the word and its character trigrams (fastText-style, so unseen and misspelt words
still get a vector) can score word order and unusual word combinations jointly.  It is trained
with PyTorch at build time only (``scripts/train_garble_nn.py``); at run time this module needs
numpy and ``regex`` only, plus the optional compiled kernels of ``cleaner._native`` when they are
built (token coding and the forward pass around its two matrix products: the same arrays and floats).

Architecture (fixed by the training script, shapes in the npz):
word vector = E[word bucket] + mean(E[trigram buckets]) + S[shape class] (dim ``d``), two
width-3 convolutions with ReLU (the second residual), masked mean and max pooling, one linear
output.  Padding positions are zeroed after every layer, so a sentence's logit does not depend
on the other sentences of the batch.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np
import regex

from .. import native

NN_FILE = "garble_nn.npz"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
"""``cleaner/data`` (a plain path: ``importlib.resources`` cost ~1.5 ms of imports at start-up, s9)."""
MAX_TOKENS = 64
"""Tokens scored per sentence (longer sentences are cut): MT sentences in train have a median of ~20."""

TOKEN_RE = regex.compile(r"\p{L}+|\p{N}+|[^\s\p{L}\p{N}]")
SHAPES = 8
"""Shape classes: 0 padding, 1 lower, 2 Capitalised, 3 UPPER, 4 mixed case (glued words), 5 digits,
6 punctuation, 7 one-letter upper."""


def _shape(tok: str) -> int:
    if tok.isdigit():
        return 5
    if not tok[0].isalpha():
        return 6
    if tok.islower():
        return 1
    if tok.isupper():
        return 7 if len(tok) == 1 else 3
    if tok[0].isupper() and tok[1:].islower():
        return 2
    return 4


def _load_native() -> Any:
    """The compiled garble kernels, or None (:func:`cleaner.native.load`)."""
    return native.load("GARBLE_ABI", GARBLE_ABI, _KERNELS, "the garble CNN and featuriser run in Python/numpy")


GARBLE_ABI = 7
"""The argument/result layout of the garble kernels of ``cleaner/_native.c`` (its ``GARBLE_ABI``)."""
_KERNELS = ("cnn_encode", "cnn_embed", "cnn_window", "cnn_pool", "vec_tokenize", "vec_ngrams", "vec_token_ngrams",
            "vec_keys", "vec_lookup", "vec_skeleton", "vec_dense_en", "sig_heads", "sig_needles",
            "sig_heads_text", "vec_encode", "lin_prep", "cnn_relu_window", "cnn_relu_pool", "lin_stack", "unl_best",
            "bnd_next", "bnd_pieces")
"""Every garble kernel nn.py, vec.py and signals.py call (and ``sig_heads``, which the tests use as the reference of
``sig_heads_text``): a build that lacks one (an in-place build of an older
checkout with the same ABI number) is refused as stale rather than failing on every featurise."""
_native: Any = _load_native()
"""The compiled kernels or None; either way :func:`encode` gives the same arrays (tests/garble/test_nn.py
compares the two paths)."""

# A cached token costs about 0.64 kB (measured: 128 MB at 200,000 entries).  Python path: 16,384
# entries keep a worker's cache near 10 MB while the common words of a stream (Zipf) stay cached.
# Compiled path: only tokens with a non-ASCII character come here (curly quotes and dashes, accented
# words: 1.3% of the 86,800 tokens the CNN scores on the dev pages), and 1,024 entries hold them
# (measured: +1.8 MB RSS at 1,024 entries vs +9.3 MB at 16,384; bench/results/garble_speed_s6.md).
TOKEN_CACHE = 16_384 if _native is None else 1_024


def _token_code(tok: str, buckets: int) -> tuple[int, int, tuple[int, ...]]:
    """(word bucket, shape, trigram buckets) of one token; buckets are CRC-32 hashes (deterministic).

    Bucket 0 is reserved for padding.  Trigrams of ``<word>`` are taken for letter tokens only.
    Lone surrogates (possible in text from ``json.loads``) are hashed by their surrogatepass bytes;
    valid text hashes exactly as with plain UTF-8.
    """
    low = tok.lower()
    w = 1 + zlib.crc32(low.encode("utf-8", "surrogatepass")) % (buckets - 1)
    tri: tuple[int, ...] = ()
    if tok[0].isalpha():
        s = f"<{low}>"
        tri = tuple(
            1 + zlib.crc32(("#" + s[i : i + 3]).encode("utf-8", "surrogatepass")) % (buckets - 1)
            for i in range(len(s) - 2)
        )
    return w, _shape(tok), tri


token_code = lru_cache(maxsize=TOKEN_CACHE)(_token_code)


CLASS_PATTERNS = ((r"\s+", 3), (r"\p{N}+", 2), (r"\p{L}+", 1))
""":func:`build_classes`' patterns, later ones overriding earlier ones."""


@lru_cache(maxsize=2)
def _classes(full: bool) -> bytes:
    """Class of each code point in :data:`TOKEN_RE` (1 ``\\p{L}``, 2 ``\\p{N}``, 3 ``\\s``, 0 other): the BMP's
    from ``garble_chartables.npz`` when its key matches (:func:`cleaner.garble.vec.shipped_nn_classes`, s9), else
    :func:`build_classes`."""
    if not full:
        from .vec import shipped_nn_classes  # (vec imports this module)

        shipped = shipped_nn_classes()
        if shipped is not None:
            return shipped
    return build_classes(full)


def build_classes(full: bool) -> bytes:
    """:func:`_classes` from ``regex`` itself (its Unicode tables, not Python's): the BMP (~2-15 ms), or every
    code point (~160 ms, built only when a sentence holds an astral character)."""
    top = 0x110000 if full else 0x10000
    # (decoded from one buffer: "".join(map(chr, ...)) made a million one-character strings, ~90 MB at peak)
    allc = np.arange(top, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    cls = np.zeros(top, dtype=np.uint8)
    for pat, c in CLASS_PATTERNS:
        for m in regex.finditer(pat, allc):
            cls[m.start() : m.end()] = c
    return cls.tobytes()


@dataclass(frozen=True)
class Encoded:
    """A padded batch: word buckets and shapes ``[n, L]``; trigram buckets grouped in one bag per token."""

    words: np.ndarray  # int64 [n, L]
    shapes: np.ndarray  # int64 [n, L]
    sub_ids: np.ndarray  # int64 [m]: the trigram buckets of the bags, bag after bag
    bag_pos: np.ndarray  # int64 [k]: flat index (into n * L) of each token that has trigrams, increasing
    bag_cnt: np.ndarray  # int64 [k]: its number of trigrams (>= 1)
    lengths: np.ndarray  # int64 [n]


def encode(sentences: list[str], buckets: int) -> Encoded:
    """Token codes of ``sentences`` (the same function feeds training and inference).

    Compiled (``cleaner._native``) when built: ~25x less CPU than tokenising with ``regex`` and
    hashing in Python (mtgarble dev items: 50 -> 1.8 us each); the same arrays either way."""
    if _native is not None:
        return _encode_native(sentences, buckets)
    return _encode_python(sentences, buckets)


def _encode_native(sentences: list[str], buckets: int) -> Encoded:
    r = _native.cnn_encode(sentences, _classes(False), buckets, MAX_TOKENS, token_code)
    if r is None:  # an astral code point: the full class table
        r = _native.cnn_encode(sentences, _classes(True), buckets, MAX_TOKENS, token_code)
    words, shapes, sub_ids, bag_pos, bag_cnt, lengths, width = r
    n = len(sentences)
    return Encoded(
        np.frombuffer(words, dtype=np.int64).reshape(n, width),
        np.frombuffer(shapes, dtype=np.int64).reshape(n, width),
        np.frombuffer(sub_ids, dtype=np.int64),
        np.frombuffer(bag_pos, dtype=np.int64),
        np.frombuffer(bag_cnt, dtype=np.int64),
        np.frombuffer(lengths, dtype=np.int64),
    )


def _encode_python(sentences: list[str], buckets: int) -> Encoded:
    # finditer + islice: a 1 MB "sentence" is not tokenised past its first MAX_TOKENS tokens
    codes = [[token_code(m.group(), buckets) for m in islice(TOKEN_RE.finditer(s), MAX_TOKENS)] for s in sentences]
    lengths = np.array([len(c) for c in codes], dtype=np.int64)
    n, L = len(codes), max(int(lengths.max(initial=0)), 1)
    flat = [t for c in codes for t in c]
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    cols = np.arange(len(flat), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    words = np.zeros((n, L), dtype=np.int64)
    shapes = np.zeros((n, L), dtype=np.int64)
    words[rows, cols] = [t[0] for t in flat]
    shapes[rows, cols] = [t[1] for t in flat]
    cnt = np.array([len(t[2]) for t in flat], dtype=np.int64)
    has = cnt > 0
    return Encoded(
        words,
        shapes,
        np.fromiter(chain.from_iterable(t[2] for t in flat), dtype=np.int64, count=int(cnt.sum())),
        (rows * L + cols)[has],
        cnt[has],
        lengths,
    )


_BLAS_SERIAL_MNK = 250_000
"""OpenBLAS runs a GEMM on several threads once m * n * k reaches 65536 * 4 (its default
``GEMM_MULTITHREAD_THRESHOLD``); for these tiny products the thread hand-off costs more than the
arithmetic (measured: the CNN took 340 us of CPU per sentence with 2 BLAS threads, 92 us with one),
so :func:`_matmul` cuts the rows into blocks that stay under that size."""


def _matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a @ w`` for a 2-D ``a``, in row blocks small enough for a single-threaded BLAS call."""
    rows = max(1, _BLAS_SERIAL_MNK // (w.shape[0] * w.shape[1]))
    if a.shape[0] <= rows:
        out: np.ndarray = a @ w
        return out
    out = np.empty((a.shape[0], w.shape[1]), dtype=np.result_type(a, w))
    for i in range(0, a.shape[0], rows):
        np.matmul(a[i : i + rows], w, out=out[i : i + rows])
    return out


_NATIVE_MAX_WIDTH = 256
"""Widest embedding / channel count the compiled forward takes (its stack buffers); wider models run numpy."""
_SUM_INIT = float(np.add.reduceat(np.full((3, 2), -0.0, dtype=np.float32), [0], axis=0)[0, 0])
"""Where numpy's pairwise float32 sum starts a short block (-0.0 since numpy 2.0, 0.0 before): the compiled
pooling and bag means reproduce ``np.add.reduceat`` to the bit, signed zeros included."""


def _conv3(x: np.ndarray, pos: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Width-3 convolution at the token rows ``pos`` of a flat layout ``x`` whose other rows are zero.

    The sentences lie one after another in ``x`` with one zero row before, between and after
    them, so ``[x[t-1], x[t], x[t+1]] @ w + b`` at a token is exactly the padded per-sentence
    convolution of the training code, and no row is spent on padding.
    """
    cat = np.concatenate([x[pos - 1], x[pos], x[pos + 1]], axis=1)
    out: np.ndarray = _matmul(cat, w) + b
    return out


@dataclass(frozen=True)
class ConvNet:
    """Weights of the sentence CNN plus how its logit is stacked on the linear model's."""

    emb: np.ndarray  # float32 [buckets, d]
    shape_emb: np.ndarray  # float32 [SHAPES, d]
    w1: np.ndarray  # float32 [3d, c]
    b1: np.ndarray
    w2: np.ndarray  # float32 [3c, c]
    b2: np.ndarray
    w_out: np.ndarray  # float32 [2c]
    b_out: float
    stack: np.ndarray  # float64 [w_linear, w_cnn, bias]: sentence logit = stack . (linear, cnn, 1)
    calib: np.ndarray  # English Platt calibrator of the stacked item mean [w, bias]
    meta: dict[str, Any]

    @property
    def buckets(self) -> int:
        return int(self.emb.shape[0])

    def forward(self, enc: Encoded) -> np.ndarray:
        """CNN logits of an encoded batch (float64 [n]); the compiled kernels when built, the same floats."""
        if _native is not None and self.native_width:
            return self._forward_native(enc)
        return self._forward_numpy(enc)

    @cached_property
    def native_width(self) -> bool:
        """Whether the compiled forward takes these weights (no layer wider than its buffers)."""
        return bool(max(self.emb.shape[1], self.w1.shape[1]) <= _NATIVE_MAX_WIDTH)

    @cached_property
    def fused(self) -> bool:
        """Whether, with the kernels built, the biases and ReLUs run inside the window and pooling kernels
        (``cnn_relu_window``, ``cnn_relu_pool``): float32 weights and biases of the layers' widths, biases without
        a -0.0 (``h + b`` is -0.0 only when both are; numpy's ``maximum(-0.0, 0.0)`` gives +0.0 where the
        kernel's ReLU keeps -0.0), float32 ``w_out`` and a float64 ``stack`` of three (the kernels read the
        buffers by item size, so another dtype would be misread, not refused)."""
        c = self.w1.shape[1]
        return (
            self.native_width and self.w2.shape[1] == c
            and self.w1.dtype == np.float32 and self.w2.dtype == np.float32
            and all(b.dtype == np.float32 and b.shape == (c,) and not bool(np.any((b == 0) & np.signbit(b)))
                    for b in (self.b1, self.b2))
            and self.w_out.dtype == np.float32 and self.w_out.shape == (2 * c,)
            and self.stack.dtype == np.float64 and self.stack.shape == (3,) and self.stack.flags.c_contiguous
        )

    def pooled_out(self, enc: Encoded) -> np.ndarray:
        """``pooled @ w_out`` (float32 [n]) of :meth:`_forward_native`, by the fused kernels (needs :attr:`fused`):
        the CNN logit is its float64 plus ``b_out``, which ``lin_stack`` adds."""
        assert _native is not None
        n = enc.words.shape[0]
        lens = np.ascontiguousarray(enc.lengths, dtype=np.int64)
        x, total = self._embed_native(enc, lens)
        d = self.emb.shape[1]
        cat = np.empty((total, 3 * d), dtype=np.float32)
        _native.cnn_window(x, d, lens, cat)
        h1 = np.ascontiguousarray(_matmul(cat, self.w1), dtype=np.float32)
        c = h1.shape[1]
        cat = np.empty((total, 3 * c), dtype=np.float32)
        _native.cnn_relu_window(h1, self.b1, c, lens, cat)  # h1 = np.maximum(h1 + b1, 0.0) in place
        h2 = np.ascontiguousarray(_matmul(cat, self.w2), dtype=np.float32)
        pooled = np.empty((n, 2 * c), dtype=np.float32)
        _native.cnn_relu_pool(h2, self.b2, h1, c, lens, _SUM_INIT, pooled)  # h2 = np.maximum(h2 + b2, 0.0) + h1
        out: np.ndarray = pooled @ self.w_out
        return out

    def _embed_native(self, enc: Encoded, lens: np.ndarray) -> tuple[np.ndarray, int]:
        assert _native is not None
        total, d = int(lens.sum()), self.emb.shape[1]
        x = np.empty((total, d), dtype=np.float32)
        _native.cnn_embed(
            self.emb,
            self.shape_emb,
            d,
            np.ascontiguousarray(enc.words, dtype=np.int64),
            np.ascontiguousarray(enc.shapes, dtype=np.int64),
            lens,
            np.ascontiguousarray(enc.sub_ids, dtype=np.int64),
            np.ascontiguousarray(enc.bag_pos, dtype=np.int64),
            np.ascontiguousarray(enc.bag_cnt, dtype=np.int64),
            _SUM_INIT,
            x,
        )
        return x, total

    def _forward_native(self, enc: Encoded) -> np.ndarray:
        """:meth:`_forward_numpy` with the gathers, bag means, convolution windows and pooling in C
        (``cnn_embed``, ``cnn_window``, ``cnn_pool``): the ~30 small numpy operations per batch were most
        of the CNN's time.  The two matrix products stay numpy's (BLAS), on the same inputs."""
        assert _native is not None
        if self.fused:  # (the kernels are built: forward checked)
            pw: np.ndarray = (self.pooled_out(enc)).astype(np.float64) + self.b_out
            return pw
        n = enc.words.shape[0]
        lens = np.ascontiguousarray(enc.lengths, dtype=np.int64)
        x, total = self._embed_native(enc, lens)
        d = self.emb.shape[1]
        cat = np.empty((total, 3 * d), dtype=np.float32)
        _native.cnn_window(x, d, lens, cat)
        h1 = np.maximum(_matmul(cat, self.w1) + self.b1, 0.0)
        c = h1.shape[1]
        cat = np.empty((total, 3 * c), dtype=np.float32)
        _native.cnn_window(h1, c, lens, cat)
        h2 = np.maximum(_matmul(cat, self.w2) + self.b2, 0.0) + h1
        pooled = np.empty((n, 2 * c), dtype=np.float32)
        _native.cnn_pool(h2, c, lens, _SUM_INIT, pooled)
        out: np.ndarray = (pooled @ self.w_out).astype(np.float64) + self.b_out
        return out

    def _forward_numpy(self, enc: Encoded) -> np.ndarray:
        n, L = enc.words.shape
        lens = enc.lengths
        valid = (np.arange(L)[None, :] < lens[:, None]).ravel()
        x = self.emb[enc.words.ravel()[valid]] + self.shape_emb[enc.shapes.ravel()[valid]]
        if len(enc.sub_ids):
            sums = np.add.reduceat(self.emb[enc.sub_ids], np.cumsum(enc.bag_cnt) - enc.bag_cnt, axis=0)
            tok = np.cumsum(valid) - 1  # flat padded index -> token row
            x[tok[enc.bag_pos]] += sums / enc.bag_cnt[:, None].astype(np.float32)
        # token k of sentence i sits at row k + i + 1 of the flat layout (zero rows between sentences)
        pos = np.arange(len(x)) + np.repeat(np.arange(1, n + 1), lens)
        size = len(x) + n + 1
        flat = np.zeros((size, x.shape[1]), dtype=np.float32)
        flat[pos] = x
        h1 = np.maximum(_conv3(flat, pos, self.w1, self.b1), 0.0)
        flat = np.zeros((size, h1.shape[1]), dtype=np.float32)
        flat[pos] = h1
        h2 = np.maximum(_conv3(flat, pos, self.w2, self.b2), 0.0) + h1
        c = h2.shape[1]
        mean = np.zeros((n, c), dtype=np.float32)
        top = np.zeros((n, c), dtype=np.float32)
        ne = lens > 0
        if ne.any():
            starts = (np.cumsum(lens) - lens)[ne]
            mean[ne] = np.add.reduceat(h2, starts, axis=0) / lens[ne][:, None].astype(np.float32)
            top[ne] = np.maximum.reduceat(h2, starts, axis=0)  # ReLU outputs >= 0: as the padded max
        pooled = np.concatenate([mean, top], axis=1)
        out: np.ndarray = (pooled @ self.w_out).astype(np.float64) + self.b_out
        return out

    def logits(self, sentences: list[str]) -> np.ndarray:
        return self.forward(encode(sentences, self.buckets))

    def stacked(self, linear: np.ndarray, sentences: list[str]) -> np.ndarray:
        """Sentence logits of the stacked model from the linear model's logits of the same sentences."""
        s = self.stack
        out: np.ndarray = s[0] * linear + s[1] * self.logits(sentences) + s[2]
        return out


def convnet_from_arrays(z: Any) -> ConvNet:
    import json

    def f32(k: str) -> np.ndarray:
        return np.asarray(z[k]).astype(np.float32)

    return ConvNet(
        emb=f32("emb"),
        shape_emb=f32("shape_emb"),
        w1=f32("w1"),
        b1=f32("b1"),
        w2=f32("w2"),
        b2=f32("b2"),
        w_out=f32("w_out"),
        b_out=float(z["b_out"]),
        stack=np.asarray(z["stack"]).astype(np.float64),
        calib=np.asarray(z["calib"]).astype(np.float64),
        meta=json.loads(str(z["meta"])),
    )


def load_convnet() -> ConvNet | None:
    """The shipped CNN (``cleaner/data/garble_nn.npz``), or None when the file is absent."""
    path = DATA_DIR / NN_FILE
    if not path.is_file():
        return None
    with path.open("rb") as f:
        z = np.load(f, allow_pickle=False)
        return convnet_from_arrays(z)


def linear_signature(w_dense: np.ndarray, intercept: float) -> str:
    """Short fingerprint of the linear model whose logits the stack weights were fitted on.

    The stack and calibrator only fit that model's logit scale: a rebuilt ``garble_model.npz``
    needs a retrained ``garble_nn.npz`` (the loader refuses a mismatch).
    """
    import hashlib

    h = hashlib.sha256(np.asarray(w_dense, dtype=np.float32).tobytes())
    h.update(np.float32(intercept).tobytes())
    return h.hexdigest()[:16]
