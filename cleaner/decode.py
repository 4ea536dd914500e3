"""Stage 1: bytes of unknown encoding to text.

Order of evidence, strongest first:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. UTF-16 without a BOM, from its NUL bytes;
3. strict UTF-8 (legacy text with non-ASCII bytes is almost never valid UTF-8) and, for pure 7-bit
   input, the ISO-2022 escape sequences; UTF-8 with a few broken sequences (a truncated last
   character, a stray byte) is still UTF-8, decoded with replacement characters;
4. a caller's ``hint`` (HTTP header or ``<meta charset>``), used unless the bytes prove it wrong:
   they do not decode under it, the hint is a single-byte charset but the bytes are valid
   multi-byte UTF-8, or another reading is far more plausible (``HINT_MARGIN``);
5. detection: every candidate codec that decodes *all* the bytes strictly is scored by how
   plausible its text is -- a per-language character unigram model plus a bonus for frequent
   character pairs (``cleaner/data/enc_charmodel.json.gz``, built by
   ``scripts/build_encoding_model.py``) -- and the best (codec, language) pair wins.  UTF-16
   without a BOM competes in the same scoring, so NUL-free CJK UTF-16 is found too.

Scoring is vectorised with numpy: for single-byte codecs a byte histogram and a table of byte
pairs are dotted with per-(codec, language) tables, so the cost hardly depends on the number of
candidates.  Never raises on undecodable bytes: when nothing plausible decodes, the input is
decoded as UTF-8 with replacement characters and ``fixes`` says so.

``Decoded.fixes`` names: ``strip-bom``, ``detected-charset`` (chosen by sniffing/scoring),
``charset-hint`` (the caller's hint was used), ``charset-hint-overridden``, ``binary-data`` and
``replaced-undecodable-bytes``.  ``Decoded.confidence`` is a logistic function of the score margin
between the winner and the best reading that gives a different text (1.0 when none does).
"""

from __future__ import annotations

import codecs
import gzip
import json
import math
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from .document import Decoded

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_WESTERN = ("en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "ca", "id", "ms")
_CENTRAL = ("cs", "pl", "hu", "sk", "hr", "ro", "sl", "de")
_CYRILLIC = ("ru", "uk", "bg", "sr", "be", "mk")

#: Single-byte candidates and the languages each is used for.  ``latin_1`` only wins where
#: cp1252 cannot decode a byte (WHATWG also treats "iso-8859-1" labels as windows-1252).
SINGLE_BYTE: dict[str, tuple[str, ...]] = {
    "cp1252": _WESTERN,
    "latin_1": ("en", "fr", "de"),
    "iso8859_15": ("fr", "fi", "de"),
    "cp1250": _CENTRAL,
    "iso8859_2": _CENTRAL,
    "cp1254": ("tr",),
    "cp1251": _CYRILLIC,
    "koi8_r": ("ru", "bg"),
    "koi8_u": ("uk",),
    "iso8859_5": ("ru", "uk", "bg", "sr"),
    "cp866": ("ru", "uk", "bg"),
    "iso8859_7": ("el",),
    "cp1253": ("el",),
    "cp1255": ("he",),
    "cp1256": ("ar", "fa"),
    "cp874": ("th",),
}

#: Multi-byte candidates: (codec tried first, fallback superset codec, languages).  The strict
#: codec comes first because it is what a file labelled with that name decodes to; the superset
#: (Microsoft's extensions) catches files that use vendor characters.
MULTI_BYTE: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("gb18030", None, ("zh-Hans", "zh-Hant")),
    ("big5", "cp950", ("zh-Hant", "zh-Hans")),
    ("shift_jis", "cp932", ("ja",)),
    ("euc_jp", None, ("ja",)),
    ("euc_kr", "cp949", ("ko",)),
)

#: Log-prior per codec (nats), added to the text log-likelihood.  Small on purpose: the
#: evidence of a few hundred bytes dwarfs it; it only breaks near-ties toward the codecs that
#: are far more common on the web (W3Techs usage order).  Not tuned on the benchmark.
PRIOR: dict[str, float] = {
    "cp1252": 0.0, "latin_1": -1.0, "iso8859_15": -3.0, "cp1250": -1.0, "iso8859_2": -1.0,
    "cp1254": -1.0, "cp1251": 0.0, "koi8_r": -1.0, "koi8_u": -2.0, "iso8859_5": -3.0, "cp866": -3.0,
    "iso8859_7": -1.0, "cp1253": -1.0, "cp1255": -1.0, "cp1256": -1.0, "cp874": -1.0,
    "gb18030": 0.0, "big5": 0.0, "shift_jis": 0.0, "euc_jp": -1.0, "euc_kr": 0.0,
    "utf-16-le": -1.0, "utf-16-be": -2.0,
}

