"""A hashed, quantised Kneser-Ney trigram language model of clean human text (numpy only).

Why: the strongest cheap evidence that a sentence is bad machine translation rather than
its own human post-edit (same content, same rare names) is how *fluent* it is under a
model of clean human text.  The sentence model in :mod:`cleaner.garble.vec` already has a
stupid-backoff word-bigram signal; this module adds an interpolated Kneser-Ney trigram
model (absolute discount :data:`DISCOUNT`) over the same tokens :func:`vec.tokenize`
produces: English words and punctuation marks, or Chinese characters (so the Chinese model is
a character trigram model), built from ``clean_en_zh`` by ``scripts/build_garble_model.py``.

The model is stored in the ARPA backoff form (seen n-grams carry their interpolated
log-probability, contexts carry their backoff weight), keyed by 32-bit fingerprints of
64-bit token-sequence hashes in sorted arrays and quantised to uint8 (0.1-nat steps):

    log P(w | u v) = tri[uvw]                                   if uvw was seen
                   = bow3[uv] + (bi[vw] or bow2[v] + uni[w])    otherwise

Per sentence :func:`lm_features` returns length-normalised statistics of the token
log-probabilities (:data:`LM_NAMES`): the mean, the mean gain over the unigram model
(SLOR-like: fluency not explained by rare words), low percentiles, the share of surprisal
spikes, of trigrams unseen although both their bigrams were seen (a "locally fine,
globally odd" word sequence), of unseen bigrams and of out-of-vocabulary tokens.

Status: opt-in (``build_garble_model.py --lm`` ships ``garble_lm.npz`` and adds ``lm_mean`` /
``lm_gain`` to the sentence model).  Built apart from the fluent training rows it did not move the
grouped train CV, so the shipped model does not use it (``bench/results/garble.md``, session 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .vec import LET, Tokens, _mix, _salt, fingerprint, lookup

DISCOUNT = 0.75
"""Kneser-Ney absolute discount (the textbook value; not tuned)."""
Q_STEP = 0.1
"""Quantisation step of the stored log-probabilities (nats): uint8 covers 0 .. -25.5."""
SPIKE_LOGP = -9.0
"""A token whose log-probability is below this (about 1 in 8,000) counts as a surprisal spike."""

_BOS = _salt("lm<s>")
_EOS = _salt("lm</s>")
_S2 = _salt("lm-2")
_S3 = _salt("lm-3")
_PU = np.uint64(0x100000001B3)

LM_NAMES = (
    "lm_mean",
    "lm_gain",
    "lm_p10",
    "lm_min",
    "lm_spike",
    "lm_tri_unseen_bi_seen",
    "lm_bi_unseen",
    "lm_oov",
)


def h2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hash of the token pair (a, b)."""
    with np.errstate(over="ignore"):
        out: np.ndarray = _mix((_mix(a ^ _S2) * _PU) ^ b)
    return out


def h3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Hash of the token triple (a, b, c)."""
    with np.errstate(over="ignore"):
        out: np.ndarray = _mix((h2(a, b) * _PU) ^ c ^ _S3)
    return out


def padded(h: np.ndarray, seg: np.ndarray, n_sent: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, w, owner) for every predicted token: each sentence is ``<s> <s> t1 .. tn </s>``.

    Returns the three aligned hash arrays and the owner sentence of each prediction
    (n + 1 predictions per sentence of n tokens).
    """
    cnt = np.bincount(seg, minlength=n_sent)
    start = np.concatenate([[0], np.cumsum(cnt + 3)])[:-1]
    ext = np.full(len(h) + 3 * n_sent, _EOS, dtype=np.uint64)
    ext[start] = _BOS
    ext[start + 1] = _BOS
    ext[np.arange(len(h)) + 3 * seg + 2] = h
    pred = np.ones(len(ext), dtype=bool)
    pred[start] = False
    pred[start + 1] = False
    p = np.flatnonzero(pred)
    return ext[p - 2], ext[p - 1], ext[p], np.repeat(np.arange(n_sent), cnt + 1)


