"""cleaner: text-quality and boilerplate cleaner for web text.

Takes an article as plain text, HTML or raw bytes and returns the article
itself plus a record that explains every change::

    >>> import cleaner
    >>> r = cleaner.clean("Share\\nThe council approved the new budget on Monday.\\n")
    >>> sorted(r.to_record())[:3]
    ['cleaner_version', 'encoding', 'id']

Public API: :func:`clean`, :class:`Cleaner`, :func:`decode`,
:func:`detect_language`, :func:`score_garble`, :class:`Config`, :class:`Result`.
Heavy modules (trafilatura, models) load lazily, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Cleaner",
    "Config",
    "Decoded",
    "Garble",
    "Language",
    "Result",
    "__version__",
    "clean",
    "decode",
    "detect_language",
    "score_garble",
]

_LAZY = {
    "Cleaner": ("pipeline", "Cleaner"),
    "Result": ("pipeline", "Result"),
    "clean": ("pipeline", "clean"),
    "Config": ("config", "Config"),
    "decode": ("decode", "decode"),
    "detect_language": ("language", "detect_language"),
    "score_garble": ("garble", "score_garble"),
    "Decoded": ("document", "Decoded"),
    "Garble": ("document", "Garble"),
    "Language": ("document", "Language"),
}

if TYPE_CHECKING:
    from .config import Config
    from .decode import decode
    from .document import Decoded, Garble, Language
    from .garble import score_garble
    from .language import detect_language
    from .pipeline import Cleaner, Result, clean


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
