"""Document garble scoring: a bounded sample of sentences -> calibrated document score + evidence.

Cost is bounded per document.  Texts up to :data:`FULL_SPLIT_CHARS` characters are
analysed in full.  Longer texts are *screened* first: one complete sentence from each of
:data:`SAMPLE_SENTENCES` evenly spaced windows (deterministic), scored in one vectorised
batch; if that score is below the flag threshold, it is the document's score and no
evidence is collected.  Only flag candidates get the full analysis (up to
:data:`ANALYSE_SENTENCES` sentences of the whole text, entity swaps over the whole text,
evidence).  Fluent documents, the common case, therefore cost a sample, not their length.
"""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
import regex

from ..config import Config
from ..document import Evidence, Garble
from .features import _CLOSE_CJK, _CLOSE_LATIN, HAN_RE, split_sentences
from .features import FAST_WORDS_RE as _FAST_WORDS
from .lm import least_likely_bigrams
from .model import GarbleModel, aggregate, load_model, sigmoid
from .nn import _native
from .signals import (
    ascii_word_bytes,
    entity_swaps,
    glued_words,
    halfwidth_punctuation,
    has_tortured_head,
    nonword_candidates,
    nonword_evidence,
    tortured_phrases,
    word_bytes,
)
from .vec import (
    _Q,
    _SALT,
    DENSE_NAMES,
    HASH_SIZE,
    LET,
    Batch,
    Tables,
    Tokens,
    _vals,
    fingerprint,
    lookup,
    word_bigram_buckets,
)

SUPPORTED = ("en", "zh")
SAMPLE_SENTENCES = 8
"""Sentences scored by the model per document.  Benchmark items have 1-4 sentences, so this
only bounds long articles; the document score is the calibrated *mean* sentence logit, which
8 evenly spread sentences estimate well enough (chosen for the speed budget of ~60 ms per MB of
text, not tuned on any benchmark)."""
ANALYSE_SENTENCES = 32
"""Sentences scored in the full analysis of a long document whose sample scored as garbled
(flag candidates only): the flag decision and its evidence come from this larger set.  32, not
64: candidates are ~17% of long real pages and this analysis was ~30% of the stage's time; the
seed 003's artifacts are all still found with 32 (evenly spaced over its 45 sentences)."""
FULL_SPLIT_CHARS = 3000
"""Texts up to this length are split into sentences in full; longer texts are sampled."""
WINDOW_CHARS = 600
"""Size of each sampling window of a long text: room for one complete sentence of ~300 chars."""
# Logit boost per explicit signal kind (value, cap).  These are priors, not fitted:
# entity swaps, tortured phrases and glued words (almost) never occur in the
# mtgarble items, so no calibration data exists for them.  Chosen by hand: one entity
# swap plus one other signal (+2.0 logits) moves a document from 0.3 to ~0.75, while a
# single glued word (+0.5) moves a 0.35 document only to ~0.47.
BOOST = {"entity-swap": (1.5, 2.0), "tortured-phrase": (0.75, 1.5), "glued-words": (0.5, 1.0)}
# A word bigram whose hashed weight exceeds this (the 99th percentile of the positive
# weights of the shipped table is 0.34) is reported as ``unlikely-ngram`` inside a garbled
# sentence.  Bigrams never seen in training have weight ~0, so nonsense collocations
# ("lumpy chips") are *not* found this way; their sentences are reported instead.
NGRAM_EVIDENCE_MIN = 0.35
# Otherwise the clean-text trigram LM names the word bigram whose second word is least expected
# after its two predecessors relative to its frequency, when log P(w | u v) - log P(w) is at most
# this (the word is ~55x rarer there than overall).  Set by hand, evidence only (never moves a score).
LM_EVIDENCE_GAIN = -4.0
# At most this many garbled sentences (most garbled first) are listed as evidence.
MAX_SENTENCE_EVIDENCE = 25
EXPLICIT = frozenset({"entity-swap", "tortured-phrase", "glued-words", "non-word"})
# Unigram log-probability above which a word counts as a function word (~ the 200 most
# frequent words of the clean sentences).
FUNCTION_WORD_LOGP = -7.5

