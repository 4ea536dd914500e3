"""Tests for the helpers of scripts/build_garble_model.py (weights, pair rows, synthetic Chinese, leak filter)."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_garble_model", ROOT / "scripts" / "build_garble_model.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _row(source: str, pair: str, label: int, group: str) -> dict:
    return {"source": source, "lang": "en", "label": label, "group": group, "meta": {"pair": pair}, "text": "x"}


def test_balance_weights_give_every_pair_the_same_total() -> None:
    b = _build()
    rows = [_row("mlqe_sent", "ne-en", i % 2, f"g{i // 2}") for i in range(8)]
    rows += [_row("mlqe_sent", "ro-en", i % 2, f"h{i // 2}") for i in range(2)]
    w = b.balance_weights(rows)
    ne = sum(w[i] for i, r in enumerate(rows) if r["meta"]["pair"] == "ne-en")
    ro = sum(w[i] for i, r in enumerate(rows) if r["meta"]["pair"] == "ro-en")
    assert ne == pytest.approx(ro)


def test_pair_rows_are_garbled_minus_human_item_means() -> None:
    pytest.importorskip("scipy")
    from scipy.sparse import csr_matrix

    b = _build()
    rows = [
        _row("mlqe_sent", "ne-en", 1, "g"),
        _row("mlqe_sent", "ne-en", 0, "g"),
        _row("mlqe_goodmt", "et-en", 0, "z"),
    ]
    # item 0 has two sentences, items 1 and 2 one each
    X = csr_matrix(np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 1.0], [5.0, 5.0]]))
    D = np.array([[1.0], [3.0], [0.0], [9.0]])
    owner = np.array([0, 0, 1, 2])
    Xd, Dd, wd = b.pair_rows(X, D, owner, rows, np.arange(3), np.ones(3))
    assert Xd.toarray().tolist() == [[2.0, -1.0]]  # mean(1, 3) - 0, 0 - 1; goodmt has no pair
    assert Dd.tolist() == [[2.0]] and wd.tolist() == [1.0]


def test_corrupt_zh_is_deterministic_and_changes_the_sentence() -> None:
    b = _build()
    text = "他在七十四码的地方有了八次接球，并与底特律狮队有了两次达阵。"
    chars = "的一是在不了有和人这中大为上个国"
    out1 = [b.corrupt_zh(text, random.Random(3), chars) for _ in range(5)]
    rng = random.Random(3)
    out2 = [b.corrupt_zh(text, rng, chars) for _ in range(1)]
    assert out1[0] == out2[0]
    rng = random.Random(7)
    assert any(b.corrupt_zh(text, rng, chars) != text for _ in range(10))
