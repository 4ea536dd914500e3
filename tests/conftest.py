"""Shared test helpers: where ../shared is, and skipping cleanly when it is not there."""

from __future__ import annotations

from collections.abc import Callable, Collection
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


@pytest.fixture
def key_is_current() -> Callable[..., None]:
    """Check a shipped table's key against this process's (``cleaner._shipped.staleness``): skip when only
    the environment's part differs (another Python, ``regex`` or ftfy release that pyproject allows: the
    runtime then builds the table in memory), fail when a part the repository controls does (the code
    changed and the table was not rebuilt)."""
    from cleaner import _shipped

    def check(what: str, shipped: dict[str, object], current: dict[str, object], env: Collection[str],
              rebuild: str = "make tables") -> None:
        verdict, why = _shipped.staleness(what, shipped, current, env, rebuild)
        if verdict == "skip":
            pytest.skip(why)
        if verdict == "fail":
            pytest.fail(why)

    return check
