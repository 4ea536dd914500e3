"""DOM blocks of an HTML page, and a small learned model that picks the article's blocks.

trafilatura makes one cut per page and is right on most of them; where it is wrong it keeps a
comment form, a teaser list or a sidebar, or drops half of a list-like article.  The DOM tells
more than its output shows, so the page is cut into text blocks (every block element is its own
line, as a simple scraper writes it) and each block is described by

* what the DOM says: the tags around it (``<a>``, ``<nav>``, ``<aside>``, ``<footer>``,
  ``<li>``, headings, tables, forms...), keywords in the ``class``/``id`` of its ancestors
  (comment, share, related, sidebar, byline...), its own block tag, its link density;
* its shape: length, sentence-final punctuation, digits, position on the page;
* what trafilatura kept: whether the block's text is in trafilatura's output, and the same
  over windows of neighbours (trafilatura's decision is the strongest single cue, the model
  learns where to overrule it), plus the share of the page trafilatura kept.
* what the text stage's whole-line rules say about it (a "Related posts" header, a share /
  footer / navigation / image-credit line) and how far below the last related header it lies.

Gradient-boosted oblivious trees (five forests with different subsample seeds, averaged; trained
by ``scripts/train_html_blocks.py`` with :func:`cleaner.boilerplate.model.fit_forest`, evaluated
here with numpy alone) give P(content) per block; the blocks at or above the mode's threshold, in
page order, are the article, with no more copies of a paragraph than trafilatura's text holds
(:func:`extra_copies`).

The walk over the tree is one ``lxml.etree.iterwalk`` (start and end events) with a few dict
lookups per element; class/id keyword flags are cached per attribute string.  Measured on the
459 dev pages (CPU, quiet 2-core machine): ~1.9 ms per page for the walk, ~0.9 ms for the
features, ~0.2 ms for trees and metadata lines (+0.17 ms since the forests were five), against
~25 ms for trafilatura itself
(bench/results/boilerplate-html.md, "Where the extra time goes").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .boilerplate.features import _window_mean
from .boilerplate.model import Forest, _sigmoid, decode, load_packaged

MODEL_FILE = Path(__file__).resolve().parent / "data" / "html_block_model.npz"
FORMAT_VERSION = 1

# Block elements: each starts and ends a line.  ``br`` too, as in the benchmark's page text.
_BLOCK = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table section article header footer nav aside "
    "blockquote pre form dd dt dl figure figcaption main address hr title option center".split()
)
# Containers: the elements that group blocks into a region (a list, a sidebar, a comment thread).
_CONTAINER = frozenset("div section article aside nav ul ol dl table form header footer main body td".split())
# Elements whose text a reader never sees as prose (scripts, styles, form widgets).  Not
# ``<object>``: what it holds besides its ``<param>``s is the fallback a browser shows when the
# plugin is missing (every Flash object now), e.g. a video's caption, which gold texts count
# (12 dev pages of one site, 16-39 gold tokens each; 5-fold CV after the text stage, five
# bagged training seeds: 0.9286 -> 0.9299).
_SKIP = frozenset("script style noscript template svg head iframe select button textarea".split())

# Flag bits 0-13: tags on the path from the root; 14-25: class/id keywords; 26: inline emphasis.
_TAG_BITS: dict[str, int] = {}
for _bit, _tags in enumerate(
    (
        "a",
        "nav",
        "aside",
        "footer",
        "header",
        "form input label option",
        "li dd dt",
        "h1 h2 h3 h4 h5 h6",
        "td th",
        "p",
        "article main",
        "blockquote pre code",
        "figure figcaption",
        "time address",
    )
):
    for _t in _tags.split():
        _TAG_BITS[_t] = _TAG_BITS.get(_t, 0) | (1 << _bit)
for _t in ("strong", "b", "em", "i"):
    _TAG_BITS[_t] = 1 << 26

# Keywords of class/id values, the vocabulary of CMS templates (own list; the kinds of words
# readability and trafilatura also look for).
_KEYWORDS = (
    (14, r"comment|disqus|respond|reply|discuss"),
    (15, r"share|social|sharing|facebook|twitter|print|email"),
    (16, r"related|recommend|more|popular|trending|read-?next|also|outbrain|taboola"),
    (17, r"nav|menu|breadcrumb|crumb|pagination|pager|skip"),
    (18, r"foot|copyright|legal|disclaimer"),
    (19, r"sidebar|widget|side|rail|column"),
    (20, r"\bads?\b|advert|promo|sponsor|banner|newsletter|subscribe|signup"),
    (21, r"content|article|post|entry|story|body|text|main|blog"),
    (22, r"author|byline|meta|date|time|posted|dateline"),
    (23, r"tag|categor|topic|keyword"),
    (24, r"caption|credit|photo|image|img|figure|media"),
    (25, r"header|masthead|top|logo|brand"),
    (27, r"quote|signature"),  # not a model feature: read by extra_copies only
)
_KEYWORD_RE = re.compile("|".join(f"(?P<k{bit}>{pat})" for bit, pat in _KEYWORDS), re.I)
_KEYWORD_ASCII_RE = re.compile(_KEYWORD_RE.pattern)
"""The same alternation without ``re.I``, for ASCII names lower-cased first: the same matches (every keyword
is ASCII lower case, and on ASCII text ``re.I`` folds exactly A-Z; it also lets KELVIN SIGN match ``k`` and
LONG S match ``s``, hence ASCII only) at half the cost: case-folding every compared character was half of
the regex's time (0.61 -> 0.31 s over the 42,954 distinct names of the dev pages, every one's matches equal)."""
N_FLAGS = 27
"""Flag bits that are model features (bit 27, :data:`QUOTE_FLAG`, is not)."""
COMMENT_FLAG = 1 << 14
QUOTE_FLAG = 1 << 27
"""Text under a quote or signature container (``bbcode_quote``, ``signaturecontainer``...):
repeated by design on forum pages, so :func:`extra_copies` leaves it alone."""
_KW_CACHE: dict[str, int] = {}
KW_CACHE_MAX = 8_192
"""Entries of the class/id keyword cache (names and whole values) before it is emptied.  Most values
never recur (the 459 dev pages hold 42,954 distinct names, mostly ids and hashes): a 50,000-entry cache
filled within one pass (6.8 MB per worker, after which nothing new was cached); emptied at 8,192 it
holds ~1 MB and the recurring names (``menu-item``, ``comment``, ``widget``...) are back within a page."""

# The block's own tag, one-hot (the innermost block element around its text).
_TAG_CLASS = {"p": 0, "div": 1, "li": 2, "dd": 2, "dt": 2, "td": 3, "th": 3, "tr": 3, "title": 5, "option": 6}
_TAG_CLASS.update({f"h{k}": 4 for k in range(1, 7)})
N_TAG_CLASSES = 8  # 7: anything else (section, blockquote, br, ...)

_END_CHARS = frozenset(".!?。！？\"'”’)")

FEATURE_NAMES: tuple[str, ...] = (
    *(f"flag{b}" for b in range(N_FLAGS)),
    *(f"tag{c}" for c in range(N_TAG_CLASSES)),
    "log_chars",
    "log_words",
    "link_density",
    "ends_sentence",
    "digit_share",
    "in_extract",
    "in_extract_w1",
    "in_extract_w3",
    "in_extract_w10",
    "link_density_w2",
    "position",
    "char_position",
    "extract_page_share",
    "extract_empty",
    "extract_mass_before",
    "extract_mass_after",
    "log_chars_w2",
    "ends_sentence_w2",
    "log_extract_chars",
    "chars_rel_max",
    "box_log_chars",
    "box_link_density",
    "box_in_extract",
    "box_log_blocks",
    "box_ends_sentence",
    "outer_log_chars",
    "outer_link_density",
    "outer_in_extract",
    "outer_log_blocks",
    "rule_related",
    "rule_chrome",
    "blocks_since_related",
    "rule_chrome_w3",
)


@dataclass(slots=True)
class Blocks:
    """The page's text blocks in document order, with what the DOM says about each."""

    lines: list[str] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)  # OR of the flag bits over the block's text
    link_chars: list[int] = field(default_factory=list)  # characters of text inside <a>
    tags: list[str] = field(default_factory=list)  # innermost block element
    box: list[int] = field(default_factory=list)  # innermost container element (numbered in order)
    outer: list[int] = field(default_factory=list)  # the container around that one

    def __len__(self) -> int:
        return len(self.lines)


