"""Metadata lines: bylines, dates, sources, editors -> ISO fields.

A *metadata line* is a short line whose content is (almost) only metadata: a date with
an optional label ("Updated:", "发布时间："), a byline ("By X | Paper | Updated: ..."),
"作者 | X", "编辑 | X", "来源：X", "（责任编辑：X）".  Such lines leave the article and
their values go to ``metadata``; a date or name inside a body sentence is never taken,
because the line must be short and the leftover after removing the recognised parts
must be (nearly) empty.

Dates are normalised to ``YYYY-MM-DD`` (with ``THH:MM[:SS]`` when the line gives a
time) so that ``metadata.date`` is ISO 8601.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import regex

from .precompiled import compile as re_compile
from .precompiled import regex_compile
from .rules import case_expanded, stdlib_pattern

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january", "feb february", "mar march", "apr april", "may", "jun june",
            "jul july", "aug august", "sep sept september", "oct october", "nov november", "dec december",
        )
    )
    for m in names.split()
}

_TIME = (
    r"(?:[ \t,T]*(?P<hh>[012]?\d)[:：](?P<mi>[0-5]\d)(?:[:：](?P<ss>[0-5]\d))?(?:\.\d+)?"
    r"(?:\s*(?:[AaPp]\.?[Mm]\.?))?)?"
)
_DATE_YMD = (
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>1[0-2]|0?[1-9])\s*[-/.月]\s*(?P<d>3[01]|[12]\d|0?[1-9])"
    r"(?!\d)\s*日?" + _TIME
)
_DATE_NAMED = (
    r"(?P<mn>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(?P<d2>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?,?\s+"
    r"(?P<y2>(?:19|20)\d\d)(?!\d)" + _TIME.replace("hh", "hh2").replace("mi", "mi2").replace("ss", "ss2")
    + r"|(?<!\d)(?P<d3>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\.?\s+"
    r"(?P<mn3>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+"
    r"(?P<y3>(?:19|20)\d\d)(?!\d)"
)
_DATE_SLASH = r"(?<![\d/])(?P<a4>[0-3]?\d)/(?P<b4>[0-3]?\d)/(?P<y4>(?:19|20)\d\d)(?![\d/])"
DATE = re_compile(_DATE_YMD + "|" + _DATE_NAMED + "|" + _DATE_SLASH, re.IGNORECASE)
"""Dates: 2024-10-29, 2024/5/5, 2024年5月5日, May 5, 2024, 5 May 2024 (+ optional time)."""
_DATE_CASED = re_compile(case_expanded(DATE.pattern))
""":data:`DATE` without ``re.IGNORECASE``, its letters spelled as the classes they match under it
(:func:`.rules.case_expanded`): the same matches, but ``re`` checks an alternative's first
character before trying it, which it does not for a case-folded letter (-30% on the scan)."""
_DATE_NUMERIC = re_compile(case_expanded(_DATE_YMD + "|" + _DATE_SLASH))
""":data:`_DATE_CASED` without its two month-name alternatives: the same matches (and the same
:func:`iso_date`) on a line that holds none of :data:`_MONTH_PREFIXES`, for half the scan."""
_MONTH_PREFIXES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
"""Every match of a month-name alternative of :data:`DATE` starts with one of these under
``re.IGNORECASE``: in the line's ``str.lower()``, or with a long s ("ſep", which that flag matches
to "sep" and ``lower()`` leaves as it is; no other character that the flag matches to one of these
letters is left alone by ``lower()``)."""


_DATE_LEAD = 16
"""Non-space characters a :data:`DATE` match can hold before its year: "september." + day + "th,"
(9 + 1 + 2 + 2 + 1 = 15) or day + "th." + "september.," (2 + 2 + 1 + 9 + 2 = 16); the numeric forms
hold 0 and 6."""


def _date_scan_start(s: str, y0: int) -> int:
    """Where a :data:`DATE` scan of ``s`` can start without missing a match, ``y0`` being the first
    place ``(?:19|20)\\d\\d`` matches: every match holds such a year at or after ``y0``, and before
    it at most :data:`_DATE_LEAD` non-space characters and the white space between them -- at most
    all the white space before ``y0``.  (A scan from there finds what a scan from 0 finds: nothing
    starts earlier, and the look-behinds still see the characters before the start.)"""
    head = s[:y0]
    return max(0, y0 - _DATE_LEAD - (len(head) - len("".join(head.split()))))


_ASCII_DIGIT = re_compile("[0-9]")


def _day_before_year(s: str, y0: int) -> bool:
    """Whether a month-name alternative of :data:`DATE` can match ``s``, whose first year (``(?:19|20)\\d\\d``)
    is at ``y0``: each holds a day -- an ASCII digit first (``3[01]|[12]\\d|0?[1-9]``) -- and then, at least
    two characters on, a year.  So some year must start after the first ASCII digit: before ``y0``, or
    (when that digit is the year's own) a later one.  A "March 2012" line (month and year, no day) fails:
    the numeric alternatives alone are scanned there, half the cost."""
    d = _ASCII_DIGIT.search(s)
    assert d is not None  # the year's digits are ASCII
    return d.start() < y0 or _YEAR.search(s, y0 + 1) is not None


def _dates(s: str, y0: int, date: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """``date.finditer(s)`` (``date``: :data:`_DATE_CASED` or :data:`_DATE_NUMERIC`), ``y0`` being where
    :data:`_YEAR` first matches ``s``.  Every match holds a year and starts at most :data:`_DATE_LEAD`
    non-space characters (and the white space between them) before it, so each search starts there
    (:func:`_date_scan_start`) from the next year on, and none runs past the last year: a long line
    with a date near its start is not scanned to its end.  Every match is non-empty, so each search
    from the last match's end finds what ``finditer`` finds next."""
    pos = 0
    y = y0
    while True:
        m = date.search(s, max(pos, _date_scan_start(s, y)))
        if m is None:
            return
        yield m
        pos = m.end()
        nxt = _YEAR.search(s, pos)
        if nxt is None:
            return
        y = nxt.start()


def iso_date(m: re.Match[str]) -> str | None:
    """The ISO form of a :data:`DATE` match (None when the fields are not a real date)."""
    g = m.groupdict()
    hh = mi = ss = None
    if g.get("y"):
        y, mo, d = int(g["y"]), int(g["m"]), int(g["d"])
        hh, mi, ss = g.get("hh"), g.get("mi"), g.get("ss")
    elif g.get("y2"):
        y, mo, d = int(g["y2"]), _MONTHS.get(g["mn"].lower()[:3], 0), int(g["d2"])
        hh, mi, ss = g.get("hh2"), g.get("mi2"), g.get("ss2")
    elif g.get("y3"):
        y, mo, d = int(g["y3"]), _MONTHS.get(g["mn3"].lower()[:3], 0), int(g["d3"])
    elif g.get("y4"):
        # a/b/yyyy: day first unless the first number cannot be a day-of-month-with-month
        # pair that way (b > 12 means US month/day).
        a, b, y = int(g["a4"]), int(g["b4"]), int(g["y4"])
        d, mo = (b, a) if b > 12 else (a, b)
    else:
        return None
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    out = f"{y:04d}-{mo:02d}-{d:02d}"
    if hh is not None and mi is not None and int(hh) < 24:
        out += f"T{int(hh):02d}:{mi}" + (f":{ss}" if ss else "")
    return out


# Labels that introduce a date; removed before judging what is left of the line.
_DATE_LABEL = (
    r"(?:updated|last\s+updated|published|posted|first\s+published|date|modified|released|"
    r"发布时间|发表时间|发布日期|发表日期|更新时间|更新日期|日期|时间|发表于|发布于|posted\s+on|published\s+on)"
)
_NAME_SEP = r"[ \t]*[|｜:：/／丨][ \t]*"
_ZH_NAME = r"[\p{Han}·•]{2,4}(?:[ \t、,，]+[\p{Han}·•]{2,4}){0,5}"
_LATIN_NAME = (
    r"(?:[\p{Lu}][\p{L}'’.-]*|[\p{Lu}]{2,}[\p{L}'’.-]*)"
    r"(?:[ \t]+(?:(?:and|&|von|van|de|da|der|del|la|le|bin|al)[ \t]+)?(?:[\p{Lu}][\p{L}'’.-]*)){0,4}"
    r"(?:(?:,[ \t]*|[ \t]+and[ \t]+|[ \t]*&[ \t]*)(?:[\p{Lu}][\p{L}'’.-]*)"
    r"(?:[ \t]+[\p{Lu}][\p{L}'’.-]*){0,3}){0,4}"
)

# Field patterns searched inside a candidate line.
_AUTHOR_ZH = regex_compile(
    rf"(?:作者|撰文|撰稿|文|记者|采写|口述|整理|通讯员|实习生|特约记者|作\h*者){_NAME_SEP}?[ \t]*"
    rf"(?P<name>{_ZH_NAME}|[\p{{Latin}}][\p{{Latin}} .'-]{{1,40}}?)"
    r"(?=$|[ \t|｜/丨)）】,，]|\h*(?:来源|编辑|日期|时间|发布|责任|摄影|\d))"
)
_POSTED_BY = regex_compile(
    r"(?:^|[\h|｜:：])(?P<name>[\p{Han}]{2,4}|[\p{Latin}\d_.-]{2,24})\h*(?:发表于|发布于|发表|posted\h+(?:on|at))\h*"
    r"(?=(?:19|20)\d\d)|由\h*(?P<name2>[^\h于]{2,24})\h*于\h*(?=(?:19|20)\d\d)"
    r"|是(?P<name3>[^\h在]{2,24})在\h*(?=(?:19|20)\d\d)"
    r"|^[\[【]\h*(?P<name4>[\p{Han}]{2,4}(?:\h+[\p{Han}]{2,4}){0,3})\h*[\]】]\h*(?=来源|稿源)",
    regex.IGNORECASE,
)
"""Forum/portal forms: "X 发表于 2005-9-15", "本贴由X于2005年...发表", "[ 黄宇 ] 来源：..."."""
_SIGNATURE = regex_compile(
    r"^\h*(?:[（(]\h*(?P<name>[\p{Han}]{2,4}(?:[\h、]+[\p{Han}]{2,4}){0,3})\h*[)）]"
    r"|□?\h*(?:本报|本刊|本台)?(?:记者|通讯员|实习生)\h*(?P<name2>[\p{Han}]{2,4}(?:[\h、]+[\p{Han}]{2,4}){0,4}))\h*$"
)
"""A signature at the foot of a Chinese article: "（袁源）", "□ 本报记者 葛灵丹"."""
NAME_ONLY = regex_compile(
    r"^\h*(?P<name>\p{Han}{2,4}|\p{Han}\h\p{Han}{1,2})\h*(?:[:：,，]\h*\p{Han}[^\n]{0,30})?$"
)
"""A line that is only a (Chinese) name, optionally followed by an affiliation ("赵 培：北京物资学院")."""
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游"
    "辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
"""Common Chinese surnames (the ~300 most frequent): a bare 2-4 character line a few lines
above the body is taken as the author only when it starts with one, so menu words are not."""
PHOTO_BY = regex_compile(r"(?P<name>\p{Han}{2,4})\h*[/／]\h*摄\h*$")
"""A photographer credit at the end of a caption: "... 蔡雪婧/摄"."""

_AUTHOR_EN = regex_compile(
    rf"(?:^|[|•·]\h*)(?i:by|written\h+by|words\h+by|author|authors)\h*[:：]?\h*(?P<name>{_LATIN_NAME})"
    r"(?=\h*$|\h*[|•·,–—-]|\h+(?i:for|in|on|at|updated|published|posted)\b)"
)
_EDITOR = regex_compile(
    rf"(?:责任编辑|责编|编辑|主编|审核|校对|(?i:editor|edited\s+by|editing\s+by)){_NAME_SEP}?[ \t]*"
    rf"(?P<name>{_ZH_NAME}|{_LATIN_NAME})"
)
_SOURCE = regex_compile(
    rf"(?:来源|稿源|出处|转自|(?i:source)){_NAME_SEP}[ \t]*[\[【(（]?[ \t]*(?P<src>[^|｜\]】)）\n]{{1,40}}?)"
    r"[ \t]*[\]】)）]?[ \t]*(?=$|[|｜]|\h+(?:作者|编辑|责任|日期|时间|发布|阅读|点击))"
)
_LABEL_ONLY = regex_compile(
    r"^\h*(?:作者|来源|编辑|责任编辑|发布日期|发布时间|日期|author|source|date)\h*[:：]?\h*$",
    regex.IGNORECASE,
)
_NOISE_WORDS = (
    r"(?:阅读|浏览|点击|评论|views?|reads?|comments?)\h*[:：(（]?\h*\d+\h*[次)）]?|(?<!\d)\d++\h*(?:次阅读|人阅读|次浏览)"
    r"|(?:字号|字体)[:：]?\h*(?:大|中|小|\h)*|[【】\[\]()（）|｜·•,，:：;；/—–-]+|"
    + _DATE_LABEL
    + r"|星期[一二三四五六日天]|周[一二三四五六日]|(?:mon|tues|wednes|thurs|fri|satur|sun)day,?"
    r"|[AaPp]\.?[Mm]\.?"
    r"|(?:gmt|utc|edt|est|pst|cst|bst|cet)(?:[+-]\d+)?|北京时间"
)
_NOISE_DOMAIN = r"|[\p{Latin}.]{3,40}\.(?:com|cn|net|org)"
_NOISE = re_compile(stdlib_pattern(_NOISE_WORDS + _NOISE_DOMAIN), re.IGNORECASE)
"""Harmless leftovers of a metadata line: view counts, font-size switches, brackets and separators,
date labels, weekdays, time zones, a site's domain."""
_NOISE_NO_DOMAIN = re_compile(case_expanded(stdlib_pattern(_NOISE_WORDS)))
""":data:`_NOISE` without its last alternative (a domain), and without ``re.IGNORECASE`` (letters
spelled as classes, :func:`.rules.case_expanded`): the same substitutions on a string where
:data:`_DOMAIN_END` finds nothing, since every domain match ends in such a suffix.  With the flag,
``re`` tried each of the ~20 alternatives at every character (a case-folded first letter is not
checked before an alternative is entered): 3x the time, 20% of :func:`parse_line`.  (The domain
alternative's Latin class holds letter ranges, which ``case_expanded`` does not fold; a line with a
domain keeps :data:`_NOISE`.)"""
_DOMAIN_END = re_compile(r"\.(?:com|cn|net|org)", re.IGNORECASE)
_INVISIBLE = regex_compile(r"[\p{Co}\p{Cf}\u00a0\u3000]")
"""Private-use glyphs (icon fonts), format characters and wide spaces: read as spaces."""
_YEAR = re_compile(r"(?:19|20)\d\d")
"""Every :data:`DATE` form has a four-digit year: lines without one skip the (slow) date scan."""
_POSTED_CUES = ("发表", "发布", "posted", "由", "是", "[", "【")
_SIGNATURE_CUES = ("(", "（", "记者", "通讯员", "实习生")
_AUTHOR_ZH_CUES = ("作", "撰", "文", "记者", "采写", "口述", "整理", "通讯员", "实习生")
_EDITOR_CUES = ("编", "审核", "校对", "edit")
_SOURCE_CUES = ("来源", "稿源", "出处", "转自", "source")
"""Literals without which the field patterns above cannot match (checked on the lower-cased
line before running them)."""
_ANY_CUE = re_compile("|".join(map(re.escape, sorted({
    "by", "author", *_POSTED_CUES, *_SIGNATURE_CUES, *_AUTHOR_ZH_CUES, *_EDITOR_CUES, *_SOURCE_CUES
}))))
"""Any of the literals the field patterns are gated on: a line without one and without a year
yields no field, so :func:`parse_line` stops there (one scan instead of ~40 substring tests)."""
_EDITOR_WORDS = ("编辑", "责编", "主编", "审核", "校对", "edit")
""":data:`_EDITOR_CUES` narrowed to what :data:`_EDITOR`'s alternatives hold ("编" alone is in many
Chinese lines; every alternative with it holds "编辑", "责编" or "主编")."""


def _posted_possible(s: str, has: Callable[[str], bool]) -> bool:
    """Whether :data:`_POSTED_BY` can match ``s`` (``has``: substring test on ``s.lower()``): its first
    three alternatives need a year's "19"/"20" after a keyword ("发表", "发布于", "posted" -- or a long s,
    which ``regex.IGNORECASE`` reads as "s" --, "由...于", "是...在"), the last a leading bracket and
    "来源"/"稿源".  A necessary condition only: the pattern decides."""
    if has("19") or has("20"):
        if has("发表") or has("发布于") or has("posted") or has("\u017f") or (has("由") and has("于")) \
                or (has("是") and has("在")):
            return True
    return s[0] in "[【" and (has("来源") or has("稿源"))


def _leftover(noise: re.Pattern[str], rest: str, cap: int) -> int:
    """``sum(len(w) for w in noise.sub(" ", rest).split())`` -- the characters outside white space and
    ``noise``'s matches --, or, when ``cap >= 0``, any count above ``cap`` as soon as the characters
    between the matches seen so far pass it (a prose line is given up a few words in, instead of
    substituted to its end).  ``noise``'s matches are never empty, so ``finditer`` walks the
    matches ``sub`` replaces."""
    out = 0
    pos = 0
    for m in noise.finditer(rest):
        a = m.start()
        if a > pos:
            out += len("".join(rest[pos:a].split()))
            if 0 <= cap < out:
                return out
        pos = m.end()
    return out + len("".join(rest[pos:].split()))


_MAX_META_LINE = 160
"""Lines longer than this are prose, not metadata (bylines with date and paper fit easily)."""


@dataclass(slots=True)
class MetaLine:
    """What one metadata line yielded (empty fields when absent) and its main reason."""

    reason: str
    fields: dict[str, str] = field(default_factory=dict)
    remove: bool = True
    """False when the line holds prose too: its fields count, the line stays."""


def parse_line(line: str) -> MetaLine | None:
    """Parse ``line`` as a metadata line; None when it is not one (has prose left over)."""
    s = (line if line.isascii() else _INVISIBLE.sub(" ", line)).strip()
    if not s or len(s) > _MAX_META_LINE:
        return None
    low = s.lower()
    year = _YEAR.search(s)
    cued = _ANY_CUE.search(low) is not None
    if year is None and not cued:
        return None  # no date and none of the field patterns' literals: no field (tested equal)
    has = low.__contains__
    fields: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    reason = ""
    # Each field pattern runs only when a literal it needs is on the line (a substring test costs
    # far less than a regex search; most probed lines hold a date or a name and nothing else).
    dates: Iterable[re.Match[str]] = ()
    if year is not None:
        y0 = year.start()
        named = (any(map(has, _MONTH_PREFIXES)) or "\u017f" in s) and _day_before_year(s, y0)
        dates = _dates(s, y0, _DATE_CASED if named else _DATE_NUMERIC)
    for dm in dates:
        iso = iso_date(dm)
        if iso and "date" not in fields:
            fields["date"] = iso
            reason = reason or "date-line"
        spans.append(dm.span())
    posted = None
    if cued:  # else no field pattern can match (each needs one of _ANY_CUE's literals): the date alone
        m = _AUTHOR_EN.search(s) if (has("by") or has("author")) and (s[0] in "bBwWaA" or any(map(has, "|•·"))) \
            else None
        posted = _POSTED_BY.search(s) if any(map(has, _POSTED_CUES)) and _posted_possible(s, has) else None
        sig = _SIGNATURE.match(s) if any(map(has, _SIGNATURE_CUES)) else None
        if posted:
            name = next(g for g in posted.groups() if g)
            fields["author"] = _clean_zh_name(name)
            spans.append(posted.span())
            reason = "byline"
        elif sig:
            fields["author"] = _clean_zh_name(sig.group("name") or sig.group("name2"))
            spans.append(sig.span())
            reason = "signature" if sig.group("name") else "byline"
        elif m and _plausible_latin_author(m.group("name")):
            fields["author"] = m.group("name").strip(" ,")
            spans.append(m.span())
            reason = "byline"
        else:
            m = _AUTHOR_ZH.search(s) if any(map(has, _AUTHOR_ZH_CUES)) else None
            if m and not _EDITOR.match(s, m.start()):
                fields["author"] = _clean_zh_name(m.group("name"))
                spans.append(m.span())
                reason = "byline"
        if any(map(has, _EDITOR_WORDS)):
            for m in _EDITOR.finditer(s):
                fields.setdefault("editor", _clean_zh_name(m.group("name")))
                spans.append(m.span())
                reason = reason or "editor-line"
        if any(map(has, _SOURCE_CUES)):
            for m in _SOURCE.finditer(s):
                fields.setdefault("source", m.group("src").strip())
                spans.append(m.span())
                reason = reason or "source-line"
    if not fields:
        return None
    # What is left after removing the recognised parts and harmless noise must be tiny.
    rest = list(s)
    for a, b in spans:
        rest[a:b] = [" "] * (b - a)
    rest_s = "".join(rest)
    limit = max(12, len(s.replace(" ", "")) // 3)
    # characters left outside the recognised parts bound the leftover from above (the noise
    # pattern only turns characters into spaces): within the limit, the noise scan cannot change
    # the answer and is skipped
    leftover = len("".join(rest_s.split()))
    if leftover > limit:
        noise = _NOISE if _DOMAIN_END.search(rest_s) else _NOISE_NO_DOMAIN
        # only whether the leftover exceeds the limit counts, unless the paper part below subtracts from it
        paper_possible = "author" in fields and reason == "byline" and "|" in s
        leftover = _leftover(noise, rest_s, -1 if paper_possible else limit)
    if "author" in fields and reason == "byline" and "|" in s and not _AUTHOR_ZH.search(s):
        # "By X | China Daily Global | Updated: ...": the middle part names the paper.
        parts = [p.strip() for p in s.split("|")]
        paper = [p for p in parts[1:] if p and not DATE.search(p) and len(p) <= 40]
        if paper:
            fields.setdefault("source", paper[0])
            leftover -= sum(len(p.replace(" ", "")) for p in paper[:1])
    if leftover > limit:
        if posted:  # "本贴由大卫于2005年8月12日...发表": trustworthy fields inside a sentence
            return MetaLine("byline", {k: v for k, v in fields.items() if k in ("author", "date")}, False)
        return None
    return MetaLine(reason or "metadata", fields)


def is_label_only(line: str) -> bool:
    """A bare field label ("作者：", "来源：") whose value sits on another line."""
    return bool(_LABEL_ONLY.match(line))


def _plausible_latin_author(name: str) -> bool:
    words = name.split()
    return 1 <= len(words) <= 14 and not name.lower().startswith(("the ", "a ", "an "))


def _clean_zh_name(name: str) -> str:
    return str(regex.sub(r"[ \t]+", " ", name.strip(" \t,，、")))


_DATE_ANY = DATE


def first_date(text: str) -> str | None:
    """The first well-formed date in ``text`` (ISO), used as a fallback for the page date."""
    for m in _DATE_ANY.finditer(text):
        iso = iso_date(m)
        if iso:
            return iso
    return None
