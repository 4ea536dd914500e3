"""Writing-system evidence: which script each letter belongs to, counted fast.

Many languages are decided by their script alone (Hangul is Korean, Thai is
Thai), and for the others the script narrows the candidates a statistical
detector may answer (a Cyrillic text cannot be Croatian, a Latin one cannot be
Russian).  This is the single most effective fix for the classic failures of
n-gram detectors (langdetect calling Chinese "Korean", Serbian "Macedonian").

Counting is vectorised: the text is viewed as UTF-32 code points and looked up
in a table built once from the ``regex`` module's Unicode script properties, so
a sentence costs a few microseconds and a whole page can be counted per line
with one ``cumsum``.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import regex

from .._shipped import read_zlib, source_digest, write_zlib

# Script ids.  Letters and combining marks count (Indic vowel signs are marks);
# digits, punctuation and symbols count as NONE.
SCRIPTS: tuple[str, ...] = (
    "None", "Latn", "Cyrl", "Grek", "Arab", "Hebr", "Hani", "Kana", "Hang", "Thai",
    "Deva", "Beng", "Taml", "Telu", "Knda", "Mlym", "Gujr", "Guru", "Orya", "Sinh",
    "Armn", "Geor", "Ethi", "Khmr", "Laoo", "Mymr", "Tibt", "Othr",
)  # fmt: skip
SCRIPT_ID: dict[str, int] = {s: i for i, s in enumerate(SCRIPTS)}
_PROPS = {
    "Latn": r"\p{Latin}", "Cyrl": r"\p{Cyrillic}", "Grek": r"\p{Greek}", "Arab": r"\p{Arabic}",
    "Hebr": r"\p{Hebrew}", "Hani": r"\p{Han}", "Kana": r"[\p{Hiragana}\p{Katakana}]",
    "Hang": r"\p{Hangul}", "Thai": r"\p{Thai}", "Deva": r"\p{Devanagari}", "Beng": r"\p{Bengali}",
    "Taml": r"\p{Tamil}", "Telu": r"\p{Telugu}", "Knda": r"\p{Kannada}", "Mlym": r"\p{Malayalam}",
    "Gujr": r"\p{Gujarati}", "Guru": r"\p{Gurmukhi}", "Orya": r"\p{Oriya}", "Sinh": r"\p{Sinhala}",
    "Armn": r"\p{Armenian}", "Geor": r"\p{Georgian}", "Ethi": r"\p{Ethiopic}", "Khmr": r"\p{Khmer}",
    "Laoo": r"\p{Lao}", "Mymr": r"\p{Myanmar}", "Tibt": r"\p{Tibetan}",
}  # fmt: skip
_TABLE_SIZE = 0x30000  # BMP + SMP + SIP (Han extension B..F); beyond that: NONE

# Scripts written by one language (in web text): the script is the answer.
SINGLE_LANGUAGE: dict[str, str] = {
    "Grek": "el", "Hang": "ko", "Thai": "th", "Taml": "ta", "Telu": "te", "Knda": "kn",
    "Mlym": "ml", "Gujr": "gu", "Guru": "pa", "Orya": "or", "Sinh": "si", "Armn": "hy",
    "Geor": "ka", "Khmr": "km", "Laoo": "lo", "Mymr": "my", "Tibt": "bo", "Hebr": "he",
}  # fmt: skip
# Scripts shared by several languages: the detector chooses, but only among these.
SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "Cyrl": frozenset("ru uk bg sr mk be kk ky mn tg tt ba cv ce os sah mhr lez krc av myv bxr".split()),
    "Arab": frozenset("ar fa ur ps ug ckb ku sd arz azb pnb mzn".split()),
    "Deva": frozenset("hi mr ne sa new bh mai".split()),
    "Beng": frozenset("bn as bpy".split()),
    "Ethi": frozenset("am ti".split()),
}
NON_LATIN: frozenset[str] = frozenset(
    set().union(*SCRIPT_LANGUAGES.values()) | set(SINGLE_LANGUAGE.values())
    | {"zh", "ja", "yue", "wuu", "gan", "yi", "dv", "si", "xmf", "mrj"}
)  # fmt: skip


_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


TABLE_FILE = Path(__file__).resolve().parent.parent / "data" / "script_table.zlib"
""":func:`build_script_table`'s output, pre-built by ``scripts/build_language_tables.py``: a header line
(:func:`table_key`) and the zlib-compressed table.  Read in ~0.3 ms instead of built in ~15 ms on every
fresh process; used only when its key is this process's, else the table is built in memory."""


