"""The pool's loader preloads both language detectors before it forks the workers.

Choosing the backend loads nothing (a fresh process's first page loads only what it needs), so
the loader's warm-up texts must be what loads them: a long clear English text (fastText) and a
short German one (py3langid, asked about short texts).  Without this the workers would each load
py3langid's 30 MB of arrays instead of sharing the loader's pages.
"""

from __future__ import annotations

import pytest

from cleaner.config import Config
from cleaner.language import backends


def test_preload_loads_both_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    import cleaner.language as lang_mod
    from cleaner.runner import preload

    monkeypatch.setattr(backends, "_models", {})
    monkeypatch.setattr(lang_mod, "_resolved", {})
    preload(Config(boilerplate=False, garble=False))
    # fastText: the compiled kernel's model where it is built (it makes every prediction; fasttext-predict's
    # copy is then not loaded), else fasttext-predict's
    fasttext = "fasttext-native" if backends._models.get("fasttext-native") is not None else "fasttext"
    assert {fasttext, "py3langid"} <= set(backends._models)
