"""Featurisation shared by the runtime scorer and ``scripts/build_garble_model.py``.

One module computes features for both, so the shipped weights always see the
features they were trained on.  Two kinds:

* hashed sparse features: character n-grams (3..5, over the lower-cased
  sentence), word unigrams/bigrams and 1..4-grams of an abstracted token
  sequence (function words kept, other words as shape + frequency class;
  Chinese: character 1..3-grams), hashed into a fixed table with a
  deterministic 64-bit rolling hash (no Python ``hash()``, which is salted per
  process); character n-grams are hashed vectorised in numpy, which is what
  keeps the scorer above 1,000 sentences/s in one process;
* a few dense, interpretable signals (non-word rate, glued words, repeated
  n-grams, unigram and Chinese character-bigram surprisal ...), some of which
  are also reported as evidence a person can check.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import regex

# 2**20 buckets (not tuned): ~1.7 MB compressed as float16, well under the 5 MB budget,
# and few collisions for the ~24k training sentences.
HASH_BITS = 20
HASH_SIZE = 1 << HASH_BITS
CHAR_NS = (3, 4, 5)

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SALTS = {n: np.uint64(0x2545F4914F6CDD1D * n & 0xFFFFFFFFFFFFFFFF) for n in CHAR_NS}

WORD_RE = regex.compile(r"\p{L}+(?:['’]\p{L}+)*|\p{N}+(?:[.,]\p{N}+)*|[^\s\p{L}\p{N}]")
ALPHA_RE = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")
HAN_RE = regex.compile(r"\p{Han}")
# A lower-case run followed by an upper-case letter starting a lower-case word inside one token
# ("offerEstablishing"): link text glued onto prose.  Requires >= 3 lower-case letters on the
# left so brand names like "iPhone"/"eBay" and "McDonald" do not fire.
GLUED_RE = regex.compile(r"(?<![\p{L}\p{N}])\p{Ll}{3,}\p{Lu}\p{Ll}{2,}(?![\p{L}\p{N}])")
# Half-width ASCII punctuation touching a Han character: MT systems trained on
# tokenised data emit "，" as "," and "。" as "."; edited Chinese rarely does.
HALFWIDTH_RE = regex.compile(r"(?<=\p{Han})[,;:?!](?!\d)|(?<=\p{Han})\.(?!\d)|[,;:](?=\p{Han})")


def hash_words(tokens: Iterable[str], prefix: str) -> list[int]:
    """Deterministic bucket ids for word features (CRC32 of ``prefix + token``)."""
    return [zlib.crc32((prefix + t).encode("utf-8")) & (HASH_SIZE - 1) for t in tokens]


def hash_chars(text: str) -> np.ndarray:
    """Bucket ids of all character 3..5-grams of ``" " + text + " "`` (vectorised)."""
    s = " " + text + " "
    codes = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    out = []
    for n in CHAR_NS:
        m = len(codes) - n + 1
        if m <= 0:
            continue
        h = np.full(m, _SALTS[n], dtype=np.uint64)
        for k in range(n):
            h = (h ^ codes[k : k + m]) * _PRIME
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
        out.append(h)
    if not out:
        return np.zeros(0, dtype=np.int64)
    return (np.concatenate(out) & np.uint64(HASH_SIZE - 1)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Statistics built from clean human sentences (``clean_en_zh``), shipped with the model.

    ``unigram`` maps a lower-cased word to its log-probability; words absent from
    it are out of vocabulary.  ``zh_bigram`` maps a Han character bigram to its
    log conditional probability.
    """

    unigram: dict[str, float]
    oov_logp: float
    zh_bigram: dict[str, float]
    zh_unigram: dict[str, float]
    zh_oov_logp: float
    function_words: frozenset[str] = frozenset()


# Words kept verbatim in the abstracted token sequence: the most frequent words of the
# clean sentences (300 covers the function words; not tuned).
N_FUNCTION_WORDS = 300


def function_words(unigram: dict[str, float], n: int = N_FUNCTION_WORDS) -> frozenset[str]:
    """The ``n`` most frequent words (ties broken alphabetically, so the set is deterministic)."""
    return frozenset(sorted(unigram, key=lambda w: (-unigram[w], w))[:n])


DENSE_NAMES = (
    "bias",
    "log_len",
    "oov_rate",
    "lower_oov_rate",
    "mean_uni_logp",
    "min_uni_logp",
    "repeat_rate",
    "glued",
    "zh_bigram_logp",
    "zh_min_bigram_logp",
    "caps_mid_rate",
    "is_zh",
)