#: Weight of the character-pair bonus relative to the unigram log-likelihood.
BIGRAM_WEIGHT = 1.0
#: Interpolation weight of the pair model in the bonus log(λ·p(b|a)/p(b) + 1-λ).
_LAMBDA = 0.5
#: Bytes of input used for the pair bonus.
BIGRAM_BYTES = 8192
#: Bytes of input whose readings are scored (strict validity is always checked on every byte):
#: bounds time and memory on multi-megabyte inputs, far more evidence than any decision needs.
SCORE_BYTES = 65536
#: Penalty (nats) for a lowercase letter directly followed by an uppercase one when either is
#: non-ASCII.  Running text almost never does this (camelCase is ASCII); mis-decodings do it
#: constantly (KOI8-R read as cp1251 swaps case, Greek ’ read as cp1253 gives "σΆ").  Set a
#: priori at about the cost of an unseen character pair, not tuned on the benchmark.
CASE_PENALTY = 4.0
#: Penalty (nats) for two letters of different alphabetic scripts touching, e.g. "cafי" from
#: cp1252 "café" read as cp1255.  Same a-priori size as CASE_PENALTY.
SCRIPT_PENALTY = 4.0
#: Share of the model mass given to unseen characters of a seen 128-code-point block, and to
#: the all-languages mixture (set a priori): an unseen character of a script the language uses
#: stays plausible, a character of a script it never uses costs far more.
_BLOCK_MASS = 0.03
_GLOBAL_MASS = 0.02
_FLOOR = 1e-9
#: A UTF-16 reading is only scored when at least this share of its characters occur in some
#: language model: bytes of legacy text read as UTF-16 give mostly random Han/Hangul/unassigned
#: code points (measured on dev: at most 0.40 for legacy items, at least 0.84 for UTF-16 ones).
_UTF16_PLAUSIBLE = 0.6
#: Mean log-likelihood per character below which the best reading is judged garbage.  Correct
#: readings on dev score >= -9.2 per character (worst: 50-byte CJK); uniformly random bytes still
#: score about -10, so this only catches extreme cases -- binary data is caught earlier by its
#: control bytes (``_BINARY_SHARE``).
GARBAGE_PER_CHAR = -12.0
#: Share of C0 control bytes (other than tab, LF, FF, CR, ESC) above which bytes that are neither
#: UTF-8 nor UTF-16 are treated as binary: text in any legacy encoding has essentially none,
#: uniformly random bytes have ~11%.
_BINARY_SHARE = 0.02
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27)) + b"\x7f"
#: A hint that decodes the bytes is still overridden when the best detected reading is this
#: much more likely: HINT_MARGIN nats plus HINT_MARGIN_PER_CHAR per character on which the two
#: readings differ (1 nat: the hint's characters are on average e times less likely there).
#: Measured on dev (bench/results/encoding.md): correct hints are kept at 0.9993 for any value in
#: 0.5-2.0; wrong hints are caught more often the lower it is (0.988 at 2.0, 0.993 at 1.0).
HINT_MARGIN = 5.0
HINT_MARGIN_PER_CHAR = 1.0


#: Share of non-ASCII characters in running text, by writing system (a-priori typology, not
#: fitted): English, Dutch, Indonesian and Malay borrow a few (’ “ é), other Latin-script
#: languages use accented letters for ~3-8% of characters, Vietnamese for ~25%; in alphabets
#: other than Latin and in CJK text only
#: spaces, digits and Western punctuation (~20-25%) are ASCII.  This is what keeps one stray
#: Thai/Han/Hebrew character from winning in otherwise Latin text ("à" read as cp874 "เ").
NON_ASCII_SHARE: dict[str, float] = {"en": 0.02, "nl": 0.02, "id": 0.01, "ms": 0.01, "vi": 0.25}
_LATIN_SCRIPT = {"fr", "de", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "ca", "id", "ms", "cs", "pl",
                 "hu", "sk", "hr", "ro", "sl", "tr"}


def _non_ascii_share(lang: str) -> float:
    if lang in NON_ASCII_SHARE:
        return NON_ASCII_SHARE[lang]
    return 0.06 if lang in _LATIN_SCRIPT else 0.75


