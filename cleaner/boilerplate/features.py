"""Line features for the learned boilerplate classifier, vectorised over a whole page.

A page is a sequence of lines (one block per line, as a naive scraper writes it).  Every
feature is computed with a few passes over the joined page: a code-point class table
(numpy lookup of ``ord`` values) gives per-character classes and single-character cues,
per-line sums come from one cumulative sum (all classes at once) cut at line offsets, and
the rare cues (URLs, e-mails, dates, chrome phrases) are regex matches binned into lines
with ``np.searchsorted``.  No Python loop runs per character; the only per-line work is
``Counter`` over the stripped lines (C code).

Four groups of columns (see :data:`BASE_NAMES`, :func:`context_features`):

* the line itself: length (CJK-aware: a Han/kana character counts as a token, as in the
  benchmark's metric), character classes, terminal punctuation, stopword density in the
  page language (jusText stoplists, compacted into ``cleaner/data/boilerplate_stopwords.json``),
  title-case share, separators (``|``, ``»``, ``·``), URL/e-mail/phone/date/copyright cues,
  chrome phrases, repetition within the page;
* the stage's whole-line rules (:mod:`.rules`) as columns by group (share/UI, footer, link,
  navigation, popular box, image credit, related header), whether a related header lies
  above the line and how far: the model learns where a rule is wrong and what follows a
  "Related" header, instead of the stage imposing both;
* the page: relative position (by line and by token mass), the line's length relative to
  the page's longest lines, page size;
* the neighbours: previous/next line and windowed means of the main cues, because whether
  a short line belongs to the article is decided by the block around it.

The second pass of :mod:`cleaner.boilerplate.model` adds features of the neighbours'
first-pass scores (:func:`score_context_features`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import count, repeat
from pathlib import Path
from typing import Any

import numpy as np
import regex

from .. import native
from .._shipped import read_npz, source_digest
from . import rules as R
from .precompiled import compile as re_compile
from .precompiled import interpreter_key, regex_compile

NATIVE_ABI = 6
"""The argument/result layout of ``cleaner/_native.c`` this module calls (its ``ABI`` constant).
An in-place build survives ``git pull``: a stale one is refused here instead of raising
TypeError inside the stage."""


def _load_native() -> Any:
    """The compiled kernels, or None (:func:`cleaner.native.load`)."""
    return native.load("ABI", NATIVE_ABI, (), "using the numpy path")


_native: Any = _load_native()
"""The compiled kernels (``cleaner/_native.c``, built by setup.py when a C compiler is there), or
None: then every feature is computed by the numpy path, to the same values.  ``CLEANER_NO_NATIVE=1``
in the environment forces the numpy path (the tests run both)."""

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
"""``cleaner/data``: the packaged model and stopword table."""

# The benchmark's tokenizer (../shared/bench/boilerplate/score.py): a Han/kana character is a
# token, any other run of word characters is a token.  Labels and lengths use the same units.
TOKEN = regex_compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]|[^\W\p{Han}\p{Hiragana}\p{Katakana}]+")

# Bits of the code-point class table.
_WORD, _CJK, _UPPER, _LOWER, _DIGIT, _PUNCT, _SPACE, _TERM, _SEP, _SYM = (1 << i for i in range(10))
# single code points some cues count (bits in the same table, so a cue is one AND, not an np.isin)
_CJKSTOP, _COMMA, _DSEP, _ELL, _AT, _COPY = (1 << i for i in range(10, 16))
_CLASS_PATTERNS: tuple[tuple[int, str], ...] = (
    (_WORD, r"[^\W\p{Han}\p{Hiragana}\p{Katakana}]"),
    (_CJK, r"[\p{Han}\p{Hiragana}\p{Katakana}]"),
    (_UPPER, r"\p{Lu}"),
    (_LOWER, r"\p{Ll}"),
    (_DIGIT, r"\p{Nd}"),
    (_PUNCT, r"\p{P}"),
    (_SPACE, r"\s"),
    # sentence-final punctuation, also CJK full-width; closing quotes/brackets after a full stop
    (_TERM, r"[.!?。！？；;…\"'”’»)）」』]"),
    # navigation separators and bullets
    (_SEP, r"[|»«›‹·•►▶→/\\><~¦]"),
    (_SYM, r"[\p{S}]"),
)


CHAR_TABLES_FILE = DATA_DIR / "boilerplate_char_tables.npz"
""":func:`_class_table` and :func:`_lower_table`, shipped (built by scripts/build_boilerplate_tables.py):
loading them takes ~0.5 ms where building them takes ~25 ms (ten ``regex.sub`` over the BMP, its
``str.lower()``), which a pool's loader paid on one core before forking."""


def char_tables_key() -> str:
    """What the character tables are derived from: this module's source (the class patterns, the
    characters), ``regex``'s version (its Unicode properties) and the interpreter's Unicode data."""
    return json.dumps({"features_py_sha256": source_digest(__file__), "regex": regex.__version__, **interpreter_key()},
                      sort_keys=True)


def char_tables_arrays() -> dict[str, np.ndarray]:
    """The arrays :data:`CHAR_TABLES_FILE` stores, built (never loaded)."""
    # the lower-case table as its difference from the code point (mod 2**16): mostly 0, which compresses
    lower = _build_lower_table() - np.arange(0x10000, dtype=np.uint16)
    return {"key": np.array(char_tables_key()), "class": _build_class_table(), "lower_delta": lower}


@lru_cache(maxsize=1)
def _shipped_char_tables() -> dict[str, np.ndarray] | None:
    """The shipped tables when their key is this module's and interpreter's, else None (then they are built)."""
    z = read_npz(CHAR_TABLES_FILE, char_tables_key(), {"class": ("u2", (0x10001,)), "lower_delta": ("u2", (0x10000,))})
    if z is None:
        return None
    return {"class": z["class"], "lower": z["lower_delta"] + np.arange(0x10000, dtype=np.uint16)}


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """uint16 class bits for every BMP code point (shipped, or built once: ~20 ms)."""
    shipped = _shipped_char_tables()
    return shipped["class"] if shipped is not None else _build_class_table()


def _build_class_table() -> np.ndarray:
    bmp = "".join(map(chr, range(0x10000)))
    table = np.zeros(0x10001, dtype=np.uint16)  # last slot: everything outside the BMP
    for bit, pat in _CLASS_PATTERNS:
        marked = regex.sub(pat, "\x01", bmp.replace("\x01", "\x02"))
        cp = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        table[:0x10000][cp == 1] |= bit
    for bit, chars in (
        (_CJKSTOP, "".join(sorted(_CJK_STOP))),
        (_COMMA, ",，、"),
        (_DSEP, "-/.:年月"),
        (_ELL, "…»›"),
        (_AT, "@"),
        (_COPY, "©"),
    ):
        idx = np.array([ord(c) for c in chars])
        table[idx] |= bit
    table[np.flatnonzero((table & _CJK) == 0)] &= ~np.uint16(_CJKSTOP)  # function *characters* only
    return table


_SUM_BITS = np.array([_WORD, _CJK, _UPPER, _LOWER, _DIGIT, _PUNCT, _SPACE, _SEP, _SYM, _CJKSTOP, _COMMA, _COPY],
                     dtype=np.uint16)
"""Classes counted per line in one batched cumulative sum (see :func:`_base`)."""
_FIELD_BITS = 16
_FIELDS = 4
"""Per-line class counts are summed four at a time, as 16-bit fields of one uint64 per character
(:func:`_packed_tables`): one cumulative sum of a uint64 array counts four classes, and a line's
difference of two prefix sums holds its four counts exactly while each is below 2**16 (lines
shorter than that; longer pages take the one-row-per-class path)."""