def _keyword_flags(s: str) -> int:
    """Keyword bits of a ``class``/``id`` value, cached per value and per whitespace-separated
    name (names recur across sites far more than whole values; no keyword spans a space, so the
    bits of the value are the OR of its names' bits)."""
    cache = _KW_CACHE
    g = cache.get(s)
    if g is None:
        g = 0
        for name in s.split():
            b = cache.get(name)
            if b is None:
                b = _name_flags(name)
                if len(cache) >= KW_CACHE_MAX:
                    cache.clear()
                cache[name] = b
            g |= b
        if len(cache) >= KW_CACHE_MAX:
            cache.clear()
        cache[s] = g
    return g


def _name_flags(name: str) -> int:
    """Keyword bits of one class/id name: the groups of :data:`_KEYWORD_RE` that ``finditer`` matches."""
    b = 0
    if name.isascii():
        matches = _KEYWORD_ASCII_RE.finditer(name.lower())
    else:
        matches = _KEYWORD_RE.finditer(name)
    for m in matches:
        b |= 1 << int((m.lastgroup or "k0")[1:])
    return b


# Per tag: (flag bits, is a container, is a block element); other tags (span, font, ...) add nothing.
_TAG_INFO: dict[str, tuple[int, bool, bool]] = {
    t: (_TAG_BITS.get(t, 0), t in _CONTAINER, t in _BLOCK) for t in {*_TAG_BITS, *_BLOCK, *_CONTAINER}
}
_NO_INFO = (0, False, False)