_STOP_EN = frozenset(
    "the of and to a in is was that for it on with as by at from be this are were have has had not or "
    "but an which they he she his her their its will would can been who said also more one i you we me "
    "him them my your our these those there what when where how if so do does did don t s all any".split()
)
_LATIN = regex.compile(r"[A-Za-z]")
# Runs of letters of any script but Han (the other letters must be Latin as well: counting only Latin
# words let Cyrillic, Thai or Arabic text with four Han characters pass for Chinese); 50 of the 52
# train Chinese items route the same.
_OTHER_WORD = regex.compile(r"[\p{L}--\p{Han}]+", flags=regex.V1)
_LETTER = regex.compile(r"\p{L}")
# Function words of other Latin-script languages that are not English words.
_STOP_OTHER = frozenset(
    "le la les des et est une du au aux dans pour sur qui der die das und ist nicht mit den dem ein eine "
    "el los las y que del por para una con es il di che della per sono da em não uma os het een van "
    "zijn".split()
)
_NON_ASCII_LATIN = regex.compile(r"[\p{Latin}--[A-Za-z]]", regex.V1)
_KANA_HANGUL = regex.compile(r"[\p{Hiragana}\p{Katakana}\p{Hangul}]")


def detect_language(text: str) -> str:
    """Cheap script + stopword guess: ``zh``, ``en`` or a placeholder for anything else.

    Han-dominated text (and no kana/hangul) is Chinese, also when Latin names and references
    take most of its letters but Han characters are > 30% of Han characters plus other words
    (7 of the 52 train Chinese items were routed away without that, 2 now); Latin text is English when
    its common English function words outnumber those of French, German, Spanish,
    Italian, Portuguese and Dutch and either make up 12% of its words (any one, in a
    < 8-word text) or >= 70% of its words are in the clean English vocabulary
    (headlines such as "Tooth Gemination" have no function words).  Everything
    else is ``und`` (undetermined), which the scorer reports as unsupported.
    """
    sample = text[:3000]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return "und"
    han = len(HAN_RE.findall(sample))
    if han / letters > 0.3:
        return "ja" if len(_KANA_HANGUL.findall(sample)) > 0.1 * letters else "zh"
    if (han >= 4 and han > 0.3 * (han + len(_OTHER_WORD.findall(sample))) and not _KANA_HANGUL.search(sample)
            and len(_LATIN.findall(sample)) >= 0.8 * (letters - han)):
        return "zh"  # Chinese with Latin names and references: a Han character is a morpheme, not a letter
    if len(_LATIN.findall(sample)) / letters < 0.8:
        return "und"
    words = [w.lower() for w in regex.findall(r"\p{L}+", sample)]
    stops = sum(1 for w in words if w in _STOP_EN)
    foreign = sum(1 for w in words if w in _STOP_OTHER)
    if (
        foreign > stops
        or (foreign and foreign == stops)
        or (len(_NON_ASCII_LATIN.findall(sample)) > 0.05 * letters and foreign)
    ):
        return "und"  # French, German, Spanish, ... function words or accents: not English
    if stops / len(words) >= 0.12 or (len(words) < 8 and stops > 0):
        return "en"
    # headlines and short lines without function words: mostly English vocabulary?
    vocab = load_model().lexicon.unigram
    if sum(1 for w in words if w in vocab) >= 0.7 * len(words):
        return "en"
    return "und"


_URL_OR_MAIL = re.compile(r"https?://|www\.|\S@\S")


# stdlib ``re`` tokens (words, numbers, single marks): C-speed counts
_FAST_TOKENS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*|[^\s\w]|_")


