"""The shipped sentence model and the document aggregation (runtime: numpy only).

Files: ``garble_model.npz`` (weights, calibrators, clean-text tables), ``garble_nn.npz`` (the
sentence CNN stacked on the English linear logit, :mod:`cleaner.garble.nn`), ``garble_lm.npz``
(the English trigram LM whose features the weights were trained with; required when the
model's meta says ``"lm": true``) and ``garble_lexicon.npz`` (the lexicon: :func:`lexicon_arrays`).
The npz files are written by :func:`cleaner._shipped.save_npz`: members that deflate by less than a quarter
are stored, so loading them is a copy instead of an inflate (the pool loader's start-up).

A sentence's logit is a logistic regression over hashed n-gram features and
standardised dense features (``vec.py``), scored for a whole batch of sentences
at once; the document logit aggregates sentence logits (their mean) and a Platt
calibrator maps it to a probability.  The calibrators were fitted on out-of-fold
predictions on ``train`` (never on dev), one per language: English from the 5-fold
grouped CV with the MT language pairs balanced, Chinese from the repeated 4-fold
pair-grouped CV of its own small model (``build_zh``), so a score of 0.8 means about 80%
of such items were garbled there; ``bench/results/garble.md`` has the dev
reliability table.
"""

from __future__ import annotations

import json
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .._shipped import save_npz
from .features import Lexicon
from .lm import LM
from .nn import DATA_DIR, NN_FILE, ConvNet, _native, encode, linear_signature, load_convnet
from .vec import HASH_SIZE, ZH_NAMES, Batch, Tables, featurise, zh_features

MODEL_FILE = "garble_model.npz"
LEXICON_FILE = "garble_lexicon.npz"
LM_FILE = "garble_lm.npz"


def aggregate(logits: np.ndarray) -> np.ndarray:
    """Document-level input of the calibrator from sentence logits: their mean.

    An upper quantile was tried next to the mean; fitted on train items (1-4
    sentences) it inflated the scores of long fluent articles, whose upper
    quantile grows with the number of sentences, so only the mean is used; the
    share of garbled sentences is shown as evidence instead.
    """
    if len(logits) == 0:
        return np.zeros(1, dtype=np.float64)
    return np.array([float(np.mean(logits))])


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def tables_from_arrays(z: Mapping[str, Any]) -> Tables:
    """:class:`~cleaner.garble.vec.Tables` from the ``t_*`` arrays of the model file."""

    def f32(k: str) -> np.ndarray:
        return np.asarray(z[k]).astype(np.float32)

    def u32(k: str) -> np.ndarray:
        return np.asarray(z[k]).astype(np.uint32)

    return Tables(
        vocab=u32("t_vocab"),
        vocab_logp=f32("t_vocab_logp"),
        vocab_fw=np.asarray(z["t_vocab_fw"]).astype(bool),
        oov_logp=float(z["t_oov_logp"]),
        bigram=u32("t_bigram"),
        bigram_logp=f32("t_bigram_logp"),
        skel3=u32("t_skel3"),
        zh_uni=u32("t_zh_uni"),
        zh_uni_logp=f32("t_zh_uni_logp"),
        zh_oov_logp=float(z["t_zh_oov_logp"]),
        zh_bi=u32("t_zh_bi"),
        zh_bi_logp=f32("t_zh_bi_logp"),
    )


def load_lm() -> LM | None:
    """The English trigram LM shipped in ``cleaner/data`` (None if the file is absent)."""
    path = _data_path(LM_FILE)
    if not path.is_file():
        return None
    with path.open("rb") as f:
        z = np.load(f, allow_pickle=False)
        return LM.from_arrays(z, "en_")


def _with_lm(tables: Tables, meta: dict[str, Any]) -> Tables:
    """``tables`` plus the trigram LM when the weights were trained with its features (``meta["lm"]``)."""
    if not meta.get("lm"):
        return tables
    lm = load_lm()
    if lm is None:
        raise FileNotFoundError(f"{MODEL_FILE} was trained with the trigram LM, but {LM_FILE} is missing")
    return replace(tables, lm=lm)


