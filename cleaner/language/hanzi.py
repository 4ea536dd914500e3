"""Simplified vs Traditional Chinese from character sets, with no trained model.

A character that GB2312 (the mainland simplified standard) can encode but Big5
(the Taiwan/Hong Kong traditional standard) cannot is simplified-leaning (这,
们, 国), and the reverse is traditional-leaning (這, 們, 國).  Characters both
encode (人, 大, 中) carry no evidence.  The two tables are derived at first use
from Python's own codecs, so they are reproducible offline and were not fitted
to any benchmark; the langid dev set is only used to *measure* the result
(bench/results/langid.md).
"""

from __future__ import annotations

import functools

import numpy as np

_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def tables() -> tuple[frozenset[str], frozenset[str]]:
    """(simplified-leaning, traditional-leaning) characters."""
    hans: set[str] = set()
    hant: set[str] = set()
    for lo, hi in _CJK_RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            gb = _encodable(ch, "gb2312")
            big5 = _encodable(ch, "big5")
            if gb and not big5:
                hans.add(ch)
            elif big5 and not gb:
                hant.add(ch)
    return frozenset(hans), frozenset(hant)


@functools.lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """uint8 per code point below U+FB00: 1 simplified-leaning, 2 traditional-leaning, else 0."""
    hans, hant = tables()
    table = np.zeros(0xFB00, dtype=np.uint8)
    table[[ord(c) for c in hans]] = 1
    table[[ord(c) for c in hant]] = 2
    return table


def hanzi_classes_of(cps: np.ndarray) -> np.ndarray:
    """Per code point of ``cps`` (a uint32 array, e.g. a text encoded once as UTF-32): 1
    simplified-leaning, 2 traditional-leaning, 0 neither."""
    table = _class_table()
    classes: np.ndarray = table[np.minimum(cps, len(table) - 1)]
    return classes


def hanzi_classes(text: str) -> np.ndarray:
    """Per character of ``text``: 1 simplified-leaning, 2 traditional-leaning, 0 neither."""
    return hanzi_classes_of(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))


def hans_hant_counts(text: str) -> tuple[int, int]:
    """Number of simplified-leaning and traditional-leaning characters in ``text``."""
    counts = np.bincount(hanzi_classes(text), minlength=3).tolist()
    return counts[1], counts[2]


def script_and_confidence(text: str) -> tuple[str, float]:
    """``("Hans"|"Hant", confidence)``; Hans with confidence 0.5 when there is no evidence.

    Majority vote: a simplified article quoting a traditional name stays Hans.
    Confidence is the winning share of the evidence, shrunk towards 0.5 when
    there are few evidence characters (Laplace, one pseudo-count each side).
    """
    s, t = hans_hant_counts(text)
    if t > s:
        return "Hant", (t + 1) / (s + t + 2)
    return "Hans", (s + 1) / (s + t + 2)


def chinese_script(text: str) -> str:
    """``"Hant"`` when traditional-leaning characters outnumber simplified-leaning ones, else ``"Hans"``."""
    return script_and_confidence(text)[0]
