"""Explicit, checkable garble signals with offsets into the scored text.

Each finder returns :class:`~cleaner.document.Evidence` items.  They are
deliberately conservative: a person reading the evidence should agree that the
span is odd.  They feed the document score as a bounded logit boost
(``score.py``) and are the first thing shown when a document is flagged.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter

import numpy as np
import regex

from ..document import Evidence
from .features import ALPHA_RE, GLUED_RE, HALFWIDTH_RE, Lexicon, known_word, nonwords
from .features import FAST_WORDS_RE as _FAST_WORDS
from .nn import _native
from .vec import _P as _FNV_P
from .vec import _mix

# Anchored at token starts, so each token is scanned once (an unanchored ``\S*`` prefix
# retried from every position of a 100,000-character token is quadratic).
_URLISH = regex.compile(r"(?<!\S)(?=\S*?(?:https?://|www\.|\.com|\.org|\.html?|@|#))\S+")
_WORD_SPANS = regex.compile(r"\p{L}+(?:['’\-]\p{L}+)*")


# The byte tokenisers below (ascii_lower_words, _ascii_alpha_words, score._ascii_word_stats) give, on ASCII text,
# the words of FAST_WORDS_RE (on lower-cased text) and ALPHA_RE, where a letter is [A-Za-z] and the only apostrophe
# is ' (tests/garble/test_fast_paths.py checks them against those patterns).

_URL_HINTS = ("http", "www.", ".com", ".org", ".htm", "@", "#")

_LOWER_WORD_BYTES = bytes((b | 0x20) if chr(b).isalpha() else (b if b == 0x27 else 0x20) for b in range(128)) + bytes(
    [0x20] * 128
)
"""Byte table for ASCII text: letters to lower case, the apostrophe kept, anything else to a space."""
_ALPHA_WORD_BYTES = bytes(b if chr(b).isalpha() or b == 0x27 else 0x20 for b in range(128)) + bytes([0x20] * 128)
"""Byte table for ASCII text: letters and the apostrophe kept, anything else to a space."""
_LONE_APOSTROPHE = re.compile(rb"'(?:(?![A-Za-z])|(?<![A-Za-z]'))")
"""An apostrophe not between two letters (in any of the tables' translations: letters stay letters)."""


def ascii_word_bytes(text: str, table: bytes) -> bytes:
    """ASCII ``text`` translated by ``table`` (letters kept or mapped to letters, ``'`` kept, the rest to
    spaces), with every apostrophe that is not between two letters a space too: its words are the runs
    that are not spaces.  One translation and a substitution that stops only at apostrophes: the word
    regexes paid a repeat group per word and ~100-480 instructions per character."""
    return word_bytes(text.encode("ascii"), table)


def word_bytes(data: bytes, table: bytes) -> bytes:
    """:func:`ascii_word_bytes` of text already encoded (one byte per code point)."""
    t = data.translate(table)
    if b"'" in t:
        t = _LONE_APOSTROPHE.sub(b" ", t)
    return t


def _ascii_alpha_words(text: str) -> list[bytes]:
    """``ALPHA_RE.findall(text)`` of an ASCII ``text`` (case kept), as bytes, in order."""
    return ascii_word_bytes(text, _ALPHA_WORD_BYTES).split()


def ascii_lower_words(text: str) -> list[bytes]:
    """``FAST_WORDS_RE.findall(text.lower())`` of an ASCII ``text``, as bytes, in order."""
    return ascii_word_bytes(text, _LOWER_WORD_BYTES).split()


def _url_spans(text: str) -> list[tuple[int, int]]:
    if not any(h in text for h in _URL_HINTS):
        return []  # fast path: the regex below backtracks over every non-space run
    return [m.span() for m in _URLISH.finditer(text)]


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in spans)


def glued_words(text: str) -> list[Evidence]:
    """``offerEstablishing``: a lower-case word run straight into a capitalised one (not in URLs)."""
    urls = _url_spans(text)
    return [
        Evidence(m.group(), "glued-words", m.start(), m.end(), 1.0)
        for m in GLUED_RE.finditer(text)
        if not _inside(m.span(), urls)
    ]


def halfwidth_punctuation(text: str) -> list[Evidence]:
    """ASCII ``,`` / ``.`` between Chinese characters (MT output de-tokenised badly)."""
    return [Evidence(m.group(), "halfwidth-punctuation", m.start(), m.end(), 0.5) for m in HALFWIDTH_RE.finditer(text)]


