"""The learned line classifier: P(content) for every line of a page, numpy only at run time.

Two passes of gradient-boosted *oblivious* trees (every level of a tree tests one feature
against one threshold, as in CatBoost), trained with log-loss:

1. pass 1 sees the line's own features and its neighbours' (:func:`features.line_features`);
2. pass 2 also sees the neighbours' pass-1 scores (:func:`features.score_context_features`):
   windowed means, the run of likely-content lines the line sits in, the content mass before
   and after it, the best-scoring span of the page, and how many of the line's words recur in
   other likely-content lines.  This is what picks the main block instead of judging lines one
   by one (a third pass measured no better in 5-fold CV, at twice the training time).

Oblivious trees were chosen for speed: a whole forest is evaluated with one gather and one
comparison of a ``(trees*depth, lines)`` matrix and one table lookup (well under a millisecond
per pass for a 200-line page).  Pass 2 is trained on *out-of-fold* pass-1 scores (inner k-fold
over pages), so it learns how far to trust pass 1 on pages pass 1 has not seen.

Labels come from aligning the page's token stream to the gold text
(:func:`align_labels`, ``difflib.SequenceMatcher`` over tokens): a line is content when
most of its tokens are matched *in order*.  Greedy bag-of-words matching would let
navigation words ("Home", "News") steal gold tokens from the article.

The per-mode thresholds (:meth:`LineModel.threshold`) are chosen on the training pages only,
maximising the page-averaged F-beta of the token metric (beta 0.5 / 1 / 2 for precision /
balanced / recall), computed from the aligned token counts.
"""

from __future__ import annotations

import difflib
import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..config import MODES
from . import features as F

MODEL_FILE = F.DATA_DIR / "boilerplate_model.npz"
_M = TypeVar("_M")
FORMAT_VERSION = 1
MODE_BETA: dict[str, float] = {"precision": 0.5, "balanced": 1.0, "recall": 2.0}


# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Labels:
    """Alignment of one page to its gold: per line, tokens and tokens matched in order."""

    n_tok: np.ndarray  # tokens per line
    aligned: np.ndarray  # tokens of the line matched to the gold token stream
    gold_tokens: int  # tokens in the gold

    def content(self, min_share: float = 0.5) -> np.ndarray:
        """1.0 where more than ``min_share`` of the line's tokens align to the gold."""
        return ((self.n_tok > 0) & (self.aligned > min_share * self.n_tok)).astype(np.float64)


def align_labels(lines: Sequence[str], gold: str) -> Labels:
    """Align page tokens to gold tokens (longest matching blocks, in order) and count per line."""
    tok_line: list[int] = []
    page_tokens: list[str] = []
    for i, ln in enumerate(lines):
        toks = F.TOKEN.findall(ln.lower())
        page_tokens.extend(toks)
        tok_line.extend([i] * len(toks))
    gold_tokens = F.TOKEN.findall(gold.lower())
    n = len(lines)
    lid = np.asarray(tok_line, dtype=np.int64)
    n_tok = np.bincount(lid, minlength=n).astype(np.int64)
    hit = np.zeros(len(page_tokens), dtype=bool)
    sm = difflib.SequenceMatcher(None, page_tokens, gold_tokens, autojunk=False)
    for a, _b, size in sm.get_matching_blocks():
        hit[a : a + size] = True
    aligned = np.bincount(lid, weights=hit, minlength=n).astype(np.int64)
    return Labels(n_tok, aligned, len(gold_tokens))


# ---------------------------------------------------------------------------------------------
# gradient-boosted oblivious trees
# ---------------------------------------------------------------------------------------------
RAW_CHUNK = 4096
"""Lines per chunk in :meth:`Forest.raw` (1080 gathered rows x 4096 lines x 8 bytes = 35 MB)."""


_LEVEL_WEIGHTS = (1 << np.arange(7, -1, -1)).astype(np.uint8)
"""Bit weights of the tree levels (the first level is the leaf index's highest bit)."""