def is_prose(sentence: str, lang: str, *, url_free: bool = False) -> bool:
    """Whether a sentence is prose the sentence model can judge.

    Addresses, e-mail/URL lines, captions of two words and number tables were never
    in the training data and score as garbled; they are skipped (a document made
    only of such lines is scored on all of them).  English: >= 4 words and at least
    half of the tokens alphabetic; Chinese: >= 6 Han characters.  ``url_free``: the
    caller knows the sentence holds no URL or e-mail address (its whole text has none).
    """
    if (not url_free and ("@" in sentence or "www." in sentence or "http" in sentence)
            and _URL_OR_MAIL.search(sentence)):  # (_may_hold_url, inline)
        return False
    if lang == "zh":
        return len(HAN_RE.findall(sentence)) >= 6
    if sentence.isascii():
        # (_ascii_word_stats with one call fewer per sentence)
        t = word_bytes(sentence.encode("ascii"), _WORD_STAT_BYTES)
        n_words, word_chars = t.count(b" a") + t.startswith(b"a"), len(t) - t.count(b" ")
    else:
        words = _FAST_WORDS.findall(sentence)
        n_words, word_chars = len(words), sum(map(len, words))
    if n_words < 4:
        return False
    # The other tokens (numbers, marks, underscores) take at least one character each that is
    # neither in a word nor an ASCII space: when the words are at least as many as such
    # characters, they are at least half of the tokens, and the token scan is not needed.
    if n_words >= len(sentence) - word_chars - sentence.count(" "):
        return True
    return n_words >= 0.5 * len(_FAST_TOKENS.findall(sentence))


def _prose_flags(text: str, spans: list[tuple[int, int]], lang: str, url_free: bool) -> list[bool]:
    """``[is_prose(text[a:b], lang, url_free=url_free) for a, b in spans]``, the word counts of English spans
    taken from one translation of the whole text.

    :func:`_ascii_word_stats` of a sentence only reads its own bytes of :func:`ascii_word_bytes`, and those are
    the sentence's bytes of the whole text's translation except for an apostrophe at either end (whether it is
    kept depends on the character beyond it): spans with one there, spans holding a non-ASCII character (the
    translation of ``encode("ascii", "replace")`` has a ``?`` where the text has none) and, unless ``url_free``,
    spans that may hold a URL (:func:`_may_hold_url`, by bounded ``str.find``) take :func:`is_prose`.
    ``bytes.count`` with bounds then replaces a slice, an encoding and a translation per sentence (8,700
    sentences of the short texts and 3,300 of the flag candidates on the dev pages).
    """
    if lang == "zh" or len(spans) < 2:
        return [is_prose(text[a:b], lang, url_free=url_free) for a, b in spans]
    ascii_text = text.isascii()
    data = text.encode("ascii", "replace")
    t = word_bytes(data, _WORD_STAT_BYTES)
    out = []
    for a, b in spans:
        if (b <= a or text[a] == "'" or text[b - 1] == "'"
                or (not ascii_text and data.count(b"?", a, b) != text.count("?", a, b))
                or (not url_free and (text.find("@", a, b) >= 0 or text.find("www.", a, b) >= 0
                                      or text.find("http", a, b) >= 0))):  # (_may_hold_url of the sentence)
            out.append(is_prose(text[a:b], lang, url_free=url_free))
            continue
        n_words = t.count(b" a", a, b) + (t[a] == 0x61)
        if n_words < 4:
            out.append(False)
        elif n_words >= t.count(b" ", a, b) - text.count(" ", a, b):  # (b - a) - word_chars - spaces
            out.append(True)
        else:
            out.append(n_words >= 0.5 * len(_FAST_TOKENS.findall(text[a:b])))
    return out


def _may_hold_url(text: str) -> bool:
    """Whether ``_URL_OR_MAIL`` can match in ``text``: each of its branches needs one of these substrings
    (three C-speed substring scans; the regex tries its branches at every position)."""
    return "@" in text or "www." in text or "http" in text