_FIRST: dict[int, tuple[dict[str, str], frozenset[str]]] = {}


def _first_words(phrases: dict[str, str]) -> frozenset[str]:
    """First words of all phrases (cached per lexicon object): most words start no phrase."""
    hit = _FIRST.get(id(phrases))
    if hit is None or hit[0] is not phrases:
        hit = _FIRST[id(phrases)] = (phrases, frozenset(p.split(" ", 1)[0] for p in phrases))
    return hit[1]


_HEADS3: dict[int, tuple[dict[str, str], frozenset[tuple[str, ...]], frozenset[tuple[str, ...]],
                          frozenset[tuple[bytes, ...]], frozenset[tuple[bytes, ...]], tuple[tuple[str, ...], ...]]] = {}


def has_tortured_head(text: str, phrases: dict[str, str]) -> bool:
    """Cheap prefilter: does ``text`` hold a two-word phrase or the first three words of a longer one?

    The word pairs are built once; triples are asked for only when a pair begins a three-word head
    (almost never), instead of building every pair and every triple of the text each time.
    """
    hit = _HEADS3.get(id(phrases))
    if hit is None or hit[0] is not phrases:
        str_heads = frozenset([tuple(p.split(" ", 3)[:3]) for p in phrases if " " in p])
        joined = [(h, " ".join(h)) for h in str_heads]
        # (an all-ASCII head joined, encoded and split again: its words as bytes, "" words kept)
        heads_b = frozenset([tuple(j.encode().split(b" ")) for _, j in joined if j.isascii()])
        hit = (phrases, str_heads, frozenset([h[:2] for h in str_heads if len(h) == 3]),
               heads_b, frozenset([h[:2] for h in heads_b if len(h) == 3]),
               tuple([h for h, j in joined if not j.isascii()]))  # (_may_hold_head's non-ASCII heads)
        _HEADS3[id(phrases)] = hit
    # (ASCII text: bytes words against the heads as bytes; a non-ASCII head cannot occur in it)
    words: list[str] | list[bytes]
    heads: frozenset[tuple[str, ...]] | frozenset[tuple[bytes, ...]]
    head_pairs: frozenset[tuple[str, ...]] | frozenset[tuple[bytes, ...]]
    if text.isascii():
        # (no pair or triple of its words hashes like a head: none is one)
        if _native is not None and not _native.sig_heads_text(text, *_head_tables(hit[3])):
            return False
        words, heads, head_pairs = ascii_word_bytes(text, _LOWER_WORD_BYTES).split(), hit[3], hit[4]
    else:
        low = text.lower()
        if _native is not None and not _may_hold_head(text, low, hit[3], hit[5]):
            return False
        words, heads, head_pairs = _FAST_WORDS.findall(low), hit[1], hit[2]
    pairs = list(itertools.pairwise(words))
    if not heads.isdisjoint(pairs):
        return True
    return not (head_pairs.isdisjoint(pairs) or heads.isdisjoint(zip(words, words[1:], words[2:], strict=False)))


_LOWERS_TO_ASCII = ("\u0130", "\u212a")
"""The only non-ASCII characters whose ``str.lower()`` holds an ASCII character (İ -> "i̇", the Kelvin sign -> "k";
tests/garble/test_signals.py checks every code point)."""


def _may_hold_head(text: str, low: str, heads_b: frozenset[tuple[bytes, ...]],
                   non_ascii_heads: tuple[tuple[str, ...], ...]) -> bool:
    """Prefilter of :func:`has_tortured_head` for a non-ASCII ``text`` (``low`` its ``lower()``): False only when
    no head can occur, so the answer stays exact (True: the word test runs).

    ASCII heads: ``text`` read as if every non-ASCII code point were ``?`` (``encode("ascii", "replace")``, one
    byte each) through the ASCII path's byte tokeniser and ``_native.sig_heads`` (``_native.sig_heads_text`` does
    both on the str).  A word of the lower-cased
    text made of ASCII letters only keeps its letters there and stays a word (the characters around it in the
    text are not letters and become ``?`` or stay ASCII marks; an apostrophe next to it is no more between two
    letters than before), and the characters between two such consecutive words hold no letter of either text:
    every pair or triple of consecutive ASCII words is a pair or triple of the proxy.  A word with a non-ASCII
    letter can equal no ASCII head word; its ``?`` only splits it into extra proxy words (a false "maybe" at
    most).  Two characters lower-case to ASCII (:data:`_LOWERS_TO_ASCII`): a text holding one takes the word test.
    Non-ASCII heads (8 of the shipped ones): all of their words must be substrings of ``low``.
    """
    if any(c in text for c in _LOWERS_TO_ASCII):
        return True
    if any(all(w in low for w in h) for h in non_ascii_heads):
        return True
    return bool(_native.sig_heads_text(text, *_head_tables(heads_b)))