@lru_cache(maxsize=1)
def _packed_tables() -> tuple[np.ndarray, ...]:
    """Per code point (as :func:`_class_table`), the :data:`_SUM_BITS` classes as 16-bit
    fields of uint64 words, four classes per table."""
    table = _class_table()
    out = []
    for g in range(0, _SUM_BITS.shape[0], _FIELDS):
        packed = np.zeros(table.shape[0], dtype=np.uint64)
        for k, bit in enumerate(_SUM_BITS[g : g + _FIELDS].tolist()):
            packed |= ((table & bit) != 0).astype(np.uint64) << np.uint64(_FIELD_BITS * k)
        out.append(packed)
    return tuple(out)


def _packed_line_sums(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, out: np.ndarray) -> None:
    """Write into ``out`` (lines, k) the per-line sums of the k 16-bit fields of ``values`` (uint64
    per character): prefix sums wrap modulo 2**64, the difference at the line ends does not."""
    cs = np.zeros(values.shape[0] + 1, dtype=np.uint64)
    np.cumsum(values, out=cs[1:])
    d = cs[ends] - cs[starts]
    mask = np.uint64((1 << _FIELD_BITS) - 1)
    for k in range(out.shape[1]):
        out[:, k] = (d >> np.uint64(_FIELD_BITS * k)) & mask


# Rare cues, counted per line.  Single-character cues are numpy tests on code points; only
# the multi-character ones are regex passes (literal-led, over the lowercased page).
_CUE_NAMES: tuple[str, ...] = ("url", "email", "copyright", "date", "ellipsis", "cjk_chrome", "comment")
_CJK_CHROME = re_compile(
    r"相关|相關|责任编辑|責任編輯|来源|來源|分享|免责|上一篇|下一篇|点击|關聯|関連|シェア|转载|轉載|版权|版權|著作権"
)
_Alternatives = tuple[tuple[str, bool], ...]
"""A regex alternation of literals, in its order: each literal and whether ``\\b`` follows it."""
_COMMENT_LITERALS: _Alternatives = (
    ("says:", False), ("said:", False), ("wrote:", False), ("reply", True), ("replies", True),
    ("report abuse", False), ("permalink", False), ("flag as inappropriate", False), (" ago", True),
    ("commented", False),
)
_COMMENT_CJK_LITERALS: _Alternatives = (*_COMMENT_LITERALS, ("回复", False), ("网友", False), ("评论", False))
""":data:`_COMMENT` as literals for :func:`_literal_starts` (equal answers, property-tested in
tests/boilerplate/test_features.py); the Han ones only on pages with Han characters.  The regex
scan stopped at every character that starts an alternative (every space, for " ago"): 13.5 ms
per MB of dev text, 5.8 with ``str.find`` per literal.  (The URL and CJK-chrome scans stay
regexes: their first characters are rarer, and ``str.find`` per literal was slower there.)"""
_COMMENT = re_compile("|".join(re.escape(lit) + ("\\b" if b else "") for lit, b in _COMMENT_CJK_LITERALS))
"""Shapes of readers' comments (lower-cased page): "X says:", "Reply", "3 hours ago" -- the regex the
literals stand for (the tests' reference for :func:`_literal_starts`)."""


_URL_DOT = re_compile(r"\.(?:com|org|net|html?|php|aspx?)\b")
_URL = re_compile(r"://|www\.|" + _URL_DOT.pattern)
"""The URL cue as one regex (the tests' reference for :func:`_url_starts`)."""


def _leftmost_first(cands: list[tuple[int, int, int]]) -> list[int]:
    """The starts a regex alternation's ``finditer`` reports among ``(start, alternative, end)``
    candidates: leftmost first, the earlier alternative at one offset, none overlapping the match before."""
    if len(cands) > 1:
        cands.sort()
    out: list[int] = []
    end = 0
    for i, _k, e in cands:
        if i >= end:
            out.append(i)
            end = e
    return out


def _url_starts(low: str) -> list[int]:
    """``[m.start() for m in _URL.finditer(low)]``: the dotted suffixes by a regex that only
    stops at dots, "://" and "www." by ``str.find`` (5.5 -> 3.3 ms per MB of dev text; the one
    scan stopped at every "w"), then the regex's leftmost-first choice (a "www." hides the
    ".com" inside "www.com"; the suffixes cannot overlap one another)."""
    cands = [(m.start(), 2, m.end()) for m in _URL_DOT.finditer(low)]
    for k, lit in enumerate(("://", "www.")):
        i = low.find(lit)
        while i >= 0:
            cands.append((i, k, i + len(lit)))
            i = low.find(lit, i + 1)
    return _leftmost_first(cands)


_URL_ALTERNATIVES: _Alternatives = (("://", False), ("www.", False))
"""The literal part of :data:`_URL` (:func:`_url_starts`)."""


def _cue_starts(low: str, comment_alts: _Alternatives) -> tuple[list[int], list[int]]:
    """``(_url_starts(low), _literal_starts(low, comment_alts))`` with the literals of both found by
    one :func:`literal_hits` pass over the page instead of two (tested equal to the two)."""
    lits, bounds = _split_alternatives(comment_alts + _URL_ALTERNATIVES)
    m = len(comment_alts)
    url = [(a.start(), 2, a.end()) for a in _URL_DOT.finditer(low)]
    comment: list[tuple[int, int, int]] = []
    for i, k in literal_hits(low, lits, bounds):
        if k < m:
            comment.append((i, k, i + len(lits[k])))
        else:
            url.append((i, k - m, i + len(lits[k])))
    return _leftmost_first(url), _leftmost_first(comment)


def _is_word(c: str) -> bool:
    """``re``'s word character (``\\w`` for ``str`` patterns): alphanumeric or ``_``."""
    return c.isalnum() or c == "_"


def _literal_starts(hay: str, alts: _Alternatives) -> list[int]:
    """Start offsets of ``re.finditer`` over the alternation ``alts`` (literals, each optionally
    followed by ``\\b``), without the regex scan: every occurrence of every literal, then the
    regex's choice among them (leftmost first, the earlier alternative at one offset, no overlap
    with the match before)."""
    lits, bounds = _split_alternatives(alts)
    return _leftmost_first([(i, k, i + len(lits[k])) for i, k in literal_hits(hay, lits, bounds)])


@lru_cache(maxsize=8)
def _split_alternatives(alts: _Alternatives) -> tuple[tuple[str, ...], bytes]:
    """The literals of ``alts`` and their ``\\b`` flags as :func:`literal_hits` takes them."""
    return tuple(lit for lit, _ in alts), bytes(b for _, b in alts)


def literal_hits(hay: str, lits: tuple[str, ...], boundary: bytes) -> list[tuple[int, int]]:
    """``(start, k)`` of every occurrence of every literal ``lits[k]`` in ``hay`` (overlapping ones
    too), literal by literal in the order given, each literal's in text order: a ``str.find`` loop
    per literal.  Where ``boundary[k]`` is set, an occurrence counts only when the character after it
    is not a word character (re's ``\\b`` after a literal ending in one).  The compiled kernel does
    it in one pass over ``hay`` with a bitmap of first characters (the same hits, tested in
    tests/boilerplate/test_native.py); the loops over ``str.find`` were ~13 ms per MB of dev text."""
    if _native is not None:
        return _native.literal_hits(hay, lits, boundary)  # type: ignore[no-any-return]
    out: list[tuple[int, int]] = []
    n = len(hay)
    for k, lit in enumerate(lits):
        size = len(lit)
        i = hay.find(lit)
        while i >= 0:
            e = i + size
            # \b after a literal ending in a word character: the next one must not be one
            if not boundary[k] or e == n or not _is_word(hay[e]):
                out.append((i, k))
            i = hay.find(lit, i + 1)
    return out


