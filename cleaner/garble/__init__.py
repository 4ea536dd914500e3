"""Stage 6: machine-translation garble score with checkable evidence.

``score_garble(text, language=None, config=None) -> Garble``: a calibrated
document score (0 fluent .. 1 garbled), a flag at ``config.garble_threshold``,
per-sentence scores and evidence spans (``garbled-sentence``, ``unlikely-ngram``,
``non-word``, ``entity-swap``, ``glued-words``, ``tortured-phrase``,
``halfwidth-punctuation``).  English and Chinese only; other languages get
``score=None`` with a reason.  The model (hashed n-gram logistic regression +
dense signals, numpy only at run time) is built by ``scripts/build_garble_model.py``.
"""

from __future__ import annotations

from .score import detect_language, score_garble

__all__ = ["detect_language", "score_garble"]