#: Typographic characters every language writes on the web whatever its script; the gettext
#: catalogues rarely contain them (€ never in Greek), so each gets at least TYPOGRAPHY_FLOOR of
#: a language's non-ASCII mass -- otherwise "€" loses to "¤" (iso-8859-7 vs cp1253).
TYPOGRAPHY = "’‘“”„«»–—…€£°·•×§©®™½¡¿\u00a0"
TYPOGRAPHY_FLOOR = 0.002


@dataclass
class _Model:
    langs: list[str]
    lang_index: dict[str, int]
    uni: np.ndarray  # (n_langs, 65536) float32 log p(char) over the BMP
    seen: np.ndarray  # (65536,) bool: char seen in any language
    bi_keys: list[np.ndarray]  # per language: sorted int64 keys (a << 21 | b)
    bi_vals: list[np.ndarray]  # per language: bonus log(λ p(b|a)/p(b) + 1 - λ)
    sb_pairs: list[tuple[str, str]]  # (codec, lang) rows of the single-byte tables
    sb_uni: np.ndarray  # (n_pairs, 256) log p of each byte's character (-1e9: undefined)
    sb_bi: np.ndarray  # (65536, n_pairs) bonus per byte pair (pair-major: one key's row is contiguous)
    sb_undefined: dict[str, np.ndarray]  # codec -> bool[256] bytes it cannot decode
    lower: np.ndarray  # (65536,) bool: category Ll
    upper: np.ndarray  # (65536,) bool: category Lu or Lt
    script: np.ndarray  # (65536,) int8: alphabetic script group, 0 for non-letters


_MODEL: _Model | None = None
_LOCK = threading.Lock()


def _load_raw() -> dict[str, Any]:
    ref = resources.files("cleaner") / "data" / "enc_charmodel.json.gz"
    with ref.open("rb") as f:
        return json.loads(gzip.decompress(f.read()).decode("utf-8"))  # type: ignore[no-any-return]


#: Alphabetic scripts by code-point range (BMP); 9 = the CJK group (Han, kana, Hangul, full
#: width), within which mixing is normal.  Letters of two different scripts touching each other
#: ("cafי") are a mis-decoding signature; Latin next to CJK ("AI技术") is ordinary text.
_SCRIPTS: tuple[tuple[int, int, int], ...] = (
    (0x0041, 0x024F, 1), (0x1E00, 0x1EFF, 1), (0x0370, 0x03FF, 2), (0x1F00, 0x1FFF, 2),
    (0x0400, 0x052F, 3), (0x0590, 0x05FF, 4), (0xFB1D, 0xFB4F, 4), (0x0600, 0x06FF, 5),
    (0x0750, 0x077F, 5), (0xFB50, 0xFDFF, 5), (0xFE70, 0xFEFF, 5), (0x0E00, 0x0E7F, 6),
    (0x0900, 0x097F, 7), (0x0980, 0x0DFF, 8), (0x1100, 0x11FF, 9), (0x2E80, 0x9FFF, 9),
    (0xAC00, 0xD7AF, 9), (0xF900, 0xFAFF, 9), (0xFF00, 0xFFEF, 9),
)
_CJK_GROUP = 9