@dataclass(frozen=True)
class GarbleModel:
    """Weights of the sentence model plus its calibrator, clean-text tables and lexicon."""

    w_sparse: np.ndarray  # float32[HASH_SIZE]
    w_dense: np.ndarray
    dense_mean: np.ndarray
    dense_std: np.ndarray
    intercept: float
    calib: np.ndarray  # [w_mean, bias]
    calib_zh: np.ndarray  # the same for Chinese
    zh_w: np.ndarray  # the separate Chinese sentence model over vec.ZH_NAMES: weights,
    zh_mu: np.ndarray  # standardisation mean,
    zh_sd: np.ndarray  # standardisation scale,
    zh_b: float  # and intercept
    tables: Tables
    lexicon: Lexicon
    tortured: dict[str, str]
    acronyms: dict[str, list[str]]
    meta: dict[str, Any]
    cnn: ConvNet | None = None  # the stacked sentence CNN (``garble_nn.npz``), English only

    def batch_logits(self, sentences: list[str], lang: str) -> tuple[np.ndarray, Batch]:
        """Logits of a batch of sentences of one language (one vectorised featurisation).

        English: the linear model's logit, stacked with the sentence CNN's when ``garble_nn.npz``
        ships (:mod:`cleaner.garble.nn`; grouped-CV gain in ``bench/results/garble.md``).
        Chinese is scored by its own small model (:func:`~cleaner.garble.vec.zh_features`):
        train holds 26 Chinese MT/post-edit pairs, too few for the hashed n-gram weights that
        English shares; the separate model scored 0.75 vs 0.65 AUC in the grouped CV (0.84 with
        ``cjk_mark_rate``, session 6).
        """
        b = featurise(sentences, lang, self.tables, sparse=lang != "zh")
        if lang == "zh":
            zl: np.ndarray = ((zh_features(sentences, b) - self.zh_mu) / self.zh_sd) @ self.zh_w + self.zh_b
            return zl, b
        n = len(sentences)
        if (_native is not None and self._fused and b.dense.shape[1:] == self.dense_mean.shape
                and b.owner.dtype == b.ids.dtype == np.int64):
            return self._logits_native(sentences, b), b
        cnt = np.bincount(b.owner, minlength=n)
        s = np.bincount(b.owner, weights=self.w_sparse[b.ids], minlength=n) / np.sqrt(np.maximum(cnt, 1))
        z = (b.dense - self.dense_mean) / self.dense_std
        lin: np.ndarray = s + z @ self.w_dense + self.intercept
        if self.cnn is not None:
            return self.cnn.stacked(lin, sentences), b
        return lin, b

    @cached_property
    def _fused(self) -> bool:
        """Whether :meth:`_logits_native` scores English batches when the kernels are built: the weights have
        the float32 types the numpy path computes in (the loader's), the standardisation one value per column."""
        k = self.dense_mean.shape
        return (
            len(k) == 1 and self.dense_std.shape == k and self.w_dense.shape == k
            and all(a.dtype == np.float32 for a in (self.w_sparse, self.w_dense, self.dense_mean, self.dense_std))
            and self.w_sparse.ndim == 1
        )

    def _logits_native(self, sentences: list[str], b: Batch) -> np.ndarray:
        """The English branch of :meth:`batch_logits` with its element-wise numpy in four kernels: ``lin_prep``
        (the sparse sums and standardised dense rows), ``cnn_relu_window`` / ``cnn_relu_pool`` (the CNN's biases,
        ReLUs, residual and pooling, :meth:`ConvNet.pooled_out`) and ``lin_stack`` (the linear logit and the stack).
        The three products (``z @ w_dense`` and the CNN's two) stay numpy's; the same floats to the bit
        (tests/garble/test_model_native.py)."""
        assert _native is not None
        n = len(sentences)
        s = np.empty(n, dtype=np.float64)
        z = np.empty(b.dense.shape, dtype=np.float32)
        _native.lin_prep(np.ascontiguousarray(b.owner), np.ascontiguousarray(b.ids), self.w_sparse,
                         np.ascontiguousarray(b.dense, dtype=np.float32), self.dense_mean, self.dense_std, n, s, z)
        zw = z @ self.w_dense
        out = np.empty(n, dtype=np.float64)
        cnn = self.cnn
        if cnn is not None and cnn.fused:  # (fused implies native_width)
            pw = cnn.pooled_out(encode(sentences, cnn.buckets))
            _native.lin_stack(s, zw, self.intercept, pw, cnn.b_out, cnn.stack, out)
            return out
        _native.lin_stack(s, zw, self.intercept, None, 0.0, None, out)
        if cnn is not None:
            return cnn.stacked(out, sentences)
        return out

    def calibrate(self, agg: np.ndarray, boost: float = 0.0, lang: str = "en") -> float:
        """Calibrated probability from :func:`aggregate` output (+ explicit-signal logit boost)."""
        c = self.calib_zh if lang == "zh" else self.calib
        return sigmoid(float(agg @ c[:-1]) + float(c[-1]) + boost)

    def calibrate_many(self, logits: np.ndarray, lang: str = "en") -> np.ndarray:
        """Calibrated probability of each single sentence (vectorised)."""
        c = self.calib_zh if lang == "zh" else self.calib
        out: np.ndarray = 1.0 / (1.0 + np.exp(-(logits * float(c[0]) + float(c[-1]))))
        return out