def page_blocks(root: Any) -> Blocks:
    """Cut an lxml tree into text blocks (whitespace collapsed, empty blocks dropped).

    One ``iterwalk`` with start and end events; the state of the open elements (flags, block
    tag, container) lives in locals and one stack of tuples, the subtrees of ``_SKIP`` elements
    are not entered (``skip_subtree``): this loop runs once per element of the page (~660 on a
    dev page), so every attribute lookup counts (0.98 s -> 0.90 s CPU over the 459 dev pages
    against a three-stack version; same blocks).  Ending a block is one ``flush`` call (a few
    hundred per page: no measurable cost against writing it out inline).
    """
    from lxml import etree

    lines: list[str] = []
    flags: list[int] = []
    links: list[int] = []
    tags: list[str] = []
    boxes: list[int] = []
    outers: list[int] = []
    buf: list[str] = []
    bflags = blink = 0
    cur_f, cur_tag, cur_box = 0, "", 0  # the innermost open element's flags, block tag, container
    stack: list[tuple[int, str, int]] = []
    outer_of = [0]  # container number -> its enclosing container
    skipping = False
    info_get = _TAG_INFO.get
    skip_tags = _SKIP
    block_tags = _BLOCK
    keyword_flags = _keyword_flags

    def flush(f: int, link: int, tag: str, box: int) -> None:
        """End the block whose text is in ``buf`` (whitespace collapsed; kept when not empty)."""
        s = " ".join("".join(buf).split())
        if s:
            lines.append(s)
            flags.append(f)
            links.append(link)
            tags.append(tag)
            boxes.append(box)
            outers.append(outer_of[box])
        buf.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag.__class__ is not str:  # comment or processing instruction: only its tail is text
                continue
            if tag in skip_tags:
                walker.skip_subtree()  # the next event is this element's end
                skipping = True
                continue
            bits, container, block = info_get(tag, _NO_INFO)
            stack.append((cur_f, cur_tag, cur_box))
            cur_f |= bits
            cls = el.get("class")
            ident = el.get("id")
            if cls or ident:
                cur_f |= keyword_flags(f"{cls or ''} {ident or ''}")
            if container:
                outer_of.append(cur_box)
                cur_box = len(outer_of) - 1
            if block:
                if buf:  # the text before this block element ends a block (in the new container)
                    flush(bflags, blink, cur_tag, cur_box)
                    bflags = blink = 0
                cur_tag = tag
            text = el.text
            if text:
                buf.append(text)
                bflags |= cur_f
                if cur_f & 1:
                    blink += len(text.strip())
            continue
        if tag.__class__ is not str:
            tail = el.tail
            if tail and not skipping:
                buf.append(tail)
                bflags |= cur_f
            continue
        if skipping:  # the end of a skipped element: nothing was pushed, its tail is text
            skipping = False
        else:
            if buf and tag in block_tags:
                flush(bflags, blink, cur_tag, cur_box)
                bflags = blink = 0
            cur_f, cur_tag, cur_box = stack.pop()
        tail = el.tail
        if tail:
            buf.append(tail)
            bflags |= cur_f
            if cur_f & 1:
                blink += len(tail.strip())
    if buf:
        flush(bflags, blink, cur_tag, cur_box)
    return Blocks(lines, flags, links, tags, boxes, outers)


