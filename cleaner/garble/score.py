"""Document garble scoring: sentences -> calibrated document score + evidence."""

from __future__ import annotations

import itertools

import numpy as np
import regex

from ..config import Config
from ..document import Evidence, Garble
from .features import HAN_RE, HASH_SIZE, WORD_RE, hash_words, split_sentences
from .model import aggregate, load_model, sigmoid
from .signals import entity_swaps, glued_words, halfwidth_punctuation, nonword_evidence, tortured_phrases

SUPPORTED = ("en", "zh")
# Sentences scored per document: beyond this the document score is already stable
# and a pathological input cannot take minutes.
MAX_SENTENCES = 2000
MODEL_SAMPLE = 64
"""Sentences scored by the model per document (evenly spaced).  Benchmark items have 1-4
sentences, so this only bounds long articles: dev pages average ~175 sentences, and the
model was 2/3 of the plain-text pipeline's time before the cap (bench/results/speed.md)."""
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

    Han-dominated text (and no kana/hangul) is Chinese; Latin text is English when
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


_URL_OR_MAIL = regex.compile(r"https?://|www\.|\S@\S")


def is_prose(sentence: str, lang: str) -> bool:
    """Whether a sentence is prose the sentence model can judge.

    Addresses, e-mail/URL lines, captions of two words and number tables were never
    in the training data and score as garbled; they are skipped (a document made
    only of such lines is scored on all of them).  English: >= 4 words and at least
    half of the tokens alphabetic; Chinese: >= 6 Han characters.
    """
    if _URL_OR_MAIL.search(sentence):
        return False
    if lang == "zh":
        return len(HAN_RE.findall(sentence)) >= 6
    toks = WORD_RE.findall(sentence)
    words = [t for t in toks if t[:1].isalpha()]
    return len(words) >= 4 and len(words) >= 0.5 * len(toks)


def _norm_lang(language: str | None, text: str) -> str:
    if not language:
        return detect_language(text)
    return regex.split(r"[-_]", language.strip().lower())[0] or "und"


def score_garble(text: str, language: str | None = None, config: Config | None = None) -> Garble:
    """Score ``text`` for machine-translation garbling (0 = fluent, 1 = garbled).

    The score is a calibrated probability.  ``flagged`` needs ``score >=
    config.garble_threshold`` and either an explicit signal (entity swap anywhere;
    tortured phrase, glued words or non-word inside a garbled sentence) or, on the
    sentence model alone, ``score >= garble_strict_threshold``; a flag always comes
    with evidence (the sentences that drove it and the signals, with offsets).  Languages other
    than English and Chinese give ``score=None`` and ``reason="unsupported-language:xx"``.
    """
    cfg = config or Config()
    threshold = cfg.garble_threshold
    lang = _norm_lang(language, text)
    if lang not in SUPPORTED:
        return Garble(None, False, (), f"unsupported-language:{lang}")
    spans = split_sentences(text)[:MAX_SENTENCES]
    if not spans:
        return Garble(None, False, (), "no-text")
    prose = [sp for sp in spans if is_prose(text[sp[0] : sp[1]], lang)]
    spans = prose or spans
    if len(spans) > MODEL_SAMPLE:
        # the document score is the calibrated *mean* sentence logit: an evenly spaced,
        # deterministic sample estimates it at a bounded cost (explicit signals below still
        # scan the whole text)
        keep = np.unique(np.linspace(0, len(spans) - 1, MODEL_SAMPLE).round().astype(np.int64))
        spans = [spans[int(k)] for k in keep]
    model = load_model()
    logits = np.empty(len(spans))
    for k, (a, b) in enumerate(spans):
        logits[k] = model.sentence_logit(text[a:b], lang)[0]
    sent_p = [model.calibrate(aggregate(logits[k : k + 1]), 0.0, lang) for k in range(len(spans))]

    explicit: list[Evidence] = []
    explicit += entity_swaps(text, model.acronyms)
    explicit += tortured_phrases(text, model.tortured)
    explicit += glued_words(text)
    boost = 0.0
    for signal, (per, cap) in BOOST.items():
        distinct = {e.text.lower() for e in explicit if e.signal == signal}
        boost += min(cap, per * len(distinct))
    score = model.calibrate(aggregate(logits), boost, lang)

    evidence: list[Evidence] = []
    # sentences that drove the score, most garbled first
    order = sorted(range(len(spans)), key=lambda k: -logits[k])
    driving = [k for k in order if sent_p[k] >= threshold][:MAX_SENTENCE_EVIDENCE]
    for k in driving:
        a, b = spans[k]
        evidence.append(Evidence(text[a:b], "garbled-sentence", a, b, round(sent_p[k], 4)))
        if lang == "en":
            evidence += _unlikely_ngrams(text, a, b, model.w_sparse, model.lexicon.unigram)
    evidence += explicit
    if lang == "en":
        evidence += nonword_evidence(text, model.lexicon)
    elif driving:
        # Half-width punctuation is common in fluent web Chinese too (seed-like news pages use it
        # throughout), so it never moves the score; it is shown only inside a flagged document.
        evidence += [
            e for k in driving for e in halfwidth_punctuation(text) if spans[k][0] <= e.start < spans[k][1]
        ]
    evidence.sort(key=lambda e: (e.start, e.end, e.signal))
    # A flag needs the score plus either an explicit signal inside a garbled sentence (or an
    # entity swap anywhere) or, on the model alone, the stricter threshold (see Config).
    strict = cfg.garble_strict_threshold
    if strict is None:
        strict = float(model.meta.get("strict_threshold", threshold))
    in_garbled = any(
        e.signal == "entity-swap"
        or (e.signal in EXPLICIT and any(spans[k][0] <= e.start < spans[k][1] for k in driving))
        for e in evidence
    )
    flagged = bool(evidence) and score >= threshold and (in_garbled or score >= strict)
    sentences = tuple(
        {"text": text[a:b], "start": a, "end": b, "score": round(p, 4)}
        for (a, b), p in zip(spans, sent_p, strict=False)
    )
    return Garble(score, flagged, tuple(evidence), None, sentences)


def _unlikely_ngrams(text: str, a: int, b: int, w: np.ndarray, vocab: dict[str, float]) -> list[Evidence]:
    """The word bigram of one sentence whose learned weight most pushes it towards garbled.

    Only bigrams of two words with at least one content word (rarer than the ~200
    most frequent words) are candidates: "of the" may carry weight in the model
    but tells a reader nothing.
    """
    toks = [(m.group().lower(), m.start() + a, m.end() + a) for m in WORD_RE.finditer(text[a:b])]
    if len(toks) < 2:
        return []
    ids = hash_words([x[0] + " " + y[0] for x, y in itertools.pairwise(toks)], "b:")
    weights = w[np.asarray(ids, dtype=np.int64) % HASH_SIZE].astype(np.float64)
    for i, (x, y) in enumerate(itertools.pairwise(toks)):
        if (
            not (x[0][:1].isalpha() and y[0][:1].isalpha())
            or min(vocab.get(x[0], -99.0), vocab.get(y[0], -99.0)) > FUNCTION_WORD_LOGP
        ):
            weights[i] = -np.inf
    best = int(np.argmax(weights))
    if weights[best] < NGRAM_EVIDENCE_MIN:
        return []
    s, e = toks[best][1], toks[best + 1][2]
    return [Evidence(text[s:e], "unlikely-ngram", s, e, round(float(sigmoid(float(weights[best]))), 4))]
