"""Where the article ends: unrelated "related"/"相关" blocks and teaser lists.

A page often ends with a block of teasers for *other* news: a header ("Related:",
"相关:", "You may also like") and headline+snippet lines, or the same lines with no
header at all.  The article's own last paragraph looks just like a teaser by shape, so
the decision is topical: each trailing line is compared with the body above it.

Similarity is lexical and cheap: the share of a line's distinct tokens that also occur
in the body.  Tokens are lower-cased words of >= 3 letters minus a small stopword list
for alphabetic scripts, and Han character bigrams for Chinese (words are not delimited;
bigrams of the same topic -- names, places, terms -- recur, generic ones do not carry
enough weight to lift an unrelated line over the threshold).

Calibration (fixtures and the seed shapes): body paragraphs of an article score
0.45-0.9 against the rest of it; teasers for unrelated news score 0.05-0.3 in English
and 0.15-0.35 in Chinese (shared bigrams such as 中国, 表示).  ``UNRELATED`` = 0.38
sits between the two.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from .. import native
from .precompiled import compile as re_compile
from .rules import HAN

_LETTERS = re_compile(rf"[^\W\d_{HAN}]{{3,}}")
_ASCII_LETTERS = re_compile(r"[a-z]{3,}")
""":data:`_LETTERS` on lower-cased ASCII text: there its class is exactly ``[a-z]`` (no upper case is
left, no ASCII character is Han), and a bitmap class is tested faster than the negated category
class (the body of a page is tokenised for every related header; tested equal on every dev page)."""
_HAN_RUN = re_compile(rf"[{HAN}]+")
"""Topical tokens: words of 3+ letters, and Han runs (cut into bigrams).  Stdlib ``re`` with the
Han script spelled out as a class (``regex``'s ``\\p{Han}`` is 3x slower here), one pass each,
so the sets are built in C (a page's whole body is tokenised when a related block is judged)."""
_CJK_START = re_compile("[\u2e80-\u9fff\uf900-\ufaff]")
"""A character that makes a token CJK (bigrams) in :func:`tokens` when it starts it."""
_STOP = frozenset(
    "the and for are but not you all any can had her was one our out has him his how its may new now "
    "old see two who did get let put say she too use that this with from they will would there their "
    "what about which when make like time just know take into year your some could them than then "
    "been have were said also more other after first over such only most very even back well where "
    "much before should these those through while because being between each under again does "
    "der die das und den dem des ein eine nicht ist mit von auf für sich als auch les des une est "
    "pour dans que qui sur par pas".split()
)

UNRELATED = 0.38
"""Mean similarity below which a trailing block is about something else (see module doc)."""

MIN_TEASERS = 3
"""A header-less trailing run must have at least this many unrelated teaser lines to be cut."""

_GAP = re_compile(r"[ \t\u3000]{2,}")
_TEASER_MARKS = re_compile(
    rf"【[{HAN}]{{2,8}}(?:网|社|报)?(?:报道|讯|电)[】\]]"  # 【环球网报道】
    rf"|\[[{HAN}]{{2,8}}(?:网|社|报)?(?:报道|讯|电)[】\]]"
    rf"|[{HAN}]{{1,6}}(?:网|社)[{HAN}]{{0,6}}\d{{1,2}}月\d{{1,2}}日电"  # 中新网北京5月5日电
    r"|\.\.\.\s*$|…\s*$"  # truncated snippet
)
_TEASER_MARK_LITERALS = ("【", "[", "日电", "...", "…")
"""One of these is in every :data:`_TEASER_MARKS` match: a line without any skips the regex search
(which tries its Han-run alternative at every character of a long paragraph)."""
_TIME_PREFIX = re_compile(r"\d{1,2}[:/.-]\d{1,2}\s")
"""A time/date prefix, matched after ``lstrip()`` (a leading ``\\s*`` would make a full scan of
a run of spaces quadratic)."""


def teaser_shaped(line: str) -> bool:
    """A shape typical of teaser lines: a headline glued to its snippet with a wide gap (not a
    table row: the gap is between two non-space, non-"|" characters), a wire tag or dateline
    (【环球网报道】, 中新网北京5月5日电), a truncated snippet ("..."), a time/date prefix.

    The gap is found first as any run of 2+ spaces (a scan that skips to the next space) and
    checked at its ends, rather than trying "non-space, spaces, non-space" at every character."""
    for m in _GAP.finditer(line):
        a, b = m.start() - 1, m.end()
        if a >= 0 and b < len(line) and not line[a].isspace() and line[a] != "|" and not line[b].isspace() \
                and line[b] != "|":
            return True
    if any(map(line.__contains__, _TEASER_MARK_LITERALS)) and _TEASER_MARKS.search(line):
        return True
    return bool(_TIME_PREFIX.match(line.lstrip()))


BP_RULES_ABI = 1
"""The argument/result layout of the ``boilerplate s8b`` block of ``cleaner/_native.c`` (its
``BP_RULES_ABI`` constant) that this module and :mod:`.metadata` call."""
_native: Any = native.load("BP_RULES_ABI", BP_RULES_ABI, ("related_tokens",), "using the Python path")
"""The compiled kernels, or None (:func:`cleaner.native.load`)."""


def _han_ranges(spec: str) -> bytes:
    """:data:`.rules.HAN` (a class body of characters and ``a-b`` ranges) as sorted uint32 (lo, hi) pairs."""
    pairs: list[tuple[int, int]] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            pairs.append((ord(spec[i]), ord(spec[i + 2])))
            i += 3
        else:
            pairs.append((ord(spec[i]), ord(spec[i])))
            i += 1
    pairs.sort()
    return array("I", [c for p in pairs for c in p]).tobytes()


_HAN_RANGES = _han_ranges(HAN)


def tokens(text: str) -> set[str]:
    """Distinct topical tokens of ``text`` (words >= 3 letters minus stopwords, Han bigrams;
    a kana word is cut into bigrams too).  By the compiled kernel when it is built (one pass over the
    text, the set built in C: 116 -> 34 M instructions per MB of dev text for the related-block
    checks), else :func:`_tokens_python` (the same set, tested on the dev pages and generated text)."""
    if _native is not None:
        return _native.related_tokens(text.lower(), _STOP, _HAN_RANGES)  # type: ignore[no-any-return]
    return _tokens_python(text)


def _tokens_python(text: str) -> set[str]:
    """:func:`tokens` by two ``findall`` scans and set operations (the reference of the kernel)."""
    low = text.lower()
    if low.isascii():
        out = set(_ASCII_LETTERS.findall(low))
        out -= _STOP
        return out
    out = set(_LETTERS.findall(low))
    # distinct tokens only: a word or Han run starting in the CJK ranges is cut into bigrams,
    # any other is kept unless it is a stopword (a set difference, in C)
    out.update(_HAN_RUN.findall(low))
    cjk = (
        [w for w in out if "\u2e80" <= w[0] <= "\u9fff" or "\uf900" <= w[0] <= "\ufaff"]
        if _CJK_START.search(low)
        else []
    )
    out.difference_update(cjk)
    out -= _STOP
    for w in cjk:
        if len(w) > 1:
            out.update(map(str.__add__, w, w[1:]))
    return out


def similarity(line: str, body: set[str]) -> float:
    """Share of the line's distinct tokens found in ``body`` (1.0 for token-less lines)."""
    toks = tokens(line)
    if not toks:
        return 1.0
    return len(toks & body) / len(toks)


def block_similarity(lines: Sequence[str], body: set[str]) -> float:
    """Mean :func:`similarity` of the non-empty ``lines`` to ``body`` (1.0 when none)."""
    vals = [similarity(x, body) for x in lines if x.strip()]
    return sum(vals) / len(vals) if vals else 1.0


def unrelated_tail(lines: Sequence[str], body: set[str]) -> int:
    """How many of the trailing ``lines`` form a header-less run of unrelated teasers.

    Walks back from the end while lines are teaser-shaped *and* unrelated to ``body``;
    returns the run length when it reaches :data:`MIN_TEASERS`, else 0.  Both conditions
    per line: the article's own last paragraph is rarely teaser-shaped, and an on-topic
    one is similar to the body, so either stops the run before it.
    """
    run = 0
    for line in reversed(lines):
        if not line.strip():
            continue
        if not teaser_shaped(line) or similarity(line, body) >= UNRELATED:
            break
        run += 1
    return run if run >= MIN_TEASERS else 0
