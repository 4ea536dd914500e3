"""Stage 5: boilerplate removal on plain text.

The page is split into lines and every line gets one label: ``body``, ``title``,
``metadata`` (moved to ``metadata``), ``chrome`` or ``related`` (both reported in
``removed``).  Decisions come in order of precision:

1. whole-line rules (:mod:`.rules`: share bars, copyright/licence/contact footers,
   breadcrumbs, image credits, copy-protection notices, "Source link", URLs, ...) and
   metadata lines (:mod:`.metadata`: bylines, date/source/editor lines), one regex
   pass over the page;
2. a related block: a "Related:"/"相关:" header followed by lines about other things,
   or a header-less trailing run of unrelated teasers (:mod:`.related`), cut to the end;
3. the article span: with a line model (``model.score``), the undecided lines that maximise
   the page's expected F-beta of the token metric stay (beta by ``config.mode``: 0.5 / 1 / 2,
   :func:`.model.decode_expected`), the others go; without one, a position heuristic: lines before the
   first and after the last paragraph-shaped line are head/tail chrome, except the
   title (the last headline-shaped line before the byline or the body);
4. foot-of-page shapes that need the span: a publisher self-description as the last
   paragraph ("X is an independent ... organization dedicated to ..."), addresses.

The cleaned text is made of whole kept lines of the input (nothing is rewritten); a
blank line separates two kept lines when the input had one between them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import itemgetter
from typing import Any, Protocol

import numpy as np

from ..config import Config
from ..document import Removed
from . import features as F
from . import metadata as meta
from . import precompiled, rules
from . import related as rel
from .model import MODE_BETA, THRESHOLD_PRIOR, LineModel, decode_expected, default_model
from .precompiled import compile as re_compile
from .rules import ADDRESS, PUBLISHER_BLURB, _literal_prefix, scan


class LineScorer(Protocol):
    """What the stage needs from a learned line model (see :mod:`.model`)."""

    def score(self, lines: Sequence[str], language: str | None) -> Any: ...


@dataclass(slots=True)
class BoilerplateResult:
    """What the stage decided: the cleaned text, the removed spans and the metadata found."""

    text: str
    removed: list[Removed] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    """One label per input line (``body``/``title``/``metadata``/``chrome``/``related``/``empty``)."""


THRESHOLDS = THRESHOLD_PRIOR
"""P(content) a line needs to stay when a model scores it, per ``config.mode``, for models
without their own ``threshold(mode)`` (the packaged one carries thresholds chosen on its
training pages).  ``precision`` removes more (higher bar); ``recall`` keeps more."""

_TERMINAL = frozenset(".!?。！？…”\"’'」』)）:：;；")
_CJK_LO, _CJK_HI = 0x3040, 0x9FFF
_BY_WORDS = ("By", "by", "BY", "Author", "author", "Source", "source", "Editor", "editor", "Updated", "updated",
             "Published", "published", "Posted", "posted")
_PROBE_ALTERNATIVES = (
    r"19\d\d[ \t]*[-/.年]", r"20\d\d[ \t]*[-/.年]", r"/19\d\d", r"/20\d\d",
    *(
        rf"{m}[a-z]*\.?[ \t]+(?:\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+)?(?:19|20)\d\d"
        for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    ),
    "发表", "实习生", "通讯员", "作者", "来源", "编辑", "责编", "记者", "撰文",
    r"作[ \t]*者", r"文[ \t]*[|｜/／:：]",
    *(rf"{w}\b" for w in _BY_WORDS),
    r":(?=[^\S\n]*$)", r"：(?=[^\S\n]*$)",  # a line ending in a colon (bare label): length checked after
    r"\([^)）\n]{2,12}[)）]", r"（[^)）\n]{2,12}[)）]",  # a name in brackets: whole line checked after
)
_META_PROBE = re_compile("|".join(_PROBE_ALTERNATIVES), re.MULTILINE)
"""Cheap prefilter for metadata lines (one pass over the page; at run time :data:`_META_PROBE_CASED`
plus ``str.find``, this whole scan is the tests' reference): a date shape, a byline/label
word, a short line ending in a colon (bare labels) or a name in brackets.  Stdlib ``re``, and
every alternative starts with a literal so the scan jumps between first characters (0.65 ->
0.2 ms per dev page); the anchored shapes (``\\b`` before a word, colon lines, bracket lines)
are confirmed per hit by :func:`_probe_rows`."""
_LOWER_BY_WORDS = tuple(w for w in _BY_WORDS if w[0].islower())
_META_PROBE_CASED = re_compile(
    "|".join(a for a in _PROBE_ALTERNATIVES if a.removesuffix(r"\b") not in _LOWER_BY_WORDS), re.MULTILINE
)
""":data:`_META_PROBE` without the lower-case byline words ("by", "author", ...), which
:func:`_probe_hits` finds with ``str.find``: with them the scan stopped at every "b", "a", "s",
"e", "u" and "p" of the text."""
_WORD_BOUNDARY = b"\1" * len(_LOWER_BY_WORDS)
_PROBE_PREFIXES = tuple(dict.fromkeys(
    _literal_prefix(a) for a in _PROBE_ALTERNATIVES if a.removesuffix(r"\b") not in _LOWER_BY_WORDS
))
""":data:`_META_PROBE_CASED`'s alternatives' literal prefixes ("19", "Jan", "作者", ":", "(", ...)."""
if not all(_PROBE_PREFIXES):
    raise AssertionError("every probe alternative must start with a literal")
_PROBE_ALL_LITERALS = _PROBE_PREFIXES + _LOWER_BY_WORDS
_PROBE_ALL_BOUNDARY = bytes(len(_PROBE_PREFIXES)) + _WORD_BOUNDARY
_BY_SET = frozenset(_BY_WORDS)
_BRACKET_LINE = re_compile(r"[（(][^)）\n]{2,12}[)）]")
_WORDISH = re_compile(r"\w")
_PROTECTED_INSIDE = frozenset({"date-line", "url"})
"""Reasons that do not remove a line lying inside the article span (see ``_HEAD_SLACK``)."""
_HEAD_SLACK = 3
"""Lines into the body that still count as the head (a byline under the lead paragraph)."""
_HEAD_MAX_LINES = 40
"""Metadata lines count as the page date/author only within this many lines of the body start."""


_LABELS = ("body", "empty", "title", "metadata", "chrome", "related", "removed-title")
"""The line labels, by code (:func:`_label_codes`); the removed kinds are the codes
``_METADATA..._RELATED``."""
_BODY, _EMPTY, _TITLE, _METADATA, _CHROME, _RELATED = range(6)
_LABEL_CODE = {lab: k for k, lab in enumerate(_LABELS)}
_KEPT_CODES = (1 << _BODY) | (1 << _TITLE)
_BODY_OR_EMPTY = ("empty", "body")
"""A line's first label by ``bool`` of its stripped text."""


def _label_codes(label: list[str]) -> np.ndarray:
    """uint8 per line: its label's index in :data:`_LABELS` (255 for another): every
    ``np.fromiter(map("body".__eq__, label))``-style mask of the stage from one pass over the
    labels (by the compiled kernel: one C loop instead of a Python-level call per line)."""
    out = np.empty(len(label), dtype=np.uint8)
    if F._native is not None:
        F._native.label_codes(label, _LABELS, out)
        return out
    out[:] = np.fromiter(map(_LABEL_CODE.get, label, repeat(255)), dtype=np.uint8, count=len(label))
    return out


def _fill_rows(label: list[str], reason: list[str], rows: np.ndarray, lab: str, why: str) -> None:
    """``label[i], reason[i] = lab, why`` for every row (by the compiled kernel when built)."""
    if F._native is not None:
        F._native.fill_rows((label, reason), (lab, why), rows.astype(np.int64, copy=False))
        return
    for i in rows.tolist():
        label[i], reason[i] = lab, why


def _line_table(text: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Lines (without ``\\r``) and their start/end offsets into ``text``."""
    raw = text.split("\n")
    lengths = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    starts = np.zeros(len(raw), dtype=np.int64)
    if len(raw) > 1:
        starts[1:] = np.cumsum(lengths[:-1] + 1)
    ends = starts + lengths
    lines = raw
    if "\r" in text:
        lines = [x[:-1] if x.endswith("\r") else x for x in raw]
        ends = starts + np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    return lines, starts, ends


def _cjk_counts(text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Number of CJK (kana + Han) characters per line, vectorised over code points."""
    if not text.isascii():
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # as the kernel reads
        csum = np.concatenate(([0], np.cumsum((cps >= _CJK_LO) & (cps <= _CJK_HI))))
        return csum[ends] - csum[starts]  # type: ignore[no-any-return]
    return np.zeros(len(starts), dtype=np.int64)


def _probe_rows(lines: list[str], stripped: list[str], lengths: np.ndarray | None = None) -> list[int]:
    """Rows (sorted) of the non-empty lines of at most 160 characters that :data:`_META_PROBE`
    hits: candidate metadata lines for :func:`.metadata.parse_line`.

    Only those lines are scanned, joined by newlines: every alternative of the probe matches
    inside one line and the checks below look at most one character back (a newline before a
    line start, as in the page), so the rows are those a scan of the whole page finds, for a
    scan of about half the text (long lines are prose).  ``lengths``: ``len`` of every line, when
    the caller has them (the line table's ``ends - starts``)."""
    n = len(stripped)
    lens = np.fromiter(map(len, stripped), dtype=np.int64, count=n)
    rows_s = np.flatnonzero((lens > 0) & (lens <= 160))
    if rows_s.shape[0] == 0:
        return []
    sub_rows = rows_s.tolist()
    sub_lines = list(map(lines.__getitem__, sub_rows))
    text = "\n".join(sub_lines)
    hits = _probe_hits(text)
    if not hits:
        return []
    if lengths is None:
        sub_len = np.fromiter(map(len, sub_lines), dtype=np.int64, count=len(sub_rows)) + 1
    else:
        sub_len = lengths[rows_s] + 1
    sub_starts = np.concatenate(([0], np.cumsum(sub_len[:-1])))
    pos = np.fromiter(map(itemgetter(0), hits), dtype=np.int64, count=len(hits))
    rows = rows_s[np.searchsorted(sub_starts, pos, side="right") - 1].tolist()
    out: set[int] = set()
    for (k, g), i in zip(hits, rows, strict=True):
        if i in out:
            continue
        s = stripped[i]
        c = g[0]
        if c in ":：":
            if not 2 <= len(s) <= 11:
                continue
        elif c in "(（":
            if not _BRACKET_LINE.fullmatch(s):
                continue
        elif g in _BY_SET:
            if k and _WORDISH.match(text, k - 1):
                continue
        out.add(i)
    return sorted(out)


def _probe_hits(text: str) -> list[tuple[int, str]]:
    """Start and text of every :data:`_META_PROBE` match in ``text``, as its ``finditer`` finds
    them, from :data:`_META_PROBE_CASED` plus ``str.find`` of the lower-case byline words.

    The same hits: no cased alternative starts with a lower-case letter, so a word hit never
    hides a cased one; a word hit is dropped when it starts inside a cased match (a bracket
    "(by Reuters)"), as the one scan skips it; two word hits cannot overlap (no word holds the
    start of another after a word boundary)."""
    if F._native is None:
        cased = _probe_cased(text)
        # every word with the \b after it (all of them end in a word character)
        words = [(k, _LOWER_BY_WORDS[j]) for k, j in F.literal_hits(text, _LOWER_BY_WORDS, _WORD_BOUNDARY)]
    else:
        # compiled: the cased alternatives' prefixes and the words in one literal_hits pass, then
        # _probe_cased's walk over the prefixes' hits
        hits = F._native.literal_hits(text, _PROBE_ALL_LITERALS, _PROBE_ALL_BOUNDARY)
        m = len(_PROBE_PREFIXES)
        cased = [(a.start(), a.end(), a.group())
                 for a in F.walk_candidates(_META_PROBE_CASED, text, {i for i, k in hits if k < m})]
        words = [(i, _LOWER_BY_WORDS[k - m]) for i, k in hits if k >= m]
    if not words:
        return [(a, g) for a, _, g in cased]
    starts = [a for a, _, _ in cased]
    out = [(a, g) for a, _, g in cased]
    for k, w in words:
        j = bisect.bisect_right(starts, k) - 1
        if j < 0 or k >= cased[j][1]:
            out.append((k, w))
    out.sort()
    return out


def _probe_cased(text: str) -> list[tuple[int, int, str]]:
    """Start, end and text of every :data:`_META_PROBE_CASED` match in ``text`` (:func:`_probe_hits`' path
    without the kernel; the compiled path walks the prefixes' hits there)."""
    return [(m.start(), m.end(), m.group()) for m in _META_PROBE_CASED.finditer(text)]


def _paragraph_like(stripped: Sequence[str], cjk: np.ndarray) -> np.ndarray:
    """Lines shaped like running text: long enough, ending like a sentence (or very long)."""
    words = np.fromiter(map(len, map(str.split, stripped)), dtype=np.int64, count=len(stripped))
    term = np.fromiter(map(_TERMINAL.__contains__, [s[-1:] for s in stripped]), dtype=bool, count=len(stripped))
    latin = words - np.minimum(words, cjk)  # rough: CJK lines have few spaces
    # 28 CJK characters without a sentence end: hard-wrapped prose (old portals wrap at ~38);
    # navigation and headlines stay shorter.
    return ((cjk >= 15) & term) | (cjk >= 28) | ((latin >= 8) & term) | (latin >= 20)  # type: ignore[no-any-return]


_TERMINAL_CHARS = "".join(sorted(_TERMINAL))


def _line_shapes(
    text: str, stripped: Sequence[str], starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_cjk_counts` and :func:`_paragraph_like`, by the compiled kernel when it is built
    (one pass over the text instead of a ``str.split`` per line; the same answers, tested in
    tests/boilerplate/test_native.py)."""
    native = F._native
    if native is None:
        cjk = _cjk_counts(text, starts, ends)
        return cjk, _paragraph_like(stripped, cjk)
    n = len(stripped)
    cjk = np.empty(n, dtype=np.int64)
    para = np.empty(n, dtype=np.uint8)
    if native.line_shapes(text, _TERMINAL_CHARS, cjk, para) != n:
        raise AssertionError("line count")
    return cjk, para.view(bool)


def _line_table_shapes(text: str) -> tuple[list[str], np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """:func:`_line_table` and, by the compiled kernel when it is built and the text holds no
    ``"\\r"``, :func:`_line_shapes` in the same pass over the text (the offsets from the kernel's
    line breaks instead of a length per line and a cumulative sum; the same values, tested).  None
    in place of the shapes: the caller computes them."""
    native = F._native
    if native is None or "\r" in text:
        lines, starts, ends = _line_table(text)
        return lines, starts, ends, None
    lines = text.split("\n")
    n = len(lines)
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    cjk = np.empty(n, dtype=np.int64)
    para = np.empty(n, dtype=np.uint8)
    if native.line_shapes(text, _TERMINAL_CHARS, cjk, para, starts, ends) != n:
        raise AssertionError("line count")
    return lines, starts, ends, (cjk, para.view(bool))


def _headline_like(s: str, cjk: int) -> bool:
    """Short, no sentence end, at least a few words: a title or a teaser headline."""
    if not s or s[-1] in ".!?。！？;；:：,，":
        return False
    n = len(s.split())
    return (cjk >= 4 and len(s) <= 80) or (2 <= n <= 30 and len(s) <= 250 and cjk < 4)


SOURCES = ("text", "html", "html-blocks")
"""What ``strip_boilerplate`` is given: a full page's text, an HTML extractor's main content, or
the DOM block model's selection (see :func:`strip_boilerplate`)."""


def strip_boilerplate(
    text: str,
    language: str | None = None,
    config: Config | None = None,
    *,
    model: Any = None,
    source: str = "text",
) -> BoilerplateResult:
    """Classify lines and return the article; offsets in ``removed`` index ``text``.

    ``model``: ``None`` uses the packaged line model when one ships; a model object
    overrides it (cross-validation passes fold models); ``False`` disables it.  Without
    a model a position heuristic decides the lines no rule decided.

    ``source="html"`` says ``text`` is already an extractor's main content (trafilatura):
    then only the rules, metadata lines and related-block cut apply -- the position
    heuristic and the line model are for full-page text and cost recall there
    (dev, trafilatura output: F1 0.898 -> 0.890 with them).  ``source="html-blocks"`` says
    it is the blocks :mod:`cleaner.htmlblocks` chose, one per line: that model has already
    seen every whole-line chrome rule as a block feature and kept the block anyway, so the
    rules are skipped and the metadata lines, the related cut, the title and a closing
    publisher blurb are what applies (5-fold CV on dev, balanced: 0.929 -> 0.9299; the
    overruled removals were mostly copyright lines and credits inside the article, 631 of 719
    and 234 of 414 of their tokens gold).
    """
    cfg = config or Config()
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    extracted = source != "text"
    if model is None:
        model = default_model()  # packaged, loaded once (None when none ships)
    if model is False or extracted:
        model = None
    lines, starts, ends, shapes = _line_table_shapes(text)
    n = len(lines)
    stripped = list(map(str.strip, lines))
    label: list[str] = list(map(_BODY_OR_EMPTY.__getitem__, map(bool, stripped)))
    reason: list[str] = [""] * n
    found: dict[str, str] = {}

    # 1. whole-line rules, one pass over the page.
    related_headers: list[int] = []
    # the rules' scan reuses the split lines and their offsets (not when \r was cut from them)
    hits = (scan(text) if "\r" in text else scan(text, lines=lines, starts=starts)) if n else []
    hit_rows = (np.searchsorted(starts, [h.start for h in hits], side="right") - 1).tolist() if hits else []
    for hit, i in zip(hits, hit_rows, strict=True):
        if label[i] != "body":
            continue
        if hit.kind == "related":
            related_headers.append(i)
        elif source != "html-blocks":
            label[i], reason[i] = hit.kind, hit.reason

    # 1b. metadata lines (cheap probe first: a year or a label word).
    cjk, para = _line_shapes(text, stripped, starts, ends) if shapes is None else shapes
    meta_lines: list[tuple[int, meta.MetaLine]] = []
    label_lines: list[int] = []
    probed = _probe_rows(lines, stripped, ends - starts)
    for i in probed:
        s = stripped[i]
        if s:
            ml = meta.parse_line(s)
            if ml is not None:
                meta_lines.append((i, ml))
                if ml.remove and (label[i] == "body" or reason[i] in ("navigation", "contact-footer")):
                    label[i], reason[i] = "metadata", ml.reason
            elif len(s) <= 12 and meta.is_label_only(s):
                label_lines.append(i)
                if label[i] == "body":
                    label[i], reason[i] = "metadata", "field-label"

    # 2. related block: header + lines unrelated to the body above it.
    probs = n_tok = None
    if isinstance(model, LineModel):  # the packaged kind: hand it the rule hits already found
        probs, n_tok = model.score_tokens(lines, language, rule_lines=(hit_rows, [h.reason for h in hits]),
                                          page=None if "\r" in text else text)  # lines: text split on "\n"
    elif model is not None:
        probs = np.asarray(model.score(lines, language), dtype=float)
    cut = _related_cut(stripped, label, para, related_headers, cjk, not extracted and model is None, probs)
    if cut is not None:
        for i in range(*cut):
            if label[i] != "empty" and label[i] != "metadata":
                label[i], reason[i] = "related", "related-block"

    # 3. the article span.
    undecided = _label_codes(label) == _BODY
    content = undecided & para
    title_idx: int | None = None
    first, last = 0, n - 1
    if content.any():
        first = int(np.argmax(content))
        last = int(n - 1 - np.argmax(content[::-1]))
        # 4. a publisher self-description as the last paragraph is site chrome.
        while last > first and PUBLISHER_BLURB.search(stripped[last]):
            label[last], reason[last] = "chrome", "publisher-blurb"
            content[last] = False
            last = int(n - 1 - np.argmax(content[::-1]))
        # inside the article, a date line or a bare link is part of it (a timeline entry,
        # a comment's timestamp, a cited URL): only the head and foot lose them
        for i in list(compress(range(n), map(_PROTECTED_INSIDE.__contains__, reason))):
            if first + _HEAD_SLACK < i < last:
                label[i], reason[i] = "body", ""
        head_meta = [i for i, _ in meta_lines if i < first]
        title_idx = _find_title(stripped, cjk, label, min([*head_meta, first]))
        if title_idx is not None:
            label[title_idx], reason[title_idx] = "title", "title"
            found["title"] = stripped[title_idx]
        if model is None and not extracted:
            for i in range(first):
                if label[i] == "body":
                    label[i], reason[i] = "chrome", _head_reason(stripped[i])
            for i in range(last + 1, n):
                if label[i] == "body":
                    label[i], reason[i] = _tail_label(stripped[i], int(cjk[i]), found.get("title"))
    if model is not None:
        span = (first, last) if content.any() else None
        assert probs is not None
        _apply_model(model, probs, lines, label, reason, cfg, span, found.get("title"), para, n_tok)

    # the article span from the line shapes (not from the model's cut, which moves with
    # the model) anchors the byline/date choice
    first_body, last_body = (first, last) if content.any() else (
        next((i for i, lab in enumerate(label) if lab == "body"), n),
        next((i for i in range(n - 1, -1, -1) if label[i] == "body"), -1),
    )
    found.update(_pick_metadata(stripped, meta_lines, label_lines, first_body, last_body, title_idx, found))

    # one Removed per removed line, built by map() over the selected rows (no per-line bytecode)
    codes = _label_codes(label)
    sel = np.flatnonzero((codes >= _METADATA) & (codes <= _RELATED))  # chrome, related, metadata
    rows, s_list, e_list = sel.tolist(), starts[sel].tolist(), ends[sel].tolist()
    removed = _removed_records(
        list(map(label.__getitem__, rows)), list(map(reason.__getitem__, rows)),
        list(map(text.__getitem__, map(slice, s_list, e_list))), s_list, e_list,
    )
    if not cfg.keep_title and title_idx is not None:
        label[title_idx] = "removed-title"
        codes[title_idx] = _LABEL_CODE["removed-title"]
    return BoilerplateResult(_join(lines, label, codes), removed, found, label)


_REMOVED_FIELDS = ("kind", "reason", "text", "start", "end")
_REMOVED_BY_SLOTS = rules.slots_dataclass_of(Removed, _REMOVED_FIELDS)
"""Whether :class:`~cleaner.document.Removed` can be built by the kernel (see :func:`_removed_records`)."""


def _removed_records(
    kinds: list[str], reasons: list[str], texts: list[str], starts: list[int], ends: list[int]
) -> list[Removed]:
    """``list(map(Removed, kinds, reasons, texts, starts, ends))`` (a dev page removes ~140 lines)."""
    return rules.frozen_records(Removed, _REMOVED_FIELDS, _REMOVED_BY_SLOTS, (kinds, reasons, texts, starts, ends))


def _pick_metadata(
    stripped: list[str],
    meta_lines: list[tuple[int, meta.MetaLine]],
    label_lines: list[int],
    first: int,
    last: int,
    title_idx: int | None,
    found: dict[str, str],
) -> dict[str, str]:
    """Choose the page's date/author/source/editor among the metadata lines found.

    Bylines at the head of the article (up to a few lines into the body) beat
    signatures right after its end, which beat any other byline; consecutive byline
    lines are merged ("本报实习生 A B" + "本报记者 C D").  A date on a byline beats a
    bare date line, and both beat dates far from the article (comments, archives).
    Without a byline, a name-only line next to the title or the body start (or after a
    bare "作者：" label) is the author; the editor is the last resort.
    """
    out: dict[str, str] = {}
    head = first + 3
    near = first + _HEAD_MAX_LINES

    def zone(i: int) -> int:
        if i <= head:
            return 0
        if last < i <= last + 4:
            return 1
        return 2 if i <= near else 3

    def rank(i: int, ml: meta.MetaLine) -> tuple[int, int, int]:
        z = zone(i)
        # a bare "（name）" only counts right after the article; labelled bylines anywhere near it
        return (0 if z == 0 else 1 if ml.reason != "signature" else 2 if z == 1 else 3, z, i)

    bylines = sorted((rank(i, ml), i, ml) for i, ml in meta_lines if "author" in ml.fields)
    if bylines:
        r0, i0, ml0 = bylines[0]
        z = r0[1]
        names = [ml0.fields["author"]]
        prev = i0
        for r2, i, ml in bylines[1:]:
            z2 = r2[1]
            if z2 != z or any(stripped[k] for k in range(prev + 1, i)):
                break
            names.append(ml.fields["author"])
            prev = i
        out["author"] = " ".join(names)
    if "author" not in out:
        name = _name_line(stripped, label_lines, first, title_idx)
        if name:
            out["author"] = name
    dated = sorted(
        ((min(zone(i), 2) if zone(i) != 1 else 2, ml.reason != "byline", i, ml)
         for i, ml in meta_lines if "date" in ml.fields),
        key=lambda t: t[:3],
    )
    if dated:
        out["date"] = dated[0][3].fields["date"]
    for key in ("source", "editor"):
        vals = sorted((zone(i), i, ml.fields[key]) for i, ml in meta_lines if key in ml.fields)
        if vals and key not in found:
            out[key] = vals[0][2]
    if "author" not in out and "editor" in out:
        out["author"] = out["editor"]
    if "author" not in out:
        lead = stripped[: first + 6]
        # only lines holding the credit's last character "摄" can match (picked by C-level iteration)
        for s in compress(lead, map(str.__contains__, lead, repeat("摄"))):
            m = meta.PHOTO_BY.search(s)
            if m:
                out["author"] = m.group("name")
                break
    return out


def _name_line(stripped: list[str], label_lines: list[int], first: int, title_idx: int | None) -> str | None:
    """A name alone on a line right after the title, right before the body, or after "作者："."""
    n = len(stripped)

    def next_nonempty(i: int, step: int) -> int | None:
        i += step
        while 0 <= i < n and not stripped[i]:
            i += step
        return i if 0 <= i < n else None

    around = (
        next_nonempty(title_idx, 1) if title_idx is not None else None,
        next_nonempty(title_idx, -1) if title_idx is not None else None,
        next_nonempty(first, -1) if first < n else None,
    )
    spots = [j for j in around if j is not None]
    window = [j for j in range(first - 1, max(-1, first - 7), -1) if stripped[j] and j not in spots]
    spots += [j for j in window if stripped[j][0] in meta.SURNAMES]
    for lab in label_lines:
        j = next_nonempty(lab, 1)
        if j is not None:
            spots.insert(0, j)
    for j in spots:
        m = meta.NAME_ONLY.match(stripped[j])
        if not m:
            continue
        # a run of short lines is a menu ("官微 / 官博"), not a byline
        nbrs = [next_nonempty(j, -1), next_nonempty(j, 1)]
        if any(k is not None and len(stripped[k]) <= 4 for k in nbrs) and j not in spots[: len(label_lines)]:
            continue
        return str(m.group("name").replace(" ", "").replace("\t", ""))
    return None


def _related_cut(
    stripped: list[str], label: list[str], para: np.ndarray, headers: list[int], cjk: np.ndarray,
    to_end: bool,
    probs: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """Line range ``[start, end)`` of an unrelated related block (None when there is none).

    After a header the block runs while lines are teaser headlines (short, no sentence
    end) or unrelated to the body; it ends at the first line that is neither -- readers'
    comments or more article after a "Related posts" box stay.  With ``to_end`` (full-page
    text) the cut still runs to the end of the page: there, what follows a related box
    is more boxes and footers (dev text F1 0.788 with, 0.781 without); on extracted
    main content it is comments (Dragnet 0.846 -> 0.856 when the block stops).

    With line-model scores (``probs``), a header with more likely article text after it
    than before it (paragraphs with P >= ``RELATED_STOP_P``, by characters) is a box in the
    middle or at the head of the article, not the start of the page's tail: it is skipped
    (a "Related" box near the top otherwise took the whole article with it).
    """
    n = len(stripped)
    mass = None
    if probs is not None and headers:
        likely = para & (probs >= RELATED_STOP_P)
        mass = np.cumsum(np.where(likely, np.fromiter(map(len, stripped), dtype=np.int64, count=n), 0))
    body_para = np.flatnonzero((_label_codes(label) == _BODY) & para)
    body: set[str] = set()
    done = 0  # body_para[:done] are in ``body`` (headers come in page order; tokens are per line)
    for h in headers:
        if mass is not None and mass[-1] - mass[h] > mass[h]:
            continue
        upto = int(np.searchsorted(body_para, h))
        if upto < 2:
            continue
        if upto < done:  # not in page order: start again
            body, done = set(), 0
        if upto > done:
            body |= rel.tokens(" ".join([stripped[i] for i in body_para[done:upto].tolist()]))
            done = upto
        end = h + 1
        block: list[str] = []
        while end < n:
            s = stripped[end]
            if s and label[end] == "body":
                if not (_headline_like(s, int(cjk[end])) or rel.similarity(s, body) < rel.UNRELATED):
                    break
                block.append(s)
            end += 1
        if not block:
            if all(label[i] != "body" for i in range(h + 1, n)):
                return h, h + 1  # a lone header at the foot of the page
            continue  # on-topic text right after it: not a related block
        if rel.block_similarity(block, body) < rel.UNRELATED:
            return h, n if to_end else end
    # header-less run of teasers at the end of the page
    body_idx = body_para.tolist()
    tail = [stripped[i] for i in body_idx[-12:]] if len(body_idx) >= 2 * rel.MIN_TEASERS else []
    # unrelated_tail needs its last MIN_TEASERS lines teaser-shaped (a run from the end), and then the
    # tail holds MIN_TEASERS teaser-shaped lines: testing those few decides as counting all twelve did
    if tail and all(map(rel.teaser_shaped, tail[-rel.MIN_TEASERS :])):
        head = [stripped[i] for i in body_idx[:-12]] or [stripped[i] for i in body_idx[: len(body_idx) // 2]]
        k = rel.unrelated_tail(tail, rel.tokens(" ".join(head)))
        if k:
            return body_idx[-k], n
    return None


def _find_title(stripped: list[str], cjk: np.ndarray, label: list[str], stop: int) -> int | None:
    """The last headline-shaped undecided line before ``stop`` (the byline or the body)."""
    for i in range(stop - 1, -1, -1):
        if label[i] == "body" and _headline_like(stripped[i], int(cjk[i])) and len(stripped[i].split()) + int(
            cjk[i]
        ) >= 3:
            return i
    return None


def _head_reason(s: str) -> str:
    return "category" if "," in s and len(s) <= 40 else "navigation"


def _tail_label(s: str, cjk: int, title: str | None) -> tuple[str, str]:
    if title and title in s:
        return "chrome", "title-repeat"
    if ADDRESS.match(s):
        return "chrome", "contact-footer"
    if _headline_like(s, cjk) and (len(s.split()) >= 4 or cjk >= 8):
        return "related", "related-link"
    return "chrome", "footer"


def _apply_model(
    model: Any,
    probs: np.ndarray,
    lines: list[str],
    label: list[str],
    reason: list[str],
    cfg: Config,
    span: tuple[int, int] | None,
    title: str | None,
    para: np.ndarray,
    n_tok: np.ndarray | None = None,
) -> None:
    """Lines no rule decided stay when the model keeps them: the set maximising the page's
    expected F-beta (``EXPECTED_F``, with ``n_tok``), else P(content) >= the mode's threshold.

    Context repairs (as jusText's revision pass) when ``RESTORE_IN_SPAN``: inside the
    article span, a paragraph-shaped line (any line with ``RESTORE_ANY_SHAPE``) whose nearest
    non-empty neighbours are both kept (or are the title/metadata lines) stays even when the
    model scores it low; after the span, a line repeating the title is chrome even when the model
    keeps it.  Hysteresis (``GROW_RATIO``, before the repairs, whose anchors then include the
    grown lines): inside the span, a paragraph-shaped line scoring at least ``GROW_RATIO`` times
    the page's cut (``GROW_FROM_CUT``; else the threshold) stays when it is chained, through such
    lines, to a kept line (the lead paragraphs under a byline, scored low for their position).
    """
    thr = model.threshold(cfg.mode) if hasattr(model, "threshold") else THRESHOLDS[cfg.mode]
    codes = _label_codes(label)  # the labels as they are here: body, nonempty and anchor come from them
    body = codes == _BODY
    cut = thr  # the page's own cut: the lowest score kept by expected-F decoding, else the threshold
    if EXPECTED_F and n_tok is not None:
        keep = decode_expected(probs, n_tok, MODE_BETA[cfg.mode], body if EXPECTED_F == 2 else None) & body
        if GROW_FROM_CUT and keep.any():
            cut = float(probs[keep].min())
    else:
        keep = body & (probs >= thr)
    if body.any() and not keep.any():
        # as the model's own decoding: every page has some main content, and an empty
        # output scores zero -- keep the lines scoring at least half the page's best
        best = float(probs[body].max())
        keep = body & (probs >= 0.5 * best) if best > 0 else keep
    if span is not None:
        first, last = span
        nonempty = np.flatnonzero(codes != _EMPTY)
        if GROW_RATIO and nonempty.shape[0]:
            _grow(keep, body & para & (probs >= GROW_RATIO * cut), nonempty, first, last)
        if RESTORE_IN_SPAN and nonempty.shape[0]:
            # the article's own title/metadata lines count as kept neighbours; a line is restored
            # when its nearest non-empty neighbours on both sides are such anchors
            anchor = keep | (codes == _TITLE) | (codes == _METADATA)  # the article's own title/metadata
            rest = body if RESTORE_ANY_SHAPE else body & para
            cand = np.flatnonzero(rest[first : last + 1] & ~keep[first : last + 1]) + first
            if cand.shape[0]:
                k = np.searchsorted(nonempty, cand)  # nonempty[k] == cand (a body line is non-empty)
                prv = nonempty[np.maximum(k - 1, 0)]
                nxt = nonempty[np.minimum(k + 1, nonempty.shape[0] - 1)]
                ok = (k > 0) & anchor[prv] & (k + 1 < nonempty.shape[0]) & anchor[nxt]
                keep[cand[ok]] = True
    # (the chrome lines among the confident ones: each row's label is only changed by its own turn)
    for i in np.flatnonzero((probs >= MODEL_OVERRIDES_RULE) & (codes == _CHROME)).tolist():
        if reason[i] not in HARD_RULES:
            label[i], reason[i] = "body", ""  # a soft rule yields to a confident model
    # (a line holding the title is in the text after the span's end: one search decides whether any is)
    if span is not None and title and title in "\n".join(lines[span[1] + 1 :]):
        for i in np.flatnonzero(body[span[1] + 1 :]).tolist():
            i += span[1] + 1
            if title in lines[i] and lines[i].strip() != title:
                label[i], reason[i] = "chrome", "title-repeat"
                body[i] = False
    _fill_rows(label, reason, np.flatnonzero(body & ~keep), "chrome", "low-content-score")


def _grow(keep: np.ndarray, grow: np.ndarray, nonempty: np.ndarray, first: int, last: int) -> None:
    """Keep the runs of ``grow`` lines (consecutive among the non-empty lines of the span
    ``[first, last]``) whose neighbour before or after the run is kept."""
    ne = nonempty[(nonempty >= first) & (nonempty <= last)]
    gq = grow[ne] & ~keep[ne]
    if not gq.any():
        return
    kq = keep[ne]
    m = gq.shape[0]
    run_first = np.flatnonzero(gq & ~np.concatenate(([False], gq[:-1])))
    run_last = np.flatnonzero(gq & ~np.concatenate((gq[1:], [False])))
    ok = ((run_first > 0) & kq[np.maximum(run_first - 1, 0)]) | (
        (run_last + 1 < m) & kq[np.minimum(run_last + 1, m - 1)]
    )
    rid = np.cumsum(gq & ~np.concatenate(([False], gq[:-1]))) - 1
    keep[ne[gq & ok[np.maximum(rid, 0)]]] = True


HARD_RULES = frozenset(
    {"share-buttons", "source-link", "copy-protection", "back-to-top", "follow-us", "url", "title-repeat",
     "licence-footer", "popular-box", "publisher-blurb", "image-credit", "contact-footer", "comments"}
)
"""Chrome rules that hold whatever the model says; the others (breadcrumb-shaped lines,
copyright lines) yield to a model that is confident the line is content (dev, in-sample:
+0.0006 F1 -- small, but those two rules are the ones whose lines the gold most often
counts as content)."""
MODEL_OVERRIDES_RULE = 0.9
"""P(content) at which the model overrides a soft rule (see ``HARD_RULES``)."""

RELATED_STOP_P = 0.5
"""Line-model P(content) of a paragraph that counts as likely article text when placing a
related header (see :func:`_related_cut`)."""

GROW_RATIO = 0.5
"""Hysteresis of :func:`_apply_model` (0 turns it off); see ``bench/results/boilerplate.md``."""

GROW_FROM_CUT = True
"""With expected-F decoding, the hysteresis bar is ``GROW_RATIO`` times the page's own cut (the
lowest score it kept) instead of the model's fixed threshold: the decoding already moved the cut
per page, so the bar follows it (5-fold CV, E1 fold models, stage balanced: F1 0.9024 against
0.9014 with the fixed bar, both with restore on)."""

RESTORE_ANY_SHAPE = False
"""Whether the in-span restore of :func:`_apply_model` may restore any undecided line (True, the
threshold-era rule) or only paragraph-shaped ones (False): with expected-F decoding, restoring
short lines between kept ones cost precision (5-fold CV, same fold models: P 0.8989 -> 0.9009,
F1 0.9024 -> 0.9029) and the seeds' lead paragraphs, which it exists for, are paragraphs."""

EXPECTED_F = 1
"""How :func:`_apply_model` picks the lines to keep with a packaged line model: 1 (shipped)
keeps the undecided lines that maximise the page's expected F-beta (:func:`.model.decode_expected`,
the expected gold counting every line); 2 the same with the expected gold counted over the
undecided lines only; 0 a fixed per-mode threshold (the model's).  5-fold CV, the same fold
models, stage balanced F1: threshold 0.8998, expected F (1) 0.9007, (2) 0.9008; model alone
0.8981 -> 0.9026 (bench/results/boilerplate.md).  Models without token counts use the threshold."""

RESTORE_IN_SPAN = True
"""Whether the context repairs of :func:`_apply_model` run (see its docstring)."""


def _join(lines: list[str], label: list[str], codes: np.ndarray | None = None) -> str:
    """Kept lines, a blank line between two of them where the input had one.  By the compiled
    kernel when it is built (``codes``: ``_label_codes(label)``, when the caller has them)."""
    if F._native is not None:
        return F._native.join_kept(  # type: ignore[no-any-return]
            lines, _label_codes(label) if codes is None else codes, _KEPT_CODES, _EMPTY
        )
    out: list[str] = []
    gap = False
    for line, lab in zip(lines, label, strict=True):
        if lab in ("body", "title"):
            if out:
                out.append("\n\n" if gap else "\n")
            out.append(line)
            gap = False
        elif lab == "empty" and out:
            gap = True
    return "".join(out)


precompiled.stop_recording()  # every pattern the stage compiles at import is recorded by now (precompiled.seen)
