"""Stage 3: repair mojibake with ftfy, leaving correct text byte-identical.

ftfy's defaults also *reformat* correct text (curly quotes to straight, full width to half width,
ligatures, CRLF to LF); a cleaner must not.  We switch those off and keep only the repairs, run
ftfy only on the lines that can contain damage, and list every change in ``fixes``.

Speed: a correct line can only be changed by ftfy if it matches ftfy's own mojibake detector
(``ftfy.badness.is_bad``) or contains a character one of the enabled fixers acts on (controls, C1
controls, surrogates, terminal escapes).  Both checks are compiled regexes, so clean text -- the
overwhelming majority -- costs two regex scans and an NFC quick-check.  Checking line by line
also keeps a damaged line from dragging a long document into a whole-text re-encoding.

With the compiled kernels built (``cleaner/_native.c``, "language s8" block, ``LANGUAGE_ABI``) both
checks are one pass of ``cp_scan`` over the text, for characters and *pairs* of characters that
every match of ftfy's detector must contain (:func:`_mojibake_triggers`, read from ftfy's pattern):
quotes, dashes and accented letters, which opened a regex window each, are no trigger alone.
Same answers (tests/test_fix_encoding.py compares them with ftfy on real and random text).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from pathlib import Path
from re import _parser as _re_parser  # type: ignore[attr-defined]
from typing import Any

import ftfy
import numpy as np
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from ftfy.chardata import CONTROL_CHARS

from ._shipped import read_zlib, source_digest, write_zlib
from .config import Config

# Why each switch is off: datatrove's FTFYFormatter makes the same choices --
# "fixing unreadable/wrong encoding text is good; enforcing a specific formatting isn't".
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # entities in plain text may be literal; HTML is unescaped by the parser
    uncurl_quotes=False,  # “ ” ’ are correct characters, not damage
    fix_character_width=False,  # full-width CJK punctuation and letters are correct
    fix_latin_ligatures=False,  # ﬁ is a faithful copy of the source
    fix_line_breaks=False,  # CRLF / U+2028 are layout, handled by line splitting downstream
    normalization=None,  # NFC applied separately so it can be reported on its own
    explain=True,
)

#: Characters an enabled fixer other than the mojibake detector acts on: C0 controls except
#: whitespace, DEL, C1 controls (fix_c1_controls), surrogates, ESC (terminal escapes) and the
#: invisible format characters ftfy's remove_control_chars deletes (BOM, U+206A-F, U+FFF9-C).
_SUSPECT = re.compile(
    "[\x80-\x9f\ud800-\udfff"
    + "".join(re.escape(chr(c)) for c in sorted(CONTROL_CHARS) if c < 0x10000)
    + "]"
)
_ASCII_SUSPECT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _mojibake_chars() -> str:
    """Every non-ASCII character that ftfy's BADNESS_RE can match (ranges in its categories expanded)."""
    chars = {c for c in BADNESS_RE.pattern if ord(c) > 127}
    for cat in MOJIBAKE_CATEGORIES.values():
        for m in re.finditer(r"(.)-(.)", cat, re.DOTALL):
            lo, hi = ord(m.group(1)), ord(m.group(2))
            if 127 < lo <= hi:
                chars.update(chr(c) for c in range(lo, hi + 1))
    return "".join(sorted(chars))


#: Every alternative of ftfy's mojibake detector contains at least one of these characters and
#: is at most 7 characters long, so searching BADNESS_RE only in windows of +-_WINDOW around them
#: gives exactly ``ftfy.badness.is_bad`` (tests/test_fix_encoding.py checks this on real text)
#: while skipping the ~99% of clean text that is far from any of them.  ``is_bad`` itself scans
#: at ~3 MB/s; this pre-check runs at >100 MB/s on English and Chinese.
_MOJIBAKE_CHAR = re.compile("[" + re.escape(_mojibake_chars()) + "]")
_WINDOW = 8
# runs of such characters less than 2 windows apart, found in one C-level scan each
_CLASS = _MOJIBAKE_CHAR.pattern[1:-1]
_MOJIBAKE_CLUSTER = re.compile(f"[{_CLASS}](?:[^{_CLASS}]{{0,{2 * _WINDOW}}}[{_CLASS}])*")


def is_bad(text: str) -> bool:
    """Same answer as ``ftfy.badness.is_bad(text)``, much faster on clean text."""
    n = len(text)
    for m in _MOJIBAKE_CLUSTER.finditer(text):
        if BADNESS_RE.search(text, max(0, m.start() - _WINDOW), min(n, m.end() + _WINDOW)):
            return True
    return False


def _needs_ftfy_py(text: str) -> bool:
    return bool(_SUSPECT.search(text)) or is_bad(text)