def tokens(text: str) -> list[str]:
    """Words, numbers and single punctuation marks of ``text``."""
    out: list[str] = WORD_RE.findall(text)
    return out


_SUFFIXES = (
    "'s",
    "’s",
    "s",
    "es",
    "ed",
    "d",
    "ing",
    "ly",
    "er",
    "ers",
    "est",
    "ity",
    "ive",
    "ness",
    "ment",
    "ments",
    "al",
    "ally",
    "ation",
    "ations",
    "ism",
    "ist",
    "ists",
    "ize",
    "ized",
    "izing",
    "able",
    "ic",
    "ical",
    "ance",
    "ence",
)
_PREFIXES = (
    "re",
    "un",
    "non",
    "multi",
    "anti",
    "pre",
    "post",
    "over",
    "under",
    "inter",
    "counter",
    "semi",
    "sub",
    "super",
    "co",
    "de",
    "dis",
    "mis",
    "bi",
    "thermo",
    "micro",
    "macro",
    "mega",
    "cyber",
    "self",
)


# British spellings -> American ones (the clean sentences mix both): summarise, colour, centre, enrol.
_TO_US = {
    "is": "iz",
    "ys": "yz",
    "our": "or",
    "tre": "ter",
    "ll": "l",
    "rol": "roll",
    "ogue": "og",
    "ae": "e",
}
_BRITISH = regex.compile(r"(is|ys|our|tre|ll|rol|ogue|ae)(e|ed|es|ing|ation|ations|s|er|ers|ment|ments|)$")


def known_word(w: str, vocab: dict[str, float], depth: int = 2) -> bool:
    """In the clean vocabulary, directly or after removing one common prefix or suffix
    (restoring a final ``e`` / undoubling a consonant; recursively, ``depth`` times),
    or as a compound of two frequent vocabulary words ("layoff", "hardline").

    The clean sentences hold ~72k word types, too few for a dictionary; this
    morphology keeps "layoffs", "multilateral" or "reassurance" from being reported
    as non-words while invented words ("geosus", "gesterodes") still are.
    """
    if w in vocab:
        return True
    if depth == 0:
        return False
    us = _BRITISH.sub(lambda m: _TO_US[m.group(1)] + m.group(2), w)
    if us != w and us in vocab:
        return True
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            stem = w[: -len(suf)]
            if stem + "e" in vocab or (len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in vocab):
                return True
            if known_word(stem, vocab, depth - 1):
                return True
    for pre in _PREFIXES:
        rest = w[len(pre) :].lstrip("-")
        if w.startswith(pre) and len(rest) >= 4 and known_word(rest, vocab, depth - 1):
            return True
    for i in range(3, len(w) - 2):
        if vocab.get(w[:i], -99.0) > COMPOUND_MIN_LOGP and vocab.get(w[i:], -99.0) > COMPOUND_MIN_LOGP:
            return True
    return False


# Compound parts must be common words (log-probability above this, i.e. roughly the 5,000
# most frequent words of the clean sentences) so that "geo"+"sus" does not make "geosus" a word.
COMPOUND_MIN_LOGP = -11.0