def _char_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowercase, uppercase and script (0: not a letter) of every BMP character."""
    cats = [unicodedata.category(chr(c)) for c in range(65536)]
    lower = np.array([c == "Ll" for c in cats], dtype=bool)
    upper = np.array([c in ("Lu", "Lt") for c in cats], dtype=bool)
    letter = np.array([c[0] in "LM" for c in cats], dtype=bool)
    script = np.zeros(65536, dtype=np.int8)
    for lo, hi, sc in _SCRIPTS:
        script[lo : hi + 1] = sc
    script[~letter] = 0
    return lower, upper, script


def _pair_penalty(lower: np.ndarray, upper: np.ndarray, script: np.ndarray, a: np.ndarray, b: np.ndarray,
                  ) -> np.ndarray:
    """Penalty (<= 0) for each character pair (a, b): case flip or script clash, a non-ASCII one involved."""
    high = (a >= 128) | (b >= 128)
    sa, sb = script[a], script[b]
    clash = (sa > 0) & (sb > 0) & (sa != sb) & ~((sa == _CJK_GROUP) | (sb == _CJK_GROUP))
    return np.asarray(-(CASE_PENALTY * (lower[a] & upper[b] & high) + SCRIPT_PENALTY * (clash & high)),
                      dtype=np.float64)


def _build() -> _Model:
    raw = _load_raw()["langs"]
    langs = sorted(raw)
    n_l = len(langs)
    # global mixture: each language's distribution weighted equally
    glob = np.zeros(65536, dtype=np.float64)
    per_lang_counts = []
    for lang in langs:
        counts = np.zeros(65536, dtype=np.float64)
        for ch, n in raw[lang]["uni"].items():
            cp = ord(ch)
            if cp < 65536:
                counts[cp] += n
        # The non-ASCII share of each language is set from its writing system (NON_ASCII_SHARE),
        # not taken from the training text: gettext catalogues are diluted by untranslated ASCII
        # to very different degrees per language (Hebrew ~50%, Russian ~20%), which would make
        # a whole script look rarer than another in the comparison between codecs.
        share = _non_ascii_share(lang)
        counts[:128] *= (1.0 - share) / max(counts[:128].sum(), 1.0)
        counts[128:] *= share / max(counts[128:].sum(), 1.0)
        typo = [ord(c) for c in TYPOGRAPHY]
        counts[typo] = np.maximum(counts[typo], TYPOGRAPHY_FLOOR * share)
        per_lang_counts.append(counts)
        glob += counts / n_l
    uni = np.empty((n_l, 65536), dtype=np.float32)
    for i, p in enumerate(per_lang_counts):
        block = p.reshape(-1, 128).sum(axis=1)
        block_p = np.repeat(block / 128.0, 128)
        mix = (1 - _BLOCK_MASS - _GLOBAL_MASS) * p + _BLOCK_MASS * block_p + _GLOBAL_MASS * glob + _FLOOR
        uni[i] = np.log(mix)
    # controls other than tab/newline/CR are never text
    ctrl = [c for c in range(32) if c not in (9, 10, 13)] + list(range(0x7F, 0xA0))
    uni[:, ctrl] = math.log(_FLOOR)
    seen = glob > 0
    bi_keys: list[np.ndarray] = []
    bi_vals: list[np.ndarray] = []
    for i, lang in enumerate(langs):
        counts = raw[lang]["uni"]
        key_list: list[int] = []
        val_list: list[float] = []
        for pair, n in raw[lang]["bi"].items():
            a, b = pair
            na = counts.get(a)
            if not na or ord(a) >= 65536 or ord(b) >= 65536:
                continue
            pb = math.exp(float(uni[i, ord(b)]))
            bonus = math.log(_LAMBDA * (n / na) / pb + (1 - _LAMBDA))
            if bonus > 0:
                key_list.append((ord(a) << 21) | ord(b))
                val_list.append(bonus)
        key_arr = np.array(key_list, dtype=np.int64)
        order = np.argsort(key_arr)
        bi_keys.append(key_arr[order])
        bi_vals.append(np.array(val_list, dtype=np.float32)[order])
    lang_index = {lang: i for i, lang in enumerate(langs)}
    lower, upper, script = _char_tables()
    # single-byte tables
    sb_pairs = [(c, lang) for c, ls in SINGLE_BYTE.items() for lang in ls if lang in lang_index]
    sb_uni = np.empty((len(sb_pairs), 256), dtype=np.float32)
    sb_bi = np.zeros((len(sb_pairs), 65536), dtype=np.float32)
    sb_undefined: dict[str, np.ndarray] = {}
    for codec in SINGLE_BYTE:
        table = np.zeros(256, dtype=np.int64)
        undefined = np.zeros(256, dtype=bool)
        for byte in range(256):
            try:
                ch = bytes([byte]).decode(codec)
                table[byte] = ord(ch)
            except UnicodeDecodeError:
                undefined[byte] = True
        sb_undefined[codec] = undefined
        # case flips and script clashes between the characters of every byte pair
        first = np.repeat(np.arange(256), 256)
        second = np.tile(np.arange(256), 256)
        case_pairs = _pair_penalty(lower, upper, script, table[first], table[second]).astype(np.float32)
        case_pairs[(undefined[first] | undefined[second])] = 0.0
        case_pairs[(first < 128) & (second < 128)] = 0.0
        for row, (c, lang) in enumerate(sb_pairs):
            if c != codec:
                continue
            li = lang_index[lang]
            sb_uni[row] = uni[li, table]
            sb_uni[row, undefined] = -1e9
            # byte-pair bonus: map the language's char pairs through the codec's inverse table
            inv = {int(cp): b for b, cp in enumerate(table) if not undefined[b]}
            lang_keys, lang_vals = bi_keys[li], bi_vals[li]
            ba = np.array([inv.get(int(x), -1) for x in lang_keys >> 21], dtype=np.int64)
            bb = np.array([inv.get(int(x), -1) for x in lang_keys & ((1 << 21) - 1)], dtype=np.int64)
            ok = (ba >= 0) & (bb >= 0)
            sb_bi[row, ba[ok] * 256 + bb[ok]] = lang_vals[ok]
            sb_bi[row] += case_pairs
    sb_bi = np.ascontiguousarray(sb_bi.T)
    return _Model(langs, lang_index, uni, seen, bi_keys, bi_vals, sb_pairs, sb_uni, sb_bi, sb_undefined,
                  lower, upper, script)


def _model() -> _Model:
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = _build()
    return _MODEL


def warm_up() -> None:
    """Build the detection tables now (about 0.3 s) instead of on the first legacy document."""
    _model()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One scored reading of the bytes."""

    codec: str
    language: str
    score: float
    chars: int


