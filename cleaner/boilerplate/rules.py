"""High-precision chrome lexicons, one compiled pass per page.

Every rule is a *whole-line* pattern (anchored at both ends, optional bullets and
surrounding punctuation allowed), so a body sentence that merely mentions "share" or
"版权" is never touched; a line is chrome only when the whole line *is* the chrome.
The rules are plain data -- ``RULES`` is a tuple of ``Rule(kind, reason, pattern)`` and
``LEXICON`` the compiled union -- so the learned line model can use them as features.

All patterns go into one alternation with one named group per rule and run once over
the whole page (``MULTILINE``): a page costs one C-level scan instead of one Python
call per line and rule.  The two page scans (:data:`LEXICON`, :data:`CONTAINS`) are
compiled with the stdlib ``re`` engine (``\\h``/``\\p{Han}`` spelled out as classes by
:func:`stdlib_pattern`): it finds the same matches on every dev page and scans 2.5x faster than
``regex``, which tries each line start far more slowly (dev: 0.68 -> 0.28 ms per page).
Rules were written from the shapes of chrome seen on news sites in English and Chinese (share bars, copyright/licence
footers, breadcrumbs, image credits, copy-protection notices, related-block headers),
not from benchmark items.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import repeat
from pathlib import Path
from re import _parser as _re_parser  # type: ignore[attr-defined]
from typing import Any, NamedTuple

import numpy as np
import regex

from .._shipped import DAMAGED, read_npz, source_digest
from .precompiled import compile as re_compile
from .precompiled import interpreter_key, regex_compile

log = logging.getLogger(__name__)


class Rule(NamedTuple):
    """One whole-line chrome pattern: what it removes (``kind``) and why (``reason``)."""

    kind: str  # chrome | related
    reason: str
    pattern: str


# Optional decoration around a line: bullets, pipes, brackets, arrows, spaces.
# (Possessive quantifiers: a failed line is given up at once instead of re-partitioned.
# "|" and ">" are not leading decoration: a line that starts with them is a table row.)
_PRE = r"[ \t\u3000]*+(?:[-–—•·*»›▶►◆■□●○【\[(（「]++[ \t\u3000]*+)?"
_POST = r"[ \t\u3000]*+(?:[\]）)」】|:：>»›.。!！…-]++[ \t\u3000]*+)?"

_SHARE_WORD = (
    r"(?:share(?:\s+this(?:\s+(?:article|story|page|post))?)?|tweet|pin(?:\s+it)?|e-?mail|print|"
    r"facebook|twitter|x|linkedin|whatsapp|wechat|weibo|reddit|telegram|pinterest|tumblr|flipboard|"
    r"messenger|copy\s+link|copy\s+url|comments?|save|teilen|drucken|partager|compartir|condividi|"
    r"podijeli|微信|微博|朋友圈|qq空间|qq|豆瓣|分享|打印|收藏|复制链接|扫一扫|点赞)"
)

RULES: tuple[Rule, ...] = (
    # -- share bars: "Share", "Share - WeChat", "Share on Facebook", "分享到：微信 微博"
    Rule("chrome", "share-buttons",
         rf"(?:{_SHARE_WORD}(?:\s*(?:on|to|via|[-–|/:：,、]|\s)\s*{_SHARE_WORD}){{0,8}}"
         r"|share\s+(?:on|to|via)\s+\w+(?:\s+\w+)?|分享到[:：]?.{0,40}|分享至[:：]?.{0,40})"),
    Rule("chrome", "follow-us",
         r"(?:follow\s+us(?:\s+on\s+.{1,60})?|connect\s+with\s+us|关注我们.{0,30}|关注.{0,12}(?:公众号|微信号).{0,30}"
         r"|(?:like|find)\s+us\s+on\s+facebook|subscribe(?:\s+to\s+(?:our|the)\s+newsletter)?)"),
    Rule("chrome", "back-to-top",
         r"(?:(?:back|return|go|scroll)\s+to\s+(?:the\s+)?top|top|返回顶部|回到顶部|返回首页|回到首页|返回)"),
    Rule("chrome", "copyright-footer",
         r"(?:(?:©|\(c\)|copyright\s*(?:©|\(c\)|@|\d{4})|版权所有|版权声明).{0,600})"),
    Rule("chrome", "source-link",
         r"(?:source\s+link|original\s+(?:article|source)|原文链接|阅读原文|查看原文)"),
    Rule("chrome", "url", r"(?:(?:https?://|www\.)\S+)"),
    Rule("chrome", "contact-footer",
         r"(?:(?:contact|email|e-mail|write\s+to|reach)\b.{0,60}?[\w.+-]+@[\w-]+\.[\w.-]+.{0,20}"
         r"|[\w.+-]+@[\w-]+\.[\w.-]+|(?:tel|phone|fax|电话|传真|邮箱|联系电话|投稿邮箱)\s*[:：.]\s*[\d+(\w].{0,50}"
         r"|\+?\(?\d{2,4}\)?[\s.-]*\d{3,4}[\s.-]*\d{3,5}|联系我们|给编辑写信)"),
    Rule("chrome", "copy-protection",
         r"(?:(?:error|alert|warning)\s*[:：]?\s*)?(?:content\s+is\s+protected.{0,10}"
         r"|right[- ]click\s+(?:is\s+)?disabled.{0,20}|copying\s+is\s+(?:not\s+allowed|disabled).{0,20}"
         r"|禁止复制.{0,20})"),
    Rule("chrome", "image-credit",
         r"(?:(?:cover\s+)?(?:image|photo|picture|photograph|illustration|video|graphic|pic|credit|图片|图|摄影|视频)"
         r"(?:\s+(?:credit|source|courtesy))?\s*[:：|].{0,300}"
         r"|(?-i:[A-Z][A-Z.'\s-]{1,40}\s?/\s?[A-Z][A-Z.'\s-]{1,40})"
         r"|[（(].{0,30}(?:摄|供图|图源|资料图|图片来源).{0,10}[)）])"),
    Rule("chrome", "navigation",
         r"(?:(?:home|首页|主页|当前位置[:：]?|您的位置[:：]?|位置[:：])\s*(?:[/>»›|]|&gt;).{0,120}"
         r"|[^/>»›|\n\s][^/>»›|\n]{0,29}+(?:(?:/|[>»›|]|&gt;)\s*+[^/>»›|\n\s][^/>»›|\n]{0,29}+){2,7}+"
         r"|(?:skip\s+to\s+(?:main\s+)?content|menu|search|log\s*in|sign\s+in|sign\s+up|register|登录|注册|"
         r"搜索|导航|下一篇.{0,60}|上一篇.{0,60}|next\s+(?:article|post|story).{0,80}|previous\s+(?:article|post|"
         r"story).{0,80}|advertisement|sponsored(?:\s+content)?|广告|热门|热点|更多|more|loading\.*|加载中.{0,4}))"),
    Rule("chrome", "popular-box",
         r"(?:most\s+(?:viewed|read|popular|shared|commented)(?:\s+(?:in|this|today|of|on)\b.{0,20})?|trending(?:\s+now)?|editor'?s\s+"
         r"picks?|top\s+stories|latest\s+news|热门文章|热门推荐|热点新闻|点击排行|排行榜|24小时热门|今日热点|最新文章)"),
    Rule("chrome", "comments",
         r"(?:\d*\s*comments?|leave\s+a\s+(?:comment|reply)|post\s+a\s+comment|add\s+comment|发表评论|我要评论|网友评论"
         r"|评论\s*\(?\d*\)?|\d+\s*条评论)"),
    # -- start of a related block ("Related:", "相关:", "Read more", "You may also like")
    Rule("related", "related-header",
         r"(?:related(?:\s+(?:articles?|stories|posts?|news|content|coverage|reading|links?|topics?))?"
         r"|see\s+also|read\s+(?:more|also|next)|more\s+(?:stories|news|articles|from\s+.{1,40}|on\s+.{1,40})"
         r"|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested\s+in|enjoy)|recommended(?:\s+for\s+you)?"
         r"|also\s+read|further\s+reading|相关|相关(?:阅读|新闻|文章|报道|链接|推荐|专题|内容)|延伸阅读|推荐阅读"
         r"|猜你喜欢|你可能(?:还)?(?:喜欢|感兴趣)|更多(?:精彩|阅读|新闻)|热门推荐|weitere\s+artikel|lesen\s+sie\s+auch"
         r"|vezane\s+vijesti|pročitajte\s+(?:još|i))"),
)
"""Whole-line rules in priority order (the first that matches a line wins)."""

_WIRE_CREDITS = ("Getty\\h+Images", "GETTY\\h+IMAGES", "Reuters", "REUTERS", "Shutterstock", "AP\\h+Photo", "AFP",
                 "iStock", "Alamy", "EPA", "Xinhua")
CONTAINS_RULES: tuple[tuple[Rule, int], ...] = (
    (Rule("chrome", "copyright-footer",
          r"All\h+[Rr]ights\h+[Rr]eserved|all\h+[Rr]ights\h+[Rr]eserved|ALL\h+RIGHTS\h+RESERVED|版权所有|不得转载"
          r"|未经.{0,10}(?:授权|许可).{0,20}(?:转载|使用)"), 700),
    (Rule("chrome", "licence-footer",
          r"ICP\h*(?:备|证|[Ll]icen[cs]e)|网安备|Registration\h+[Nn]umber|registration\h+[Nn]umber"
          r"|Licen[cs]e\h+for\h+publishing|licen[cs]e\h+for\h+publishing|增值电信业务"
          r"|视听节目\p{Han}{0,6}许可证|新闻信息服务\p{Han}{0,6}许可证|网络传播\p{Han}{0,6}许可证"), 200),
    (Rule("chrome", "image-credit",
          r"\((?:[Ss]ource|[Pp]hoto|[Ii]mage|[Cc]redit|[Cc]ourtesy)\h*:[^)\n]{0,80}\)\W*$|"
          + "|".join(rf"\b{w}\b(?:\h+via\h+\S+)?\W*$" for w in _WIRE_CREDITS)
          + r"|供图|图片来源[:：]"), 300),
)
"""Rules that fire when a *short* line contains the phrase anywhere (limit in characters):
footers and credits put their marker mid-line.  Case variants are spelled out and every
top-level alternative starts with a literal character (``\\b`` aside): then the one scan of
the page (:data:`CONTAINS`) jumps between the alternatives' first characters instead of
trying every alternative at every position (dev: 0.82 -> 0.16 ms per page)."""

_H = "\t \xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
"""The characters of ``regex``'s ``\\h`` (horizontal white space), for stdlib ``re``."""
HAN = "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
"""Code points of the Han script (``\\p{Han}``), for stdlib ``re``."""
LATIN = (
    "A-Za-z\xaa\xba\xc0-\xd6\xd8-\xf6\xf8-\u02b8\u02e0-\u02e4\u1d00-\u1d25\u1d2c-\u1d5c\u1d62-\u1d65"
    "\u1d6b-\u1d77\u1d79-\u1dbe\u1e00-\u1eff\u2071\u207f\u2090-\u209c\u212a\u212b\u2132\u214e"
    "\u2160-\u2188\u2c60-\u2c7f\ua722-\ua787\ua78b-\ua7ca\ua7f2-\ua7ff\uab30-\uab5a\uab5c-\uab64"
    "\uab66-\uab69\ufb00-\ufb06\uff21-\uff3a\uff41-\uff5a"
)
"""Code points of the Latin script (``\\p{Latin}``), for stdlib ``re``."""