def _data_path(name: str) -> Any:
    return DATA_DIR / name


def load_lexicon_payload() -> dict[str, Any]:
    """The lexicon payload (``version``, ``unigram``, ``tortured``, ``acronyms``, ...) from ``garble_lexicon.npz``."""
    with _data_path(LEXICON_FILE).open("rb") as f, np.load(f, allow_pickle=False) as z:
        return payload_from_arrays(z)


_LEX_SEP = "\n"
"""Separator of the joined word and phrase lists (no word or phrase holds one: :func:`lexicon_arrays` checks)."""


def lexicon_arrays(payload: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The lexicon ``payload`` as npz arrays: ``unigram``'s words joined by newlines (UTF-8 bytes) and its
    log-probabilities as float64 (the same floats), ``tortured``'s phrases and corrections joined likewise, and
    every other key (``acronyms``, ``version``...) as JSON, with the payload's key order.

    Why not the JSON it was until s9: ``json.load`` of the 67,667 words took ~20 ms of the loader's start-up;
    one split and one ``dict(zip(...))`` take ~5 ms (:func:`payload_from_arrays`), the same dicts in the same order.
    """
    uni, tort = payload["unigram"], payload["tortured"]
    if any(type(v) is not float for v in uni.values()):
        raise ValueError("unigram log-probabilities must be floats")
    lists = {"unigram_words": list(uni), "tortured_keys": list(tort), "tortured_values": list(tort.values())}
    out: dict[str, np.ndarray] = {}
    for k, items in lists.items():
        if any(not isinstance(w, str) or _LEX_SEP in w for w in items):
            raise ValueError(f"{k}: every item must be a str without a newline")
        out[k] = np.frombuffer(_LEX_SEP.join(items).encode("utf-8"), dtype=np.uint8)
    out["unigram_logp"] = np.array(list(uni.values()), dtype=np.float64)
    rest = {k: v for k, v in payload.items() if k not in ("unigram", "tortured")}
    counts = {"unigram": len(uni), "tortured": len(tort)}
    out["meta"] = np.array(json.dumps({"order": list(payload), "counts": counts, "rest": rest}, ensure_ascii=False))
    return out


def _split(z: Mapping[str, Any], key: str, n: int) -> list[str]:
    return np.asarray(z[key]).tobytes().decode("utf-8").split(_LEX_SEP) if n else []


def payload_from_arrays(z: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`lexicon_arrays` (tests/garble/test_lexicon_file.py checks the round trip)."""
    meta = json.loads(str(z["meta"]))
    n_uni, n_tort = meta["counts"]["unigram"], meta["counts"]["tortured"]
    words = _split(z, "unigram_words", n_uni)
    logp = np.asarray(z["unigram_logp"], dtype=np.float64).tolist()
    keys, values = _split(z, "tortured_keys", n_tort), _split(z, "tortured_values", n_tort)
    if len(words) != n_uni or len(logp) != n_uni or len(keys) != n_tort or len(values) != n_tort:
        raise ValueError(f"{LEXICON_FILE}: list lengths do not match its counts")
    built = {"unigram": dict(zip(words, logp, strict=True)), "tortured": dict(zip(keys, values, strict=True))}
    rest = meta["rest"]
    return {k: built[k] if k in built else rest[k] for k in meta["order"]}


LEXICON_STORED = ("unigram_words", "tortured_keys", "tortured_values")
"""Lexicon members :func:`save_lexicon` stores although they deflate to a third: inflating them cost ~3 ms of
the start-up, storing them +0.63 MB (the log-probabilities, 10x smaller deflated, stay deflated)."""


def save_lexicon(path: Any, payload: Mapping[str, Any]) -> None:
    """Write the lexicon file (:func:`lexicon_arrays`, :data:`LEXICON_STORED`)."""
    save_npz(path, lexicon_arrays(payload), store=LEXICON_STORED)


def lexicon_from_payload(p: dict[str, Any]) -> Lexicon:
    return Lexicon(unigram=p["unigram"])


CNN_VERSION = 1


def _matching_convnet(signature: str) -> ConvNet | None:
    """The shipped CNN when it is readable and stacked on this linear model, else None with one warning.

    A stale or broken ``garble_nn.npz`` degrades the English model to the linear one (its own
    calibrator and threshold) instead of failing every document, as ``boilerplate.model`` does
    with its data file.
    """
    try:
        cnn = load_convnet()
        if cnn is not None:  # a dry run: arrays of the wrong shape fail here, not on every document
            cnn.stacked(np.zeros(2), ["A short check sentence.", ""])
    except Exception as exc:  # BadZipFile, zlib.error, wrong shapes...: any broken file degrades
        warnings.warn(f"{NN_FILE} unreadable ({type(exc).__name__}: {exc}): garble uses the linear model alone",
                      stacklevel=3)
        return None
    if cnn is None:
        return None
    problem = ""
    if cnn.meta.get("version") != CNN_VERSION:
        problem = f"version {cnn.meta.get('version')!r}, expected {CNN_VERSION}"
    elif cnn.meta.get("linear_signature") != signature:
        problem = (
            f"stacked on linear model {cnn.meta.get('linear_signature')!r}, but {MODEL_FILE} is {signature!r}"
            " (retrain with scripts/train_garble_nn.py, or delete the CNN file)"
        )
    elif "strict_threshold" not in cnn.meta or "config" not in cnn.meta:
        problem = "meta lacks strict_threshold/config"
    if problem:
        warnings.warn(f"{NN_FILE} not used: {problem}; garble uses the linear model alone", stacklevel=3)
        return None
    return cnn


@lru_cache(maxsize=1)
def load_model() -> GarbleModel:
    """Load (once per process) the model and lexicon shipped in ``cleaner/data``.  These are the stage's real
    models, not rebuildable tables (:mod:`cleaner._shipped`): a missing, truncated or corrupt file raises an
    OSError naming it (``np.load``'s own ``BadZipFile``/``EOFError`` did not say which file)."""
    try:
        return _load_model()
    except Exception as e:
        import zipfile  # (imported by np.load already)

        if isinstance(e, (OSError, EOFError, zlib.error, zipfile.BadZipFile)):
            raise OSError(f"garble model files {LEXICON_FILE}, {MODEL_FILE} in {DATA_DIR} unreadable "
                          f"({type(e).__name__}: {e}): reinstall cleaner, or rebuild them "
                          "(scripts/build_garble_model.py)") from e
        raise


def _load_model() -> GarbleModel:
    p = load_lexicon_payload()
    with _data_path(MODEL_FILE).open("rb") as f:
        z = np.load(f, allow_pickle=False)
        w_sparse = z["w_sparse"].astype(np.float32)
        if w_sparse.shape[0] != HASH_SIZE:
            raise ValueError(f"{MODEL_FILE} has {w_sparse.shape[0]} buckets, features expect {HASH_SIZE}")
        meta = json.loads(str(z["meta"]))
        if meta.get("zh_features") != list(ZH_NAMES) or z["zh_w"].shape != (len(ZH_NAMES),):
            raise ValueError(f"{MODEL_FILE}'s Chinese model was built for inputs {meta.get('zh_features')}, "
                             f"vec.zh_features gives {list(ZH_NAMES)}: rebuild it (scripts/build_garble_model.py "
                             "--zh-only)")
        calib = z["calib"].astype(np.float64)
        cnn = _matching_convnet(linear_signature(z["w_dense"], float(z["intercept"])))
        if cnn is not None:
            # the stacked model has its own English calibrator and model-only flag threshold
            calib = cnn.calib
            meta = {**meta, "strict_threshold": cnn.meta["strict_threshold"], "cnn": cnn.meta["config"]}
        return GarbleModel(
            w_sparse=w_sparse,
            w_dense=z["w_dense"].astype(np.float32),
            dense_mean=z["dense_mean"].astype(np.float32),
            dense_std=z["dense_std"].astype(np.float32),
            intercept=float(z["intercept"]),
            calib=calib,
            calib_zh=z["calib_zh"].astype(np.float64),
            zh_w=z["zh_w"].astype(np.float64),
            zh_mu=z["zh_mu"].astype(np.float64),
            zh_sd=z["zh_sd"].astype(np.float64),
            zh_b=float(z["zh_b"]),
            tables=_with_lm(tables_from_arrays(z), meta),
            lexicon=lexicon_from_payload(p),
            tortured=p["tortured"],
            acronyms=p["acronyms"],
            meta=meta,
            cnn=cnn,
        )