@dataclass(slots=True)
class Forest:
    """Oblivious trees: ``feat``/``thr`` (trees, depth); ``leaf`` (trees, 2**depth); ``bias``."""

    feat: np.ndarray
    thr: np.ndarray
    leaf: np.ndarray
    bias: float
    _tests: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    """Set by :meth:`prepare`: the distinct (feature, threshold) tests, each tree level's test
    among them, the flat leaf table and each tree's offset into it."""

    def prepare(self) -> Forest:
        """Precompute the distinct (feature, threshold) tests of the forest (once per loaded
        model).  Quantile binning makes trees reuse splits: the packaged pass-1 forest holds 489
        distinct tests among its 1080 levels, so :meth:`raw` compares half as many rows
        (the same comparisons, so the same scores to the bit)."""
        pairs = np.stack([self.feat.ravel().astype(np.float64), self.thr.ravel()], axis=1)
        uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
        t = self.feat.shape[0]
        self._tests = (
            uniq[:, 0].astype(np.intp),
            uniq[:, 1].reshape(-1, 1),
            inv.ravel().astype(np.intp),
            (np.arange(t, dtype=np.intp) * self.leaf.shape[1])[:, None],
        )
        return self

    def raw(self, X: np.ndarray, *extra: np.ndarray) -> np.ndarray:
        """Log-odds for every row of ``X``: one gather, one comparison, one table lookup.

        ``extra``: more column blocks of the same rows, numbered after ``X``'s (the context
        columns, the second pass's score columns): only the columns the forest tests are
        gathered from each block, instead of copying the blocks into one matrix first.  Pages of
        more than ``RAW_CHUNK`` lines go in chunks, so the gathered matrix (trees x depth rows of
        the chunk's lines) stays a few MB instead of growing with the page."""
        t, d = self.feat.shape
        n = X.shape[0]
        if n == 0 or t == 0:
            return np.full(n, self.bias)
        # the compiled loop: the same comparisons, and the leaves summed tree after tree as numpy's
        # sum over axis 0 adds them -- except for a single row, where that axis is contiguous and
        # numpy sums pairwise (other last bits), so one-line pages stay on the numpy path
        if F._native is not None and d <= 30 and n > 1:
            res = np.empty(n)
            F._native.forest_raw(
                tuple(np.ascontiguousarray(b.T, dtype=np.float64) for b in (X, *extra)),
                np.ascontiguousarray(self.feat, dtype=np.int64), np.ascontiguousarray(self.thr, dtype=np.float64),
                np.ascontiguousarray(self.leaf, dtype=np.float64), t, d, float(self.bias), res,
            )
            return res
        if n > RAW_CHUNK:
            return np.concatenate(
                [self.raw(X[i : i + RAW_CHUNK], *(b[i : i + RAW_CHUNK] for b in extra)) for i in range(0, n, RAW_CHUNK)]
            )
        if extra and self._tests is None:
            X, extra = np.concatenate([X.T, *(b.T for b in extra)]).T, ()
        if self._tests is not None:
            uf, ut, inv, off = self._tests
            if not extra:
                rows = np.ascontiguousarray(X.T)[uf]
            else:  # uf is sorted: X's columns first, then each block's in turn
                parts = []
                lo = first = 0
                for block in (X, *extra):
                    width = block.shape[1]
                    hi = int(np.searchsorted(uf, first + width))
                    if hi > lo:
                        parts.append(np.ascontiguousarray(block.T)[uf[lo:hi] - first])
                    lo, first = hi, first + width
                rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
            cmp = rows > ut
            if d <= 8:
                # the leaf index of every (tree, line) as one weighted sum of the level bits in
                # uint8 (einsum's C loop) instead of d shift/or passes over an intp matrix
                idx8 = np.einsum("tdn,d->tn", cmp.view(np.uint8)[inv].reshape(t, d, n), _LEVEL_WEIGHTS[8 - d :])
                return self.leaf.ravel()[idx8 + off].sum(axis=0) + self.bias  # type: ignore[no-any-return]
            bits = cmp[inv].reshape(t, d, n)
        else:
            rows = np.ascontiguousarray(X.T)[self.feat.ravel()]  # (trees*depth, n): contiguous rows
            bits = (rows > self.thr.reshape(-1, 1)).reshape(t, d, n)
            off = (np.arange(t) * self.leaf.shape[1])[:, None]
        idx = bits[:, 0].astype(np.intp)
        for lev in range(1, d):
            idx <<= 1
            idx |= bits[:, lev]
        idx += off
        out: np.ndarray = self.leaf.ravel()[idx].sum(axis=0) + self.bias
        return out