_WORD_STAT_BYTES = bytes(0x61 if chr(b).isalpha() else (0x27 if b == 0x27 else 0x20) for b in range(128)) + bytes(
    [0x20] * 128
)
"""Byte table for ASCII text: a letter to ``a``, the apostrophe kept, anything else to a space."""


def _ascii_word_stats(sentence: str) -> tuple[int, int]:
    """(number of ``_FAST_WORDS`` words, characters in them) of an ASCII ``sentence``, without building the words.

    On ASCII text ``_FAST_WORDS`` is ``[A-Za-z]+(?:'[A-Za-z]+)*``: in :func:`ascii_word_bytes` with
    letters mapped to ``a`` the words are the runs that are not spaces (each starts with ``a``).
    ``findall`` paid ~480 instructions per character and a string per word.
    """
    t = ascii_word_bytes(sentence, _WORD_STAT_BYTES)
    return t.count(b" a") + t.startswith(b"a"), len(t) - t.count(b" ")


def _norm_lang(language: str | None, text: str) -> str:
    if not language:
        return detect_language(text)
    return _norm_code(language)


@functools.lru_cache(maxsize=256)
def _norm_code(language: str) -> str:
    """``"en-US"`` -> ``"en"`` (cached: a stream of documents brings the same few codes)."""
    return regex.split(r"[-_]", language.strip().lower())[0] or "und"


# Where a sentence may end, for sampling long texts (no abbreviation handling: a sample only
# needs sentence-like pieces, and stdlib ``re`` is several times faster than the full splitter).
_BOUNDARY = re.compile(r"[\n.!?。！？](?:(?<=\n)|(?<=[.!?])[\"'”’)\]]*(?=\s)|(?<=[。！？])[\"'”’」』）)]*)")
r"""``\n|[.!?][\"'”’)\]]*(?=\s)|[。！？][\"'”’」』）)]*`` with the first character taken out of the
alternation: a pattern that starts with one character class lets ``re`` skip to the next candidate
character at C speed, where the alternation was tried at every position (~300 instructions per
character over a flag candidate's whole text).  Same matches (tests/garble/test_fast_paths.py)."""