def _in_extract(lines: list[str], extracted: str, joined: str) -> np.ndarray:
    """1.0 where the block's text occurs in ``joined`` (whitespace-collapsed extractor output).

    Most blocks trafilatura kept are one whole line of its output: a set lookup answers those.
    For the others a substring search scans the output; a block of three words or more is first
    ruled out by a set lookup when one of its inner words is not a whole word of the output
    (the inner words of an occurring block are).  A one-word block can only occur inside one
    word of the output, so it is searched in the distinct words (fewer characters than the
    text).  Short blocks are searched, not matched as whole words: a whole-word test cost 0.007
    F1 in CV (a nav label is kept as "World," in the text).  A block's text that recurs on the
    page (menu labels, "Reply", dates) is answered once.  Same values as a plain search."""
    if not joined:
        return np.zeros(len(lines))
    whole = {" ".join(x.split()) for x in extracted.splitlines()}
    words = set(joined.split())
    vocab = "\x00".join(words)  # one-word blocks: a substring of joined only within one word
    found = dict.fromkeys(whole, True)
    out: list[bool] = []
    for s in lines:
        hit = found.get(s)
        if hit is None:
            w = s.split()
            if len(w) == 1:
                hit = s in words or s in vocab
            else:
                hit = (len(w) < 3 or all(x in words for x in w[1:-1])) and s in joined
            found[s] = hit
        out.append(hit)
    return np.array(out, dtype=np.float64)