@dataclass(slots=True)
class BoostParams:
    """Boosting settings.

    Sized for the 2-core build machine (the shipped model took 15 min there, cores shared): 180
    trees of depth 6 with a 30% row sample per tree and shrinkage 0.15 gave the CV figures in
    bench/results/boilerplate.md (120 trees: stage F1 0.897 against 0.899, same features).  Not
    tuned further (each 5-fold run costs ~15-20 min there), so this is a starting point.
    """

    trees: int = 180
    depth: int = 6
    learning_rate: float = 0.15
    bins: int = 32
    subsample: float = 0.3
    l2: float = 5.0
    seed: int = 0


def _quantile_edges(x: np.ndarray, bins: int) -> np.ndarray:
    q = np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1])
    edges = np.unique(q)
    return edges[edges < x.max()] if edges.shape[0] else edges


def fit_forest(X: np.ndarray, y: np.ndarray, w: np.ndarray, params: BoostParams) -> Forest:
    """Fit oblivious trees to log-loss with Newton leaf values (histograms in numpy)."""
    rng = np.random.default_rng(params.seed)
    n, nf = X.shape
    B = params.bins
    edges = [_quantile_edges(X[:, j], B) for j in range(nf)]
    thr_table = np.full((nf, B), np.inf)
    Xb = np.empty((nf, n), dtype=np.int64)
    for j, e in enumerate(edges):
        thr_table[j, : e.shape[0]] = e
        Xb[j] = np.searchsorted(e, X[:, j], side="left")
    pos = float(np.sum(w * y)) / float(np.sum(w))
    pos = min(max(pos, 1e-4), 1 - 1e-4)
    bias = float(np.log(pos / (1 - pos)))
    raw = np.full(n, bias)
    d = params.depth
    feats = np.zeros((params.trees, d), dtype=np.int64)
    thrs = np.zeros((params.trees, d))
    leaves = np.zeros((params.trees, 1 << d))
    n_sub = max(int(n * params.subsample), 1)
    valid = np.isfinite(thr_table[:, : B - 1])  # split "bin > b" exists only below the last edge
    for t in range(params.trees):
        p = 1.0 / (1.0 + np.exp(-raw))
        g = (p - y) * w
        h = np.maximum(p * (1 - p), 1e-6) * w
        rows = rng.choice(n, n_sub, replace=False) if n_sub < n else np.arange(n)
        gs, hs = g[rows], h[rows]
        xb = Xb[:, rows]
        leaf = np.zeros(rows.shape[0], dtype=np.int64)
        f_off = (np.arange(nf, dtype=np.int64) * (B << (d - 1)))[:, None]
        size = nf * (B << (d - 1))
        Gp: np.ndarray = np.zeros(0)
        Hp: np.ndarray = np.zeros(0)
        for lev in range(d):
            L = 1 << lev
            # Histograms of (feature, leaf, bin) in one bincount.  Below the root only the left
            # children are counted; a right child is its parent minus its left sibling.
            sel = np.flatnonzero((leaf & 1) == 0) if lev else np.arange(leaf.shape[0])
            half = leaf[sel] >> 1 if lev else leaf[sel]
            xs = xb[:, sel]
            idx = (f_off + (half * B)[None, :] + xs).ravel()
            gw = np.broadcast_to(gs[sel], xs.shape).ravel()
            hw = np.broadcast_to(hs[sel], xs.shape).ravel()
            Gl: np.ndarray = np.bincount(idx, weights=gw, minlength=size)
            Hl: np.ndarray = np.bincount(idx, weights=hw, minlength=size)
            Lc = max(L >> 1, 1)
            Gl = Gl.reshape(nf, B << (d - 1))[:, : Lc * B].reshape(nf, Lc, B)
            Hl = Hl.reshape(nf, B << (d - 1))[:, : Lc * B].reshape(nf, Lc, B)
            G: np.ndarray
            H: np.ndarray
            if lev:
                G = np.empty((nf, L, B))
                H = np.empty((nf, L, B))
                G[:, 0::2], G[:, 1::2] = Gl, Gp - Gl
                H[:, 0::2], H[:, 1::2] = Hl, Hp - Hl
            else:
                G, H = Gl, Hl
            Gp, Hp = G, H
            GL = np.cumsum(G, axis=2)[:, :, :-1]
            HL = np.cumsum(H, axis=2)[:, :, :-1]
            Gt = G.sum(axis=2, keepdims=True)
            Ht = H.sum(axis=2, keepdims=True)
            gain = (GL**2 / (HL + params.l2) + (Gt - GL) ** 2 / (Ht - HL + params.l2)).sum(axis=1)
            gain[~valid] = -np.inf
            jj, bb = np.unravel_index(int(np.argmax(gain)), gain.shape)
            j, b = int(jj), int(bb)
            feats[t, lev] = j
            thrs[t, lev] = thr_table[j, b]
            leaf = leaf * 2 + (xb[j] > b)
        Gleaf = np.bincount(leaf, weights=gs, minlength=1 << d)
        Hleaf = np.bincount(leaf, weights=hs, minlength=1 << d)
        leaves[t] = -params.learning_rate * Gleaf / (Hleaf + params.l2)
        full_leaf = np.zeros(n, dtype=np.int64)
        for lev in range(d):
            full_leaf = full_leaf * 2 + (X[:, feats[t, lev]] > thrs[t, lev])
        raw += leaves[t][full_leaf]
    return Forest(feats, thrs.astype(np.float64), leaves, bias)


