"""Fixtures of the boilerplate tests: the dev pages' plain texts and the kernel path under test."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleaner.boilerplate import features


@pytest.fixture(scope="session")
def dev_pages() -> list[dict]:
    """Every page of ../shared/bench/boilerplate/dev.jsonl.gz, read once per session (skips without it)."""
    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def dev_texts(dev_pages: list[dict]) -> list[str]:
    """The plain ``text`` of every dev page."""
    return [p["text"] for p in dev_pages]


@pytest.fixture(params=["native", "numpy"])
def kernel_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Runs the test once with the compiled kernels (skipped when not built) and once on the numpy path."""
    if request.param == "native" and features._native is None:
        pytest.skip("cleaner._native not built")
    if request.param == "numpy":
        monkeypatch.setattr(features, "_native", None)
    yield request.param