def walk_candidates(pattern: re.Pattern[str], hay: str, candidates: set[int]) -> list[re.Match[str]]:
    """``list(pattern.finditer(hay))`` given every offset where a match can start (``candidates``): at each
    candidate in order past the last match's end, the pattern's own match there (finditer's leftmost-first,
    non-overlapping walk, without a scan that stops at every character an alternative could start with)."""
    out: list[re.Match[str]] = []
    end = -1
    for p in sorted(candidates):
        if p < end:
            continue
        m = pattern.match(hay, p)
        if m is not None:
            out.append(m)
            end = m.end()
    return out


# Chrome vocabulary, looked up per token (a set lookup per token is far cheaper than a regex
# alternation scanned over the page).  Multilingual (en, de, fr, es, it, pt, ca) because the model
# learns from mostly English pages and these cues carry over to the other languages.
_CHROME_TOKENS = frozenset(
    """
share shares shared tweet retweet subscribe subscription newsletter login logout signup signin register
cookie cookies privacy advertisement advertisements advertising advertise sponsored related recommended
trending popular comment comments reply replies permalink tags tag categories category filed archive archives
facebook twitter linkedin pinterest instagram youtube reddit whatsapp email print rss copyright reserved
menu sitemap navigation login password username follow likes views posted
partager abonnez commentaires publicité recherche accueil compartir comentarios publicidad buscar inicio
teilen kommentare werbung suche startseite impressum datenschutz condividi commenti pubblicità cerca
compartilhar comentários publicidade comparteix comentaris
""".split()
)
_MONTH_TOKENS = frozenset(
    """
jan feb mar apr jun jul aug sep sept oct nov dec january february march april may june july august
september october november december monday tuesday wednesday thursday friday saturday sunday
janvier février mars avril mai juin juillet août septembre octobre novembre décembre
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
januar februar märz juni juli oktober dezember gennaio febbraio aprile maggio giugno luglio agosto
settembre ottobre dicembre janeiro fevereiro março maio junho julho setembro outubro novembro dezembro
updated published am pm gmt utc est edt pst
""".split()
)
_BYLINE_TOKENS = frozenset(
    "by author authors posted written von par por di da autor autora reporter editor "
    "source via photo credit credits image".split()
)
# A whole line that is one of these (after stripping punctuation and digits) is a UI label.
_CHROME_LINES = frozenset(
    """
home|homepage|home page|login|log in|logout|log out|sign in|sign up|sign out|register|search|menu|contact
|contact us|about|about us|faq|help|privacy|privacy policy|terms|terms of use|terms of service|sitemap
|site map|subscribe|newsletter|rss|print|email|e-mail|email this|share|share this|tweet|like|follow|follow us
|facebook|twitter|linkedin|pinterest|instagram|youtube|reddit|whatsapp|google|google+|comments|comment|reply
|next|previous|prev|back|back to top|top|more|read more|advertisement|advertise|sponsored|archive|archives
|categories|tags|tag|related|related articles|related posts|related stories|popular|trending|latest
|latest news|news|sport|sports|business|entertainment|opinion|video|videos|photos|photo|gallery|weather
|jobs|careers|shop|store|cart|account|my account|settings|skip to content|skip to main content|close
|accueil|rechercher|suivez-nous|partager|inicio|buscar|compartir|startseite|suche|teilen|impressum
|datenschutz|首页|首頁|登录|注册|搜索|分享|分享到|返回顶部|相关新闻|相关阅读|相关文章|更多|打印|关闭|收藏
|评论|ホーム|ログイン|検索|シェア""".replace("\n", "").split("|")
)
_STRIP_CHARS = " \t|•·»«›‹>-–—:*[](){}0123456789.,;!?/\\'\"#@"
_CHROME_MAX = max(map(len, _CHROME_LINES))
"""The longest whole-line UI label: a longer stripped line is no label (the kernel makes no string for it)."""

# The stage's whole-line rules (:mod:`.rules`) as columns, grouped by what they mark.  The model
# learns where a rule is wrong (a "Copyright 1962, ..." line in a catalogue body) and what a
# related header means for the lines after it.
_RULE_GROUP: dict[str, int] = {
    "share-buttons": 0, "follow-us": 0, "back-to-top": 0, "comments": 0, "copy-protection": 0,
    "copyright-footer": 1, "licence-footer": 1, "contact-footer": 1,
    "url": 2, "source-link": 2,
    "navigation": 3,
    "popular-box": 4,
    "image-credit": 5,
    "related-header": 6,
}
_RELATED_GROUP = _RULE_GROUP["related-header"]
RULE_NAMES: tuple[str, ...] = (
    "rule_ui", "rule_footer", "rule_link", "rule_nav", "rule_popular", "rule_credit", "rule_related"
)

RuleLines = tuple[Sequence[int], Sequence[str]]
"""Rule hits binned to lines: the line index and the rule's reason of every hit."""

# Base columns (per line, before neighbour context).
BASE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_tokens",
    "log_words",
    "cjk_share",
    "alpha_frac",
    "digit_frac",
    "punct_frac",
    "upper_frac",
    "space_frac",
    "sym_frac",
    "sep_density",
    "title_share",
    "stop_density",
    "stop_count",
    "ends_term",
    "ends_colon",
    "ends_alnum",
    "starts_sep",
    "starts_upper",
    "starts_digit",
    "comma_density",
    "all_caps",
    *(f"cue_{n}" for n in _CUE_NAMES),
    "chrome_line",
    "chrome_word",
    "month_words",
    "byline_start",
    "dup",
    "dup_log",
    "pos_line",
    "pos_mass",
    "rel_len_max",
    "rel_len_p90",
    "page_log_words",
    "page_log_lines",
    "long_share_page",
    "page_comment_share",
    "comment_first_pos",
    *RULE_NAMES,
    "rule_any",
    "after_related",
    "related_dist",
)
# Columns whose neighbours are summarised by :func:`context_features`.
_CTX_BASE: tuple[str, ...] = (
    "log_words",
    "stop_density",
    "ends_term",
    "title_share",
    "sep_density",
    "chrome_line",
    "chrome_word",
    "digit_frac",
    "rel_len_p90",
    "cue_url",
    "cue_date",
    "month_words",
    "rule_any",
)
_CTX_WINDOWS: tuple[int, ...] = (1, 3, 8)
CONTEXT_NAMES: tuple[str, ...] = tuple(
    [f"{c}_prev" for c in _CTX_BASE]
    + [f"{c}_next" for c in _CTX_BASE]
    + [f"{c}_win{w}" for w in _CTX_WINDOWS[1:] for c in _CTX_BASE]
    + ["long_run_words", "dist_prev_long", "dist_next_long"]
)
FEATURE_NAMES: tuple[str, ...] = BASE_NAMES + CONTEXT_NAMES
SCORE_CONTEXT_NAMES: tuple[str, ...] = (
    "p1",
    "p1_prev",
    "p1_next",
    "p1_prev2",
    "p1_next2",
    "p1_win3",
    "p1_win8",
    "p1_win20",
    "p1_max3",
    "p1_min3",
    "mass_before",
    "mass_after",
    "run_mass",
    "run_len",
    "p1_rank",
    "core_dist",
    "page_mean_p1",
    "p1_minus_page",
    "sim_share",
    "sim_log",
    "sim_share_win3",
    "in_span",
    "span_dist",
    "span_pos",
    "span_mass",
    "p1_rel_max",
    "efd1_keep",
    "p1_minus_cut",
)

# Function characters for Chinese and Japanese, whose stoplists jusText does not ship: the
# share of these characters plays the role of stopword density (prose has many, menus none).
_CJK_STOP = frozenset(
    "的了是在和有也就不都而及与或这那他她它们我你之其于为以被把从对但所则很更最还又一个上中下"
    "のにはをがでとたしてもなるれるいうかからまでよりへやこそあ"
)