# ---------------------------------------------------------------------------------------------
# the two-pass line model
# ---------------------------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))
    return out


_LOG_WORDS = F.BASE_NAMES.index("log_words")


def _pass2_matrix(X1: np.ndarray, p1: np.ndarray, n_tok: np.ndarray, toks: F.PageTokens | None) -> np.ndarray:
    words = np.expm1(X1[:, _LOG_WORDS])
    # column-major (a contiguous row per feature), so Forest.raw gathers rows without a transpose
    return np.concatenate([X1.T, F.score_context_features(p1, words, n_tok, toks).T]).T


def _fill_empty(p: np.ndarray, n_tok: np.ndarray) -> np.ndarray:
    """Lines without tokens take the lower score of their nearest token-bearing neighbours."""
    keep = np.flatnonzero(n_tok > 0)
    if keep.shape[0] == 0 or keep.shape[0] == p.shape[0]:
        return p
    idx = np.arange(p.shape[0])
    nxt = np.searchsorted(keep, idx)
    prv = nxt - 1
    pn = p[keep[np.minimum(nxt, keep.shape[0] - 1)]]
    pp = p[keep[np.maximum(prv, 0)]]
    pn = np.where(nxt < keep.shape[0], pn, pp)
    pp = np.where(prv >= 0, pp, pn)
    out = p.copy()
    empty = n_tok == 0
    out[empty] = np.minimum(pn, pp)[empty]
    return out


def decode(p: np.ndarray, threshold: float) -> np.ndarray:
    """Lines with P(content) >= ``threshold``; when that keeps nothing, the lines scoring at least
    half the page's best (an empty output scores zero, and every page has some main content:
    on dev this fallback raised the cross-validated F1 by ~0.008, mostly on tiny pages)."""
    keep: np.ndarray = p >= threshold
    if not keep.any() and p.shape[0] and p.max() > 0:
        keep = p >= 0.5 * p.max()
    return keep


def decode_expected(
    p: np.ndarray, n_tok: np.ndarray, beta: float = 1.0, candidates: np.ndarray | None = None
) -> np.ndarray:
    """The lines that maximise the page's *expected* F-beta of the token metric, reading the
    scores as independent probabilities (as in F-measure-optimal decoding).

    The metric is ``(1 + b2) TP / (kept + b2 * gold)`` per page, averaged over pages.  With
    P(content) ``p`` and ``n`` tokens per line, keeping a set S gives E[TP] ~ sum_S p*n and
    E[gold] ~ sum_all p*n; the best S for any size is the top lines by ``p``, so one sort and a
    cumulative sum find it.  Unlike a fixed threshold this adapts to the page: where every line
    scores low (a dozen words of gold in a large page) it still keeps the best few; where many
    lines score in the middle it keeps more when the page's expected content is large.  No
    parameter is fitted (``beta`` is the mode's: 0.5 / 1 / 2).  ``candidates``: the lines that
    may be kept (the stage's undecided lines); the expected gold counts every line.
    """
    pool = None if candidates is None else np.flatnonzero(candidates & (n_tok > 0))
    return F.expected_f_keep(p, n_tok, beta, pool)


