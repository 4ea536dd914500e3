"""Stage 3: repair mojibake with ftfy, leaving correct text byte-identical.

ftfy's defaults also *reformat* correct text (curly quotes to straight, full width to half width,
ligatures, CRLF to LF); a cleaner must not.  We switch those off and keep only the repairs, run
ftfy only on the lines that can contain damage, and list every change in ``fixes``.

Speed: a correct line can only be changed by ftfy if it matches ftfy's own mojibake detector
(``ftfy.badness.is_bad``) or contains a character one of the enabled fixers acts on (controls, C1
controls, surrogates, terminal escapes).  Both checks are compiled regexes, so clean text -- the
overwhelming majority -- costs two regex scans and an NFC quick-check.  Checking line by line
also keeps a damaged line from dragging a long document into a whole-text re-encoding.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from ftfy.chardata import CONTROL_CHARS

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


def _needs_ftfy(text: str) -> bool:
    return bool(_SUSPECT.search(text)) or is_bad(text)


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