def stdlib_pattern(pattern: str) -> str:
    """Spell a rule pattern for stdlib ``re``: ``\\s``/``\\h`` become horizontal white space (a
    whole-line rule must not run across a line break) and ``\\p{Han}``/``\\p{Latin}`` a class,
    inside and outside character classes."""
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            tok = pattern[i : i + 2]
            if tok in ("\\s", "\\h"):
                out.append(_H if depth else f"[{_H}]")
            elif pattern.startswith("\\p{Han}", i):
                out.append(HAN if depth else f"[{HAN}]")
                i += len("\\p{Han}")
                continue
            elif pattern.startswith("\\p{Latin}", i):
                out.append(LATIN if depth else f"[{LATIN}]")
                i += len("\\p{Latin}")
                continue
            else:
                out.append(tok)
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out)


def _top_alternatives(pattern: str) -> list[str]:
    """The top-level ``|`` alternatives of ``pattern`` (outside groups and classes)."""
    out: list[str] = []
    depth = cls = 0
    start = i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if cls:
            cls = 0 if c == "]" else cls
        elif c == "[":
            cls = 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


_CONTAINS_EACH: tuple[re.Pattern[str], ...] = tuple(
    re_compile(stdlib_pattern(r.pattern), re.MULTILINE) for r, _ in CONTAINS_RULES
)
CONTAINS: re.Pattern[str] = re_compile(
    "|".join(stdlib_pattern(a.removeprefix("\\b")) for r, _ in CONTAINS_RULES for a in _top_alternatives(r.pattern)),
    re.MULTILINE,
)
"""Every alternative of :data:`CONTAINS_RULES` in one flat alternation (no groups, no leading
``\\b``: ``re`` then scans by first character); a hit is confirmed, and its rule found, by
:data:`_CONTAINS_EACH` at the same position."""

_COPYRIGHT_CONFIRM = regex_compile(r"©|\([cC]\)|(?:19|20)\d\d|\p{Han}")
"""An English "all rights reserved" line is a footer only with a © or a year beside it
(prose about copyright notices has neither); Chinese 版权所有 lines need no such cue."""

_MAX_RULE_LINE = 700
"""Lines longer than this are never whole-line chrome (the copyright rule is the long one)."""


def _lexicon_body(rules: tuple[Rule, ...]) -> str:
    # the patterns are written without nested ambiguous repeats (possessive quantifiers where a
    # repeat could re-partition), so one scan is linear in the page
    body = "|".join(f"(?P<r{i}>{stdlib_pattern(r.pattern)})" for i, r in enumerate(rules))
    return rf"{_PRE}(?:{body}){_POST}\r?$"


_LEXICON_FLAGS = re.MULTILINE | re.IGNORECASE
_LEXICON_NL: re.Pattern[str]
"""All rules as one compiled whole-line pattern led by the newline before the line (compiled on
first use: :func:`scan` runs :data:`_LEXICON_FAST`, its equivalent); group ``r<i>`` names
``RULES[i]``.  The same matches as :data:`LEXICON` (``^``-led) one character later, but ``re``
jumps from newline to newline (a literal first character) instead of trying ``^`` at every
character (-11% on the scan)."""


_FOLD_EXTRA = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
"""Characters that ``re.IGNORECASE`` also matches for these letters (dotted/dotless i, the Kelvin
sign, long s), beyond their upper and lower case (tests/boilerplate/test_rules.py checks every
letter of the rules against all code points)."""


@cache
def _fold_class(c: str) -> str:
    """Every character that ``c`` matches under ``re.IGNORECASE``, as a character class (``c``
    itself when it has no case).  Memoised: the rules' ~4,500 letters are a few dozen distinct ones
    (:func:`_flat_alternatives` at import: 4.3 -> 1.8 ms)."""
    low = c.lower()
    chars = dict.fromkeys(x for x in (c, low, c.upper(), *_FOLD_EXTRA.get(low, "")) if len(x) == 1)
    return f"[{''.join(chars)}]" if len(chars) > 1 else c


