"""The Python/numpy path of garble modules for a moment, to compare it with the compiled kernels."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@contextmanager
def python_path(*modules: ModuleType) -> Iterator[None]:
    """Inside the block, ``modules`` run without ``cleaner._native`` (their ``_native`` is None)."""
    saved = [m._native for m in modules]
    for m in modules:
        m._native = None
    try:
        yield
    finally:
        for m, s in zip(modules, saved, strict=True):
            m._native = s
