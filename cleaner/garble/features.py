"""Text helpers of the garble stage: sentence splitting, token regexes, the ``non-word`` lexicon check.

The model's features are computed vectorised in :mod:`cleaner.garble.vec`; what
stays here is per-match Python used only on the few spans shown as evidence
(:func:`known_word` with its small morphology) and the sentence splitter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

# Words for C-speed counts and prefilters (stdlib ``re`` findall: no per-word Python work).
FAST_WORDS_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
ALPHA_RE = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")
HAN_RE = regex.compile(r"\p{Han}")
# A lower-case run followed by an upper-case letter starting a lower-case word inside one token
# ("offerEstablishing"): link text glued onto prose.  Requires >= 3 lower-case letters on the
# left so brand names like "iPhone"/"eBay" and "McDonald" do not fire.
GLUED_RE = regex.compile(r"(?<![\p{L}\p{N}])\p{Ll}{3,}\p{Lu}\p{Ll}{2,}(?![\p{L}\p{N}])")
# Half-width ASCII punctuation touching a Han character: MT systems trained on
# tokenised data emit "，" as "," and "。" as "."; edited Chinese rarely does.
HALFWIDTH_RE = regex.compile(r"(?<=\p{Han})[,;:?!](?!\d)|(?<=\p{Han})\.(?!\d)|[,;:](?=\p{Han})")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """English word statistics of the clean human sentences (``clean_en_zh``), shipped with the model.

    ``unigram`` maps a lower-cased word to its log-probability; words absent from
    it (and from :func:`known_word`'s morphology) are reported as ``non-word``.
    """

    unigram: dict[str, float]


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


# Sentence ends: Latin [.!?] (+ closing quotes) before whitespace and an upper-case letter,
# digit or opening quote; Chinese 。！？ (+ closing quotes) anywhere.  Lines always end a sentence.
_SENT_END = regex.compile(
    # the cheap lookaheads come first: the variable-length lookbehinds then run only at
    # candidate positions (before them, a run of 10,000 quotes made every position scan back)
    r"(?=\s)(?<!\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Gen|Sen|Rep|Gov|Inc|Co|Ltd|vs|No|[A-Z])\.)"
    r"(?<=[.!?][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[\p{Lu}\p{N}])"
    r"|(?![\"'”’」』）)])(?=\S)(?<=[。！？][\"'”’」』）)]*)"
)
_HAS_LETTER = regex.compile(r"\p{L}")
# Where ``_SENT_END`` can match at all: right after a sentence mark and its closing quotes (the
# greedy run of them, which is where either branch's lookbehind ends).  Marks never occur inside a
# run of closers, so every such position is the end of one of these C-speed ``re`` matches.
_END_CANDIDATE = re.compile(r"[.!?][\"'”’)\]]*|[。！？][\"'”’」』）)]*")


_CLOSE_LATIN = frozenset("\"'”’)]")
_CLOSE_CJK = frozenset("\"'”’」』）)")


def end_candidates(text: str) -> list[int]:
    """``[m.end() for m in _END_CANDIDATE.finditer(text)]``: after each sentence mark, the end of its closers.

    Each mark starts one candidate (closers are no marks, so a match never covers the next mark), found by
    ``str.find`` per mark character (C speed, ~1 instruction a character) instead of ``re``'s set test at every
    position (~175 instructions a character on the dev texts; s8b).
    """
    found: list[int] = []
    append = found.append
    find = text.find
    for ch in ".!?" if text.isascii() else ".!?。！？":
        i = find(ch)
        while i >= 0:
            append(i)
            i = find(ch, i + 1)
    found.sort()
    n = len(text)
    out = []
    for i in found:
        closers = _CLOSE_LATIN if text[i] in ".!?" else _CLOSE_CJK
        j = i + 1
        while j < n and text[j] in closers:
            j += 1
        out.append(j)
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of sentences of ``text`` (whitespace trimmed, letterless skipped).

    The sentences of each line (``[^\n]+``) cut at ``_SENT_END``'s matches in that line.  One scan of the whole
    text (s8b): the end candidates never hold a newline, so the whole text's candidates are every line's; each
    is asked ``_SENT_END.match(text, p, line_end)``, which sees what the line alone shows (its lookbehinds read the
    mark, closers and abbreviation before ``p`` on the same line, and a word boundary at a line start reads a
    newline as it reads the string's start; ``endpos`` ends the whitespace run and the lookaheads at the line's
    end); the pieces between cuts are then cut at the newlines.  ~one Python call per line fewer than a scan per
    line (tests/garble/test_fast_paths.py compares the two).
    """
    spans: list[tuple[int, int]] = []
    append = spans.append
    has_letter = _HAS_LETTER.search
    match = _SENT_END.match
    find = text.find

    def pieces(lo: int, hi: int) -> None:
        for part in text[lo:hi].split("\n"):
            if has_letter(part):  # (a letter is no white space: the trimmed piece is not empty)
                core = part.lstrip()
                s = lo + len(part) - len(core)
                append((s, s + len(core.rstrip())))
            lo += len(part) + 1

    n = len(text)
    pos = last = 0
    line_end = -1
    for p in end_candidates(text):
        if p < last:
            continue
        if p > line_end:
            line_end = find("\n", p)
            if line_end < 0:
                line_end = n
        m = match(text, p, line_end)
        if m is not None:
            a, last = m.span()
            pieces(pos, a)
            pos = last
    pieces(pos, n)
    return spans
