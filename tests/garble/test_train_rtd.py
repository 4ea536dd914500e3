"""The replaced-token-detection inputs of ``scripts/train_garble_nn.py`` (session 7's pretraining trial).

Its labels must line up with the tokens :func:`cleaner.garble.nn.encode` gives the CNN, or the pretraining
teaches the wrong positions; no torch needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cleaner.garble import nn as gnn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
tgn = pytest.importorskip("train_garble_nn")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog, said Mr. Smith in 2019.",
    "Prices rose by 3.5% in May, the statistics office said on Friday.",
    "A short one.",
    "word " * 100,
]
VOCAB = ["the", "house", "blue", "river", "of"]
CUM = np.cumsum([5.0, 3.0, 2.0, 1.0, 4.0])


@pytest.mark.parametrize("seed", range(5))
def test_labels_align_with_the_cnn_tokens(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for s in SENTENCES:
        text, lab = tgn.rtd_corrupt(s, rng, VOCAB, CUM, 0.3)
        enc = gnn.encode([text], 1 << 15)
        assert int(enc.lengths[0]) == len(lab) <= gnn.MAX_TOKENS
        assert set(np.unique(lab).tolist()) <= {0.0, 1.0}


def test_rate_zero_changes_nothing() -> None:
    rng = np.random.default_rng(0)
    for s in SENTENCES[:3]:
        text, lab = tgn.rtd_corrupt(s, rng, VOCAB, CUM, 0.0)
        assert not lab.any()
        assert [m.group() for m in gnn.TOKEN_RE.finditer(text)] == [m.group() for m in gnn.TOKEN_RE.finditer(s)]


def test_changed_tokens_are_labelled() -> None:
    rng = np.random.default_rng(3)
    s = SENTENCES[1]
    orig = [m.group() for m in gnn.TOKEN_RE.finditer(s)]
    for _ in range(20):
        text, lab = tgn.rtd_corrupt(s, rng, VOCAB, CUM, 0.5)
        toks = [m.group() for m in gnn.TOKEN_RE.finditer(text)]
        if len(toks) == len(orig):  # replacements and swaps only: every changed position carries a 1
            assert all(lab[i] == 1 for i, (a, b) in enumerate(zip(toks, orig, strict=True)) if a != b)
        assert lab.sum() > 0