WINDOW_LINES = 20_000
"""Most lines the model featurises at once.  Its feature matrices cost about 2.5 kB per line
(109 + 28 float64 columns and their intermediates): a text of a million one-character lines
took 2.6 GB (bench/hostile.py).  Longer pages are scored in windows of this many lines, whose
page-relative features then describe the window; dev pages have at most 1,853 lines, so no
measured page is affected."""


@dataclass(slots=True)
class LineModel:
    """P(content) per line; ``thresholds`` per mode; ``meta`` records version and provenance.

    ``passes[0]`` scores the line features; every later pass also sees the previous pass's
    scores of the neighbours (:func:`features.score_context_features`).
    """

    passes: list[Forest]
    thresholds: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)

    def score(
        self, lines: Sequence[str], language: str | None = None, *, rule_lines: F.RuleLines | None = None
    ) -> np.ndarray:
        """P(content) for every line (lines without tokens inherit from their neighbours).

        ``rule_lines``: the page's rule hits by line, when the caller has them (saves a scan)."""
        return self.score_tokens(lines, language, rule_lines=rule_lines)[0]

    def score_tokens(
        self, lines: Sequence[str], language: str | None = None, *, rule_lines: F.RuleLines | None = None,
        page: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`score` and the metric's token count of every line (for :func:`decode_expected`).

        ``page``: ``"\\n".join(lines)`` when the caller has it and no line holds a line break
        (see :func:`.features._base`)."""
        n = len(lines)
        if n == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        if n > WINDOW_LINES:  # bounded memory: score the page in windows of WINDOW_LINES lines
            if rule_lines is None:
                rows, reasons = np.zeros(0, dtype=np.int64), []
            else:
                rows, reasons = np.asarray(rule_lines[0], dtype=np.int64), list(rule_lines[1])
            parts = []
            for a in range(0, n, WINDOW_LINES):
                sel = np.flatnonzero((rows >= a) & (rows < a + WINDOW_LINES)).tolist()
                window_rules = ((rows[sel] - a).tolist(), [reasons[k] for k in sel]) if rule_lines is not None else None
                parts.append(self.score_tokens(lines[a : a + WINDOW_LINES], language, rule_lines=window_rules))
            return np.concatenate([p for p, _ in parts]), np.concatenate([t for _, t in parts])
        base, n_tok, toks = F._base(lines, language, rule_lines, page=page)
        # the line features as two blocks (base and neighbour columns, as page_features joins them)
        return self.score_features(base, n_tok, toks, blocks=(F.context_features(base, n_tok),)), n_tok

    def score_features(
        self, X1: np.ndarray, n_tok: np.ndarray, toks: F.PageTokens | None = None, *,
        blocks: tuple[np.ndarray, ...] = (),
    ) -> np.ndarray:
        """P(content) from the first-pass features ``X1`` (or ``X1`` and further column ``blocks``
        of the same lines, which together are those features; keyword-only, so that a block is
        never taken for ``toks``)."""
        p = _sigmoid(self.passes[0].raw(X1, *blocks))
        words = np.expm1(X1[:, _LOG_WORDS])
        for forest in self.passes[1:]:
            p = _sigmoid(forest.raw(X1, *blocks, F.score_context_features(p, words, n_tok, toks)))  # as _pass2_matrix
        return _fill_empty(p, n_tok)

    def threshold(self, mode: str = "balanced") -> float:
        """Keep a line when its P(content) is >= this (chosen on the training pages)."""
        if mode not in self.thresholds:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        return self.thresholds[mode]

    def keep(self, lines: Sequence[str], language: str | None = None, mode: str = "balanced") -> np.ndarray:
        """Boolean mask of the lines to keep (the model alone, without the stage's rules)."""
        return decode(self.score(lines, language), self.threshold(mode))

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write a compressed ``.npz`` (float32 leaf values; metadata as JSON)."""
        meta = dict(
            self.meta,
            format_version=FORMAT_VERSION,
            thresholds=self.thresholds,
            passes=len(self.passes),
            features=list(F.FEATURE_NAMES),
            score_features=list(F.SCORE_CONTEXT_NAMES),
        )
        arrays: dict[str, Any] = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
        for k, forest in enumerate(self.passes):
            name = f"p{k + 1}"
            arrays[f"{name}_feat"] = forest.feat.astype(np.int16)
            arrays[f"{name}_thr"] = forest.thr  # float64: thresholds are data values, compared with >
            arrays[f"{name}_leaf"] = forest.leaf.astype(np.float32)
            arrays[f"{name}_bias"] = np.array([forest.bias])
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> LineModel:
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            if meta.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"{path}: model format {meta.get('format_version')} != {FORMAT_VERSION}")
            if meta.get("features") != list(F.FEATURE_NAMES):
                raise ValueError(f"{path}: model was trained on other features; rebuild it")
            forests = [
                Forest(
                    z[f"{n}_feat"].astype(np.int64),
                    z[f"{n}_thr"].astype(np.float64),
                    z[f"{n}_leaf"].astype(np.float64),
                    float(z[f"{n}_bias"][0]),
                ).prepare()
                for n in (f"p{k + 1}" for k in range(int(meta.get("passes", 2))))
            ]
        thresholds = {k: float(v) for k, v in meta.pop("thresholds").items()}
        return cls(forests, thresholds, meta)


@lru_cache(maxsize=1)
def default_model() -> LineModel | None:
    """The packaged model (loaded once); None when the data file is missing or stale.

    A stale file (built for other features) warns instead of raising, so the stage falls back
    to its rules rather than failing every document.
    """
    return load_packaged(MODEL_FILE, LineModel.load, "boilerplate line model")


def load_packaged(path: Path, load: Callable[[Path], _M], what: str) -> _M | None:
    """``load(path)``, or None when the file is missing or unreadable/stale (with a warning).

    The policy of every packaged model: a broken data file degrades its stage to its fallback
    instead of failing every document."""
    if not path.exists():
        return None
    try:
        return load(path)
    except (ValueError, KeyError, OSError) as e:
        warnings.warn(f"{what} not loaded: {e}", RuntimeWarning, stacklevel=3)
        return None


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Example:
    """One training page: its features (computed once) and its alignment labels."""

    id: str
    X1: np.ndarray
    n_tok: np.ndarray
    labels: Labels
    toks: F.PageTokens | None = None
    language: str | None = None
    group: str = ""


def make_example(
    page_id: str, lines: Sequence[str], gold: str, language: str | None, group: str = ""
) -> Example:
    X1, n_tok, toks = F.page_features(lines, language)
    return Example(page_id, X1, n_tok, align_labels(lines, gold), toks, language, group)


def _weights(ex: Example) -> np.ndarray:
    """Line weights: a page's lines share weight ~ its token mass, so each page counts alike.

    The metric averages over pages and counts tokens, so a line weighs by its tokens relative
    to the page, with a floor so short lines (headings, bylines) still matter.
    """
    nt = ex.n_tok.astype(np.float64)
    tot = max(float(nt.sum()), 1.0)
    w: np.ndarray = np.sqrt(nt) / np.sqrt(tot) * 10.0
    return w


def _stack(examples: Sequence[Example], p1: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, ...]:
    Xs, ys, ws = [], [], []
    for i, ex in enumerate(examples):
        keep = ex.n_tok > 0
        X = ex.X1 if p1 is None else _pass2_matrix(ex.X1, p1[i], ex.n_tok, ex.toks)
        Xs.append(X[keep])
        ys.append(ex.labels.content()[keep])
        ws.append(_weights(ex)[keep])
    return np.concatenate(Xs), np.concatenate(ys), np.concatenate(ws)


def page_prf(keep: np.ndarray, labels: Labels) -> tuple[float, float]:
    """Token precision/recall of keeping ``keep`` lines, estimated from the alignment."""
    kept = float(labels.n_tok[keep].sum())
    hit = float(labels.aligned[keep].sum())
    if kept == 0 or labels.gold_tokens == 0:
        return 0.0, 0.0
    return hit / kept, hit / labels.gold_tokens


THRESHOLD_PRIOR: dict[str, float] = {"precision": 0.65, "balanced": 0.5, "recall": 0.35}
"""Where each mode's threshold is pulled (``THRESHOLD_SHRINK``): 0.5 is the log-loss optimum for
calibrated scores, the other two sit 0.15 to either side of it."""
THRESHOLD_SHRINK = 0.5
"""Weight of :data:`THRESHOLD_PRIOR` against the fitted threshold.  The page-mean F-beta curve is
flat near its top, so the fitted optimum moves a lot between training sets (balanced: 0.375 to
0.575 over the 5 CV folds); halfway to the prior removes most of that noise (5-fold CV, 180
trees, stage balanced F1 0.8998 -> 0.9003, precision and recall modes within 0.001: fold noise
size, but it keeps the three modes apart)."""


def choose_thresholds(probs: Sequence[np.ndarray], labels: Sequence[Labels]) -> dict[str, float]:
    """Per mode, the threshold maximising the page-mean F-beta over ``probs`` (training pages),
    shrunk towards :data:`THRESHOLD_PRIOR`."""
    grid = np.linspace(0.05, 0.95, 37)
    P = np.zeros((len(probs), grid.shape[0]))
    R = np.zeros_like(P)
    for i, (p, lab) in enumerate(zip(probs, labels, strict=False)):
        for k, t in enumerate(grid):
            P[i, k], R[i, k] = page_prf(p >= t, lab)
    out = {}
    for mode, beta in MODE_BETA.items():
        b2 = beta * beta
        fb = np.where(P + R > 0, (1 + b2) * P * R / np.maximum(b2 * P + R, 1e-12), 0.0).mean(axis=0)
        fitted = float(grid[int(np.argmax(fb))])
        out[mode] = (1 - THRESHOLD_SHRINK) * fitted + THRESHOLD_SHRINK * THRESHOLD_PRIOR[mode]
    return out


def train_line_model(
    examples: Sequence[Example],
    params: BoostParams | None = None,
    *,
    passes: int = 2,
    inner_folds: int = 2,
    provenance: dict[str, Any] | None = None,
    log: Any = None,
) -> LineModel:
    """Train the passes on ``examples`` (pages) and choose the mode thresholds on them.

    Every pass after the first learns from *out-of-fold* scores of the pass before: the pages
    are split into ``inner_folds`` groups and each group is scored by models trained on the
    others, so a pass learns how far to trust its input on pages that input never saw.
    """
    params = params or BoostParams()
    t0 = time.perf_counter()
    rng = np.random.default_rng(params.seed + 1)
    fold_of = rng.permutation(len(examples)) % inner_folds
    forests: list[Forest] = []
    prev_oof: list[np.ndarray] | None = None  # out-of-fold scores of the previous pass
    n_lines = 0
    for k in range(passes):
        p_k = BoostParams(**{**_params_dict(params), "seed": params.seed + 10 * k})
        X, y, w = _stack(examples, prev_oof)
        n_lines = int(y.shape[0])
        forests.append(fit_forest(X, y, w, p_k))
        if k == passes - 1:
            break
        oof: list[np.ndarray] = [np.zeros(0)] * len(examples)
        for j in range(inner_folds):
            idx = [i for i in range(len(examples)) if fold_of[i] != j]
            Xj, yj, wj = _stack(
                [examples[i] for i in idx], None if prev_oof is None else [prev_oof[i] for i in idx]
            )
            forest = fit_forest(Xj, yj, wj, p_k)
            for i in np.flatnonzero(fold_of == j).tolist():
                ex = examples[i]
                Xi = ex.X1 if prev_oof is None else _pass2_matrix(ex.X1, prev_oof[i], ex.n_tok, ex.toks)
                oof[i] = _sigmoid(forest.raw(Xi))
        prev_oof = oof
    model = LineModel(forests, dict.fromkeys(MODES, 0.5))
    # thresholds on the training pages; the last pass sees out-of-fold scores there, which are
    # distributed like the previous pass's scores of unseen pages at run time
    probs = []
    for i, ex in enumerate(examples):
        Xi = ex.X1 if prev_oof is None else _pass2_matrix(ex.X1, prev_oof[i], ex.n_tok, ex.toks)
        probs.append(_fill_empty(_sigmoid(forests[-1].raw(Xi)), ex.n_tok))
    model.thresholds = choose_thresholds(probs, [ex.labels for ex in examples])
    model.meta = {
        "trained_on_pages": len(examples),
        "trained_on_lines": n_lines,
        "params": _params_dict(params),
        "passes": passes,
        "inner_folds": inner_folds,
        "train_seconds": round(time.perf_counter() - t0, 1),
        **(provenance or {}),
    }
    if log:
        secs = model.meta["train_seconds"]
        log(f"trained on {len(examples)} pages in {secs} s; thresholds {model.thresholds}")
    return model


def _params_dict(p: BoostParams) -> dict[str, Any]:
    return {k: getattr(p, k) for k in BoostParams.__dataclass_fields__}