def _cps(text: str) -> np.ndarray:
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.minimum(cps, 0xFFFF).astype(np.int64)  # astral chars share U+FFFF's (floor) score


def _bigram_bonus(m: _Model, li: int, cps: np.ndarray) -> float:
    if len(cps) < 2:
        return 0.0
    keys = (cps[:-1] << 21) | cps[1:]
    table = m.bi_keys[li]
    if not len(keys) or not len(table):
        return 0.0
    pos = np.searchsorted(table, keys)
    pos[pos >= len(table)] = 0
    hit = table[pos] == keys
    return float(m.bi_vals[li][pos[hit]].sum())


def _score_text(m: _Model, text: str, langs: tuple[str, ...] | None, head: str) -> tuple[str, float]:
    """Best (language, log-likelihood + pair bonus) of ``text``; pairs are counted in its prefix ``head``."""
    cps = _cps(text)
    if langs is None:
        rows = np.arange(len(m.langs))
    else:
        rows = np.array([m.lang_index[x] for x in langs if x in m.lang_index], dtype=np.int64)
    uni = m.uni[rows][:, cps].sum(axis=1)
    top = np.argsort(-uni)[:2]
    hcps = _cps(head)
    case = 0.0
    if len(hcps) > 1:
        a, b = hcps[:-1], hcps[1:]
        case = float(_pair_penalty(m.lower, m.upper, m.script, a, b).sum())
    best_lang, best = "", -math.inf
    for t in top:
        li = int(rows[t])
        s = float(uni[t]) + BIGRAM_WEIGHT * _bigram_bonus(m, li, hcps) + case
        if s > best:
            best_lang, best = m.langs[li], s
    return best_lang, best


def candidates(data: bytes) -> list[Candidate]:
    """Every strict reading of ``data`` with its score, best first (for explanations and tests)."""
    m = _model()
    out: list[Candidate] = []
    full = np.frombuffer(data, dtype=np.uint8)
    present = np.bincount(full, minlength=256) > 0  # validity is judged on every byte ...
    sample = data[:SCORE_BYTES]  # ... plausibility on a bounded prefix
    arr = full[:SCORE_BYTES]
    hist = np.bincount(arr, minlength=256).astype(np.float32)
    # single-byte: one matrix product for every (codec, language) pair
    uni = m.sb_uni @ hist
    head = arr[:BIGRAM_BYTES].astype(np.int64)
    if len(head) > 1:
        pair_keys = head[:-1] * 256 + head[1:]
        keys, counts = np.unique(pair_keys, return_counts=True)
        bonus = counts.astype(np.float32) @ m.sb_bi[keys]
    else:
        bonus = np.zeros(len(m.sb_pairs), dtype=np.float32)
    total = uni + BIGRAM_WEIGHT * bonus
    best_per_codec: dict[str, tuple[float, str]] = {}
    valid = {codec: not (undefined & present).any() for codec, undefined in m.sb_undefined.items()}
    scores = total.tolist()
    for row, (codec, lang) in enumerate(m.sb_pairs):
        if not valid[codec]:
            continue
        s = scores[row] + PRIOR.get(codec, 0.0)
        if codec not in best_per_codec or s > best_per_codec[codec][0]:
            best_per_codec[codec] = (s, lang)
    n = len(data)
    for codec, (s, lang) in best_per_codec.items():
        out.append(Candidate(codec, lang, s, len(sample)))
    # multi-byte CJK codecs: only those that decode every byte
    if present[128:].any():
        for codec, fallback, langs in MULTI_BYTE:
            for c in (codec, fallback):
                if c is None:
                    continue
                try:
                    text = data.decode(c)
                except UnicodeDecodeError:
                    continue
                if n > SCORE_BYTES:
                    text = sample.decode(c, errors="ignore")
                h = data[:BIGRAM_BYTES].decode(c, errors="ignore")
                lang, s = _score_text(m, text, langs, h)
                out.append(Candidate(c, lang, s + PRIOR.get(codec, 0.0), len(text)))
                break
    # UTF-16 without BOM
    if n >= 2 and n % 2 == 0:
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if n > SCORE_BYTES:
                text = sample.decode(codec, errors="ignore")
            if not _utf16_plausible(text):
                continue
            h = data[:BIGRAM_BYTES].decode(codec, errors="ignore")
            lang, s = _score_text(m, text, None, h)
            out.append(Candidate(codec, lang, s + PRIOR.get(codec, 0.0), len(text)))
    out.sort(key=lambda c: -c.score)
    return out