def case_expanded(pattern: str) -> str:
    """``pattern`` (a stdlib-``re`` rule pattern meant for ``re.IGNORECASE``) with every cased
    letter outside ``(?-i:...)`` spelled as the class of what it matches under that flag: compiled
    without the flag, the same matches.  Why: ``re`` tries an alternative only after checking its
    first character when that is a plain literal or class, not a case-folded literal, and the
    lexicon is some 80 alternatives tried at every line start (see :data:`_LEXICON_FAST`).  A letter
    inside a character class gets the members of its class added there ("[ \\tT]" -> "[ \\tTt]"); one
    in a negated class or next to a range's "-" is refused (folding a range or a complement is not a
    member-by-member matter)."""
    out: list[str] = []
    i = depth = cls = 0
    neg = False
    cased_off: int | None = None  # the group depth at which a (?-i: scope opened
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if cls:
            cls = 0 if c == "]" else cls
            if cls and cased_off is None and (fc := _fold_class(c)) != c:
                if neg or pattern[i - 1] == "-" or pattern[i + 1] == "-":
                    raise ValueError(f"a cased letter in a range or negated class: {pattern[max(0, i - 20) : i + 5]!r}")
                out.append(fc[1:-1])
                i += 1
                continue
        elif c == "[":
            cls = 1
            neg = pattern.startswith("[^", i)
            if pattern.startswith("[]", i) or pattern.startswith("[^]", i):
                raise ValueError("a class led by ']' is not supported")
        elif c == "(":
            if pattern.startswith("(?-i:", i) and cased_off is None:
                cased_off = depth
            depth += 1
            m = re.match(r"\(\?(?:P<\w+>|P=\w+\)|[-imsx]*:|[=!]|<[=!])", pattern[i:])
            if m:
                out.append(m.group())
                i += m.end()
                continue
        elif c == ")":
            depth -= 1
            if cased_off is not None and depth == cased_off:
                cased_off = None
        elif c == "{":  # a quantifier: digits and commas, no letters
            j = pattern.index("}", i)
            out.append(pattern[i : j + 1])
            i = j + 1
            continue
        out.append(c if cls or cased_off is not None else _fold_class(c))
        i += 1
    return "".join(out)


def _flat_alternatives(rules: tuple[Rule, ...]) -> tuple[str, list[int]]:
    """The rules' top-level alternatives in order (a rule that is one ``(?:...|...)`` group gives
    its inner alternatives), each followed by an empty named group, and the rule of each group."""
    alts: list[str] = []
    owner: list[int] = []
    for k, r in enumerate(rules):
        p = stdlib_pattern(r.pattern)
        whole = p.startswith("(?:") and p.endswith(")") and _top_alternatives(p) == [p]
        if whole:
            try:
                re_compile(p[3:-1])
            except re.error:  # "(?:a)(?:b)": the outer parentheses are two groups
                whole = False
        for a in _top_alternatives(p[3:-1]) if whole else [p]:
            alts.append(f"{case_expanded(a)}(?P<a{len(owner)}>)")
            owner.append(k)
    return "|".join(alts), owner


_FLAT_BODY, _ALT_RULE = _flat_alternatives(RULES)
_LEXICON_FAST: re.Pattern[str] = re_compile(
    "\n" + case_expanded(_PRE) + f"(?:{_FLAT_BODY})" + case_expanded(_POST) + r"\r?$", re.MULTILINE
)
if _LEXICON_FAST.groups != len(_ALT_RULE):  # a rule with a group of its own would shift the numbers
    raise AssertionError("the rules must not hold capturing groups")
""":data:`_LEXICON_NL` without ``re.IGNORECASE`` (letters spelled as classes by :func:`case_expanded`)
and with the rules' alternatives in one flat alternation, each ending in an empty group ``a<j>``
that names it (``_ALT_RULE[j]`` is its rule): ``re`` then checks the first character of each
alternative before trying it.  The same alternatives in the same order, so the same matches, and the
last group closed is the matching alternative's (tested against :data:`_LEXICON_NL` on every dev
page): 30% fewer instructions for the scan (2.2 -> 1.55 G over the dev texts), for ~15 ms more
to compile at import."""


def __getattr__(name: str) -> re.Pattern[str]:
    # LEXICON and _LEXICON_NL are compiled on first use only (the stage scans with _LEXICON_FAST)
    if name in ("LEXICON", "_LEXICON_NL"):
        lexicon = re.compile(("^" if name == "LEXICON" else "\n") + _lexicon_body(RULES), _LEXICON_FLAGS)
        globals()[name] = lexicon
        return lexicon
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


LEXICON: re.Pattern[str]
"""All rules as one compiled whole-line pattern (``^``-led; compiled on first use)."""

# -- shapes used by position-dependent decisions (not chrome on their own) ------------------

PUBLISHER_BLURB = regex_compile(
    r"^.{2,120}?\b(?:is|are)\s+(?:an?|the)\s+(?:[\w-]+,?\s+){0,6}"
    r"(?:organi[sz]ation|institute|think[\s-]tank|foundation|publication|newspaper|magazine|outlet|agency|"
    r"network|company|group|platform|website|site|centre|center|nonprofit|non-profit|charity)\b"
    r".{0,200}?\b(?:dedicated|committed|devoted|that|which|focused|working|based|founded)\b",
    regex.IGNORECASE,
)
"""Publisher self-description ("X is an independent ... organization dedicated to ..."):
chrome only near the foot of a page, where sites repeat it on every article."""

ADDRESS = regex_compile(
    r"^\s*(?:\d{1,6}\s+[\w. ]{1,40}\b(?:st|street|ave|avenue|road|rd|blvd|boulevard|lane|ln|drive|dr|way|"
    r"suite|floor|plaza|square)\b.{0,40}|[A-Z][\w .]{1,30},\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?"
    r"|.{0,40}(?:地址|邮编)[:：].{0,60}|p\.?\s?o\.?\s+box\s+\d+.{0,40})\s*$",
    regex.IGNORECASE,
)
"""Postal-address lines (footer shape)."""

DISCLAIMER = regex_compile(
    r"^.{0,80}(?:views|opinions)\s+(?:expressed\s+)?(?:here(?:in)?\s+)?(?:do\s+not|don't)\s+necessarily\s+"
    r"reflect.{0,120}$|^.{0,20}(?:本文|文章)(?:仅)?代表作者.{0,40}$",
    regex.IGNORECASE,
)
"""Editorial disclaimers; kept in the body (gold treats them as either), exposed as a feature."""


_LOWER_LED = tuple(
    a for r, _ in CONTAINS_RULES for a in map(stdlib_pattern, map(str.removeprefix, _top_alternatives(r.pattern),
                                                                   repeat("\\b")))
    if a[:1].islower()
)
_LOWER_PREFIXES = tuple(dict.fromkeys(re.match(r"\w+", a).group() for a in _LOWER_LED))  # type: ignore[union-attr]
"""Literal prefixes of the :data:`CONTAINS` alternatives that start with a lower-case letter ("all",
"registration", "licen", "iStock"): :func:`_contains_starts` finds them with ``str.find``."""
_NO_BOUNDARY = bytes(len(_LOWER_PREFIXES))
_CONTAINS_CASED = re_compile(
    "|".join(
        a for r, _ in CONTAINS_RULES for a in map(stdlib_pattern, map(str.removeprefix, _top_alternatives(r.pattern),
                                                                       repeat("\\b")))
        if not a[:1].islower()
    ),
    re.MULTILINE,
)
""":data:`CONTAINS` without its lower-case-led alternatives: its scan stops only at capitals, CJK
and "(" (with "all" in it, at every "a", "l", "r" and "i" of the page)."""


_REGEX_SYNTAX = frozenset(".^$*+?{}[]\\|()")


def _literal_prefix(alternative: str) -> str:
    """The literal characters every match of ``alternative`` starts with (characters that are no
    regex syntax, and escaped punctuation, up to the first other token or a character a quantifier
    makes optional)."""
    out: list[str] = []
    i = 0
    while i < len(alternative):
        c = alternative[i]
        if c == "\\" and i + 1 < len(alternative) and not alternative[i + 1].isalnum():
            lit, step = alternative[i + 1], 2
        elif c not in _REGEX_SYNTAX:
            lit, step = c, 1
        else:
            break
        nxt = alternative[i + step : i + step + 1]
        if nxt in ("?", "*", "{"):
            break
        out.append(lit)
        i += step
        if nxt == "+":
            break
    return "".join(out)