def _needs_ftfy(text: str) -> bool:
    """Whether ftfy may change ``text``: ``_SUSPECT.search(text) or is_bad(text)``, by the compiled
    trigger scan (:func:`_scan_tables`) when it is built, else by those two regexes."""
    tables = _scan_tables()
    if tables is None:
        return _needs_ftfy_py(text)
    scan, cls, masks, width = tables
    got = scan(text, cls, masks, _SCAN_LIMIT)
    if got is None:  # a character of _SUSPECT
        return True
    if len(got) > _SCAN_LIMIT:  # many triggers (mojibake, or a script full of them): the windows would not pay
        return _needs_ftfy_py(text)
    n = len(text)
    search = BADNESS_RE.search
    return any(search(text, max(0, p - width), min(n, p + width + 1)) for p in got)


_SCAN_LIMIT = 64
"""Trigger positions beyond which :func:`_needs_ftfy` runs the regex path on the whole text."""


def _mojibake_triggers() -> tuple[list[frozenset[int]], list[tuple[frozenset[int], frozenset[int]]], int] | None:
    """What every match of ftfy's ``BADNESS_RE`` must contain, read from the installed pattern itself:
    (single-character sets, pairs of sets of consecutive characters, the longest match's length).

    Each alternative of the pattern is a sequence of one-character items (literals and classes) with
    at most an optional item or an anchor among them; a match of it holds a character of each item,
    items side by side in consecutive positions.  Of those requirements (one item, or two adjacent
    items) the one least likely in ordinary text is kept: ``“`` or ``é`` alone occur everywhere, ``”``
    followed by ``é`` almost never.  So any match contains a listed single or pair, and a search of
    ``BADNESS_RE`` in the window of the longest match's length around each one finds it: exactly
    ``ftfy.badness.is_bad``.  ``None`` when the pattern has a construct this does not read (another
    ftfy release; a look-around, back-reference or end anchor anywhere in it): then the regex path runs.
    """
    parser: Any = _re_parser  # (its names include re._constants')
    if BADNESS_RE.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    tree = parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    # zero-width constructs that look outside a match (look-arounds, back-references, end anchors) would
    # need characters past the window, or match at its edge where the real text goes on: not read here
    anchors_ok = {parser.AT_BEGINNING, parser.AT_BEGINNING_STRING, parser.AT_BOUNDARY, parser.AT_NON_BOUNDARY}

    def readable(sub: Any) -> bool:
        for op, av in sub.data if hasattr(sub, "data") else sub:
            if op in (parser.ASSERT, parser.ASSERT_NOT, parser.GROUPREF, parser.GROUPREF_EXISTS):
                return False
            if op is parser.AT and av not in anchors_ok:
                return False
            if op is parser.BRANCH and not all(readable(b) for b in av[1]):
                return False
            if op is parser.SUBPATTERN and not readable(av[-1]):
                return False
            if op in (parser.MAX_REPEAT, parser.MIN_REPEAT, parser.POSSESSIVE_REPEAT) and not readable(av[-1]):
                return False
            if op is parser.ATOMIC_GROUP and not readable(av):
                return False
        return True

    if not readable(tree):
        return None
    alts = tree.data[0][1][1] if len(tree.data) == 1 and tree.data[0][0] is parser.BRANCH else [tree]

    def charset(op: Any, av: Any) -> frozenset[int] | None:
        """The code points one item matches; None: not a finite set read here (negated, categories, any)."""
        if op is parser.LITERAL:
            return frozenset((av,))
        if op is not parser.IN:
            return None
        out: set[int] = set()
        for o, a in av:
            if o is parser.LITERAL:
                out.add(a)
            elif o is parser.RANGE:
                out.update(range(a[0], a[1] + 1))
            else:  # NEGATE, CATEGORY
                return None
        return frozenset(out)

    def freq(chars: frozenset[int] | None) -> float:
        """A rough likelihood that a character of ordinary text is in ``chars`` (it only ranks the choices:
        ASCII letters, digits and spaces are everywhere, accented small letters, quotes, dashes and no-break
        spaces common, capital accented letters rarer, other symbols rare)."""
        if chars is None:
            return 1e9
        total = 0.0
        for c in chars:
            ch = chr(c)
            cat = unicodedata.category(ch)
            if c < 128:
                total += 0.05 if ch.isalnum() or ch.isspace() else 0.005
            elif cat in ("Ll", "Lo", "Pd", "Pi", "Pf", "Zs"):
                total += 0.003
            elif cat[0] == "L":
                total += 0.0005
            else:
                total += 0.0001
        return total

    singles: list[frozenset[int]] = []
    pairs: list[tuple[frozenset[int], frozenset[int]]] = []
    width = 0
    for alt in alts:
        _, hi = alt.getwidth()
        if hi >= parser.MAXREPEAT or hi > 32:
            return None
        width = max(width, hi)
        # items as char sets; None where an item is not one character (optional, repeated): a gap
        items: list[frozenset[int] | None] = []
        for op, av in alt.data:
            if op is parser.AT:
                continue  # an anchor consumes nothing: its neighbours stay adjacent
            items.append(charset(op, av) if op in (parser.LITERAL, parser.IN, parser.ANY) else None)
        best: tuple[float, frozenset[int], frozenset[int] | None] | None = None
        for k, a in enumerate(items):
            if a is None:
                continue
            if best is None or freq(a) < best[0]:
                best = (freq(a), a, None)
            b = items[k + 1] if k + 1 < len(items) else None
            if b is not None:
                cost = freq(a) * freq(b)
                if cost < best[0]:
                    best = (cost, a, b)
        if best is None:
            return None  # an alternative without one finite item: nothing to require
        _, a, b = best
        if b is None:
            singles.append(a)
        else:
            pairs.append((a, b))
    return singles, pairs, width