def _boundaries(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """``[m.span() for m in _BOUNDARY.finditer(text, lo, hi)]``, by ``str.find`` (s8b).

    A match starts at each newline (one character), at each ``[.!?]`` whose closers (greedy, up to ``hi``) are
    followed by white space before ``hi`` (``re``'s ``\\s`` on ``str`` is ``str.isspace``), and at each CJK mark
    (with its closers up to ``hi``); the closers are no marks, so no match covers another's start and ``finditer``
    finds them all, as ``search`` from any match's end finds the next.  ``str.find`` per character replaces
    ``re``'s scan of every position (~100 instructions a character).
    """
    found: list[int] = []
    append = found.append
    find = text.find
    for ch in "\n.!?" if text.isascii() else "\n.!?。！？":
        i = find(ch, lo, hi)
        while i >= 0:
            append(i)
            i = find(ch, i + 1, hi)
    found.sort()
    out = []
    for i in found:
        c = text[i]
        j = i + 1
        if c == "\n":
            out.append((i, j))
        elif c in ".!?":
            while j < hi and text[j] in _CLOSE_LATIN:
                j += 1
            if j < hi and text[j].isspace():
                out.append((i, j))
        else:
            while j < hi and text[j] in _CLOSE_CJK:
                j += 1
            out.append((i, j))
    return out


def _next_end(text: str, pos: int, endpos: int) -> int:
    """The end of ``_BOUNDARY.search(text, pos, endpos)``, -1 when it finds none (``bnd_next``'s Python path)."""
    m = _BOUNDARY.search(text, pos, endpos)
    return -1 if m is None else m.end()


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    piece = text[a:b]
    return a + len(piece) - len(piece.lstrip()), a + len(piece.rstrip())


def sample_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """The sentences scored: all prose sentences of a short text, a deterministic sample of a long one.

    Short texts (<= :data:`FULL_SPLIT_CHARS`): every sentence, prose only when there is prose
    (:func:`is_prose`), evenly thinned to :data:`SAMPLE_SENTENCES`.  Long texts: from each of
    :data:`SAMPLE_SENTENCES` windows of :data:`WINDOW_CHARS` at evenly spaced offsets, the first
    complete prose sentence (not cut by the window's edges); if no window yields one, the
    first :data:`FULL_SPLIT_CHARS` characters are split in full.
    """
    if len(text) <= FULL_SPLIT_CHARS:
        spans = split_sentences(text)
        url_free = not _may_hold_url(text) or _URL_OR_MAIL.search(text) is None  # (then no sentence has one)
        prose = [sp for sp, ok in zip(spans, _prose_flags(text, spans, lang, url_free), strict=True) if ok]
        spans = prose or spans
        return _thin(spans, SAMPLE_SENTENCES)
    out: list[tuple[int, int]] = []
    last_end = 0
    next_end = _native.bnd_next if _native is not None else _next_end  # (s8b: _BOUNDARY.search, compiled)
    step = (len(text) - WINDOW_CHARS) / (SAMPLE_SENTENCES - 1)
    for k in range(SAMPLE_SENTENCES):
        w0 = max(last_end, round(k * step))
        w1 = min(len(text), w0 + WINDOW_CHARS)
        # a sentence starts at the text start or after a boundary; the first boundary of the
        # window ends whatever sentence the window cut into
        pos = w0
        if w0 > 0 and text[w0 - 1] != "\n":
            pos = next_end(text, w0, w1)
            if pos < 0:
                continue
        for _ in range(3):
            e = next_end(text, pos, w1)
            if e < 0:
                if w1 < len(text):
                    break
                end = len(text)
            else:
                end = e
            a, b = _trim(text, pos, end)
            if b - a > 1 and is_prose(text[a:b], lang):
                out.append((a, b))
                last_end = end
                break
            pos = end
            if e < 0:
                break
    if not out:
        return sample_spans(text[:FULL_SPLIT_CHARS], lang)
    return out


def score_garble(text: str, language: str | None = None, config: Config | None = None) -> Garble:
    """Score ``text`` for machine-translation garbling (0 = fluent, 1 = garbled).

    The score is a calibrated probability over a bounded sample of sentences
    (:func:`sample_spans`).  ``flagged`` needs ``score >= config.garble_threshold`` and
    either an explicit signal (entity swap anywhere; tortured phrase, glued words or
    non-word inside a garbled sentence) or, on the sentence model alone, ``score >=
    garble_strict_threshold``; a flag always comes with evidence (the sentences that
    drove it and the signals, with offsets).  Languages other than English and Chinese
    give ``score=None`` and ``reason="unsupported-language:xx"``.
    """
    cfg = config or Config()
    threshold = cfg.garble_threshold
    lang = _norm_lang(language, text)
    if lang not in SUPPORTED:
        return Garble(None, False, (), f"unsupported-language:{lang}")
    spans = sample_spans(text, lang)
    if not spans:
        return Garble(None, False, (), "no-text")
    model = load_model()
    long = len(text) > FULL_SPLIT_CHARS
    sents, logits, batch, sent_p, explicit, score = _analyse(text, spans, lang, model, whole_text=not long)
    if long:
        if score < threshold:
            # not a flag candidate: the sample's score stands, evidence is not worth its cost
            # (short texts always get the full analysis and their evidence, flagged or not)
            return Garble(
                score,
                False,
                tuple(sorted(explicit, key=lambda e: (e.start, e.end))),
                None,
                _sentence_records(spans, sents, sent_p),
            )
        # a flag candidate: full analysis of up to ANALYSE_SENTENCES sentences of the whole text
        spans = _all_prose(text, lang, ANALYSE_SENTENCES)
        sents, logits, batch, sent_p, explicit, score = _analyse(text, spans, lang, model, whole_text=True)
    sentences = _sentence_records(spans, sents, sent_p)
    evidence: list[Evidence] = []
    # sentences that drove the score, most garbled first
    order = np.argsort(-logits, kind="stable")
    driving = [int(k) for k in order if sent_p[k] >= threshold][:MAX_SENTENCE_EVIDENCE]
    for k in driving:
        a, b = spans[k]
        evidence.append(Evidence(text[a:b], "garbled-sentence", a, b, round(float(sent_p[k]), 4)))
    if lang == "en":
        evidence += _unlikely_ngrams(text, spans, driving, batch, model)
    evidence += explicit
    if lang == "en":
        # (only sentences holding one of the document's non-word candidates can have such evidence)
        cands = nonword_candidates("\n".join(sents), model.lexicon)
        for (a, _), sent in zip(spans, sents, strict=True):
            if cands and any(w in sent for w in cands):
                evidence += [
                    Evidence(e.text, e.signal, e.start + a, e.end + a, e.weight)
                    for e in nonword_evidence(sent, model.lexicon, cands)
                ]
    elif driving:
        # Half-width punctuation is common in fluent web Chinese too (seed-like news pages use it
        # throughout), so it never moves the score; it is shown only inside a flagged document.
        for k in driving:
            a = spans[k][0]
            evidence += [
                Evidence(e.text, e.signal, e.start + a, e.end + a, e.weight) for e in halfwidth_punctuation(sents[k])
            ]
    evidence.sort(key=lambda e: (e.start, e.end, e.signal))
    # A flag needs the score plus either an explicit signal inside a garbled sentence (or an
    # entity swap anywhere) or, on the model alone, the stricter threshold (see Config).
    strict = cfg.garble_strict_threshold
    if strict is None:
        strict = float(model.meta.get("strict_threshold", threshold))
    # (s8: the evidence scan only where it can decide the flag)
    flagged = bool(evidence) and score >= threshold and (score >= strict or any(
        e.signal == "entity-swap"
        or (e.signal in EXPLICIT and any(spans[k][0] <= e.start < spans[k][1] for k in driving))
        for e in evidence
    ))
    return Garble(score, flagged, tuple(evidence), None, sentences)


def fast_split(text: str) -> list[tuple[int, int]]:
    """Sentence-like pieces of ``text`` cut at :data:`_BOUNDARY` (C-speed; no abbreviation rules)."""
    return [_trim(text, a, b) for a, b in _pieces(text)]


def _pieces(text: str) -> list[tuple[int, int]]:
    """The untrimmed spans of :func:`fast_split`'s pieces: those between boundaries that are not blank.

    A piece trims to nothing exactly when it is empty or all white space (``str.isspace``, what
    ``strip`` removes), so the pieces can be counted and thinned before any is trimmed.
    """
    if _native is not None:
        # (s8b) the scan, the pieces and their blank test in one compiled pass
        pieces: list[tuple[int, int]] = _native.bnd_pieces(text)
        return pieces
    ends = [j for _, j in _boundaries(text, 0, len(text))]  # (s8b: was _BOUNDARY.finditer)
    ends.append(len(text))
    return [(a, b) for a, b in itertools.pairwise([0, *ends]) if b > a and not text[a:b].isspace()]


def _all_prose(text: str, lang: str, cap: int) -> list[tuple[int, int]]:
    """All prose sentences of ``text`` (all sentences if none is prose), evenly thinned to ``cap``.

    Long texts only (flag candidates): cut as :func:`fast_split` cuts, not by the full splitter; only
    the pieces kept by the first thinning are trimmed (a flag candidate's text has thousands).
    """
    spans = [_trim(text, a, b) for a, b in _thin(_pieces(text), 3 * cap)]  # bound the prose test too
    prose = [sp for sp, ok in zip(spans, _prose_flags(text, spans, lang, False), strict=True) if ok]
    return _thin(prose or spans, cap)


def _thin(spans: list[tuple[int, int]], cap: int) -> list[tuple[int, int]]:
    """At most ``cap`` of ``spans``, evenly spaced over the text (first and last kept)."""
    if len(spans) <= cap:
        return spans
    return [spans[k] for k in _thin_positions(len(spans), cap)]


@functools.lru_cache(maxsize=1024)
def _thin_positions(n: int, cap: int) -> tuple[int, ...]:
    """The positions :func:`_thin` keeps of ``n`` spans (cached: the same few counts recur)."""
    return tuple(np.unique(np.linspace(0, n - 1, cap).round().astype(np.int64)).tolist())


def _sentence_records(spans: list[tuple[int, int]], sents: list[str], sent_p: np.ndarray) -> tuple[dict, ...]:
    # (tolist: the same doubles as float(p), without a numpy scalar per sentence)
    return tuple(
        {"text": s, "start": a, "end": b, "score": round(p, 4)}
        for (a, b), s, p in zip(spans, sents, sent_p.tolist(), strict=True)
    )


def _analyse(
    text: str, spans: list[tuple[int, int]], lang: str, model: GarbleModel, whole_text: bool
) -> tuple[list[str], np.ndarray, Batch, np.ndarray, list[Evidence], float]:
    """Sentence logits of ``spans`` (one batch), explicit signals, and the calibrated document score.

    Tortured phrases and glued words are looked for in the scored sentences; entity swaps in
    the whole text (``whole_text``) or in the scored sentences only (the cheap screening pass).
    """
    sents = [text[a:b] for a, b in spans]
    logits, batch = model.batch_logits(sents, lang)
    sent_p = model.calibrate_many(logits, lang)
    explicit: list[Evidence] = []
    sample = "\n".join(sents)
    if whole_text:
        explicit += entity_swaps(text, model.acronyms)
    else:
        swaps = entity_swaps(sample, model.acronyms)
        starts = np.cumsum([0] + [len(x) + 1 for x in sents]) if swaps else np.zeros(0, dtype=np.int64)
        for e in swaps:
            k = int(np.searchsorted(starts, e.start, side="right")) - 1
            shift = spans[k][0] - int(starts[k])
            explicit.append(Evidence(e.text, e.signal, e.start + shift, e.end + shift, e.weight))
    check_tortured = has_tortured_head(sample, model.tortured)
    check_glued = lang != "zh" and bool(batch.dense[:, DENSE_NAMES.index("glued")].any())
    if check_tortured or check_glued:
        for (a, _), sent in zip(spans, sents, strict=True):
            found = (tortured_phrases(sent, model.tortured) if check_tortured else []) + (
                glued_words(sent) if check_glued else []
            )
            explicit += [Evidence(e.text, e.signal, e.start + a, e.end + a, e.weight) for e in found]
    score = model.calibrate(aggregate(logits), _boost(explicit), lang)
    return sents, logits, batch, sent_p, explicit, score


def _boost(explicit: list[Evidence]) -> float:
    """Logit boost of the explicit signals (:data:`BOOST`: per distinct span, capped per kind)."""
    boost = 0.0
    if not explicit:
        return boost  # (s8) each kind adds min(cap, per * 0) = 0.0: the same 0.0
    for signal, (per, cap) in BOOST.items():
        distinct = {e.text.lower() for e in explicit if e.signal == signal}
        boost += min(cap, per * len(distinct))
    return boost


def _unl_native(tok: Tokens, tab: Tables, model: GarbleModel, found: np.ndarray, pos: np.ndarray) -> bool:
    """Whether ``unl_best`` takes this batch: the kernel is built and every array has the dtype it reads (uint64
    hashes, int64 owners and positions, uint8 classes, bool found, float32 vocabulary values and sparse weights of
    :data:`~cleaner.garble.vec.HASH_SIZE` buckets), each C-contiguous."""
    return (
        _native is not None and tok.h.dtype == np.uint64 and tok.seg.dtype == np.int64 and tok.cls.dtype == np.uint8
        and found.dtype == np.bool_ and pos.dtype == np.int64 and tab.vocab_logp.dtype == np.float32
        and model.w_sparse.dtype == np.float32 and model.w_sparse.shape == (HASH_SIZE,)
        and all(a.flags.c_contiguous for a in (tok.h, tok.seg, tok.cls, found, pos, tab.vocab_logp, model.w_sparse))
    )


def _unlikely_ngrams(
    text: str, spans: list[tuple[int, int]], driving: list[int], batch: Batch, model: GarbleModel
) -> list[Evidence]:
    """Per driving sentence, the word bigram whose learned weight most pushes it towards garbled.

    Only bigrams of two words with at least one content word (rarer than the ~200
    most frequent words) are candidates: "of the" may carry weight in the model
    but tells a reader nothing.  One vectorised pass over the batch's tokens.
    """
    tok = batch.tokens
    if len(tok.h) < 2 or not driving:
        return []
    tab = model.tables
    found, pos = lookup(tab.vocab, fingerprint(tok.h))
    bounds = np.searchsorted(tok.seg[:-1], np.arange(len(spans) + 1))
    lp: np.ndarray | None = None
    if _unl_native(tok, tab, model, found, pos):
        # (s8) the weights, the candidate mask and each driving sentence's argmax in one compiled pass
        drv = np.array(driving, dtype=np.int64)
        best_arr, w_arr = np.empty(len(drv), dtype=np.int64), np.empty(len(drv), dtype=np.float64)
        _native.unl_best(tok.h, tok.seg, tok.cls, found.view(np.uint8), pos, tab.vocab_logp, model.w_sparse,
                         int(_SALT["a2"]), _Q, HASH_SIZE - 1, LET, FUNCTION_WORD_LOGP, bounds, drv, best_arr, w_arr)
        picks = list(zip(driving, best_arr.tolist(), w_arr.tolist(), strict=True))
    else:
        weights = model.w_sparse[word_bigram_buckets(tok)].astype(np.float64)
        lp = _vals(tab.vocab_logp, pos, found, -99.0)
        ok = (tok.seg[:-1] == tok.seg[1:]) & (tok.cls[:-1] == LET) & (tok.cls[1:] == LET)
        ok &= np.minimum(lp[:-1], lp[1:]) <= FUNCTION_WORD_LOGP
        weights[~ok] = -np.inf
        picks = []
        for k in driving:
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            best = lo + int(np.argmax(weights[lo:hi])) if hi > lo else -1
            picks.append((k, best, float(weights[best]) if best >= 0 else 0.0))
    out = []
    missing = []
    for k, best, weight in picks:
        base = spans[k][0] - int(batch.offs[k]) - 1
        if best >= 0 and weight >= NGRAM_EVIDENCE_MIN:
            s, e = int(tok.start[best]) + base, int(tok.end[best + 1]) + base
            out.append(Evidence(text[s:e], "unlikely-ngram", s, e, round(sigmoid(weight), 4)))
        else:
            missing.append(k)
    if missing and tab.lm is not None:
        # the trigram LM's least expected word bigram, for driving sentences without a high-weight bigram
        if lp is None:
            lp = _vals(tab.vocab_logp, pos, found, -99.0)
        pick, gain = least_likely_bigrams(tab.lm, tok, len(spans), lp <= FUNCTION_WORD_LOGP)
        for k in missing:
            if pick[k] >= 1 and gain[k] <= LM_EVIDENCE_GAIN:
                i = int(pick[k])
                base = spans[k][0] - int(batch.offs[k]) - 1
                s, e = int(tok.start[i - 1]) + base, int(tok.end[i]) + base
                out.append(Evidence(text[s:e], "unlikely-ngram", s, e, round(sigmoid(-float(gain[k])), 4)))
        out.sort(key=lambda ev: ev.start)
    return out