_HEAD_LONGEST = 6
_HEAD_MOST = 48
"""Literal heads of an alternative (:func:`_literal_heads`) grow to this many characters, and no more
than this many heads: a longer needle occurs less often, but many of them cost the kernel more per hit."""


def _class_chars(av: Any) -> list[str] | None:
    """The characters of a parsed character class (None: a category, a negation or a wide range)."""
    out: list[str] = []
    for o, a in av:
        name = str(o)
        if name == "LITERAL":
            out.append(chr(a))
        elif name == "RANGE" and a[1] - a[0] <= 32:
            out.extend(map(chr, range(a[0], a[1] + 1)))
        else:
            return None
    return out


def _heads(items: list[tuple[Any, Any]], prefixes: set[str]) -> tuple[set[str], bool]:
    """``prefixes`` each extended by what a match of the parsed sequence ``items`` starts with: literals,
    small classes (one head per character), groups and alternations (one per branch), the first
    occurrence of a repeat of at least one; anything else ends the heads there, and so do
    :data:`_HEAD_LONGEST` and :data:`_HEAD_MOST`.  Every match of ``prefix + items`` starts with one
    of the heads.  The flag: whether the whole of ``items`` was spelled out (then what follows may
    extend the heads further)."""
    out = prefixes
    for op, av in items:
        if all(len(h) >= _HEAD_LONGEST for h in out):
            return out, False
        name = str(op)
        if name == "LITERAL":
            out = {h + chr(av) for h in out}
        elif name == "IN":
            chars = _class_chars(av)
            if chars is None or len(out) * len(chars) > _HEAD_MOST:
                return out, False
            out = {h + c for h in out for c in chars}
        elif name == "SUBPATTERN" and not av[1] and not av[2]:
            out, whole = _heads(list(av[3]), out)
            if not whole:
                return out, False
        elif name == "BRANCH":
            union: set[str] = set()
            whole = True
            for sub in av[1]:
                got, w = _heads(list(sub), out)
                union |= got
                whole &= w
            if len(union) > _HEAD_MOST:
                return out, False
            out = union
            if not whole:
                return out, False
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            got, _ = _heads(list(av[2]), out)
            return (got if len(got) <= _HEAD_MOST else out), False
        else:
            return out, False
    return out, True


class _Anchored(NamedTuple):
    """An alternative ``lead \\h+ rest`` with a short literal ``lead`` ("all", "AP"): its candidates are
    found from the heads of ``rest`` ("Rights", "rights", "Photo") and the white space before them."""

    lead: str
    spaces: frozenset[str]


_ANCHOR_MAX_LEAD = 3
"""A literal lead this short followed by white space ("all ", "AP ") is common in prose; the alternative is
found by what follows the white space instead (:class:`_Anchored`)."""


def _contains_needles(alternatives: list[str]) -> tuple[tuple[str, ...], bytes, tuple[tuple[_Anchored, ...], ...]]:
    """The needles whose occurrences give the candidates of :func:`_contains_starts` (native path): for
    each, whether it starts a match itself (a flag byte) and the leads it stands behind.

    For each alternative: its :func:`_heads`; or, when it is a literal lead of at most
    :data:`_ANCHOR_MAX_LEAD` characters, then a repeat of at least one white-space character (no upper
    bound), then a part whose heads start with no white space, those heads behind the lead
    (:class:`_Anchored`).  There every match is the lead, the whole run of white space after it (the
    repeat is greedy and the next character is none) and a head of the rest: walking back from a head's
    occurrence over the white space to the lead finds the match's start."""
    starts: dict[str, bool] = {}
    behind: dict[str, list[_Anchored]] = {}
    for a in alternatives:
        items = list(_re_parser.parse(a))
        k = 0
        while k < len(items) and str(items[k][0]) == "LITERAL":
            k += 1
        if 0 < k <= _ANCHOR_MAX_LEAD and k < len(items) and str(items[k][0]) in ("MAX_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = items[k][1]
            sub = list(sub)
            chars = _class_chars(sub[0][1]) if len(sub) == 1 and str(sub[0][0]) == "IN" else None
            if lo >= 1 and hi == _re_parser.MAXREPEAT and chars is not None:
                heads, _ = _heads(items[k + 1 :], {""})
                text = "".join(chr(av) for _, av in items[:k])
                # (the walk back over the run must stop at the lead: its last character is not in the run's class)
                if all(heads) and not any(h[0] in chars for h in heads) and text[-1] not in chars:
                    lead = _Anchored(text, frozenset(chars))
                    for h in heads:
                        starts.setdefault(h, False)
                        behind.setdefault(h, []).append(lead)
                    continue
        heads, _ = _heads(items, {""})
        if not all(heads):
            raise AssertionError(f"an alternative without a literal head: {a!r}")
        for h in heads:
            starts[h] = True
    needles = tuple(starts)
    return needles, bytes(map(starts.__getitem__, needles)), tuple(tuple(behind.get(h, ())) for h in needles)


_CONTAINS_NEEDLES, _CONTAINS_STARTS, _CONTAINS_BEHIND = _contains_needles([
    stdlib_pattern(a.removeprefix("\\b")) for r, _ in CONTAINS_RULES for a in _top_alternatives(r.pattern)
])
""":data:`CONTAINS`'s candidates (:func:`_contains_needles`): 10 heads of "(Source"/"(Photo"/... instead of
every "(" (7,144 on the dev texts), "Rights"/"rights" behind "all" instead of every "all" (7,017): ~400
candidates instead of 15,678, each a ``match`` call from Python."""
_CONTAINS_NEEDLES_NO_BOUNDARY = bytes(len(_CONTAINS_NEEDLES))


def _contains_candidates(text: str) -> set[int]:
    """Every offset where a :data:`CONTAINS` match can start (a superset): the occurrences of the needles
    that start matches, and the leads found behind the others (:func:`_contains_needles`)."""
    from . import features  # features imports this module

    out: set[int] = set()
    for i, k in features._native.literal_hits(text, _CONTAINS_NEEDLES, _CONTAINS_NEEDLES_NO_BOUNDARY):
        if _CONTAINS_STARTS[k]:
            out.add(i)
        for lead in _CONTAINS_BEHIND[k]:
            j = i
            while j > 0 and text[j - 1] in lead.spaces:
                j -= 1
            if j < i and j >= len(lead.lead) and text.startswith(lead.lead, j - len(lead.lead)):
                out.add(j - len(lead.lead))
    return out


def _contains_starts(text: str) -> list[int]:
    """``[m.start() for m in CONTAINS.finditer(text)]``, from :data:`_CONTAINS_CASED` plus ``str.find``
    of :data:`_LOWER_PREFIXES` (dev text: the scan ~2x faster).

    A lower-case-led alternative can only match where its prefix occurs, a cased one only where
    the cased scan found it (at such a position no lower-case-led one can match); so taking
    every candidate in order, each that ``CONTAINS`` matches at and that starts after the last
    match's end, is ``finditer``'s leftmost-first, non-overlapping walk.  The cased scan skips
    positions inside its own matches: when one of its matches is itself overlapped by an
    earlier lower-case-led match, the positions it hid could count, and the one scan runs."""
    from . import features  # features imports this module

    if features._native is not None:
        # compiled: every place a CONTAINS match can start (its alternatives' literal heads, by one
        # kernel pass: the cased scan stopped at every capital letter), then finditer's walk: at each
        # candidate in order past the last match's end, the alternation's own match there
        return [m.start() for m in features.walk_candidates(CONTAINS, text, _contains_candidates(text))]
    cased = [m.start() for m in _CONTAINS_CASED.finditer(text)]
    cands = [i for i, _ in features.literal_hits(text, _LOWER_PREFIXES, _NO_BOUNDARY)]
    if not cands:
        return cased
    cased_set = set(cased)
    out = []
    end = -1
    for p in sorted(cased_set.union(cands)):
        if p < end:
            if p in cased_set:
                return [m.start() for m in CONTAINS.finditer(text)]
            continue
        m = CONTAINS.match(text, p)
        if m is not None:
            out.append(p)
            end = m.end()
    return out


# -- which lines the lexicon can match (necessary conditions per alternative, checked per line) --------
# The lexicon is some 80 alternatives tried at every line start: ~16k instructions a line, 17% of the
# stage (320 M instructions per MB of dev text), although few lines can match any.  Every alternative is
# split into "columns" (a leading alternation or optional part into one sequence per branch: "tweet",
# "twitter", ...), and a column can match a line only when
#   (1) at one of the two places _PRE can leave the match (after the leading spaces; after the leading
#       bullets and spaces) the character there is one it can start with and the next one can follow;
#   (2) the non-space characters from there to the last character _POST cannot take are no more than
#       it can consume (rules joined by \s+ are unbounded in characters, not in non-spaces);
#   (3) the line holds at least one character of every set it must consume one of ("c", "o", "m", ...
#       of "comments") and, for one set, as many as it must (two separators of the navigation shape,
#       eight digits of a phone number).
# All three are read off the compiled alternatives by ``re``'s own parser (:func:`_first_chars`,
# :func:`_width`, :func:`_required`), so they hold for any rule set; unknown constructs count as "any".
# The compiled kernel (``_native.lexicon_lines``) checks them per line; the lines that pass (11% of
# the dev lines since s8b, 16% before; see _required_of and _split) are joined and scanned, and the
# matches are those of the one scan (tested on every dev page and on generated lines, with the array
# version :func:`_lexicon_lines_numpy` as the reference): 320 -> 165 M instructions per MB.  The numpy
# path scans every line (the array version costs more than the scan it saves), and so does every process
# for its first LINE_FILTER_AFTER_PAGES pages (the tables take ~0.2 s to build).

_BMP = 0x10000
"""Tables index code points below this; one more slot stands for every code point above the BMP."""
_PRE_SPACES = " \t\u3000"
_PRE_BULLETS = "-–—•·*»›▶►◆■□●○【[(（「"
_POST_CHARS = " \t\u3000]）)」】|:：>»›.。!！…-\r"
if _PRE != r"[ \t\u3000]*+(?:[-–—•·*»›▶►◆■□●○【\[(（「]++[ \t\u3000]*+)?" or _POST != (
    r"[ \t\u3000]*+(?:[\]）)」】|:：>»›.。!！…-]++[ \t\u3000]*+)?"
):
    raise AssertionError("lexicon_lines reads _PRE and _POST as these characters: update both together")


def _char_table(chars: str) -> np.ndarray:
    t = np.zeros(_BMP + 1, dtype=bool)
    t[[min(ord(c), _BMP) for c in chars]] = True
    return t


@lru_cache(maxsize=8)
def _category_table(cat: Any) -> np.ndarray:
    """Which BMP code points ``re``'s category (``\\d``, ``\\w``, ``\\s`` and their negations) holds; above
    the BMP: True (conservative)."""
    pattern = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}.get(str(cat))
    if pattern is None:  # another category: any character (a superset is safe)
        return np.ones(_BMP + 1, dtype=bool)
    bmp = "".join(map(chr, range(_BMP))).replace("\x01", "\x02")
    marked = re.sub(pattern, "\x01", bmp)
    t = np.ones(_BMP + 1, dtype=bool)
    t[:_BMP] = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 1
    return t


