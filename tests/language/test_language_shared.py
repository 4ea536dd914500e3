"""Regression guard on the shared langid dev set (skipped when ../shared is absent).

A floor, not the benchmark: bench/langid.py measures the full set.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cleaner.language import detect_language

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
DEV = SHARED / "bench" / "langid" / "dev.jsonl.gz"


def test_dev_sample_accuracy_floor() -> None:
    if not DEV.exists():
        pytest.skip("../shared/bench/langid not available")
    with gzip.open(DEV, "rt", encoding="utf-8") as f:
        recs = [json.loads(line) for _, line in zip(range(1500), f, strict=False)]
    main = [r for r in recs if r["bucket"] != "w2"]
    ok = sum(detect_language(r["text"]).language == r["lang"] for r in main)
    assert ok / len(main) >= 0.95
    zh = [r for r in main if r["lang"] == "zh"]
    assert all(f"zh-{detect_language(r['text']).script}" == r["sub"] for r in zh)
    assert not any(detect_language(r["text"]).language == "ko" for r in zh)