@functools.lru_cache(maxsize=1)
def _scan_tables() -> tuple[Any, bytes, np.ndarray, int] | None:
    """(``cp_scan``, its class table, its masks, the window) for :func:`_needs_ftfy`, or None: kernel
    not built or switched off, or ftfy's pattern not read (:func:`_mojibake_triggers`).  The tables
    are the shipped :data:`SCAN_FILE` when its key is this process's, else :func:`build_scan_tables`."""
    from . import native
    from .language import backends

    mod = native.load("LANGUAGE_ABI", backends.LANGUAGE_ABI, ("cp_scan",), "fix_encoding scans with regexes")
    if mod is None:
        return None
    got = read_scan_tables(SCAN_FILE) or build_scan_tables()
    return None if got is None else (mod.cp_scan, *got)


SCAN_FILE = Path(__file__).resolve().parent / "data" / "fix_encoding_scan.zlib"
""":func:`build_scan_tables`' output, pre-built by ``scripts/build_language_tables.py``: a header line
(:func:`scan_key`) and the zlib-compressed window, masks and class table.  Reading ftfy's pattern
and deriving the tables took ~4 ms of every fresh process; this reads in ~0.1 ms."""


def scan_key() -> bytes:
    """What the scan tables are derived from: ftfy's release, its detector's pattern and flags and its
    control characters, the Python release (``re``'s parser reads the pattern) and this module's source (the
    build code; tests/test_fix_encoding.py rebuilds the shipped tables and compares)."""
    import hashlib

    spec = repr((BADNESS_RE.pattern, int(BADNESS_RE.flags), sorted(CONTROL_CHARS), _SCAN_LIMIT, "cp_scan v1",
                 source_digest(__file__)))
    python = "py{}.{}".format(*sys.version_info[:2])
    return f"ftfy {ftfy.__version__} {python} {hashlib.sha256(spec.encode()).hexdigest()[:16]}".encode()


def read_scan_tables(path: Path) -> tuple[bytes, np.ndarray, int] | None:
    """The tables stored at ``path`` (:func:`write_scan_tables`), or None: missing, another key, malformed."""
    data = read_zlib(path, scan_key())
    if data is None or len(data) < 8 + 512 * 8:
        return None
    width = int.from_bytes(data[:8], "little")
    masks = np.frombuffer(data[8:8 + 512 * 8], dtype="<u8").astype(np.uint64)
    cls = data[8 + 512 * 8:]
    if not 0 < width < 64 or (cls and max(cls) * 2 + 1 >= len(masks)):
        return None
    return cls, masks, width


def write_scan_tables(path: Path, tables: tuple[bytes, np.ndarray, int]) -> None:
    """Store :func:`build_scan_tables`' ``tables`` at ``path`` under this process's :func:`scan_key`."""
    cls, masks, width = tables
    body = width.to_bytes(8, "little") + np.asarray(masks, dtype="<u8").tobytes() + bytes(cls)
    write_zlib(path, scan_key(), body)


def build_scan_tables() -> tuple[bytes, np.ndarray, int] | None:
    """(class table, masks, window) of ``cp_scan`` from ftfy's pattern, or None when it is not read.

    Bit 0: a character of ``_SUSPECT`` (ftfy's other fixers act on it: the answer is yes); bit 1:
    a single trigger; bits 2..63: one per distinct pair."""
    got = _mojibake_triggers()
    if got is None:
        return None
    singles, pairs, width = got
    distinct = list(dict.fromkeys(pairs))
    if len(distinct) > 62:
        return None
    first: dict[int, int] = {}
    second: dict[int, int] = {}
    for c in _suspect_chars():
        first[c] = first.get(c, 0) | 1
    for chars in singles:
        for c in chars:
            first[c] = first.get(c, 0) | 2
    for bit, (a, b) in enumerate(distinct, start=2):
        for c in a:
            first[c] = first.get(c, 0) | 1 << bit
        for c in b:
            second[c] = second.get(c, 0) | 1 << bit
    keys = sorted(set(first) | set(second))
    classes: dict[tuple[int, int], int] = {(0, 0): 0}
    size = keys[-1] + 1 if keys else 0
    cls = bytearray(size)
    for c in keys:
        key = (first.get(c, 0), second.get(c, 0))
        k = classes.setdefault(key, len(classes))
        if k > 255:
            return None
        cls[c] = k
    masks = np.zeros(512, dtype=np.uint64)
    for (f, s), k in classes.items():
        masks[2 * k], masks[2 * k + 1] = f, s
    return bytes(cls), masks, width


