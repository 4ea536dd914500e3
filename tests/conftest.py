"""Shared test helpers: where ../shared is, and skipping cleanly when it is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
FIXTURES = REPO / "fixtures"


@pytest.fixture
def shared() -> Path:
    """The ../shared folder beside the checkout; tests that need it skip without it."""
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared is not present")
    return SHARED
