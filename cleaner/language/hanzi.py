"""Simplified vs Traditional Chinese from character sets, with no trained model.

A character that GB2312 (the mainland simplified standard) can encode but Big5
(the Taiwan/Hong Kong traditional standard) cannot is simplified-leaning (这,
们, 国), and the reverse is traditional-leaning (這, 們, 國).  Characters both
encode (人, 大, 中) carry no evidence.  The two tables are derived at first use
from Python's own codecs (one bulk encode per codec, checked), so they are reproducible offline and were not fitted
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


def _cjk_chars() -> str:
    """Every code point of ``_CJK_RANGES``, in order, as one string."""
    return np.concatenate([np.arange(lo, hi, dtype=np.uint32) for lo, hi in _CJK_RANGES]).tobytes().decode("utf-32-le")


def _encodable_mask(chars: str, codec: str) -> np.ndarray | None:
    """``_encodable(ch, codec)`` for every character of ``chars`` from one bulk encode, or None when the
    bulk answer cannot be proved the per-character one (then :func:`tables` asks character by character).

    One ``encode(codec, "replace")`` and ``decode`` turn each unencodable character into ``?`` (56,192
    calls that each raised took ~50 ms of every fresh process; this takes ~2 ms).  Then it is proved,
    not assumed: the characters read as encodable must encode strictly all together, and the others,
    encoded on their own, must each come out as the replacement ``?``."""
    try:
        back = chars.encode(codec, "replace").decode(codec)
    except (UnicodeError, LookupError):
        return None
    if len(back) != len(chars) or "?" in chars:
        return None
    mask: np.ndarray = np.frombuffer(back.encode("utf-32-le"), dtype=np.uint32) != ord("?")
    cps = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)
    good = cps[mask].tobytes().decode("utf-32-le")
    bad = cps[~mask].tobytes().decode("utf-32-le")
    try:
        good.encode(codec)
    except UnicodeEncodeError:
        return None
    if bad.encode(codec, "replace") != b"?" * len(bad):  # (only "?" itself encodes to b"?" in these codecs)
        return None
    return mask


@functools.lru_cache(maxsize=1)
def tables() -> tuple[frozenset[str], frozenset[str]]:
    """(simplified-leaning, traditional-leaning) characters."""
    chars = _cjk_chars()
    gb = _encodable_mask(chars, "gb2312")
    big5 = _encodable_mask(chars, "big5")
    if gb is None or big5 is None:  # (not seen with CPython's codecs: tests/language/test_language_hanzi.py)
        return _tables_per_character(chars)
    cps = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)
    return (frozenset(cps[gb & ~big5].tobytes().decode("utf-32-le")),
            frozenset(cps[big5 & ~gb].tobytes().decode("utf-32-le")))


def _tables_per_character(chars: str) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`tables` one ``encode`` per character and codec (the definition; ~50 ms)."""
    hans: set[str] = set()
    hant: set[str] = set()
    for ch in chars:
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