_HEAD_HASHES: dict[int, tuple[frozenset[tuple[bytes, ...]], np.ndarray, np.ndarray]] = {}


def _head_hashes(heads: frozenset[tuple[bytes, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted hashes of the two-word and three-word ASCII heads, as ``_native.sig_heads`` hashes word runs
    (FNV-1a of each word, mixed; a pair ``mix(h1 * P + h2)``, a triple ``mix(pair * P + h3)``); built once.

    Vectorised (s9): each distinct head word's FNV-1a runs over the columns of a zero-padded byte matrix,
    one numpy step per byte position for all words at once (uint64 arithmetic wraps modulo 2**64, as the
    ``& _M64`` of :func:`_head_hashes_py` does); ~1 ms instead of the ~20,000 per-word Python loops
    (~25 ms) of the loader's start-up.  The same arrays (tests/garble/test_signals_native.py)."""
    hit = _HEAD_HASHES.get(id(heads))
    if hit is None or hit[0] is not heads:
        hit = _HEAD_HASHES[id(heads)] = (heads, *_head_hashes_np(heads))
    return hit[1], hit[2]


def _head_hashes_np(heads: frozenset[tuple[bytes, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_head_hashes`' arrays, computed with numpy (every word of every head, in one byte matrix)."""
    hs = list(heads)
    flat = [w for h in hs for w in h]
    lens = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    width = int(lens.max()) if len(flat) else 0
    mat = np.zeros((len(flat), width), dtype=np.uint8)
    mat[np.arange(width) < lens[:, None]] = np.frombuffer(b"".join(flat), dtype=np.uint8)
    p = np.uint64(_FNV_P)
    wh = np.full(len(flat), 0xCBF29CE484222325, dtype=np.uint64)
    for j in range(width):
        wh = np.where(lens > j, (wh ^ mat[:, j]) * p, wh)
    wh = _mix(wh)
    size = np.fromiter(map(len, hs), dtype=np.int64, count=len(hs))
    first = np.cumsum(size) - size  # each head's first word in ``flat``
    pair = _mix(wh[first] * p + wh[np.minimum(first + 1, len(flat) - 1)]) if len(hs) else wh
    three = size == 3
    t = first[three]
    return np.sort(pair[size == 2]), np.sort(_mix(pair[three] * p + wh[t + 2]))


_HEAD_TABLES: dict[int, tuple[frozenset[tuple[bytes, ...]], tuple[np.ndarray, np.ndarray, bytes]]] = {}
HEAD_BITS = 18
"""Bits of the head hashes' bitmap (``_native.sig_heads_text``): 2**18 bits (32 kB, in the L1 cache) for ~8,000
pair and triple hashes pass ~3% of the pairs and triples that are no head to the binary search."""


def _head_tables(heads: frozenset[tuple[bytes, ...]]) -> tuple[np.ndarray, np.ndarray, bytes]:
    """:func:`_head_hashes` and the bitmap of their top :data:`HEAD_BITS` bits, for ``_native.sig_heads_text``."""
    hit = _HEAD_TABLES.get(id(heads))
    if hit is None or hit[0] is not heads:
        two, three = _head_hashes(heads)
        top = np.concatenate([two, three]) >> np.uint64(64 - HEAD_BITS)
        bm = np.zeros(1 << (HEAD_BITS - 3), dtype=np.uint8)
        np.bitwise_or.at(bm, (top >> np.uint64(3)).astype(np.int64), (1 << (top & np.uint64(7))).astype(np.uint8))
        hit = _HEAD_TABLES[id(heads)] = (heads, (two, three, bm.tobytes()))
    return hit[1]


_ASCII_WORD_SPANS = re.compile(r"[a-z]+(?:['\-][a-z]+)*")
"""``_WORD_SPANS`` on lower-cased ASCII text (a letter is ``[a-z]`` there, ``’`` cannot occur): the same spans."""


def tortured_phrases(text: str, phrases: dict[str, str]) -> list[Evidence]:
    """Problematic Paper Screener fingerprints (``counterfeit consciousness``) found in the text.

    ASCII text (nearly all) is tokenised by one C-speed ``findall`` on its lower-cased form, and
    the word offsets are asked for only when a phrase is found (almost never), instead of a match
    object and a tuple per word.
    """
    spans: list[tuple[int, int]] | None
    if text.isascii():
        low = text.lower()  # (same length and word boundaries: ASCII case mapping is one to one)
        words = _ASCII_WORD_SPANS.findall(low)
        spans = None
    else:
        found = [(m.group().lower(), m.span()) for m in _WORD_SPANS.finditer(text)]
        words = [w for w, _ in found]
        spans = [sp for _, sp in found]
    first = _first_words(phrases)
    out = []
    i = 0
    while i < len(words):
        if words[i] not in first:
            i += 1
            continue
        hit = 0
        for n in (5, 4, 3, 2):
            if i + n <= len(words):
                key = " ".join(words[i : i + n])
                if key in phrases:
                    if spans is None:
                        spans = [m.span() for m in _ASCII_WORD_SPANS.finditer(low)]
                    s, e = spans[i][0], spans[i + n - 1][1]
                    out.append(Evidence(text[s:e], "tortured-phrase", s, e, 1.0))
                    hit = n
                    break
        i += hit or 1
    return out


_PATTERNS: dict[int, tuple[dict[str, list[str]], dict[str, str], tuple[str, ...]]] = {}


def _expansion_table(acronyms: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, str], tuple[str, ...]]:
    """(acronyms, expansion -> acronym, expansions in alternation order: longest first), cached per lexicon object."""
    hit = _PATTERNS.get(id(acronyms))
    if hit is None or hit[0] is not acronyms:
        owner = {e.lower(): a for a, exps in acronyms.items() for e in exps}
        hit = _PATTERNS[id(acronyms)] = (acronyms, owner, tuple(sorted(owner, key=len, reverse=True)))
    return hit


_ASCII_FOLDS = {"\u0130": "i", "\u017f": "s", "\u212a": "k"}
"""The only non-ASCII characters that ``regex``'s case-insensitive matching takes for an ASCII
character (İ, long s, the Kelvin sign; tests/garble/test_fast_paths.py checks every code point)."""


def _present_expansions_pattern(order: tuple[str, ...], text: str) -> regex.Pattern[str]:
    """The case-insensitive alternation of all expansions (``_alternation(order, regex.IGNORECASE)``) without
    the alternatives that cannot match in ``text``: same matches.

    The alternation of all ~60 expansions costs ~0.2 µs per character (the flag candidates' whole
    texts run to 175,000 characters); an ASCII expansion can only match where its lower-case form
    is a substring of the text folded as the regex folds it (``_ASCII_FOLDS``, then lower case), so
    dropping the others changes no match (the order of the rest, which decides between overlapping
    alternatives, is kept).  Non-ASCII expansions, if a lexicon has any, are always kept.
    """
    return _alternation(_present_alternatives(order, text)[0], regex.IGNORECASE)


def _present_alternatives(order: tuple[str, ...], text: str) -> tuple[tuple[str, ...], str]:
    """The alternatives of :func:`_present_expansions_pattern` (in ``order``) and the folded lower-case text."""
    if not text.isascii():
        for c, ascii_c in _ASCII_FOLDS.items():
            if c in text:  # (str.translate with a mapping costs ~40 ns per character; these are rare)
                text = text.replace(c, ascii_c)
    low = text.lower()
    table = _order_needles(order) if _native is not None else None
    if table is not None:
        # (one compiled pass for the ~60 expansions: the same "e in low" answers; 60 scans of a long text cost
        # ~5 ms per 100,000 characters)
        flags = _native.sig_needles(low, table[0], table[1])
        present = {e for e, f in zip(table[0], flags, strict=True) if f}
        return tuple(e for e in order if not e.isascii() or (e in present if len(e) >= 3 else e in low)), low
    return tuple(e for e in order if not e.isascii() or e in low), low


_ORDER_NEEDLES: dict[int, tuple[tuple[str, ...], tuple[tuple[str, ...], bytes] | None]] = {}


def _order_needles(order: tuple[str, ...]) -> tuple[tuple[str, ...], bytes] | None:
    """The ASCII expansions of at least three characters in ``order`` and their ``sig_needles`` bitmap (as
    :func:`_needles` builds it), once per ``order``; None when there are none."""
    hit = _ORDER_NEEDLES.get(id(order))
    if hit is None or hit[0] is not order:
        exps = tuple(sorted({e for e in order if e.isascii() and len(e) >= 3}))
        bm = bytearray(8192)
        for e in exps:
            h = ((ord(e[0]) * 131 + ord(e[1])) * 131 + ord(e[2])) & 0xFFFF
            bm[h >> 3] |= 1 << (h & 7)
        hit = _ORDER_NEEDLES[id(order)] = (order, (exps, bytes(bm)) if exps else None)
    return hit[1]


def _expansion_matches(order: tuple[str, ...], text: str) -> list[regex.Match[str]]:
    """``list(_present_expansions_pattern(order, text).finditer(text))``, the pattern tried only where one of its
    expansions starts.

    As that function argues, an ASCII expansion matches only where its lower-case form is a substring of the
    folded text, and there at the same offsets (only İ changes length in ``str.lower``, and it is folded to
    ``i`` first); ``pat.match(text, p)`` is ``finditer``'s attempt at ``p`` (its look-behind sees the text
    before ``p``), and ``finditer`` goes on after a match's end.  The long flag candidates are scanned by
    ``str.find`` for the few expansions present instead of by the regex (~0.2 µs per character).
    Non-ASCII expansions: ``finditer``.
    """
    alts, low = _present_alternatives(order, text)
    pat = _alternation(alts, regex.IGNORECASE)
    if len(low) != len(text) or not all(e.isascii() for e in alts):
        return list(pat.finditer(text))
    starts: set[int] = set()
    for e in alts:
        i = low.find(e)
        while i >= 0:
            starts.add(i)
            i = low.find(e, i + 1)
    out = []
    last = 0
    for p in sorted(starts):
        if p >= last:
            m = pat.match(text, p)
            if m is not None:
                out.append(m)
                last = m.end()
    return out


@functools.lru_cache(maxsize=256)
def _alternation(alts: tuple[str, ...], flags: int) -> regex.Pattern[str]:
    """The expansion pattern for the alternatives ``alts`` (whole words only; cached)."""
    body = "|".join(regex.escape(e) for e in alts) if alts else "(?!)"
    return regex.compile(r"(?<![\p{L}\p{N}])(?:" + body + r")(?![\p{L}\p{N}])", flags)


_HEADS: dict[int, tuple[dict[str, list[str]], list[tuple[tuple[str, str], ...]]]] = {}


def _maybe_two_senses(text: str, acronyms: dict[str, list[str]]) -> bool:
    """Cheap prefilter: do two expansions of one acronym occur, and their last words as words?

    Instead of the case-insensitive alternation over the whole text (~0.3 us per character):
    first the substring test of the full expansions in the lower-cased text (C-speed searches,
    a group given up as soon as fewer than two can be left), and only for the groups that pass,
    a word ``findall`` of the text and set look-ups of the expansions' last words.
    """
    hit = _HEADS.get(id(acronyms))
    if hit is None or hit[0] is not acronyms:
        groups = [
            tuple(sorted({(e.lower(), _FAST_WORDS.findall(e.lower())[-1]) for e in exps}))
            for exps in acronyms.values()
            if len(exps) >= 2
        ]
        hit = _HEADS[id(acronyms)] = (acronyms, groups)
    low = text.lower()
    needles = _needles(hit[1])
    if _native is not None and needles is not None:
        # (one compiled pass for every expansion: the same "e in low" answers)
        flags = _native.sig_needles(low, needles[0], needles[1])
        if flags.count(0) > len(flags) - 2:
            return False  # (s8) fewer than two expansions present: no group can show two (most texts: none)
        present = [group for group, idx in zip(hit[1], needles[2], strict=True) if sum(flags[k] for k in idx) >= 2]
        if not present:
            return False
        # (the few last words asked about, each found where it occurs: a word set of the whole text cost
        # ~60 ns per character on the long flag candidates)
        return any(sum(1 for _, last in group if _is_token(low, last)) >= 2 for group in present)
    present = []
    for group in hit[1]:
        missing = len(group) - 2  # absent expansions the group can afford and still show two
        found = 0
        for e, _ in group:
            if e in low:
                found += 1
                if found == 2:
                    present.append(group)
                    break
            else:
                missing -= 1
                if missing < 0:
                    break
    if not present:
        return False
    words = set(_FAST_WORDS.findall(low))
    return any(sum(1 for _, last in group if last in words) >= 2 for group in present)


def _word_char(c: str) -> bool:
    r"""Whether ``c`` is ``[^\W\d_]`` for ``re`` (``\w`` is ``str.isalnum`` or ``_``, ``\d`` is ``str.isdecimal``)."""
    return c.isalnum() and not c.isdecimal()


def _is_token(text: str, word: str) -> bool:
    r"""``word in set(FAST_WORDS_RE.findall(text))`` for a ``word`` that is one such token, without the token list.

    ``FAST_WORDS_RE`` (``[^\W\d_]+(?:['’][^\W\d_]+)*``, greedy) cuts maximal tokens: an occurrence of ``word``
    is one exactly when the token cannot reach into it from the left (no word character before it, nor an
    apostrophe after a word character) nor go on past its end (no word character after it, nor an apostrophe
    before a word character).  ``str.find`` visits the occurrences at C speed.
    """
    n, k = len(text), len(word)
    if not k:
        return False
    i = text.find(word)
    while i >= 0:
        j = i + k
        before = i > 0 and (_word_char(text[i - 1]) or (text[i - 1] in "'’" and i > 1 and _word_char(text[i - 2])))
        after = j < n and (_word_char(text[j]) or (text[j] in "'’" and j + 1 < n and _word_char(text[j + 1])))
        if not before and not after:
            return True
        i = text.find(word, i + 1)
    return False


_Needles = tuple[tuple[str, ...], bytes, list[list[int]]]
_NEEDLES: dict[int, tuple[list[tuple[tuple[str, str], ...]], _Needles | None]] = {}


def _needles(groups: list[tuple[tuple[str, str], ...]]) -> _Needles | None:
    """The expansions of ``groups`` for ``_native.sig_needles`` (each once), its bitmap of their first three
    characters, and each group's expansions as indices; None when one is not ASCII or shorter than three
    characters (then the ``in`` scans run).  Built once per groups list."""
    hit = _NEEDLES.get(id(groups))
    if hit is None or hit[0] is not groups:
        exps = sorted({e for g in groups for e, _ in g})
        out = None
        if all(e.isascii() and len(e) >= 3 for e in exps):
            bm = bytearray(8192)
            for e in exps:
                h = ((ord(e[0]) * 131 + ord(e[1])) * 131 + ord(e[2])) & 0xFFFF
                bm[h >> 3] |= 1 << (h & 7)
            pos = {e: k for k, e in enumerate(exps)}
            out = (tuple(exps), bytes(bm), [[pos[e] for e, _ in g] for g in groups])
        hit = _NEEDLES[id(groups)] = (groups, out)
    return hit[1]


def entity_swaps(text: str, acronyms: dict[str, list[str]]) -> list[Evidence]:
    """Expansions of one acronym used side by side: the minority one is the likely swap.

    An MT round trip expands an acronym by its most frequent sense, so "AI" can
    come back as "Amnesty International" in an article that otherwise says
    "artificial intelligence".  When two or more expansions of the same acronym
    occur, every occurrence of the less frequent expansion(s) is evidence; when
    they are equally frequent nothing is reported (no way to tell which is wrong).
    """
    if not _maybe_two_senses(text, acronyms):
        return []
    _, owner, order = _expansion_table(acronyms)
    by_acr: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for m in _expansion_matches(order, text):
        exp = m.group().lower()
        acr = owner[exp]
        by_acr.setdefault(acr, {}).setdefault(exp, []).append(m.span())
    out = []
    for found in by_acr.values():
        if len(found) < 2:
            continue
        counts = Counter({e: len(s) for e, s in found.items()})
        top = counts.most_common()
        if top[0][1] == top[1][1]:
            continue
        for exp, _ in top[1:]:
            for s, e in found[exp]:
                out.append(Evidence(text[s:e], "entity-swap", s, e, 2.0))
    return out


def nonword_evidence(text: str, lex: Lexicon, candidates: frozenset[str] | None = None) -> list[Evidence]:
    """Lower-case words absent from the clean-text vocabulary (outside URLs and hyphenations).

    ``candidates``: :func:`nonword_candidates` of a text holding this one (its sentences joined),
    so each word needs a set look-up only, not the vocabulary checks of ``nonwords``.
    """
    urls = _url_spans(text)
    out = []
    if candidates is None:
        found = nonwords(text, lex)
    else:
        found = [(m.start(), m.end(), m.group()) for m in ALPHA_RE.finditer(text) if m.group() in candidates]
    for s, e, w in found:
        if _inside((s, e), urls):
            continue
        if text[e : e + 1] in "-" or text[s - 1 : s] in "-'’":
            continue  # parts of hyphenated compounds are often legitimately new
        out.append(Evidence(w, "non-word", s, e, 0.5))
    return out


_KNOWN: dict[int, tuple[dict[str, float], dict[str, bool]]] = {}


def nonword_candidates(text: str, lex: Lexicon) -> frozenset[str]:
    """The words of ``text`` that :func:`~cleaner.garble.features.nonwords` reports (wherever they occur).

    A document-level prefilter for :func:`nonword_evidence`: one C-speed ``findall`` and a set
    difference against the vocabulary leave the few out-of-vocabulary words, and only those get
    the Python checks (:func:`~cleaner.garble.features.known_word`, memoised per lexicon).  A text
    whose sentences are joined by newlines (a letter run never crosses one) gives the union of
    its sentences' candidates; a sentence holding none of them has no ``non-word`` evidence.
    """
    vocab = lex.unigram
    hit = _KNOWN.get(id(vocab))
    if hit is None or hit[0] is not vocab:
        hit = _KNOWN[id(vocab)] = (vocab, {})
    memo = hit[1]
    out = []
    if text.isascii():
        # the lower-case words only (the test below wants them), cut on bytes: the word regex paid a
        # repeat group per word and a string per occurrence
        words: set[str] = set(map(bytes.decode, filter(bytes.islower, set(_ascii_alpha_words(text)))))
    elif _native is not None:
        # Non-ASCII text: the byte tokeniser on text.encode("ascii", "replace") finds every ASCII word of
        # ALPHA_RE (its neighbours are not letters there either) plus fragments of words with a non-ASCII letter
        # ("café" -> "caf"); the candidates that are no ALPHA_RE word of the text are dropped below.
        proxy = word_bytes(text.encode("ascii", "replace"), _ALPHA_WORD_BYTES).split()
        words = set(map(bytes.decode, filter(bytes.islower, set(proxy))))
    else:
        words = set(ALPHA_RE.findall(text))
    # (set.difference with a dict looks each word up in it: C speed, the vocabulary is not iterated)
    for w in words.difference(vocab):
        if len(w) >= 4 and w.islower() and w.isascii():
            known = memo.get(w)
            if known is None:
                if len(memo) > 20_000:
                    memo.clear()  # bounded (~2 MB): a stream of documents brings ever new rare words
                known = memo[w] = known_word(w, vocab)
            if not known:
                out.append(w)
    if out and not text.isascii() and _native is not None:
        out = [w for w in out if _is_alpha_token(text, w)]
    return frozenset(out)


_LETTER = regex.compile(r"\p{L}")
"""``ALPHA_RE``'s letter (the ``regex`` module's Unicode tables, which may be newer than ``str.isalpha``'s)."""


def _is_alpha_token(text: str, word: str) -> bool:
    """``word in set(ALPHA_RE.findall(text))`` for an ASCII ``word`` of letters (and inner apostrophes): as
    :func:`_is_token`, an occurrence is a token when no letter, nor an apostrophe after a letter, precedes it,
    and no letter, nor an apostrophe before a letter, follows it (``ALPHA_RE`` is greedy and cuts maximal runs)."""
    n, k = len(text), len(word)
    i = text.find(word)
    while i >= 0:
        j = i + k
        before = i > 0 and (_LETTER.match(text, i - 1) is not None
                            or (text[i - 1] in "'’" and i > 1 and _LETTER.match(text, i - 2) is not None))
        after = j < n and (_LETTER.match(text, j) is not None
                           or (text[j] in "'’" and j + 1 < n and _LETTER.match(text, j + 1) is not None))
        if not before and not after:
            return True
        i = text.find(word, i + 1)
    return False