@lru_cache(maxsize=1)
def _stopword_table() -> dict[str, frozenset[str]]:
    """Stoplists per ISO 639-1 code, built by ``scripts/train_boilerplate.py`` from jusText."""
    try:
        raw = (DATA_DIR / "boilerplate_stopwords.json").read_text("utf-8")
    except OSError:
        return {
            "en": frozenset(
                "the of and to a in is that for it as was with be by on not he i this are or "
                "his from at which but have an they you were her she there one all we their "
                "has been would will if more when who what so no can said".split()
            )
        }
    data = json.loads(raw)
    return {k: frozenset(v) for k, v in data["stopwords"].items()}


def stopwords(language: str | None) -> frozenset[str]:
    """The stoplist for ``language`` (``zh-cn`` -> ``zh``); unknown languages get the union of all."""
    table = _stopword_table()
    key = (language or "").lower().split("-")[0].split("_")[0]
    if key in ("zh", "ja"):
        return _CJK_STOP
    if key in table:
        return table[key]
    return _union_stopwords()


@lru_cache(maxsize=1)
def _union_stopwords() -> frozenset[str]:
    out: set[str] = set(_CJK_STOP)
    for v in _stopword_table().values():
        out |= v
    return frozenset(out)


_V_STOP, _V_CHROME, _V_MONTH, _V_BYLINE = 1, 2, 4, 8


@lru_cache(maxsize=64)
def _vocab(language: str | None) -> dict[str, int]:
    """Token -> bit set (stopword, chrome, month/time, byline word) for one language."""
    out: dict[str, int] = {}
    for bit, words in (
        (_V_STOP, stopwords(language)),
        (_V_CHROME, _CHROME_TOKENS),
        (_V_MONTH, _MONTH_TOKENS),
        (_V_BYLINE, _BYLINE_TOKENS),
    ):
        for w in words:
            out[w] = out.get(w, 0) | bit
    return out


_FILTER_WORDS = 1 << 11
"""uint64 words of :func:`_vocab_filter`'s bitmap (2**17 bits, 16 kB): the union of every stoplist
(~5,000 words, for pages in other languages) sets ~4% of the bits."""


@lru_cache(maxsize=64)
def _vocab_filter(language: str | None) -> np.ndarray:
    """A bitmap of :func:`_vocab`'s words for the compiled ``token_columns``: a distinct token whose
    bit is clear (by the hash of its code points the kernel computes anyway) is in no vocabulary,
    so the kernel makes no ``str`` and no dict lookup for it (most tokens; ~1 in 25 of the others
    is looked up for nothing).  The same counts either way."""
    assert _native is not None
    bits = np.zeros(_FILTER_WORDS, dtype=np.uint64)
    _native.vocab_filter(tuple(_vocab(language)), bits)
    bits.flags.writeable = False
    return bits


def _normalise_lines(lines: Sequence[str]) -> list[str]:
    return [ln.replace("\r", " ").replace("\n", " ") if ("\n" in ln or "\r" in ln) else ln for ln in lines]


def _class_sums(
    cpi: np.ndarray, bits: np.ndarray, extra: tuple[np.ndarray, ...], starts: np.ndarray, ends: np.ndarray,
    packed: bool | None = None,
) -> np.ndarray:
    """Per line, the count of every :data:`_SUM_BITS` class and of each ``extra`` per-character
    flag (at most four), as float64 columns.  ``packed`` (default: when every line is shorter
    than 2**16) sums four classes per uint64 (:func:`_packed_tables`, 2.3x faster on dev
    pages); otherwise one int32 cumulative sum per class.  Both give the same counts."""
    n, nb, c = starts.shape[0], _SUM_BITS.shape[0], cpi.shape[0]
    if packed is None:
        packed = n == 0 or int((ends - starts).max()) < 1 << _FIELD_BITS
    if packed:
        sums = np.empty((n, nb + len(extra)))
        for g, table in enumerate(_packed_tables()):
            _packed_line_sums(table[cpi], starts, ends, sums[:, g * _FIELDS : min(g * _FIELDS + _FIELDS, nb)])
        if extra:
            word = extra[0].astype(np.uint64)
            for k, flag in enumerate(extra[1:], 1):
                word |= flag.astype(np.uint64) << np.uint64(_FIELD_BITS * k)
            _packed_line_sums(word, starts, ends, sums[:, nb:])
        return sums
    flags = np.empty((nb + len(extra), c), dtype=bool)  # one row per class: contiguous
    np.not_equal(_SUM_BITS[:, None] & bits, 0, out=flags[:nb])
    for k, flag in enumerate(extra):
        flags[nb + k] = flag
    csum = np.zeros((flags.shape[0], c + 1), dtype=np.int32)
    np.cumsum(flags, axis=1, out=csum[:, 1:])
    out: np.ndarray = (csum[:, ends] - csum[:, starts]).T.astype(np.float64)
    return out


def _p90(x: np.ndarray) -> float:
    """``np.percentile(x, 90)`` (linear method) to the bit, without its ~30 us of Python overhead
    per call: the same virtual index, neighbours and interpolation as numpy's ``_quantile`` and
    ``_lerp`` (checked against it in tests/boilerplate/test_features.py)."""
    n = x.shape[0]
    s = np.sort(x)
    v = (n - 1) * 0.9
    if v >= n - 1:
        return float(s[-1])
    lo = int(np.floor(v))
    a, b = float(s[lo]), float(s[lo + 1])
    g = v - lo
    d = b - a
    return float(b - d * (1 - g)) if g >= 0.5 else float(a + d * g)


def _window_mean(x: np.ndarray, w: int) -> np.ndarray:
    """Mean of ``x`` over the centred window [i-w, i+w] (clipped at the page edges)."""
    return _window_means(x, (w,))[0]


def _window_means(x: np.ndarray, radii: Sequence[int], axis: int = 0) -> list[np.ndarray]:
    """:func:`_window_mean` of ``x`` for every radius in ``radii`` (along ``axis``, 0 or 1 of a 2-D
    array) from one cumulative sum: each value is the same to the bit (the same prefix sums,
    differences and counts), for one cumsum instead of one per radius."""
    n = x.shape[axis]
    if axis == 0:
        cs = np.zeros((n + 1, *x.shape[1:]))
        np.cumsum(x, axis=0, out=cs[1:])
    else:
        cs = np.zeros((x.shape[0], n + 1))
        np.cumsum(x, axis=1, out=cs[:, 1:])
    idx = np.arange(n)
    out = []
    for w in radii:
        lo = np.maximum(idx - w, 0)
        hi = np.minimum(idx + w + 1, n)
        cnt = (hi - lo).astype(np.float64)
        if axis == 0:
            out.append((cs[hi] - cs[lo]) / (cnt[:, None] if x.ndim == 2 else cnt))
        else:
            out.append((cs[:, hi] - cs[:, lo]) / cnt)
    return out


def _shift(x: np.ndarray, k: int, fill: float) -> np.ndarray:
    """``out[i] = x[i - k]`` (k > 0: previous lines), ``fill`` past the edges."""
    out = np.full_like(x, fill)
    if k > 0:
        out[k:] = x[:-k]
    elif k < 0:
        out[:k] = x[-k:]
    return out


@dataclass(frozen=True, slots=True)
class PageTokens:
    """The page's content words (non-stopword, 3+ characters, non-CJK) for lexical similarity."""

    ids: np.ndarray  # a page-local id per word (equal words, equal ids)
    line: np.ndarray  # line index of each word