def _suspect_chars() -> list[int]:
    """The code points ``_SUSPECT`` matches."""
    return [*range(0x80, 0xA0), *range(0xD800, 0xE000), *(c for c in sorted(CONTROL_CHARS) if c < 0x10000)]


def _fix_line(line: str, fixes: list[str]) -> str:
    fixed, explanation = ftfy.fix_and_explain(line, config=FTFY_CONFIG)
    if fixed != line:
        for step in explanation or ():
            name = f"{step.action}:{step.parameter}" if step.parameter else step.action
            if name not in fixes:
                fixes.append(name)
    return fixed


def fix_text(text: str, config: Config | None = None) -> tuple[str, list[str]]:
    """Return ``(repaired_text, fixes)``; ``fixes`` names each kind of change made (empty: unchanged).

    >>> fix_text("CafÃ© “crème”")
    ('Café “crème”', ['apply:decode_inconsistent_utf8'])
    """
    cfg = config or Config()
    fixes: list[str] = []
    if not text:
        return text, fixes
    if text.isascii():
        if _ASCII_SUSPECT.search(text):
            text = "".join(_fix_line(line, fixes) if _ASCII_SUSPECT.search(line) else line
                           for line in text.splitlines(keepends=True))
        return text, fixes
    if cfg.fix_encoding and _needs_ftfy(text):
        lines = text.split("\n")
        out = [_fix_line(line, fixes) if line and _needs_ftfy(line) else line for line in lines]
        text = "\n".join(out)
    if cfg.normalize_nfc and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        fixes.append("normalize:NFC")
    if cfg.restore_cjk_punctuation:
        restored = restore_cjk_punctuation(text)
        if restored != text:
            text = restored
            fixes.append("restore-cjk-punctuation")
    return text, fixes


# -- opt-in: full-width punctuation folded to ASCII by an earlier NFKC pass --------------------------

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"  # Han + kana
_CJK_PUNCT = r"\u3000-\u303f\uff01-\uff60\u201c\u201d\u2018\u2019\u2014\u2026\u00b7"
_WIDE = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
# ",:;!?" right after a Han character (or a closing CJK mark after one) and not followed by a
# space: NFKC turns "，" into "," with nothing after it, while a writer typing an ASCII comma in
# Chinese text usually adds a space.  Digits on both sides ("17:38") never qualify.
_PUNCT_AFTER_HAN_SIMPLE = re.compile(rf"(?<=[{_HAN}])([,:;!?])(?=[^\s]|$)", re.MULTILINE)
_PUNCT_AFTER_CLOSE = re.compile(rf"(?<=[{_HAN}][”’》」』】])([,:;!?])(?=[^\s]|$)", re.MULTILINE)
# a parenthesised span on one line with a Han character next to either bracket
_PARENS = re.compile(r"\(([^()\n]{1,200})\)")


def restore_cjk_punctuation(text: str) -> str:
    """Turn ASCII , : ; ! ? ( ) back into full width where they sit next to Han characters.

    Only positions that a Chinese writer would have typed in full width are touched: the mark
    follows a Han/kana character (possibly after a closing quote/bracket) and is not followed by
    a space; parentheses are converted as a pair when a Han character touches either bracket.

    >>> restore_cjk_punctuation("他说:“好。”4月26日,美国(US)宣布")
    '他说：“好。”4月26日，美国（US）宣布'
    """
    han = re.compile(f"[{_HAN}]")

    def paren(m: re.Match[str]) -> str:
        start, end = m.start(), m.end()
        before = m.string[start - 1] if start else ""
        after = m.string[end] if end < len(m.string) else ""
        inner = m.group(1)
        if han.match(before) or han.match(after) or han.match(inner[0]) or han.match(inner[-1]):
            return f"（{inner}）"
        return m.group(0)

    text = _PUNCT_AFTER_HAN_SIMPLE.sub(lambda m: _WIDE[m.group(1)], text)
    text = _PUNCT_AFTER_CLOSE.sub(lambda m: _WIDE[m.group(1)], text)
    return _PARENS.sub(paren, text)