def _first_chars(items: list[tuple[Any, Any]]) -> tuple[np.ndarray | None, bool]:
    """The characters a match of the parsed sequence ``items`` can start with (None: any) and whether it
    can match the empty string; anything not understood counts as "any" (a superset is safe)."""
    out = np.zeros(_BMP + 1, dtype=bool)
    for op, av in items:
        first, empty = _first_of(op, av)
        if first is None:
            return None, empty
        out |= first
        if not empty:
            return out, False
    return out, True


_FIRST_MEMO: dict[str, tuple[np.ndarray | None, bool]] = {}
""":func:`_first_of` by the parsed item's ``repr`` (the columns share most items; the tables are read-only)."""


def _first_of(op: Any, av: Any) -> tuple[np.ndarray | None, bool]:
    key = repr((op, av))
    got = _FIRST_MEMO.get(key)
    if got is None:
        got = _first_of_item(op, av)
        if got[0] is not None:
            got[0].flags.writeable = False
        _FIRST_MEMO[key] = got
    return got


def _first_of_item(op: Any, av: Any) -> tuple[np.ndarray | None, bool]:
    name = str(op)
    if name == "LITERAL":
        t = np.zeros(_BMP + 1, dtype=bool)
        t[min(int(av), _BMP)] = True
        return t, False
    if name == "IN":
        t = np.zeros(_BMP + 1, dtype=bool)
        negate = False
        for o, a in av:
            on = str(o)
            if on == "NEGATE":
                negate = True
            elif on == "LITERAL":
                t[min(a, _BMP)] = True
            elif on == "RANGE":
                t[min(a[0], _BMP) : min(a[1], _BMP) + 1] = True
                t[_BMP] |= a[1] >= _BMP
            elif on == "CATEGORY":
                t |= _category_table(a)
            else:
                return None, False
        if negate:
            t = ~t
            t[_BMP] = True
        return t, False
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        lo, _hi, sub = av
        first, empty = _first_chars(list(sub))
        return first, empty or lo == 0
    if name == "SUBPATTERN":
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            return None, True
        return _first_chars(list(sub))
    if name == "ATOMIC_GROUP":
        return _first_chars(list(av))
    if name == "BRANCH":
        t = np.zeros(_BMP + 1, dtype=bool)
        empty = False
        for sub in av[1]:
            first, e = _first_chars(list(sub))
            if first is None:
                return None, True
            t |= first
            empty |= e
        return t, empty
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return np.zeros(_BMP + 1, dtype=bool), True  # zero width: adds no first character
    return None, True


Required = dict[frozenset[str], int]
"""Character sets and how many characters of each every match consumes (at least): all of them hold."""

_REQUIRED_MAX_SET = 1000
"""Larger character sets are not kept as requirements (a line holds some of them anyway)."""


def _required(items: list[tuple[Any, Any]]) -> Required:
    """What every match of the sequence ``items`` consumes: its elements' requirements together (the
    elements consume different characters, so the counts of one set add up)."""
    out: Required = {}
    for op, av in items:
        for chars, count in _required_of(op, av).items():
            out[chars] = out.get(chars, 0) + count
    return out


_IN_CHARS: dict[str, frozenset[str]] = {}
"""A parsed character class's characters for :func:`_required_of` (empty: too many to keep)."""


def _required_of(op: Any, av: Any) -> Required:
    name = str(op)
    if name == "LITERAL":
        return {frozenset(chr(int(av))): 1}
    if name == "IN":
        key = repr(av)
        chars = _IN_CHARS.get(key)
        if chars is None:
            table, _ = _first_of(op, av)
            if table is None or int(table.sum()) > _REQUIRED_MAX_SET:
                chars = frozenset()
            else:
                # a class with members above the BMP ("\\d") keeps them as U+10000, the tables' one slot for
                # all of them: any such character then counts as a member (weaker, still true).  Before s8b
                # such a class required nothing: the phone-number columns let every line that starts with a
                # digit through (2.3k of the 11.9k lines the filter passed on the dev texts and no rule matched)
                chars = frozenset(map(chr, np.flatnonzero(table).tolist()))
            _IN_CHARS[key] = chars
        return {chars: 1} if chars else {}
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        lo, _hi, sub = av
        return {k: v * lo for k, v in _required(list(sub)).items()} if lo >= 1 else {}
    if name == "SUBPATTERN":
        return _required(list(av[-1]))
    if name == "ATOMIC_GROUP":
        return _required(list(av))
    if name == "BRANCH":
        subs = [_required(list(sub)) for sub in av[1]]
        if not subs or not all(subs):
            return {}
        common = set.intersection(*(set(r) for r in subs))
        out = {k: min(r[k] for r in subs) for k in common}
        # one character of the union of each branch's smallest set
        union = frozenset().union(*(min(r, key=len) for r in subs))
        if len(union) <= _REQUIRED_MAX_SET and union not in out:
            out[union] = 1
        return out
    return {}