_NO_TOKENS = PageTokens(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def base_features(lines: Sequence[str], language: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-line base features ``(n_lines, len(BASE_NAMES))`` and the token count per line."""
    X, n_tok, _ = _base(lines, language)
    return X, n_tok


def _comment_page_columns(comment: np.ndarray, n_tok: np.ndarray) -> tuple[float, float]:
    """How much of the page carries readers'-comment cues, and where the first one is.

    On an article page the cues ("says:", "Reply", "3 hours ago") sit in a tail after the body;
    on a forum thread or a comment page they are everywhere, and there the posts are the
    content.  Per line the model sees only the cue; these page columns let it tell the two apart
    (a German forum thread lost its posts to the per-line cue).  Two page-wide values (the
    columns are constant); counted with ``np.count_nonzero`` (the same integers as the sums of
    the boolean arrays, so the same floats)."""
    n = comment.shape[0]
    has = n_tok > 0
    hit = (comment > 0) & has
    hits = np.count_nonzero(hit)
    share = float(hits) / max(float(np.count_nonzero(has)), 1.0)
    first = float(np.argmax(hit)) / max(n - 1, 1) if hits else 1.0
    return share, first


def expected_f_keep(p: np.ndarray, n_tok: np.ndarray, beta: float = 1.0, pool: np.ndarray | None = None) -> np.ndarray:
    """Lines maximising the expected page F-beta of the token metric (see
    :func:`.model.decode_expected`); ``pool``: indices of the lines that may be kept."""
    n = n_tok.astype(np.float64)
    if pool is None:
        pool = np.flatnonzero(n > 0)
    if _native is not None and pool.shape[0] and p.dtype == np.float64 and p.shape[0] == n.shape[0]:
        # the compiled loop after the dot product: the same order (ties in pool order), the same
        # sequential running sums and the same first maximum (-1: a NaN score, numpy's order then)
        out = np.empty(p.shape[0], dtype=np.uint8)
        gold = beta * beta * float(np.dot(p, n))
        if _native.expected_f(np.ascontiguousarray(p), n, pool.astype(np.int64, copy=False), gold, out) >= 0:
            return out.view(bool)
    keep = np.zeros(p.shape[0], dtype=bool)
    if pool.shape[0] == 0:
        return keep
    order = pool[np.argsort(-p[pool], kind="stable")]
    w = n[order]
    gold = beta * beta * float(np.dot(p, n))
    f = np.cumsum(p[order] * w) / np.maximum(np.cumsum(w) + gold, 1e-12)
    keep[order[: int(np.argmax(f)) + 1]] = True
    return keep


def _rule_rows(page: str, starts: np.ndarray, n: int, rule_lines: RuleLines | None, out: np.ndarray) -> None:
    """Rule-group indicators, any-rule, after-a-related-header and distance from it, per line, written into
    ``out`` (columns, n): one contiguous row per column, as
    :func:`_base` lays out its features.  The any-rule column is set with the group columns and the
    related headers are collected from the hits (no reduction over the columns, no search of the
    header column): the same values."""
    if rule_lines is None:
        hits = R.scan(page)
        rows: Sequence[int] = (np.searchsorted(starts, [h.start for h in hits], side="right") - 1).tolist()
        reasons: Sequence[str] = [h.reason for h in hits]
    else:
        rows, reasons = rule_lines
    nr = len(RULE_NAMES)
    out[: nr + 2] = 0.0
    headers: set[int] = set()
    for i, r in zip(rows, reasons, strict=True):
        g = _RULE_GROUP.get(r)
        if g is not None:
            out[g, i] = 1.0
            out[nr, i] = 1.0  # any rule: the maximum of the group columns (all 0 or 1)
            if g == _RELATED_GROUP:
                headers.add(i)
    if headers:  # the lines of the related-header column that are set, in order
        rel = np.array(sorted(headers), dtype=np.intp)
        idx = np.arange(n)
        k = np.searchsorted(rel, idx, side="left") - 1  # the last header strictly above
        above = k >= 0
        out[-2] = above
        out[-1] = np.where(above, np.log1p(np.maximum(idx - rel[np.maximum(k, 0)], 0)), np.log1p(n))
    else:
        out[-1] = np.log1p(n)


CharPass = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, str
]
"""What one pass over a page's characters gives :func:`_base`: per line its start and end offsets,
the counts (:data:`_SUM_BITS` classes, @-before-a-word, digit-separator-digit, ellipses, non-CJK word
runs, runs starting upper-case; float64 columns), the class bits of its first and last non-space
character and the last one's code point (0 on blank lines); per non-CJK word run its line and length;
and the page with every non-word character blanked (the runs' strings)."""
_N_EXTRA = 5
"""Count columns after the :data:`_SUM_BITS` classes in :data:`CharPass`."""


def _char_pass_numpy(page: str, n: int) -> CharPass:
    """:data:`CharPass` in numpy: a class-table lookup of every code point, cumulative sums cut at
    the line offsets (:func:`_class_sums`), word runs by comparing neighbours."""
    cp = np.frombuffer(page.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cpi = np.minimum(cp, 0x10000)
    bits = _class_table()[cpi]
    nl = np.flatnonzero(cp == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [cp.shape[0]]))

    # per-character classes and single-character cues, summed per line in one cumulative sum
    word = (bits & _WORD) != 0
    nxt_word = np.concatenate((word[1:], [False]))
    dot = cp == 46
    dot3 = np.zeros_like(dot)
    digit = (bits & _DIGIT) != 0
    date_hit = np.zeros_like(digit)
    if cp.shape[0] > 2:
        dot3[:-2] = dot[:-2] & dot[1:-1] & dot[2:]
        date_hit[:-2] = digit[:-2] & ((bits[1:-1] & _DSEP) != 0) & digit[2:]
    at = ((bits & _AT) != 0) & nxt_word
    ell = ((bits & _ELL) != 0) | dot3
    sums = np.empty((n, _SUM_BITS.shape[0] + _N_EXTRA))
    sums[:, :-2] = _class_sums(cpi, bits, (at, date_hit, ell), starts, ends)

    prev_word = np.concatenate(([False], word[:-1]))
    wpos = np.flatnonzero(word & ~prev_word)
    wend = np.flatnonzero(word & ~nxt_word)
    masked = np.where(word, cp, 32).astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    wline = np.searchsorted(starts, wpos, side="right") - 1
    sums[:, -2] = np.bincount(wline, minlength=n)
    sums[:, -1] = np.bincount(wline, weights=(bits[wpos] & _UPPER) != 0, minlength=n)

    # first / last non-space character of each line
    ns = np.flatnonzero((bits & _SPACE) == 0)
    last_bits = np.zeros(n, dtype=np.uint16)
    first_bits = np.zeros(n, dtype=np.uint16)
    last_cp = np.zeros(n, dtype=np.uint32)
    if ns.shape[0]:
        li = np.searchsorted(ns, ends) - 1
        fi = np.searchsorted(ns, starts)
        li_c = np.clip(li, 0, ns.shape[0] - 1)
        fi_c = np.clip(fi, 0, ns.shape[0] - 1)
        has = (li >= 0) & (ns[li_c] >= starts) & (fi < ns.shape[0])
        last_bits = np.where(has, bits[ns[li_c]], 0).astype(np.uint16)
        first_bits = np.where(has, bits[ns[fi_c]], 0).astype(np.uint16)
        last_cp = np.where(has, cp[ns[li_c]], 0).astype(np.uint32)
    return starts, ends, sums, first_bits, last_bits, last_cp, wline, wend - wpos + 1, masked


@lru_cache(maxsize=1)
def _lower_table() -> np.ndarray:
    """uint16 per BMP code point: its lower case where ``str.lower()`` gives one BMP character for it
    whatever surrounds it, else 0xFFFF (U+0130 lower-cases to two characters, capital sigma by its
    neighbours): what :func:`_char_pass_native_low` lower-cases the page with (shipped, or built once: ~7 ms)."""
    shipped = _shipped_char_tables()
    return shipped["lower"] if shipped is not None else _build_lower_table()


def _build_lower_table() -> np.ndarray:
    special = "\u0130\u03a3"
    bmp = "".join(map(chr, range(0x10000)))
    low = bmp.translate(dict.fromkeys(map(ord, special), "\uffff")).lower()
    table = np.full(0x10000, 0xFFFF, dtype=np.uint16)
    if len(low) == 0x10000:  # every other code point lower-cases to one character
        cp = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        table[cp < 0xFFFF] = cp[cp < 0xFFFF]
    else:  # (not so in any Unicode version so far) one code point at a time
        for c in range(0x10000):
            lc = chr(c).lower()
            if len(lc) == 1 and ord(lc) < 0xFFFF and chr(c) not in special:
                table[c] = ord(lc)
    return table


def _char_pass_native_low(page: str, n: int, lower: bool = True) -> tuple[CharPass, str | None, str | None]:
    """:data:`CharPass` by the compiled kernel (one loop over the code points, the same counts as
    :func:`_char_pass_numpy`, tested) and, with ``lower``, ``page.lower()`` and the masked page's ``lower()``
    built in the same pass by a table lookup per character (None, None where a character needs
    Python's own ``lower()``: U+0130, capital sigma, cased letters above the BMP).  ``str.lower()`` of
    a non-ASCII page looks up every character's case record: 10% of :func:`_base`."""
    assert _native is not None
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    sums = np.empty((n, _SUM_BITS.shape[0] + _N_EXTRA))
    first_bits = np.empty(n, dtype=np.uint16)
    last_bits = np.empty(n, dtype=np.uint16)
    last_cp = np.empty(n, dtype=np.uint32)
    cap = len(page) // 2 + 1  # word runs are separated by at least one character
    wline = np.empty(cap, dtype=np.int64)
    wlen = np.empty(cap, dtype=np.int64)
    k, masked, low, masked_low = _native.char_pass(
        page, _class_table(), _SUM_BITS, n, starts, ends, sums, first_bits, last_bits, last_cp, wline, wlen,
        _lower_table() if lower else None,
    )
    return (starts, ends, sums, first_bits, last_bits, last_cp, wline[:k], wlen[:k], masked), low, masked_low


def _token_ids_python(low_masked: str, wline: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per token of ``low_masked.split()``: the position of its first occurrence; those first
    positions in order, and the distinct tokens in the same order."""
    tokens = low_masked.split()
    if len(tokens) != wline.shape[0]:
        raise AssertionError("token strings and word runs disagree")
    first_seen: dict[str, int] = {}
    ids = np.fromiter(map(first_seen.setdefault, tokens, count()), dtype=np.int64, count=len(tokens))
    firsts = np.fromiter(first_seen.values(), dtype=np.int64, count=len(first_seen))
    return ids, firsts, list(first_seen)


TokenColumns = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Per token its id (the position of its first occurrence); per line, as float64 columns, the
stopwords, chrome words and month/time words and whether the first token is a byline word; per
token whether it is a content word (no stopword, 3+ characters)."""


def _token_columns_numpy(
    low_masked: str, language: str | None, wline: np.ndarray, wlen: np.ndarray, n: int
) -> TokenColumns:
    """:data:`TokenColumns` with a dict of first occurrences and one ``np.bincount`` per column."""
    ids, firsts, distinct = _token_ids_python(low_masked, wline)
    by_pos = np.zeros(ids.shape[0], dtype=np.uint8)
    by_pos[firsts] = np.fromiter(map(_vocab(language).get, distinct, repeat(0)), dtype=np.uint8, count=len(distinct))
    codes = by_pos[ids]

    def per_line(bit: int, mask: np.ndarray | None = None) -> np.ndarray:
        hit = (codes & bit) != 0
        if mask is not None:
            hit &= mask
        return np.bincount(wline, weights=hit, minlength=n).astype(np.float64)

    first_tok = np.concatenate(([True], wline[1:] != wline[:-1])) if wline.shape[0] else np.zeros(0, bool)
    counts = np.stack([per_line(_V_STOP), per_line(_V_CHROME), per_line(_V_MONTH), per_line(_V_BYLINE, first_tok)], 1)
    return ids, counts, ((codes & _V_STOP) == 0) & (wlen >= 3)


def _token_columns_native(
    low_masked: str, language: str | None, wline: np.ndarray, wlen: np.ndarray, n: int
) -> TokenColumns:
    """:data:`TokenColumns` by the compiled kernel: one hash table over the token spans, a ``str``
    and a vocabulary lookup per distinct token only, the counts in the same loop."""
    assert _native is not None
    k = wline.shape[0]
    ids = np.empty(k, dtype=np.int64)
    counts = np.zeros((n, 4))
    content = np.empty(k, dtype=np.uint8)
    got = _native.token_columns(
        low_masked, _vocab(language), wline, wlen, n, _V_STOP, _V_CHROME, _V_MONTH, _V_BYLINE, ids, counts, content,
        _vocab_filter(language),
    )
    if got != k:
        raise AssertionError("token strings and word runs disagree")
    return ids, counts, content.view(bool)


def _base(
    lines: Sequence[str], language: str | None, rule_lines: RuleLines | None = None, *, page: str | None = None
) -> tuple[np.ndarray, np.ndarray, PageTokens]:
    """:func:`base_features` and the page's content words.  ``page``: the caller's ``"\\n".join(lines)``
    when it has it and knows that no line holds a line break (the stage's text, which it split on
    ``"\\n"`` and which holds no ``"\\r"``): saves joining the page again and counting its newlines."""
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(BASE_NAMES))), np.zeros(0, dtype=np.int64), _NO_TOKENS
    if page is None:
        page = "\n".join(lines)
        if "\r" in page or page.count("\n") != n - 1:  # a line holds a line break: read it as a space
            lines = _normalise_lines(lines)
            page = "\n".join(lines)
    low: str | None = None
    masked_low: str | None = None
    if _native is None:
        chars = _char_pass_numpy(page, n)
    else:
        chars, low, masked_low = _char_pass_native_low(page, n)
    starts, ends, sums, first_bits, last_bits, last_cp, wline, wlen, masked = chars
    nb = _SUM_BITS.shape[0]  # sums: the classes, then the cue counts and word runs (CharPass)
    n_word, n_cjk, n_up, n_low, n_dig, n_pun, n_sp, n_sep, n_sym, n_cjk_stop, n_comma, n_copy = sums[:, :nb].T
    n_chars = (ends - starts).astype(np.float64)

    # tokens: starts of non-CJK word runs + every CJK character (the metric's tokenizer).  The
    # non-CJK tokens' strings come from one str.split() of the page with every other character
    # blanked, so they line up one-to-one with the run starts.
    n_tok = sums[:, nb + 3] + n_cjk
    n_title = sums[:, nb + 4]

    # page-local word ids (the position of a word's first occurrence), the vocabulary bits looked up
    # once per distinct word, per line the stop/chrome/month words and byline-led lines
    ids, vcounts, content = (_token_columns_numpy if _native is None else _token_columns_native)(
        masked.lower() if masked_low is None else masked_low, language, wline, wlen, n
    )
    n_stop = vcounts[:, 0] + n_cjk_stop
    n_chrome_tok = vcounts[:, 1]
    n_month = vcounts[:, 2]
    byline = vcounts[:, 3]

    # rare cues
    if low is None:
        low = page.lower()
    if len(low) != len(page):  # case folding changed lengths (rare): keep offsets valid
        low = page
    cue = np.zeros((n, len(_CUE_NAMES)))
    has_cjk = bool(n_cjk.any())
    url_pos, comment_pos = _cue_starts(low, _COMMENT_CJK_LITERALS if has_cjk else _COMMENT_LITERALS)
    for j, pos in (
        (0, url_pos), (5, [m.start() for m in _CJK_CHROME.finditer(low)] if has_cjk else []), (6, comment_pos)
    ):
        if pos:
            np.add.at(cue[:, j], np.searchsorted(starts, np.asarray(pos), side="right") - 1, 1.0)
    cue[:, 1] = sums[:, nb]  # the three single-character cue counts follow the classes
    cue[:, 2] = n_copy
    cue[:, 3] = sums[:, nb + 1]
    cue[:, 4] = sums[:, nb + 2]

    # repetition within the page, and whole-line UI labels
    if _native is not None and low is not page:  # the kernel: a hash table over the keys' spans; the
        # label set is looked up only for keys whose length and end characters some entry has (s8c)
        dup = np.empty(n)
        chrome_line = np.empty(n)
        _native.line_keys2(low, n, _CHROME_LINES, _STRIP_CHARS, _CHROME_MAX, dup, chrome_line)
    else:
        keys = low.split("\n") if low is not page else [ln.lower() for ln in lines]
        keys = list(map(str.strip, keys))
        counts = Counter(keys)
        dup = np.fromiter(map(counts.__getitem__, keys), dtype=np.float64, count=n) - 1.0
        chrome_line = np.fromiter(
            map(_CHROME_LINES.__contains__, map(str.strip, keys, repeat(_STRIP_CHARS))), dtype=np.float64, count=n
        )
    dup[n_tok == 0] = 0.0

    # length in "words": a CJK character is about half a word of information
    words = (n_tok - n_cjk) + n_cjk / 2.0
    tot_words = max(float(words.sum()), 1.0)
    p90 = max(_p90(words), 1.0)
    mx = max(float(words.max()), 1.0)
    letters = np.maximum(n_up + n_low, 1.0)
    nc = np.maximum(n_chars, 1.0)
    nt = np.maximum(n_tok, 1.0)
    idx = np.arange(n, dtype=np.float64)
    mass_before = (np.cumsum(words) - words / 2.0) / tot_words

    # written row by row into one (columns, lines) array: column-major X, one contiguous row per
    # feature (the forests gather those); each row is the same expression as before, computed
    # into its row instead of into a temporary that a final np.stack copies
    xt = np.empty((len(BASE_NAMES), n))
    np.log1p(n_chars, out=xt[0])
    np.log1p(n_tok, out=xt[1])
    np.log1p(words, out=xt[2])
    np.divide(n_cjk, nt, out=xt[3])
    np.divide(n_word + n_cjk, nc, out=xt[4])
    np.divide(n_dig, nc, out=xt[5])
    np.divide(n_pun, nc, out=xt[6])
    np.divide(n_up, letters, out=xt[7])
    np.divide(n_sp, nc, out=xt[8])
    np.divide(n_sym, nc, out=xt[9])
    np.divide(n_sep, nt, out=xt[10])
    np.divide(n_title, np.maximum(n_tok - n_cjk, 1.0), out=xt[11])
    np.divide(n_stop, nt, out=xt[12])
    np.log1p(n_stop, out=xt[13])
    xt[14] = (last_bits & _TERM) != 0
    xt[15] = (last_cp == 58) | (last_cp == 0xFF1A)
    xt[16] = (last_bits & (_WORD | _CJK)) != 0
    xt[17] = (first_bits & (_SEP | _SYM | _PUNCT)) != 0
    xt[18] = (first_bits & _UPPER) != 0
    xt[19] = (first_bits & _DIGIT) != 0
    np.divide(n_comma, nt, out=xt[20])
    xt[21] = (n_up >= 2) & (n_low == 0)
    c = 22 + len(_CUE_NAMES)
    xt[22:c] = cue.T
    xt[c] = chrome_line
    xt[c + 1] = n_chrome_tok
    xt[c + 2] = n_month
    xt[c + 3] = byline
    xt[c + 4] = dup > 0
    np.log1p(dup, out=xt[c + 5])
    np.divide(idx, max(n - 1, 1), out=xt[c + 6])
    xt[c + 7] = mass_before
    np.divide(words, mx, out=xt[c + 8])
    np.divide(words, p90, out=xt[c + 9])
    xt[c + 10] = np.log1p(tot_words)
    xt[c + 11] = np.log1p(n)
    xt[c + 12] = np.count_nonzero(words >= 20) / n  # np.mean's float64 count / n, without its overhead
    xt[c + 13], xt[c + 14] = _comment_page_columns(cue[:, 6], n_tok)
    _rule_rows(page, starts, n, rule_lines, xt[c + 15 :])
    X = xt.T
    # content words (non-stopwords of 3+ characters, from _token_columns_*) for the similarity
    # columns of later passes
    return X, n_tok.astype(np.int64), PageTokens(ids[content], wline[content])


_BASE_INDEX = {name: i for i, name in enumerate(BASE_NAMES)}
_CTX_IDX = np.array([_BASE_INDEX[c] for c in _CTX_BASE], dtype=np.int64)


def context_features(base: np.ndarray, n_tok: np.ndarray) -> np.ndarray:
    """Neighbour columns (:data:`CONTEXT_NAMES`) over the lines that hold tokens.

    Empty lines are skipped when looking for neighbours (a blank line is layout, not a block).
    """
    n = base.shape[0]
    # built transposed (one contiguous row per column, the layout the forests gather), returned
    # as an (n, columns) view: the same values as row-major per-line work, with contiguous passes
    keep = np.flatnonzero(n_tok > 0)
    k = keep.shape[0]
    if k == 0:
        return np.zeros((len(CONTEXT_NAMES), n)).T
    if _native is not None and base.dtype == np.float64:  # one kernel call; expm1 and log1p stay numpy's
        rows = np.empty((len(CONTEXT_NAMES), k))
        log_words = base[:, _BASE_INDEX["log_words"]]
        words_k = np.expm1(log_words if k == n else log_words[keep])
        _native.context(np.ascontiguousarray(base.T), n, _CTX_IDX, keep.astype(np.int64, copy=False), words_k, rows)
        rows[-3:] = np.log1p(rows[-3:])
        if k == n:  # every line holds tokens (most pages): the rows are the columns
            return rows.T
        out_t = np.zeros((len(CONTEXT_NAMES), n))
        out_t[:, keep] = rows
        return out_t.T
    out_t = np.zeros((len(CONTEXT_NAMES), n))
    v = np.ascontiguousarray(base.T[_CTX_IDX][:, keep])  # (cues, lines)
    nc = v.shape[0]
    prev = np.full((nc, k), -1.0)
    prev[:, 1:] = v[:, :-1]
    nxt_v = np.full((nc, k), -1.0)
    nxt_v[:, :-1] = v[:, 1:]
    parts = [prev, nxt_v, *_window_means(v, _CTX_WINDOWS[1:], axis=1)]
    # runs of long lines: the article body is a run of long, prose-like lines
    words = np.expm1(base[keep, _BASE_INDEX["log_words"]])
    long = words >= 12
    run_id = np.cumsum(np.concatenate(([True], long[1:] != long[:-1])))
    run_words = np.bincount(run_id, weights=words)[run_id] * long
    ii = np.arange(k)
    long_idx = np.flatnonzero(long)
    if long_idx.shape[0]:
        nxt = np.searchsorted(long_idx, ii, side="left")
        prv = nxt - 1
        d_next = np.where(nxt < long_idx.shape[0], long_idx[np.minimum(nxt, long_idx.shape[0] - 1)] - ii, k)
        d_prev = np.where(prv >= 0, ii - long_idx[np.maximum(prv, 0)], k)
    else:
        d_next = np.full(k, k)
        d_prev = np.full(k, k)
    parts.append(np.stack([np.log1p(run_words), np.log1p(d_prev), np.log1p(d_next)]))
    out_t[:, keep] = np.concatenate(parts)
    return out_t.T


def line_features(lines: Sequence[str], language: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All first-pass columns (:data:`FEATURE_NAMES`) and the token count per line."""
    X, n_tok, _ = page_features(lines, language)
    return X, n_tok


def page_features(
    lines: Sequence[str], language: str | None = None, rule_lines: RuleLines | None = None
) -> tuple[np.ndarray, np.ndarray, PageTokens]:
    """:func:`line_features` plus the page's content words (for :func:`score_context_features`).

    ``rule_lines``: the page's rule hits by line when the caller has scanned it already (the
    stage); otherwise :func:`.rules.scan` runs here."""
    base, n_tok, toks = _base(lines, language, rule_lines)
    X = np.concatenate([base.T, context_features(base, n_tok).T]).T  # column-major, as in _base
    return X, n_tok, toks


def _similarity(p: np.ndarray, toks: PageTokens, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per line: share of its content words that also occur in *other* likely-content lines
    (each occurrence weighted by its line's score), and the mean log support.  Teasers, ads and
    "about us" paragraphs share few words with the article; the article's own lines share many."""
    if toks.ids.shape[0] == 0:
        return np.zeros(n), np.zeros(n)
    w = p[toks.line]
    mass = np.bincount(toks.ids, weights=w)
    support = np.maximum(mass[toks.ids] - w, 0.0)  # other occurrences (a repeat in the same line counts)
    cnt = np.bincount(toks.line, minlength=n).astype(np.float64)
    share = np.bincount(toks.line, weights=support >= 0.5, minlength=n) / np.maximum(cnt, 1.0)
    logs = np.bincount(toks.line, weights=np.log1p(support), minlength=n) / np.maximum(cnt, 1.0)
    return share, logs


def _score_context_native(
    p1: np.ndarray, p: np.ndarray, w: np.ndarray, n_tok: np.ndarray, keep: np.ndarray, toks: PageTokens | None,
) -> np.ndarray:
    """:func:`score_context_features` with its per-line arithmetic in the compiled kernel (one call
    instead of ~80 numpy operations on a page of a few hundred lines; the same operations in the
    same order, numpy's pairwise sums included); the logarithms, the lexical support and the
    expected-F keep stay numpy's."""
    assert _native is not None
    n = p1.shape[0]
    share, logs = _similarity(p1, toks or _NO_TOKENS, n)
    k = keep.shape[0]
    every = k == n  # every line holds tokens (most pages): no gathers, the rows are the columns
    efd = expected_f_keep(p1, n_tok, 1.0, keep)  # keep: the lines with tokens, expected_f_keep's own pool
    if not every:
        efd, share, logs = efd[keep], share[keep], logs[keep]
    rows = np.empty((len(SCORE_CONTEXT_NAMES), k))
    _native.score_context(
        np.ascontiguousarray(p), np.ascontiguousarray(w), np.ascontiguousarray(share), efd.view(np.uint8), rows
    )
    rows[13] = np.log1p(rows[13]) * np.where(p >= 0.5, 1.0, -1.0)
    rows[19] = logs
    if every:
        return rows.T
    out_t = np.zeros((len(SCORE_CONTEXT_NAMES), n))
    out_t[:, keep] = rows
    return out_t.T


def score_context_features(
    p1: np.ndarray, words: np.ndarray, n_tok: np.ndarray, toks: PageTokens | None = None
) -> np.ndarray:
    """Second-pass columns (:data:`SCORE_CONTEXT_NAMES`) from the first-pass P(content).

    They let the second pass pick the main content block: a line inside a long run of likely
    content, between most of the page's content mass, keeps; a lone prose-like line among
    navigation (or a comment after the article's end) goes.
    """
    n = p1.shape[0]
    keep = np.flatnonzero(n_tok > 0)
    k = keep.shape[0]
    if k == 0:
        return np.zeros((len(SCORE_CONTEXT_NAMES), n)).T
    p = p1 if k == n else p1[keep]
    w = np.maximum(words if k == n else words[keep], 0.5)
    if _native is not None and p.dtype == np.float64 and w.dtype == np.float64:  # the kernel reads float64
        return _score_context_native(p1, p, w, n_tok, keep, toks)
    out_t = np.zeros((len(SCORE_CONTEXT_NAMES), n))  # one contiguous row per column: the forest gathers rows
    mass = p * w
    tot = max(float(mass.sum()), 1e-9)
    before = (np.cumsum(mass) - mass) / tot
    after = 1.0 - before - mass / tot

    share, logs = _similarity(p1, toks or _NO_TOKENS, n)
    sh = share[keep]
    # windowed means of mass, words and lexical support in one cumulative sum (a row of a 2-D
    # cumsum adds in the same order as a 1-D one, so the same values to the bit)
    m3, m8, m20 = _window_means(np.stack([mass, w, sh]), (3, 8, 20), axis=1)
    win3, win8, win20 = (m[0] / np.maximum(m[1], 1e-9) for m in (m3, m8, m20))
    pad = np.concatenate(([p[0]], p, [p[-1]]))
    mx3 = np.maximum(np.maximum(pad[:-2], pad[1:-1]), pad[2:])
    mn3 = np.minimum(np.minimum(pad[:-2], pad[1:-1]), pad[2:])
    hi = p >= 0.5
    run_id = np.cumsum(np.concatenate(([True], hi[1:] != hi[:-1])))
    run_mass = np.bincount(run_id, weights=w)[run_id] / max(float(w.sum()), 1.0)
    run_len = np.bincount(run_id)[run_id].astype(np.float64)
    # the rank of each line's score: the inverse of the stable sort order (what argsort of the
    # argsort gives), by one scatter instead of a second sort
    order = np.argsort(-p, kind="stable")
    rank = np.empty(k)
    rank[order] = np.arange(k)
    rank /= max(k - 1, 1)
    core = int(np.argmax(win8 * np.sqrt(m8[1])))
    core_dist = np.abs(np.arange(k) - core) / max(k, 1)
    pm = float(mass.sum() / w.sum())
    # the main block: the span maximising sum((p - 0.5) * sqrt(words)) (Kadane, vectorised with
    # a running minimum of the prefix sums)
    gain = np.concatenate(([0.0], np.cumsum((p - 0.5) * np.sqrt(w))))
    low = np.minimum.accumulate(gain)
    end = int(np.argmax(gain - low))  # the span ends at line end - 1
    start = int(np.argmin(gain[: end + 1])) if end > 0 else 0
    ii = np.arange(k)
    in_span = (ii >= start) & (ii < end)
    span_dist = np.where(ii < start, start - ii, np.where(ii >= end, ii - end + 1, 0)) / max(k, 1)
    span_pos = (ii - start) / max(end - start, 1)
    span_mass = float(w[start:end].sum() / w.sum()) if end > start else 0.0
    # page-relative scores: the first pass's expected-F cut (see expected_f_keep) and the best
    # line, so a page whose every line scores low still has its best lines marked
    efd = expected_f_keep(p1, n_tok)[keep]
    cut = float(p[efd].min()) if efd.any() else 0.5
    out_t[:, keep] = np.stack(
        [
            p,
            _shift(p, 1, 0.0),
            _shift(p, -1, 0.0),
            _shift(p, 2, 0.0),
            _shift(p, -2, 0.0),
            win3,
            win8,
            win20,
            mx3,
            mn3,
            before,
            after,
            run_mass,
            np.log1p(run_len) * np.where(hi, 1.0, -1.0),
            rank,
            core_dist,
            np.full(k, pm),
            p - pm,
            sh,
            logs[keep],
            m3[2],
            in_span.astype(np.float64),
            span_dist,
            span_pos,
            np.full(k, span_mass),
            p / max(float(p.max()), 1e-9),
            efd.astype(np.float64),
            p - cut,
        ]
    )
    return out_t.T