def nonwords(text: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    """Lower-case alphabetic Latin words of >= 4 letters that are not :func:`known_word`.

    Capitalised words are skipped (names are legitimately rare); so are very
    short words (abbreviations).  The spans are candidates for ``non-word`` evidence.
    """
    out = []
    for m in ALPHA_RE.finditer(text):
        w = m.group()
        if len(w) >= 4 and w.islower() and w.isascii() and not known_word(w, lex.unigram):
            out.append((m.start(), m.end(), w))
    return out


def dense_features(text: str, lang: str, lex: Lexicon) -> np.ndarray:
    """The dense feature vector (order: :data:`DENSE_NAMES`) of one sentence."""
    f = np.zeros(len(DENSE_NAMES), dtype=np.float32)
    f[0] = 1.0
    toks = tokens(text)
    n = max(1, len(toks))
    f[1] = np.log1p(len(toks))
    words = [t for t in toks if t[:1].isalpha()]
    lw = [w.lower() for w in words if not HAN_RE.search(w)]
    if lw:
        logps = [lex.unigram.get(w, lex.oov_logp) for w in lw]
        oov = sum(1 for w in lw if w not in lex.unigram)
        f[2] = oov / len(lw)
        f[3] = len(nonwords(text, lex)) / len(lw)
        f[4] = float(np.mean(logps)) / 10.0
        f[5] = float(min(logps)) / 10.0
    # repeated word bigrams / repeated characters runs ("露天露天露天")
    big = list(itertools.pairwise(toks))
    if big:
        f[6] = (len(big) - len(set(big))) / len(big)
    if lang == "zh":
        han = [c for c in text if HAN_RE.match(c)]
        if len(han) >= 2:
            cb = [a + b for a, b in itertools.pairwise(han)]
            f[6] = max(f[6], (len(cb) - len(set(cb))) / len(cb))
            lp = [lex.zh_bigram.get(b, lex.zh_unigram.get(b[1], lex.zh_oov_logp) - 1.0) for b in cb]
            f[8] = float(np.mean(lp)) / 10.0
            f[9] = float(min(lp)) / 10.0
    f[7] = float(len(GLUED_RE.findall(text)))
    caps = [w for w in words[1:] if w[:1].isupper()]
    f[10] = len(caps) / n
    f[11] = 1.0 if lang == "zh" else 0.0
    return f


def abstract_tokens(toks: list[str], lex: Lexicon) -> list[str]:
    """Function words verbatim, every other word as a shape + frequency class (``l2``, ``Coov``).

    N-grams over this sequence describe grammar ("the l1 of the C3") rather than
    topic, which is what should transfer from the training texts to new ones.
    """
    out = []
    for t in toks:
        low = t.lower()
        if low in lex.function_words:
            out.append(low)
        elif t[:1].isdigit():
            out.append("<N>")
        elif t[:1].isalpha():
            lp = lex.unigram.get(low)
            out.append(
                ("C" if t[:1].isupper() else "l") + ("oov" if lp is None else str(min(4, int(-lp) // 3)))
            )
        else:
            out.append(t)
    return out


def sparse_features(text: str, lang: str, lex: Lexicon) -> np.ndarray:
    """Hashed bucket ids (with repeats) of one sentence; the row is later made binary."""
    low = text.lower()
    if lang == "zh":
        # characters carry the signal in Chinese; words are not delimited
        chars = hash_chars(" ".join(regex.sub(r"\s+", "", low)))
        return chars
    toks = [t.lower() for t in tokens(text)]
    w = hash_words(toks, "w:")
    b = hash_words([a + " " + c for a, c in zip(["<s>", *toks], [*toks, "</s>"], strict=False)], "b:")
    ab = ["<s>", *abstract_tokens(tokens(text), lex), "</s>"]
    grams = [" ".join(ab[i : i + n]) for n in (1, 2, 3, 4) for i in range(len(ab) - n + 1)]
    return np.concatenate(
        [hash_chars(" ".join(toks)), np.asarray(w + b + hash_words(grams, "a:"), dtype=np.int64)]
    )


# Sentence ends: Latin [.!?] (+ closing quotes) before whitespace and an upper-case letter,
# digit or opening quote; Chinese 。！？ (+ closing quotes) anywhere.  Lines always end a sentence.
_SENT_END = regex.compile(
    # the cheap lookaheads come first: the variable-length lookbehinds then run only at
    # candidate positions (before them, a run of 10,000 quotes made every position scan back)
    r"(?=\s)(?<!\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Gen|Sen|Rep|Gov|Inc|Co|Ltd|vs|No|[A-Z])\.)"
    r"(?<=[.!?][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[\p{Lu}\p{N}])"
    r"|(?![\"'”’」』）)])(?=\S)(?<=[。！？][\"'”’」』）)]*)"
)
_LINE_RE = regex.compile(r"[^\n]+")
_HAS_LETTER = regex.compile(r"\p{L}")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of sentences of ``text`` (whitespace trimmed, letterless skipped)."""
    spans: list[tuple[int, int]] = []
    for line in _LINE_RE.finditer(text):
        ls = line.start()
        pos = 0
        seg = line.group()
        cuts = [(m.start(), m.end()) for m in _SENT_END.finditer(seg)]
        for a, b in [*cuts, (len(seg), len(seg))]:
            piece = seg[pos:a]
            s = len(piece) - len(piece.lstrip())
            e = len(piece.rstrip())
            if e > s and _HAS_LETTER.search(piece):
                spans.append((ls + pos + s, ls + pos + e))
            pos = b
    return spans