#: Share of 16-bit units with a NUL in one byte position (and at most a quarter as many in the
#: other) for bytes to be read as BOM-less UTF-16: spaces and digits alone give ~15% in Cyrillic
#: or Greek text, Latin text gives > 80%; legacy-encoded text has none.
_NUL_SHARE = 0.05


def _utf16_by_nuls(data: bytes) -> str | None:
    if len(data) < 2:
        return None
    half = len(data) // 2
    z_even = data[0 : 2 * half : 2].count(0)
    z_odd = data[1 : 2 * half : 2].count(0)
    hi, lo, enc = (z_odd, z_even, "utf-16-le") if z_odd >= z_even else (z_even, z_odd, "utf-16-be")
    if hi < max(1, _NUL_SHARE * half) or lo > hi / 4:
        return None
    try:
        data[: 2 * half].decode(enc)
    except UnicodeDecodeError:
        return None
    if len(data) % 2:
        return None
    return enc


#: What to try for a hint, in order: the WHATWG Encoding Standard decodes "iso-8859-1"/"ascii" as
#: windows-1252, "gb2312" as GBK, "iso-8859-9" as windows-1254, "tis-620" as windows-874 and
#: "euc-kr" as UHC; for Shift_JIS/Big5 the strict codec comes first (vendor superset second).
_HINT_CODECS: dict[str, tuple[str, ...]] = {
    "iso8859-1": ("cp1252", "latin_1"), "ascii": ("cp1252", "latin_1"), "gb2312": ("gbk", "gb18030"),
    "gbk": ("gbk", "gb18030"), "iso8859-9": ("cp1254", "iso8859-9"), "tis-620": ("cp874", "tis-620"),
    "iso8859-11": ("cp874", "iso8859-11"), "euc_kr": ("euc_kr", "cp949"), "shift_jis": ("shift_jis", "cp932"),
    "big5": ("big5", "cp950"),
}

_ISO2022: tuple[tuple[str, tuple[bytes, ...]], ...] = (
    ("iso2022_jp", (b"\x1b$B", b"\x1b$@", b"\x1b(J")),
    ("iso2022_kr", (b"\x1b$)C",)),
)


def _norm(name: str) -> str | None:
    """Python's name for a charset label, or None when it is unknown or not a text encoding."""
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, ValueError, TypeError):
        return None
    # CPython marks bytes-to-bytes / str-to-str codecs ("base64", "rot13") as not text encodings
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _confidence(cands: list[Candidate], text: str, data: bytes) -> float:
    """Posterior-like confidence: how much better the winner is than the best reading that differs."""
    best = cands[0]
    for c in cands[1:]:
        try:
            if data.decode(c.codec) == text:
                continue
        except UnicodeDecodeError:
            continue
        margin = best.score - c.score
        return round(1.0 / (1.0 + math.exp(-min(margin, 50.0))), 4)
    return 1.0