def block_features(blocks: Blocks, extracted: str) -> np.ndarray:
    """One row of :data:`FEATURE_NAMES` per block; ``extracted`` is trafilatura's text."""
    n = len(blocks)
    X = np.zeros((n, len(FEATURE_NAMES)))
    if n == 0:
        return X
    joined = " ".join(extracted.split())
    lines = blocks.lines
    flags = np.asarray(blocks.flags, dtype=np.int64)
    X[:, :N_FLAGS] = (flags[:, None] >> np.arange(N_FLAGS)) & 1
    tag_class = np.fromiter((_TAG_CLASS.get(t, 7) for t in blocks.tags), dtype=np.int64, count=n)
    X[np.arange(n), N_FLAGS + tag_class] = 1.0
    o = N_FLAGS + N_TAG_CLASSES
    chars = np.fromiter(map(len, lines), dtype=np.float64, count=n)
    words = np.fromiter((s.count(" ") + 1 for s in lines), dtype=np.float64, count=n)
    # digits per block: one pass over the code points of the joined blocks, summed per block (from its start to
    # the next one's: the "\n" between is no digit).  A per-block sum, not a running count over the page's
    # characters: 2 bytes per character of temporaries instead of 18 (the 1.5 M-character dev pages: ~8 MB)
    text = "\n".join(lines)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    is_digit = cp >= 48
    is_digit &= cp <= 57
    del cp
    starts = np.cumsum(chars + 1).astype(np.int64) - chars.astype(np.int64) - 1
    digits = np.add.reduceat(is_digit.view(np.uint8), starts, dtype=np.int64)
    del is_digit
    link_chars = np.asarray(blocks.link_chars, dtype=np.float64)
    link = np.minimum(link_chars / chars, 1.0)
    sub = _in_extract(lines, extracted, joined)
    endp = np.fromiter((s[-1] in _END_CHARS for s in lines), dtype=np.float64, count=n)
    log_chars = np.log1p(chars)
    cum = np.cumsum(chars)
    kept = np.cumsum(chars * sub)
    kept_total = max(float(kept[-1]), 1.0)
    X[:, o + 0] = log_chars
    X[:, o + 1] = np.log1p(words)
    X[:, o + 2] = link
    X[:, o + 3] = endp
    X[:, o + 4] = digits / chars
    X[:, o + 5] = sub
    X[:, o + 6] = _window_mean(sub, 1)
    X[:, o + 7] = _window_mean(sub, 3)
    X[:, o + 8] = _window_mean(sub, 10)
    X[:, o + 9] = _window_mean(link, 2)
    X[:, o + 10] = np.arange(n) / n
    X[:, o + 11] = (cum - chars) / cum[-1]
    X[:, o + 12] = len(joined) / max(float(cum[-1]), 1.0)
    X[:, o + 13] = float(not joined)
    X[:, o + 14] = (kept - chars * sub) / kept_total
    X[:, o + 15] = (kept_total - kept) / kept_total
    X[:, o + 16] = _window_mean(log_chars, 2)
    X[:, o + 17] = _window_mean(endp, 2)
    X[:, o + 18] = np.log1p(len(joined))
    X[:, o + 19] = chars / max(float(chars.max()), 1.0)
    # the region around the block: its container and the one around that
    for j, key in ((20, blocks.box), (25, blocks.outer)):
        _, g = np.unique(np.asarray(key, dtype=np.int64), return_inverse=True)
        g_chars = np.bincount(g, weights=chars)
        X[:, o + j] = np.log1p(g_chars)[g]
        X[:, o + j + 1] = (np.bincount(g, weights=link_chars) / g_chars)[g]
        X[:, o + j + 2] = (np.bincount(g, weights=chars * sub) / g_chars)[g]
        X[:, o + j + 3] = np.log1p(np.bincount(g))[g]
        if j == 20:
            X[:, o + j + 4] = (np.bincount(g, weights=endp) / np.bincount(g))[g]
    X[:, o + 29 :] = _rule_columns(text, chars)
    return X


RULE_REACH = 50
"""``blocks_since_related`` for a block with no related header at or above it (and its cap)."""