def _quant(lp: np.ndarray) -> np.ndarray:
    return np.clip(np.round(-lp / Q_STEP), 0, 255).astype(np.uint8)


def _deq(q: np.ndarray) -> np.ndarray:
    return -q.astype(np.float64) * Q_STEP


_FIELDS = ("tri", "tri_q", "bi", "bi_q", "bow3", "bow3_q", "bow2", "bow2_q", "uni", "uni_q")


@dataclass(frozen=True)
class LM:
    """The stored model: sorted fingerprints with uint8 quantised log-probabilities / backoff weights."""

    tri: np.ndarray
    tri_q: np.ndarray
    bi: np.ndarray
    bi_q: np.ndarray
    bow3: np.ndarray
    bow3_q: np.ndarray
    bow2: np.ndarray
    bow2_q: np.ndarray
    uni: np.ndarray
    uni_q: np.ndarray
    unk_logp: float
    bow3_default: float  # backoff weight of a context not in ``bow3`` (contexts seen once are not stored)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays to save (``prefix`` + field name).

        Fingerprint tables are stored as the gaps between their sorted values, split into four
        byte planes (4 x n uint8): the high planes of the small gaps are mostly zero, so the
        npz's deflate packs them ~40% smaller than the random 32-bit values themselves.
        """
        out: dict[str, np.ndarray] = {}
        for k in _FIELDS:
            a = getattr(self, k)
            if a.dtype == np.uint32:
                gaps = np.diff(a, prepend=np.uint32(0)).astype("<u4")
                a = np.ascontiguousarray(gaps.view(np.uint8).reshape(-1, 4).T)
            out[f"{prefix}{k}"] = a
        out[f"{prefix}unk"] = np.array(self.unk_logp, dtype=np.float32)
        out[f"{prefix}bow3_default"] = np.array(self.bow3_default, dtype=np.float32)
        return out

    @classmethod
    def from_arrays(cls, z: Mapping[str, Any], prefix: str) -> LM:
        """Inverse of :meth:`arrays`."""
        vals: dict[str, Any] = {}
        for k in _FIELDS:
            a = np.asarray(z[f"{prefix}{k}"])
            if k.endswith("_q"):
                vals[k] = a.astype(np.uint8)
            else:
                gaps = np.ascontiguousarray(a.astype(np.uint8).T).view("<u4").ravel()
                vals[k] = np.cumsum(gaps, dtype=np.uint32)
        return cls(**vals, unk_logp=float(z[f"{prefix}unk"]), bow3_default=float(z[f"{prefix}bow3_default"]))

    def token_logp(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per prediction: log P(w | u v), unigram log P(w), trigram seen, bigram seen, w in vocabulary."""
        f3, p3 = lookup(self.tri, fingerprint(h3(u, v, w)))
        f2, p2 = lookup(self.bi, fingerprint(h2(v, w)))
        fc3, pc3 = lookup(self.bow3, fingerprint(h2(u, v)))
        fc2, pc2 = lookup(self.bow2, fingerprint(v))
        f1, p1 = lookup(self.uni, fingerprint(w))
        uni = np.where(f1, _deq(self.uni_q[p1]) if len(self.uni) else 0.0, self.unk_logp)
        low = np.where(f2, _deq(self.bi_q[p2]) if len(self.bi) else 0.0, 0.0)
        low = np.where(f2, low, np.where(fc2, _deq(self.bow2_q[pc2]) if len(self.bow2) else 0.0, 0.0) + uni)
        back = np.where(fc3, _deq(self.bow3_q[pc3]) if len(self.bow3) else 0.0, self.bow3_default)
        lp = np.where(f3, _deq(self.tri_q[p3]) if len(self.tri) else 0.0, back + low)
        return lp, uni, f3, f2, f1