_H_CHARS = "\t \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
"""The characters of :data:`_H` (what the rules' ``\\s``/``\\h`` match), which :func:`_width` does not count."""
_INF = 1 << 30
_MAXREPEAT = _re_parser.MAXREPEAT
"""How ``re``'s parser writes an unbounded repeat's upper bound."""


def _spaces_only(op: Any, av: Any, space: np.ndarray) -> bool:
    """Whether one member of a parsed character class holds only characters of ``space``."""
    name = str(op)
    if name == "LITERAL":
        return bool(space[min(int(av), _BMP)])
    if name == "RANGE":
        lo, hi = av
        return hi - lo < len(_H_CHARS) and all(space[c] for c in range(lo, hi + 1))
    return False  # a negation or a category holds other characters too


_IN_WIDTH: dict[str, int] = {}
""":func:`_width` of a parsed character class by its ``repr`` (0: spaces only)."""


def _width(items: list[tuple[Any, Any]], space: np.ndarray) -> int:
    """The most characters outside ``space`` (a table) a match of the parsed sequence ``items`` can
    consume (:data:`_INF`: no bound).  Counting no spaces bounds the rules whose words are joined by
    ``\\s+`` (``getwidth`` says unbounded for those)."""
    total = 0
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            w = 0 if space[min(int(av), _BMP)] else 1
        elif name == "IN":
            key = repr(av)
            got = _IN_WIDTH.get(key)
            if got is None:
                got = _IN_WIDTH[key] = 0 if all(_spaces_only(o, a, space) for o, a in av) else 1
            w = got
        elif name in ("ANY", "NOT_LITERAL", "CATEGORY"):
            w = 1
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _lo, hi, sub = av
            inner = _width(list(sub), space)
            w = 0 if inner == 0 else _INF if hi == _MAXREPEAT or inner >= _INF else hi * inner
        elif name == "SUBPATTERN":
            w = _width(list(av[-1]), space)
        elif name == "ATOMIC_GROUP":
            w = _width(list(av), space)
        elif name == "BRANCH":
            w = max(_width(list(sub), space) for sub in av[1])
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            w = 0
        else:
            return _INF
        total = min(total + w, _INF)
    return total


_SPLIT_MAX = 64
"""Most filter columns one alternative is split into (:func:`_split`)."""


def _split(items: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """Sequences whose matches together include every match of ``items``: a leading alternation (or
    group of one, or an optional part) is split into one sequence per branch, each followed by the
    rest, so that each column's first characters, second characters and width are those of one
    branch ("tweet", "twitter": "t" then "w") instead of the union of all."""
    if not items:
        return [items]
    op, av = items[0]
    name, rest = str(op), items[1:]
    heads: list[list[tuple[Any, Any]]] | None = None
    if name == "BRANCH":
        heads = [list(sub) for sub in av[1]]
    elif name == "SUBPATTERN" and not av[1] & re.IGNORECASE:
        heads = [list(av[-1])]
    elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] == 0 and av[1] == 1:
        heads = [list(av[2]), []]
    elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] == 0:
        # x* is nothing or x{1,}: the "nothing" column is bounded by the rest ("comments" after "\\d*"), the
        # other starts with x (s8b: every line starting with "co" passed the unbounded "\\d*\\s*comments?")
        heads = [[], [(_re_parser.MAX_REPEAT, (1, av[1], av[2]))]]
    if heads is None:
        return [items]
    out: list[list[tuple[Any, Any]]] = []
    for h in heads:
        out.extend(_split(h + rest))
        if len(out) > _SPLIT_MAX:
            return [items]
    return out


def _second_chars(items: list[tuple[Any, Any]]) -> np.ndarray | None:
    """The characters that can follow the first one in a match of ``items`` when the first element is
    one character (None: any, or not known)."""
    if not items or str(items[0][0]) not in ("LITERAL", "IN"):
        return None
    first, empty = _first_chars(items[1:])
    return None if first is None or empty else first


@dataclass(frozen=True)
class _LineFilter:
    """The lexicon's filter columns as tables (see :func:`_line_filter`); a column is one bit of a row
    of ``nbytes`` bytes (numpy's ``packbits`` order)."""

    flags: np.ndarray  # (BMP + 1,) uint16: _PRE space, _PRE bullet, _POST character, rule space, counted sets
    first: np.ndarray  # (BMP + 1, nbytes) uint8: the columns that can start with each code point
    second: np.ndarray  # (BMP + 1, nbytes) uint8: the columns whose second character can be it
    width: np.ndarray  # (cap + 1, nbytes) uint8: the columns that can consume that many non-spaces
    req_bits: np.ndarray  # (BMP + 1,) uint64: the required sets (one character of it) each code point is in
    col_req: np.ndarray  # (columns,) uint64: the sets a column needs a character of
    col_multi: np.ndarray  # (columns,) int32: the counted set a column needs (-1: none)
    multi_count: np.ndarray  # (columns,) int32: how many of that set's characters


_F_SPACE, _F_BULLET, _F_POST, _F_H = 1, 2, 4, 8
_MULTI_SETS = 12
"""Counted sets (flag bits 4..15): a column that needs more of one than the table has room for needs none."""


@lru_cache(maxsize=1)
def _line_filter() -> _LineFilter:
    """Tables of :func:`lexicon_lines`, from the parsed alternatives of :data:`_LEXICON_FAST` (built once,
    when a process has scanned :data:`LINE_FILTER_AFTER_PAGES` pages, or by :func:`build_line_filter` before a
    pool forks).  The per-item tables memoised
    while building (~380 x 64 kB) are dropped after: only the 3.7 MB of packed tables stay."""
    shipped = _shipped_line_filter()
    return shipped if shipped is not None else built_line_filter()


def built_line_filter() -> _LineFilter:
    """:func:`_build_line_filter`, dropping the per-item tables memoised while building (the build script's too)."""
    try:
        return _build_line_filter()
    finally:
        _FIRST_MEMO.clear()
        _category_table.cache_clear()


LINE_FILTER_FILE = Path(__file__).resolve().parent.parent / "data" / "boilerplate_line_filter.npz"
""":func:`_build_line_filter`'s tables, shipped (built by scripts/build_boilerplate_tables.py): loading them
takes ~1 ms where building them takes ~80 ms, which a pool's loader paid on one core before forking.  A
table over the code points is stored as its distinct rows and each code point's row number (~100 rows)."""


def line_filter_key() -> str:
    """What the line filter's tables are derived from: this module's source (the rules and the code that
    reads them), ``re``'s parser and the Unicode data (the categories) of the interpreter."""
    return json.dumps({"rules_py_sha256": source_digest(__file__), **interpreter_key()}, sort_keys=True)


def line_filter_arrays(lf: _LineFilter) -> dict[str, np.ndarray]:
    """The arrays :data:`LINE_FILTER_FILE` stores for ``lf`` (see :func:`_shipped_line_filter`)."""
    out: dict[str, np.ndarray] = {"key": np.array(line_filter_key())}
    for f in dataclasses.fields(_LineFilter):
        a = getattr(lf, f.name)
        if a.shape[0] == _BMP + 1:
            rows, index = np.unique(a, axis=0, return_inverse=True)
            out[f"{f.name}__rows"] = rows
            out[f"{f.name}__index"] = index.reshape(-1).astype(np.uint16 if rows.shape[0] > 255 else np.uint8)
        else:
            out[f.name] = a
    return out