def _rule_columns(text: str, chars: np.ndarray) -> np.ndarray:
    """The text stage's whole-line rules (:func:`cleaner.boilerplate.rules.scan`) on the blocks:
    whether a block is a "Related" / "Read more" header, whether it is any other chrome line
    (share buttons, copyright and contact footers, navigation, image credits...), how many
    blocks below the last related header it lies, and the chrome share of its +-3 neighbours.
    The DOM flags see class names, not the words a reader sees: 5-fold CV after the text stage
    0.9266 -> 0.9278 (mean of three training seeds; every fold up with seed 0), for one scan of
    the blocks' text (~0.4 ms per page, ~1.5% of trafilatura's time)."""
    from .boilerplate.rules import scan

    n = chars.shape[0]
    out = np.zeros((n, 4))
    hits = scan(text)
    if hits:
        starts = np.concatenate([[0], np.cumsum(chars + 1)[:-1]])
        rows = np.searchsorted(starts, [h.start for h in hits], side="right") - 1
        related = np.asarray([h.kind == "related" for h in hits])
        out[rows[related], 0] = 1.0
        out[rows[~related], 1] = 1.0
    out[:, 2] = RULE_REACH
    rel = np.flatnonzero(out[:, 0])
    if rel.shape[0]:
        idx = np.arange(n)
        k = np.searchsorted(rel, idx, side="right") - 1  # the last header at or above the block
        out[:, 2] = np.where(k >= 0, np.minimum(idx - rel[np.maximum(k, 0)], RULE_REACH), RULE_REACH)
    out[:, 3] = _window_mean(out[:, 1], 3)
    return out


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class BlockModel:
    """Oblivious trees (``feat``/``thr``: trees x depth, ``leaf``: trees x 2**depth, ``bias``)
    and a P(content) threshold per mode (chosen on out-of-fold scores of the training pages)."""

    feat: np.ndarray
    thr: np.ndarray
    leaf: np.ndarray
    bias: float
    thresholds: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)
    _forest: Forest | None = field(default=None, init=False, repr=False)
    """The trees as the text stage's :class:`Forest`, prepared on first use (not per page)."""

    def score(self, X: np.ndarray) -> np.ndarray:
        """P(content) per row of ``X``, evaluated by the text stage's :class:`Forest`."""
        if self._forest is None:
            self._forest = Forest(self.feat, self.thr, self.leaf, self.bias).prepare()
        return _sigmoid(self._forest.raw(X))

    def keep(self, X: np.ndarray, mode: str = "balanced") -> np.ndarray:
        """Blocks to keep: P >= the mode's threshold; when none is, those >= half the best."""
        return decode(self.score(X), self.thresholds.get(mode, self.thresholds["balanced"]))

    def save(self, path: str | Path) -> None:
        meta = dict(self.meta, format_version=FORMAT_VERSION, thresholds=self.thresholds,
                    features=list(FEATURE_NAMES))
        with open(path, "wb") as f:
            np.savez_compressed(
                f,
                meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
                feat=self.feat.astype(np.int16),
                thr=self.thr.astype(np.float64),
                leaf=self.leaf.astype(np.float32),
                bias=np.array([self.bias]),
            )

    @classmethod
    def load(cls, path: str | Path) -> BlockModel:
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            if meta.get("format_version") != FORMAT_VERSION or meta.get("features") != list(FEATURE_NAMES):
                raise ValueError(f"{path}: built for other features or format; rebuild it")
            thresholds = {k: float(v) for k, v in meta.pop("thresholds").items()}
            return cls(z["feat"].astype(np.int64), z["thr"].astype(np.float64), z["leaf"].astype(np.float64),
                       float(z["bias"][0]), thresholds, meta)


@lru_cache(maxsize=1)
def default_model() -> BlockModel | None:
    """The packaged block model (loaded once); None when it is missing or stale (with a warning:
    extraction then returns trafilatura's text alone)."""
    return load_packaged(MODEL_FILE, BlockModel.load, "HTML block model")


def select(blocks: Blocks, extracted: str, model: BlockModel, mode: str = "balanced") -> str:
    """The article: the blocks the model keeps (no more copies of a paragraph than trafilatura
    kept, plus metadata lines near them), one per line."""
    if not len(blocks):
        return extracted
    keep = model.keep(block_features(blocks, extracted), mode)
    keep &= ~extra_copies(blocks.lines, keep, extracted, blocks.flags)
    keep |= metadata_lines(blocks.lines, keep)
    return "\n".join(s for s, k in zip(blocks.lines, keep.tolist(), strict=True) if k)