def lm_features(lm: LM, tok: Tokens, n_sent: int, names: tuple[str, ...] = LM_NAMES) -> np.ndarray:
    """Columns ``names`` (of :data:`LM_NAMES`) for the ``n_sent`` sentences whose tokens are ``tok``.

    Every token of :func:`~cleaner.garble.vec.tokenize` is predicted, plus ``</s>``; statistics are
    per prediction (length-normalised).  Only the requested columns are computed (the runtime
    asks for two).
    """
    u, v, w, own = padded(tok.h, tok.seg, n_sent)
    lp, uni, f3, f2, f1 = lm.token_logp(u, v, w)
    cnt = np.bincount(own, minlength=n_sent)
    n = np.maximum(cnt, 1).astype(np.float64)
    out = np.zeros((n_sent, len(names)), dtype=np.float64)

    def share(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.bincount(own, weights=x.astype(np.float64), minlength=n_sent) / n
        return out

    tail = None
    for j, name in enumerate(names):
        if name == "lm_mean":
            out[:, j] = share(lp)
        elif name == "lm_gain":  # SLOR-like: log-probability beyond what word frequency explains
            out[:, j] = share(lp - uni)
        elif name in ("lm_p10", "lm_min"):
            if tail is None:  # one sort by (owner, logp) serves both
                srt = lp[np.lexsort((lp, own))]
                first = np.concatenate([[0], np.cumsum(cnt)])[:-1]
                has = cnt > 0
                tail = (srt, first, has)
            srt, first, has = tail
            k = (0.1 * (cnt[has] - 1)).astype(np.int64) if name == "lm_p10" else 0
            out[has, j] = srt[first[has] + k]
        elif name == "lm_spike":
            out[:, j] = share(lp < SPIKE_LOGP)
        elif name == "lm_tri_unseen_bi_seen":
            # never seen although (u v) and (v w) both were: each half is fine, the whole is not
            f_uv, _ = lookup(lm.bi, fingerprint(h2(u, v)))
            out[:, j] = share((~f3) & f2 & f_uv)
        elif name == "lm_bi_unseen":
            out[:, j] = share(~f2)
        elif name == "lm_oov":
            out[:, j] = share(~f1)
        else:
            raise ValueError(f"unknown LM feature {name!r}")
    return out


def build_lm(sent_hashes: list[tuple[np.ndarray, np.ndarray, int]], min_tri: int = 1, min_ctx: int = 1) -> LM:
    """Interpolated Kneser-Ney trigram model from chunks of ``(token hashes, owner sentence, n_sent)``.

    ``min_tri``: trigrams seen fewer times are not stored (their probability falls back to the
    bigram level; the counts behind the backoff weights keep them).  ``min_ctx``: backoff
    weights of contexts seen fewer times are not stored; a missing context gets the weight of
    a context seen once with one continuation, ``log(DISCOUNT)`` (exact for those; an unseen
    context, whose true weight is 1, is charged the same 0.29 nats).
    """
    us, vs, ws = [], [], []
    for h, seg, n in sent_hashes:
        u, v, w, _ = padded(h, seg, n)
        us.append(u)
        vs.append(v)
        ws.append(w)
    u, v, w = np.concatenate(us), np.concatenate(vs), np.concatenate(ws)
    d = DISCOUNT
    # trigram types and counts
    t3 = h3(u, v, w)
    k3, i3, c3 = np.unique(t3, return_index=True, return_counts=True)
    tu, tv, tw = u[i3], v[i3], w[i3]
    ctx = h2(tu, tv)  # context (u v) of every trigram type
    kc, inv_c = np.unique(ctx, return_inverse=True)
    c_ctx = np.bincount(inv_c, weights=c3)  # c(u v .)
    n_ctx = np.bincount(inv_c)  # N1+(u v .)
    # bigram level from continuation counts: N1+(. v w) = trigram types ending in (v w)
    bvw = h2(tv, tw)
    kb, ib, nb = np.unique(bvw, return_index=True, return_counts=True)
    bv, bw = tv[ib], tw[ib]
    kv, inv_v = np.unique(bv, return_inverse=True)
    n_v_dot_dot = np.bincount(inv_v, weights=nb)  # N1+(. v .)
    n_v_types = np.bincount(inv_v)  # N1+(v .) over continuation bigram types
    # unigram continuation: N1+(. w) over bigram types
    kw, nw = np.unique(bw, return_counts=True)
    total_bi_types = float(len(kb))
    uni_lp = np.log(nw / (total_bi_types + 1.0))
    unk = float(np.log(0.5 / (total_bi_types + 1.0)))
    # P2(w | v) interpolated
    gam2 = d * n_v_types / n_v_dot_dot
    pos_w = np.searchsorted(kw, bw)
    p1 = np.exp(uni_lp[pos_w])
    p2 = np.maximum(nb - d, 0) / n_v_dot_dot[inv_v] + gam2[inv_v] * p1
    # P3(w | u v) interpolated
    pos_b = np.searchsorted(kb, bvw)
    gam3 = d * n_ctx / c_ctx
    p3 = np.maximum(c3 - d, 0) / c_ctx[inv_c] + gam3[inv_c] * p2[pos_b]
    keep = c3 >= min_tri

    def table(keys: np.ndarray, lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fp = fingerprint(keys)
        order = np.argsort(fp, kind="stable")
        fp, q = fp[order], _quant(lp[order])
        first = np.concatenate([[True], fp[1:] != fp[:-1]])
        return fp[first], q[first]

    tri, tri_q = table(k3[keep], np.log(p3[keep]))
    bi, bi_q = table(kb, np.log(p2))
    kc_keep = c_ctx >= min_ctx
    bow3, bow3_q = table(kc[kc_keep], np.log(gam3[kc_keep]))
    bow2, bow2_q = table(kv, np.log(gam2))
    uni, uni_q = table(kw, uni_lp)
    default = float(np.log(d)) if min_ctx > 1 else 0.0
    return LM(tri, tri_q, bi, bi_q, bow3, bow3_q, bow2, bow2_q, uni, uni_q, unk, default)


def least_likely_bigrams(lm: LM, tok: Tokens, n_sent: int, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence, the word bigram ``(i - 1, i)`` whose second word the trigram model least expects
    relative to that word's frequency (lowest ``log P(w | u v) - log P(w)``), and that value.

    Candidates: two adjacent letter tokens of one sentence, at least one of them ``content``
    (not a function word: "of the" tells a reader nothing).  Returns the index ``i`` of the
    second token (-1 where a sentence has no candidate) and the gain (+inf there).
    """
    best = np.full(n_sent, -1, dtype=np.int64)
    val = np.full(n_sent, np.inf)
    if len(tok.h) < 2:
        return best, val
    u, v, w, _ = padded(tok.h, tok.seg, n_sent)
    lp, uni, _, _, _ = lm.token_logp(u, v, w)
    pred = np.arange(len(tok.h)) + tok.seg  # prediction of token i (one </s> per earlier sentence)
    gain = (lp - uni)[pred]

    ok = np.zeros(len(tok.h), dtype=bool)
    ok[1:] = (tok.seg[1:] == tok.seg[:-1]) & (tok.cls[1:] == LET) & (tok.cls[:-1] == LET)
    ok[1:] &= content[1:] | content[:-1]
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return best, val
    order = idx[np.lexsort((gain[idx], tok.seg[idx]))]
    first = np.concatenate([[True], tok.seg[order][1:] != tok.seg[order][:-1]])
    pick = order[first]
    best[tok.seg[pick]] = pick
    val[tok.seg[pick]] = gain[pick]
    return best, val
