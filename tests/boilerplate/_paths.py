"""The compiled and numpy paths of the boilerplate features, for the tests that compare them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cleaner.boilerplate import features as F

NATIVE = F._native

needs_native = pytest.mark.skipif(NATIVE is None, reason="cleaner._native not built (numpy path only)")


@contextmanager
def numpy_path() -> Iterator[None]:
    """Run the block with the kernels switched off (features' numpy path)."""
    saved = F._native
    F._native = None
    try:
        yield
    finally:
        F._native = saved
