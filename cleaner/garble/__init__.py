"""Stage 6: machine-translation garble score (placeholder)."""

from __future__ import annotations

from ..config import Config
from ..document import Garble


def score_garble(text: str, language: str | None = None, config: Config | None = None) -> Garble:
    """Score ``text`` for machine-translation garbling (0 = fluent, 1 = garbled)."""
    return Garble(None, False, (), "not-implemented")