def _shipped_line_filter() -> _LineFilter | None:
    """The shipped tables when their key is this module's and interpreter's, else None (then they are built)."""
    z = read_npz(LINE_FILTER_FILE, line_filter_key())
    if z is None:
        return None
    try:
        cols = {}
        for f in dataclasses.fields(_LineFilter):
            if f"{f.name}__rows" in z:
                rows, index = z[f"{f.name}__rows"], z[f"{f.name}__index"]
                if index.shape != (_BMP + 1,) or index.dtype.kind != "u":
                    raise ValueError(f"{f.name}__index: shape {index.shape}, dtype {index.dtype}")
                cols[f.name] = rows[index]
            else:
                cols[f.name] = z[f.name]
        lf = _LineFilter(**cols)
        _check_line_filter(lf)
    except Exception as e:  # a member missing, an index out of range, another layout: build it
        log.warning(DAMAGED, LINE_FILTER_FILE.name, f"{type(e).__name__}: {e}")
        return None
    return lf


def _check_line_filter(lf: _LineFilter) -> None:
    """ValueError unless ``lf``'s tables have the dtypes and consistent shapes :func:`lexicon_lines` reads."""
    cols = lf.col_req.shape[0]
    nbytes = lf.first.shape[1] if lf.first.ndim == 2 else -1
    want = {"flags": (np.uint16, (_BMP + 1,)), "first": (np.uint8, (_BMP + 1, nbytes)),
            "second": (np.uint8, (_BMP + 1, nbytes)), "width": (np.uint8, (lf.width.shape[0], nbytes)),
            "req_bits": (np.uint64, (_BMP + 1,)), "col_req": (np.uint64, (cols,)),
            "col_multi": (np.int32, (cols,)), "multi_count": (np.int32, (cols,))}
    for name, (dtype, shape) in want.items():
        a = getattr(lf, name)
        if a.dtype != dtype or a.shape != shape:
            raise ValueError(f"{name}: {a.dtype} {a.shape}, expected {np.dtype(dtype)} {shape}")
    if nbytes * 8 < cols:
        raise ValueError(f"{cols} columns in rows of {nbytes} bytes")


