"""Stage 3: repair mojibake with ftfy, leaving correct text byte-identical.

ftfy's defaults also *reformat* correct text (curly quotes to straight, full
width to half width, ligatures, NFKC-like changes); a cleaner must not.  We
switch those off and keep only the repairs, and list every change it made.
"""

from __future__ import annotations

import unicodedata

import ftfy

from .config import Config

# Why each switch is off: datatrove's FTFYFormatter makes the same choices —
# "fixing unreadable/wrong encoding text is good; enforcing a specific formatting isn't".
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,  # entities in plain text are usually literal; HTML is unescaped by the parser
    uncurl_quotes=False,  # “ ” are correct characters, not damage
    fix_character_width=False,  # full-width CJK punctuation is correct
    fix_latin_ligatures=False,
    normalization=None,  # NFC applied separately so it can be reported on its own
    explain=True,
)


def fix_text(text: str, config: Config | None = None) -> tuple[str, list[str]]:
    """Return ``(repaired_text, fixes)``; ``fixes`` names each kind of change made."""
    cfg = config or Config()
    fixes: list[str] = []
    if not text.isascii():
        fixed, explanation = ftfy.fix_and_explain(text, config=_FTFY)
        if fixed != text:
            for step in explanation or ():
                name = f"{step.action}:{step.parameter}" if step.parameter else step.action
                if name not in fixes:
                    fixes.append(name)
            text = fixed
        if cfg.normalize_nfc and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
            fixes.append("normalize:NFC")
    return text, fixes
