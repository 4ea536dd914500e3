"""Simplified vs Traditional Chinese from character sets, with no trained model.

A character that GB2312 (the mainland simplified standard) can encode but Big5
(the Taiwan/Hong Kong traditional standard) cannot is simplified-leaning (这,
们, 国), and the reverse is traditional-leaning (這, 們, 國).  Characters both
encode (人, 大, 中) carry no evidence.  The two tables are derived from Python's own
codecs (shipped pre-built for this Python release, else one checked bulk encode per codec at first
use), so they are reproducible offline and were not fitted to any benchmark; the langid dev set
is only used to *measure* the result (bench/results/langid.md).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np

from .._shipped import read_zlib, source_digest, write_zlib

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
    bulk answer cannot be proved the per-character one (then :func:`build_tables` asks character by character).

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
    """(simplified-leaning, traditional-leaning) characters, as sets: :func:`_class_table`'s classes 1 and 2
    (the stage itself reads only the table)."""
    table = _class_table()
    return _chars_of(np.flatnonzero(table == 1)), _chars_of(np.flatnonzero(table == 2))


def _chars_of(cps: np.ndarray) -> frozenset[str]:
    return frozenset(cps.astype(np.uint32).tobytes().decode("utf-32-le"))


def build_tables() -> tuple[frozenset[str], frozenset[str]]:
    """:func:`tables` from Python's codecs (~4 ms): one checked bulk encode per codec, else (never seen)
    one encode per character."""
    chars = _cjk_chars()
    gb = _encodable_mask(chars, "gb2312")
    big5 = _encodable_mask(chars, "big5")
    if gb is None or big5 is None:  # (not seen with CPython's codecs: tests/language/test_language_hanzi.py)
        return _tables_per_character(chars)
    cps = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)
    return _chars_of(cps[gb & ~big5]), _chars_of(cps[big5 & ~gb])


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


CLASS_FILE = Path(__file__).resolve().parent.parent / "data" / "hanzi_classes.zlib"
""":func:`build_class_table` of :func:`build_tables`, pre-built by ``scripts/build_language_tables.py``: a header line
(:func:`class_key`) and the zlib-compressed table; used only under this process's key."""


def class_key() -> bytes:
    """What the classes are derived from: the Python release (its GB2312 and Big5 codecs), the ranges and this
    module's source (the build code)."""
    v = sys.version_info
    return (f"{sys.implementation.name} {v.major}.{v.minor}.{v.micro} gb2312/big5 {_CJK_RANGES} v1 "
            f"src {source_digest(__file__)}").encode()


@functools.lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """uint8 per code point below U+FB00: 1 simplified-leaning, 2 traditional-leaning, else 0: the shipped
    :data:`CLASS_FILE` when its key is this process's (~0.5 ms), else built from the codecs (~4 ms)."""
    shipped = read_class_table(CLASS_FILE)
    table = shipped if shipped is not None else build_class_table(*build_tables())
    table.setflags(write=False)  # read-only on both paths (the shipped one is a view of bytes)
    return table


def build_class_table(hans: frozenset[str], hant: frozenset[str]) -> np.ndarray:
    """:func:`_class_table` of the sets :func:`build_tables` gives."""
    table = np.zeros(0xFB00, dtype=np.uint8)
    table[np.frombuffer("".join(hans).encode("utf-32-le"), dtype=np.uint32)] = 1
    table[np.frombuffer("".join(hant).encode("utf-32-le"), dtype=np.uint32)] = 2
    return table


def read_class_table(path: Path) -> np.ndarray | None:
    """The table stored at ``path`` (:func:`write_class_table`), or None: missing, another key, malformed."""
    data = read_zlib(path, class_key(), 0xFB00)
    if data is None:
        return None
    table = np.frombuffer(data, dtype=np.uint8)
    return table if int(table.max()) <= 2 else None


def write_class_table(path: Path, table: np.ndarray) -> None:
    """Store ``table`` at ``path`` under this process's :func:`class_key` (``scripts/build_language_tables.py``)."""
    write_zlib(path, class_key(), np.asarray(table, dtype=np.uint8).tobytes())


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