def table_key() -> bytes:
    """What the table is derived from: the ``regex`` release (its Unicode data), this module's script
    definitions and its source (the build code: tests/language/test_language_scripts.py rebuilds the shipped
    table and compares)."""
    spec = repr((SCRIPTS, sorted(_PROPS.items()), _TABLE_SIZE, "letters: [\\p{L}\\p{M}], v1", source_digest(__file__)))
    return f"regex {regex.__version__} {hashlib.sha256(spec.encode()).hexdigest()[:16]}".encode()


@functools.lru_cache(maxsize=1)
def script_table() -> np.ndarray:
    """uint8 script id for every code point below ``_TABLE_SIZE``: the shipped :data:`TABLE_FILE` when
    its key (:func:`table_key`) matches, else :func:`build_script_table`."""
    shipped = read_table(TABLE_FILE)
    table = shipped if shipped is not None else build_script_table()
    table.setflags(write=False)  # read-only on both paths (the shipped one is a view of bytes)
    return table


def read_table(path: Path) -> np.ndarray | None:
    """The table stored at ``path`` (:func:`write_table`), or None: missing, another key, malformed."""
    data = read_zlib(path, table_key(), _TABLE_SIZE)
    if data is None:
        return None
    table = np.frombuffer(data, dtype=np.uint8)
    if int(table.max()) >= len(SCRIPTS):
        return None
    return table


def write_table(path: Path, table: np.ndarray) -> None:
    """Store ``table`` at ``path`` under this process's :func:`table_key` (``scripts/build_language_tables.py``)."""
    write_zlib(path, table_key(), np.asarray(table, dtype=np.uint8).tobytes())


def build_script_table() -> np.ndarray:
    """uint8 script id for every code point below ``_TABLE_SIZE``, from the ``regex`` module (~15 ms).

    Letters are found by blanking every run of non-letters to NUL (one ``regex.sub``), not by a
    Python step per letter (130,000 of them: that took half the build, on every fresh process)."""
    table = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    cps = np.arange(_TABLE_SIZE, dtype=np.uint32)
    cps[0xD800] = ord(" ")  # (as before: one lone surrogate fewer in the string regex scans; no letter either way)
    chars = cps.tobytes().decode("utf-32-le", "surrogatepass")
    marked = regex.sub(r"[^\p{L}\p{M}]+", lambda m: "\0" * len(m.group()), chars)  # (NUL is no letter)
    is_letter = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) != 0
    table[is_letter] = SCRIPT_ID["Othr"]
    for name, prop in _PROPS.items():
        for m in regex.finditer(prop + "+", chars):
            table[m.start() : m.end()] = SCRIPT_ID[name]
    table[~is_letter] = 0
    return table


def script_ids_of(cps: np.ndarray) -> np.ndarray:
    """Script id of every code point of ``cps`` (a uint32 array, e.g. a text encoded once as UTF-32)."""
    ids: np.ndarray = script_table()[np.minimum(cps, _TABLE_SIZE - 1)]
    return ids


def script_ids(text: str) -> np.ndarray:
    """Script id of every character of ``text`` (uint8 array, same length)."""
    return script_ids_of(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))


def script_counts(text: str) -> Counter[str]:
    """Letters per ISO 15924 script (``Kana`` for kana, ``Othr`` for the rest), non-zero only."""
    return Counter(letter_counts(text))


def letter_counts(text: str) -> dict[str, int]:
    """:func:`script_counts` as a plain dict (the hot path: no Counter construction)."""
    if text.isascii():
        n = len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))
        return {"Latn": n} if n else {}
    counts = np.bincount(script_ids(text), minlength=len(SCRIPTS))
    return {SCRIPTS[i]: int(c) for i, c in enumerate(counts.tolist()) if i and c}