def _utf8_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _utf16_plausible(text: str) -> bool:
    cps = _cps(text[: SCORE_BYTES // 2])
    return bool(len(cps)) and float(_model().seen[cps].mean()) >= _UTF16_PLAUSIBLE


def _maybe_utf16(data: bytes) -> bool:
    """Cheap trigger for scoring UTF-16 readings of bytes that are valid UTF-8.

    Control bytes never occur in real UTF-8 text; and UTF-16 of kana/CJK repeats one high byte
    ("0" for U+30xx) at every other position, while no byte value fills more than ~20% of the
    even or odd positions of real ASCII/UTF-8 text (space, the most common, is ~16% in English).
    """
    if len(data.translate(None, _CONTROL_BYTES)) < len(data):
        return True
    arr = np.frombuffer(data, dtype=np.uint8)
    half = len(arr) // 2
    return bool(max(np.bincount(arr[0::2]).max(), np.bincount(arr[1::2]).max()) > 0.35 * half)


def _utf16_by_scoring(data: bytes) -> str | None:
    """The better plausible UTF-16 reading of ``data`` if it beats every legacy reading."""
    cands = candidates(data)
    if cands and cands[0].codec.startswith("utf-16"):
        return cands[0].codec
    return None


def _few_replacements(text: str, data: bytes, enc: str) -> bool:
    """True when a lenient decode under ``enc`` replaced few bytes among many good non-ASCII
    characters (>= 4 good ones per replacement, >= 3 in all): a damaged file in that encoding.
    Legacy text read as UTF-8 gives the opposite ratio (valid multi-byte sequences arise only by
    chance): none of the 666 non-UTF-8 legacy items of the dev set is taken by this rule."""
    bad = text.count("\ufffd") - data.count("\ufffd".encode(enc, errors="ignore") or b"\x00\x00")
    if bad <= 0:
        return False
    good = len(text) - len(text.encode("ascii", errors="ignore")) - text.count("\ufffd")
    return good >= max(3, 4 * bad)


def _is_binary(data: bytes) -> bool:
    return len(data.translate(None, _CONTROL_BYTES)) < (1 - _BINARY_SHARE) * len(data)


def _hint_implausible(data: bytes, enc: str, text: str) -> bool:
    """True when a detected reading beats the hint's reading by a wide margin (see HINT_MARGIN)."""
    cands = candidates(data)
    if not cands:
        return False
    if enc.startswith(("utf-16", "utf-32")) and not _utf16_plausible(text):
        return True
    best = cands[0]
    # the hint's reading scored with every language (generous to the hint), on the same bytes
    if len(data) > SCORE_BYTES:
        text = data[:SCORE_BYTES].decode(enc, errors="ignore")
    _, own = _score_text(_model(), text, None, data[:BIGRAM_BYTES].decode(enc, errors="ignore"))
    if best.score - own <= HINT_MARGIN:
        return False
    other = data[:SCORE_BYTES].decode(best.codec, errors="ignore")
    if len(other) == len(text):  # count only the characters the two readings disagree on
        differ = sum(1 for a, b in zip(text, other, strict=True) if a != b)
    else:
        differ = sum(1 for ch in text if ord(ch) > 127)
    return best.score - own > HINT_MARGIN + HINT_MARGIN_PER_CHAR * differ


def detect(data: bytes) -> Decoded:
    """Decode legacy-encoded ``data`` by scoring every strict reading (no BOM/UTF-8/hint logic)."""
    cands = candidates(data)
    if cands:
        best = cands[0]
        if not best.codec.startswith("utf-16") and _is_binary(data):
            return Decoded(data.decode("utf-8", errors="replace"), "utf-8",
                           ("binary-data", "replaced-undecodable-bytes"), 0.0)
        if best.score / max(best.chars, 1) >= GARBAGE_PER_CHAR:
            text = data.decode(best.codec)
            return Decoded(text, best.codec, ("detected-charset",), _confidence(cands, text, data))
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8", ("replaced-undecodable-bytes",), 0.0)


def decode(data: bytes, hint: str | None = None) -> Decoded:
    """Decode ``data``; ``hint`` is a charset name from the transport, used when the bytes allow it.

    >>> decode("café".encode("cp1252")).text
    'café'
    >>> decode("Grüße".encode("utf-8"), hint="iso-8859-1").fixes
    ('charset-hint-overridden',)
    """
    if isinstance(data, str):
        return Decoded(data, "str")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode() takes bytes, not {type(data).__name__}")
    data = bytes(data)
    if not data:
        return Decoded("", "utf-8")
    hinted = _norm(hint) if hint else None
    override: tuple[str, ...] = ("charset-hint-overridden",) if hint else ()
    # 1. byte-order marks
    bom_fixes: tuple[str, ...] = ()
    for bom, enc in _BOMS:
        if data.startswith(bom):
            hint_fix = override if hinted and not hinted.startswith(enc[:6]) else ()
            try:
                return Decoded(data[len(bom) :].decode(enc), enc, ("strip-bom", *hint_fix))
            except UnicodeDecodeError:
                pass
            # a BOM with a few bad code units (typically a truncated last character) is still
            # that encoding; otherwise drop the BOM bytes and let the rest be judged on its own
            text = data[len(bom) :].decode(enc, errors="replace")
            if _few_replacements(text, data[len(bom) :], enc):
                return Decoded(text, enc, ("strip-bom", *hint_fix, "replaced-undecodable-bytes"), 0.5)
            data, bom_fixes = data[len(bom) :], ("strip-bom",)
            break
    # 2. UTF-16 without a BOM, by its NUL bytes (text never contains NUL, but UTF-16 of
    #    Latin, Cyrillic, Greek... has one in every ASCII character and would pass as UTF-8)
    #    Bytes that are also valid non-ASCII UTF-8 keep that reading unless the UTF-16 one is
    #    plausible text: a stray NUL in a short UTF-8 text must not turn it into random Han/Hangul
    #    (found by the decode fuzz target: b"Ca\x00f\xc3\xa9Cf" read as UTF-16-BE).
    if b"\x00" in data:
        wide_enc = _utf16_by_nuls(data)
        if wide_enc:
            reading = data.decode(wide_enc)
            if data.isascii() or _utf8_or_none(data) is None or _utf16_plausible(reading):
                return Decoded(reading, wide_enc, ("detected-charset", *override))
    # 3. strict UTF-8 (covers ASCII); a 7-bit ISO-2022 stream is recognised by its escapes
    utf8 = _utf8_or_none(data)
    if utf8 is not None:
        text = utf8
        # UTF-16 of kana/CJK can consist of bytes < 0x80 only and pass as "UTF-8" full of controls;
        # bytes with valid multi-byte UTF-8 sequences are UTF-8 (UTF-16 forms them only by chance,
        # in a few characters: the decode fuzz target found b"\xc2\xbfQQQQQQ" read as UTF-16)
        if len(data) % 2 == 0 and len(data) >= 4 and text.isascii() and _maybe_utf16(data):
            wide_enc = _utf16_by_scoring(data)
            if wide_enc:
                return Decoded(data.decode(wide_enc), wide_enc, ("detected-charset", *override))
        if b"\x1b" in data and text.isascii():
            for iso, escapes in _ISO2022:
                if any(e in data for e in escapes):
                    try:
                        return Decoded(data.decode(iso), iso, ("detected-charset",))
                    except UnicodeDecodeError:
                        pass
        if hinted and hinted != "utf-8":
            if text.isascii() and not hinted.startswith(("utf-16", "utf-32")):
                # ASCII reads the same under any ASCII-compatible hint
                return Decoded(text, hinted, ("charset-hint",))
            if text.isascii():  # a UTF-16/32 hint on NUL-free 7-bit bytes: believe it only if it reads well
                try:
                    wide = data.decode(hinted)
                except UnicodeDecodeError:
                    wide = None
                if wide is not None and _utf16_plausible(wide):
                    return Decoded(wide, hinted, ("charset-hint",))
            return Decoded(text, "utf-8", override)  # valid multi-byte UTF-8 proves the hint wrong
        return Decoded(text, "utf-8")
    # UTF-8 with a few broken sequences (a truncated last character, one stray byte) is UTF-8
    if not hinted or hinted == "utf-8":
        text = data.decode("utf-8", errors="replace")
        if _few_replacements(text, data, "utf-8"):
            return Decoded(text, "utf-8", (*bom_fixes, "replaced-undecodable-bytes"), 0.5)
    # 4. the transport's hint, unless the bytes do not decode under it or read far better otherwise
    if hinted and hinted != "utf-8":
        for enc in _HINT_CODECS.get(hinted, (hinted,)):
            try:
                text = data.decode(enc)
            except (UnicodeDecodeError, LookupError):
                continue
            if not _hint_implausible(data, enc, text):
                return Decoded(text, enc, ("charset-hint",))
            break
    # 5. detection
    found = detect(data)
    if hint or bom_fixes:
        return Decoded(found.text, found.encoding, bom_fixes + override + found.fixes, found.confidence)
    return found