COPY_MIN_WORDS = 5
"""Shorter kept blocks may repeat ("Reply", "Share", a price): only blocks of this many words
or more count as copies of a paragraph."""


def extra_copies(lines: list[str], keep: np.ndarray, extracted: str, flags: list[int] | None = None) -> np.ndarray:
    """Kept blocks that repeat a kept paragraph more often than trafilatura's text holds it.

    The block model scores every copy of a paragraph alike: an article shown twice (a teaser
    excerpt above the full post, a preview box, a list repeated in a widget) is kept twice,
    and a gold text has it once.  trafilatura, run without deduplication, keeps a paragraph as
    often as the article itself repeats it, so its count is the allowance (at least one copy);
    the earliest copies stay.  Matched as whole blocks against trafilatura's whitespace-collapsed
    text.  Blocks under a quote or signature container (``flags`` with :data:`QUOTE_FLAG`) are
    not copies: a forum thread quotes earlier posts and repeats each member's signature, and
    its gold repeats them too (the German forum thread of multi_dev lost 0.05 F1 to this rule
    before they were exempted).  On out-of-fold block selections of the 459 dev pages (five bagged training seeds,
    after the text stage): 22 pages change, F1 +0.002 (three Dragnet pages whose post appears
    twice +0.22 to +0.29; the one page it costs, -0.08, has a caption the gold repeats where
    trafilatura kept one copy).  Only repeated texts are searched: ~nothing on most pages."""
    out = np.zeros(len(lines), dtype=bool)
    seen: dict[str, int] = {}
    for i in np.flatnonzero(keep).tolist():
        s = lines[i]
        if s.count(" ") + 1 >= COPY_MIN_WORDS and not (flags is not None and flags[i] & QUOTE_FLAG):
            seen[s] = seen.get(s, 0) + 1
    repeated = {s for s, c in seen.items() if c > 1}
    if not repeated:
        return out
    joined = " ".join(extracted.split())
    allowance = {s: max(joined.count(s), 1) for s in repeated}
    count: dict[str, int] = {}
    for i in np.flatnonzero(keep).tolist():
        s = lines[i]
        if s in allowance and not (flags is not None and flags[i] & QUOTE_FLAG):
            count[s] = count.get(s, 0) + 1
            out[i] = count[s] > allowance[s]
    return out


META_REACH = 10
"""Blocks before the first kept block (and after the last) searched for a byline or date line."""


def metadata_lines(lines: list[str], keep: np.ndarray) -> np.ndarray:
    """Dropped blocks around and inside the kept span that are whole byline/date lines.

    The block model drops many of them (a gold text often lacks them); the text stage moves
    them to ``metadata`` when it sees them, so they are handed to it rather than lost: on the
    21 Chinese pages of multi_dev the author is right on 10/17 without this, 13/17 with it.
    Only lines the text stage's own parser reads as removable metadata with an author or a
    date are added, so the text it returns is unchanged."""
    out = np.zeros(len(lines), dtype=bool)
    kept = np.flatnonzero(keep)
    if not kept.shape[0]:
        return out
    from .boilerplate.metadata import parse_line

    lo, hi = max(int(kept[0]) - META_REACH, 0), min(int(kept[-1]) + META_REACH + 1, len(lines))
    for i in range(lo, hi):
        if not keep[i] and len(lines[i]) <= 200:
            ml = parse_line(lines[i])
            if ml is not None and ml.remove and ("author" in ml.fields or "date" in ml.fields):
                out[i] = True
    return out


def without_flag(blocks: Blocks, flag: int) -> Blocks:
    """The blocks none of whose text lies under an element with ``flag``."""
    keep = [i for i, f in enumerate(blocks.flags) if not f & flag]
    return Blocks(*([getattr(blocks, a)[i] for i in keep] for a in ("lines", "flags", "link_chars", "tags", "box",
                                                                      "outer")))
