"""Stage 4: language of the document and of each block.

First version: script routing for scripts that name their language outright
(Han, Kana, Hangul, Thai, ...), then seeded langdetect on Latin/Cyrillic/...
text.  Deterministic: the same text always gets the same answer.
"""

from __future__ import annotations

import threading
from collections import Counter

import regex

from .config import Config
from .document import BlockLanguage, Language, split_lines

_SCRIPT = regex.compile(
    r"(?P<Hani>\p{Han})|(?P<Kana>[\p{Hiragana}\p{Katakana}])|(?P<Hang>\p{Hangul})|(?P<Thai>\p{Thai})"
    r"|(?P<Cyrl>\p{Cyrillic})|(?P<Arab>\p{Arabic})|(?P<Grek>\p{Greek})|(?P<Hebr>\p{Hebrew})"
    r"|(?P<Latn>\p{Latin})"
)
# Characters written differently in Traditional and Simplified Chinese (small core set;
# the language issue replaces this with full tables).
_HANT_ONLY = set("這個們來時為說國會對學於與經長東車門問開關見電話語認讓從應條過還進運動點愛書區員當體")
_HANS_ONLY = set("这个们来时为说国会对学于与经长东车门问开关见电话语认让从应条过还进运动点爱书区员当体")

_lock = threading.Lock()
_factory: object | None = None


def _langdetect(text: str) -> tuple[str, float]:
    global _factory
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    with _lock:
        if _factory is None:
            detector_factory.init_factory()
            _factory = detector_factory._factory
    assert isinstance(_factory, DetectorFactory)
    det = _factory.create()
    det.seed = 0  # langdetect's own deterministic mode (DetectorFactory.seed)
    det.append(text)
    try:
        best = det.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return "und", 0.0
    return best.lang.split("-")[0], float(best.prob)


def script_counts(text: str) -> Counter[str]:
    """Count letters per ISO 15924 script."""
    c: Counter[str] = Counter()
    for m in _SCRIPT.finditer(text):
        c[m.lastgroup or ""] += 1
    return c


def chinese_script(text: str) -> str:
    """``Hant`` when traditional-only characters outnumber simplified-only ones, else ``Hans``."""
    t = sum(ch in _HANT_ONLY for ch in text)
    s = sum(ch in _HANS_ONLY for ch in text)
    return "Hant" if t > s else "Hans"


def detect_language(text: str, config: Config | None = None) -> Language:
    """Language of ``text`` as ISO 639-1 with script and a 0..1 score.

    >>> detect_language("这是一个简单的中文句子。").language
    'zh'
    """
    cfg = config or Config()
    sample = text[: cfg.language_sample_chars]
    counts = script_counts(sample)
    total = sum(counts.values())
    if not total:
        return Language("und", None, 0.0)
    script, n = counts.most_common(1)[0]
    if counts["Kana"] and counts["Kana"] + counts["Hani"] > total / 2 and counts["Kana"] >= counts["Hani"] / 10:
        return Language("ja", "Jpan", (counts["Kana"] + counts["Hani"]) / total)
    if script == "Hani" or (counts["Hani"] > total * 0.3 and script == "Latn" and counts["Hani"] * 3 > n):
        return Language("zh", chinese_script(sample), counts["Hani"] / total)
    if script == "Hang":
        return Language("ko", "Kore", n / total)
    if script == "Thai":
        return Language("th", "Thai", n / total)
    if script == "Hebr":
        return Language("he", "Hebr", n / total)
    if script == "Grek":
        return Language("el", "Grek", n / total)
    latin_like = regex.sub(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]+", " ", sample)
    lang, prob = _langdetect(latin_like)
    return Language(lang, script if script != "Hani" else None, prob * n / total)


def detect_blocks(text: str, config: Config | None = None) -> tuple[Language, list[BlockLanguage], dict[str, float]]:
    """Document language, per-block languages and the share of characters per language."""
    doc_lang = detect_language(text, config)
    blocks: list[BlockLanguage] = []
    shares: Counter[str] = Counter()
    for ln in split_lines(text):
        if len(ln.text.strip()) < 2:
            continue
        lang = detect_language(ln.text, config)
        blocks.append(BlockLanguage(ln.start, ln.end, lang.language, lang.script, lang.score))
        shares[lang.language] += ln.end - ln.start
    total = sum(shares.values()) or 1
    return doc_lang, blocks, {k: round(v / total, 4) for k, v in shares.most_common()}