def _build_line_filter() -> _LineFilter:
    columns = [c for a in _top_alternatives(_FLAT_BODY) for c in _split(list(_re_parser.parse(a)))]
    n = len(columns)
    space = _char_table(_H_CHARS)
    # a bit per column and code point, as np.packbits lays out a (columns, code points) table along the
    # columns: column j is bit 7 - j % 8 of byte j // 8.  Set column by column: the dense bool tables
    # (2 x 13 MB) left ~35 MB of freed heap in every process that built them
    first = np.zeros((_BMP + 1, (n + 7) // 8), dtype=np.uint8)
    second = np.zeros((_BMP + 1, (n + 7) // 8), dtype=np.uint8)
    first_count = np.zeros(n, dtype=np.int64)
    widths = []
    single: dict[frozenset[str], int] = {}
    col_req = np.zeros(n, dtype=np.uint64)
    multi: dict[frozenset[str], int] = {}
    col_multi = np.full(n, -1, dtype=np.int32)
    multi_count = np.zeros(n, dtype=np.int32)
    for j, items in enumerate(columns):
        byte, mask = j >> 3, np.uint8(0x80 >> (j & 7))
        f, empty = _first_chars(items)
        if f is None or empty:  # a column that can match empty starts with any character
            first[:, byte] |= mask
            second[:, byte] |= mask
            first_count[j] = _BMP + 1
        else:
            first[f, byte] |= mask
            first_count[j] = np.count_nonzero(f)
            f2 = _second_chars(items)
            if f2 is None:
                second[:, byte] |= mask
            else:
                second[f2, byte] |= mask
        widths.append(_width(items, space))
    # the required characters, the columns that start with the most characters first: the tables have
    # room for 64 sets and 12 counted ones, and a requirement tells most where the first character says little
    for j in np.argsort(-first_count, kind="stable").tolist():
        req = _required(columns[j])
        counted = [(count, chars) for chars, count in req.items() if count > 1]
        if counted:  # the set needed most often (one counted set per column)
            count, chars = max(counted, key=lambda t: (t[0], -len(t[1])))
            if chars in multi or len(multi) < _MULTI_SETS:
                col_multi[j] = multi.setdefault(chars, len(multi))
                multi_count[j] = count
        for chars in req:  # one character of each set (those beyond 64 sets are dropped: weaker, still true)
            if chars in single or len(single) < 64:
                col_req[j] |= np.uint64(1 << single.setdefault(chars, len(single)))
    bounded = [w for w in widths if w < _INF]
    cap = max(bounded) + 1 if bounded else 0
    width = np.zeros((cap + 1, n), dtype=bool)
    for j, w in enumerate(widths):
        width[: min(w, cap) + 1, j] = True  # non-space counts 0..w (cap: beyond every bounded one)
    req_bits = np.zeros(_BMP + 1, dtype=np.uint64)
    for chars, k in single.items():
        req_bits[_char_table("".join(chars))] |= np.uint64(1 << k)
    flags = np.zeros(_BMP + 1, dtype=np.uint16)
    for bit, members in ((_F_SPACE, _PRE_SPACES), (_F_BULLET, _PRE_BULLETS), (_F_POST, _POST_CHARS), (_F_H, _H_CHARS)):
        flags[_char_table(members)] |= bit
    for chars, k in multi.items():
        flags[_char_table("".join(chars))] |= 1 << (4 + k)
    return _LineFilter(
        flags, first, second,
        np.packbits(width, axis=1), req_bits, col_req,
        col_multi, multi_count,
    )


def lexicon_lines(text: str) -> np.ndarray:
    """Indices (int64) of the lines of ``text`` (split at ``\\n``) that some :data:`_LEXICON_FAST`
    alternative can match as a whole line; the others cannot (see the section's comment).  By the
    compiled kernel when it is built, else :func:`_lexicon_lines_numpy` (the same lines, tested)."""
    from . import features  # features imports this module

    if features._native is None:
        return _lexicon_lines_numpy(text)
    lf = _line_filter()
    raw = features._native.lexicon_lines(
        text, lf.flags, lf.first, lf.second, lf.width, lf.req_bits, lf.col_req, lf.col_multi, lf.multi_count
    )
    return np.frombuffer(raw, dtype=np.int64)


def _lexicon_lines_numpy(text: str) -> np.ndarray:
    """:func:`lexicon_lines` by array operations over the page (the reference of the kernel; slower
    than scanning every line, so the numpy path scans every line instead)."""
    lf = _line_filter()
    # the text, a newline that closes its last line and one more character to read after that newline
    cpn = np.minimum(np.frombuffer((text + "\n\n").encode("utf-32-le", "surrogatepass"), dtype=np.uint32), _BMP)
    cpi = cpn[:-1]
    ends = np.flatnonzero(cpi == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    fl = lf.flags[cpi]
    # where the alternatives start: after the leading spaces (p0), or after bullets and spaces (p1)
    ns = np.flatnonzero((fl & _F_SPACE) == 0)  # a newline is no space: every search ends at the line's end
    p0 = ns[np.searchsorted(ns, starts)]
    nb = np.flatnonzero((fl & _F_BULLET) == 0)
    p1 = ns[np.searchsorted(ns, nb[np.searchsorted(nb, p0)])]
    ok = (lf.first[cpi[p0]] & lf.second[cpn[p0 + 1]]) | (lf.first[cpi[p1]] & lf.second[cpn[p1 + 1]])
    # the non-spaces no _PRE/_POST can take: from p1 to the last character _POST cannot take
    nq = np.flatnonzero((fl & _F_POST) == 0)  # newlines included
    k = np.searchsorted(nq, ends) - 1  # the last non-_POST character before the line's end (-1: none)
    last = np.where(k >= 0, nq[np.maximum(k, 0)], -1)
    cs = np.zeros(cpi.shape[0] + 1, dtype=np.int64)
    np.cumsum((fl & _F_H) == 0, out=cs[1:])
    cap = lf.width.shape[0] - 1
    core = np.clip(cs[np.maximum(last + 1, p1)] - cs[p1], 0, cap)
    ok &= lf.width[core]
    # the characters a column must consume: one of each of its sets (bits per code point, OR-ed per
    # line: each line's segment holds its newline, so none is empty), or several of one (counted)
    present = np.bitwise_or.reduceat(lf.req_bits[cpi], starts)
    need = (present[:, None] & lf.col_req[None, :]) == lf.col_req[None, :]
    for m in np.unique(lf.col_multi[lf.col_multi >= 0]).tolist():
        cc = np.zeros(cpi.shape[0] + 1, dtype=np.int64)
        np.cumsum((fl >> (4 + m)) & 1, out=cc[1:])
        have = cc[ends] - cc[starts]
        cols = lf.col_multi == m
        need[:, cols] &= have[:, None] >= lf.multi_count[cols][None, :]
    ok &= np.packbits(need, axis=1)
    return np.flatnonzero(ok.any(axis=1)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A whole-line rule match: line span in the page text and the rule that fired."""

    start: int
    end: int
    kind: str
    reason: str


def slots_dataclass_of(cls: type, fields: tuple[str, ...]) -> bool:
    """Whether ``cls`` is still a slots dataclass of exactly ``fields`` whose ``__init__`` only sets them: then
    the compiled ``new_frozen`` builds the same objects (:func:`frozen_records`)."""
    return (
        tuple(f.name for f in dataclasses.fields(cls)) == fields
        and "__slots__" in cls.__dict__
        and not hasattr(cls, "__post_init__")
    )


def frozen_records(cls: type, fields: tuple[str, ...], by_slots: bool, cols: tuple[list, ...]) -> list:
    """``list(map(cls, *cols))``; by the compiled ``new_frozen`` when it is built and ``by_slots``
    (:func:`slots_dataclass_of`): the same objects, ~3x faster (a frozen dataclass's ``__init__`` sets each
    field by ``object.__setattr__``, ~1-1.4 us per record)."""
    from . import features  # features imports this module

    if features._native is not None and by_slots:
        return features._native.new_frozen(cls, fields, cols)  # type: ignore[no-any-return]
    return list(map(cls, *cols))


_HIT_FIELDS = ("start", "end", "kind", "reason")
_HIT_BY_SLOTS = slots_dataclass_of(RuleHit, _HIT_FIELDS)
"""Whether :class:`RuleHit` can be built by the kernel (see :func:`_hit_records`)."""


LINE_FILTER_MIN_LINES = 8
"""Pages of fewer lines are scanned whole (the filter's dozen array operations cost more there)."""
LINE_FILTER_AFTER_PAGES = 200
"""Pages a process scans whole before it builds the filter's tables (~0.15-0.25 s, once): the filter
saves ~0.4 ms on a dev page, so it pays from some 500 pages on, and a process that cleans one
document (the CLI on a file, a notebook) never builds it -- the same matches either way.  A pool's
loader builds them before it forks (:func:`build_line_filter`), so its workers share one copy."""
_pages_scanned = 0


def build_line_filter() -> bool:
    """Build the line filter's tables now (when the compiled kernel is there; True then), so that a
    process about to fork workers hands them one shared copy instead of each building its own after
    :data:`LINE_FILTER_AFTER_PAGES` pages (3.7 MB of tables plus ~6 MB of freed build heap each)."""
    from . import features  # features imports this module

    if features._native is None:
        return False
    _line_filter()
    return True


def _lexicon_matches(
    text: str, lines: list[str] | None = None, starts: np.ndarray | None = None
) -> list[tuple[int, int, int]]:
    """Start, end (offsets in ``text``: the line's) and alternative of every :data:`_LEXICON_FAST` match
    in ``"\\n" + text``, as its ``finditer`` finds them: every match is one whole line (no alternative
    consumes a newline), so only the lines :func:`lexicon_lines` lets through are scanned, joined.
    ``lines``/``starts``: ``text.split("\\n")`` and their offsets when the caller has them already."""
    if (text.count("\n") + 1 if lines is None else len(lines)) < LINE_FILTER_MIN_LINES:
        return [(m.start(), m.end() - 1, m.lastindex - 1) for m in _LEXICON_FAST.finditer("\n" + text)]  # type: ignore[operator]
    from . import features  # features imports this module

    global _pages_scanned
    _pages_scanned += 1
    built = _line_filter.cache_info().currsize > 0
    if features._native is None or (_pages_scanned <= LINE_FILTER_AFTER_PAGES and not built):
        # the numpy path: the filter by array operations costs more than the scan it saves
        return [(m.start(), m.end() - 1, m.lastindex - 1) for m in _LEXICON_FAST.finditer("\n" + text)]  # type: ignore[operator]
    rows = lexicon_lines(text).tolist()
    if not rows:
        return []
    if lines is None:
        lines = text.split("\n")
    picked = list(map(lines.__getitem__, rows))
    if starts is None:
        lens = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) + 1
        starts = np.concatenate(([0], np.cumsum(lens[:-1])))
    line_starts = starts[rows].tolist()
    picked_lens = np.fromiter(map(len, picked), dtype=np.int64, count=len(picked)) + 1
    sub_starts = np.concatenate(([0], np.cumsum(picked_lens[:-1]))).tolist()
    out = []
    for m in _LEXICON_FAST.finditer("\n" + "\n".join(picked)):
        k = bisect.bisect_right(sub_starts, m.start()) - 1
        s = line_starts[k]
        out.append((s, s + m.end() - m.start() - 1, m.lastindex - 1))  # type: ignore[operator]
    return out


_RULE_KIND = tuple(RULES[r].kind for r in _ALT_RULE)
_RULE_REASON = tuple(RULES[r].reason for r in _ALT_RULE)
"""The kind and reason of each lexicon alternative's rule (by alternative number)."""


def _hit_records(starts: list[int], ends: list[int], kinds: list[str], reasons: list[str]) -> list[RuleHit]:
    """``list(map(RuleHit, starts, ends, kinds, reasons))`` (a dev page has ~9 hits)."""
    return frozen_records(RuleHit, _HIT_FIELDS, _HIT_BY_SLOTS, (starts, ends, kinds, reasons))


def scan(text: str, *, lines: list[str] | None = None, starts: np.ndarray | None = None) -> list[RuleHit]:
    """Every whole-line chrome/related match in ``text`` (one pass over the page).  ``lines``: the
    caller's ``text.split("\\n")`` (``\\r`` kept) and ``starts`` their offsets, when it has them."""
    s_list: list[int] = []
    e_list: list[int] = []
    kinds: list[str] = []
    reasons: list[str] = []
    for s, e, alt in _lexicon_matches(text, lines, starts):
        if e - s > _MAX_RULE_LINE or s == e:
            continue
        s_list.append(s)
        e_list.append(e)
        kinds.append(_RULE_KIND[alt])
        reasons.append(_RULE_REASON[alt])
    seen = set(s_list)
    for start in _contains_starts(text):
        s = text.rfind("\n", 0, start) + 1
        if s in seen:
            continue
        k, cm = next(((k, c) for k, p in enumerate(_CONTAINS_EACH) if (c := p.match(text, start))), (0, None))
        if cm is None:  # a wire name inside a word (the rule's leading \b)
            continue
        e = text.find("\n", cm.end())
        e = len(text) if e < 0 else e
        rule, limit = CONTAINS_RULES[k]
        if e - s <= limit and (rule.reason != "copyright-footer" or _COPYRIGHT_CONFIRM.search(text, s, e)):
            seen.add(s)
            s_list.append(s)
            e_list.append(e)
            kinds.append(rule.kind)
            reasons.append(rule.reason)
    return _hit_records(s_list, e_list, kinds, reasons)
