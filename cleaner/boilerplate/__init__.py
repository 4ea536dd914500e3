"""Stage 5: boilerplate removal on plain text (placeholder: keeps everything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..document import Removed


@dataclass(slots=True)
class BoilerplateResult:
    """What the stage decided: the cleaned text, the removed spans and the metadata found."""

    text: str
    removed: list[Removed] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def strip_boilerplate(
    text: str, language: str | None = None, config: Config | None = None, *, model: Any = None
) -> BoilerplateResult:
    """Classify lines and return the article; offsets in ``removed`` index ``text``.

    ``model`` overrides the packaged line model (cross-validation passes fold models).
    """
    return BoilerplateResult(text)
