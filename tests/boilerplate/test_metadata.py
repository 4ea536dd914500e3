"""Metadata lines -> ISO fields; prose with names and dates is not a metadata line."""

from __future__ import annotations

import pytest

from cleaner.boilerplate import metadata as meta

LINES = [
    ("By JANE ROE and JOHN DOE | Example Daily | Updated: 2022-11-03 14:05",
     {"author": "JANE ROE and JOHN DOE", "source": "Example Daily", "date": "2022-11-03T14:05"}),
    ("By Maria Lopez", {"author": "Maria Lopez"}),
    ("Updated: March 4, 2021 10:00 AM", {"date": "2021-03-04T10:00"}),
    ("Published 12 Jan 2020", {"date": "2020-01-12"}),
    ("2023-08-12 10:05:11 来源:新华网", {"date": "2023-08-12T10:05:11", "source": "新华网"}),
    ("作者 | 李明", {"author": "李明"}),
    ("作者：陈晓东", {"author": "陈晓东"}),
    ("编辑 | 张华", {"editor": "张华"}),
    ("（ 责任编辑：周立 ）", {"editor": "周立"}),
    ("来源：[ 人民网 ]", {"source": "人民网"}),
    ("2019年5月6日 08:30 来源：某某晚报", {"date": "2019-05-06T08:30", "source": "某某晚报"}),
    ("发布时间：2018-07-01", {"date": "2018-07-01"}),
    ("本报记者 王强 刘洋", {"author": "王强 刘洋"}),
    ("（孙丽）", {"author": "孙丽"}),
    ("netuser88 发表于 2006-3-9 10:20:00", {"author": "netuser88", "date": "2006-03-09T10:20:00"}),
    ("[ 赵磊 ] 来源：[ 某某报 ]", {"author": "赵磊", "source": "某某报"}),
    ("9/7/2005 9:23:57 PM", {"date": "2005-07-09"}),
    ("5/23/2006", {"date": "2006-05-23"}),
]

NOT_META = [
    "On April 26, 2024, the ministers met in Beijing to discuss a five-point plan for cooperation.",
    "By the end of the decade the river had changed its course twice.",
    "他说，2023年8月的那场暴雨让整条街都被淹了，直到第二天才退水。",
    "Breaking the Ice: Two Rivals Agree to Talk",
    "中美AI的破冰时刻",
    "The editor of the paper resigned in protest last week after the owners intervened.",
]


@pytest.mark.parametrize(("line", "fields"), LINES)
def test_metadata_line_fields(line: str, fields: dict[str, str]) -> None:
    ml = meta.parse_line(line)
    assert ml is not None and ml.remove
    for key, value in fields.items():
        assert ml.fields.get(key) == value


@pytest.mark.parametrize("line", NOT_META)
def test_prose_is_not_a_metadata_line(line: str) -> None:
    ml = meta.parse_line(line)
    assert ml is None or not ml.remove


def test_posted_by_inside_a_sentence_gives_fields_but_keeps_the_line() -> None:
    ml = meta.parse_line(
        "本贴由小林于2006年3月9日10:20:00在〖读书论坛〗发表，欢迎大家转载并留言讨论书中的观点。"
    )
    assert ml is not None and not ml.remove
    assert ml.fields == {"author": "小林", "date": "2006-03-09T10:20:00"}


def test_iso_dates() -> None:
    assert meta.first_date("seen on 2024/5/5 and later") == "2024-05-05"
    assert meta.first_date("2024年10月29日") == "2024-10-29"
    assert meta.first_date("October 29th, 2024") == "2024-10-29"
    assert meta.first_date("2024-13-40") is None


def test_bare_label() -> None:
    assert meta.is_label_only("作者：")
    assert meta.is_label_only("Source:")
    assert not meta.is_label_only("作者：李明")


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # the noise (counters, labels, weekdays, sites) is what keeps these under the leftover limit
        ("By Jane Doe | Views: 1234 | Comments: 56 | Tuesday, AM",
         ("byline", {"author": "Jane Doe", "source": "Views: 1234"}, True)),
        ("作者：王欣 阅读：1234次 评论：56 字号：大 中 小", ("byline", {"author": "王欣"}, True)),
        ("Posted by admin on May 5, 2020 | 1,234 views | reads 88 | www.example.com",
         ("date-line", {"date": "2020-05-05"}, True)),
        # prose left over: not a metadata line
        ("By Jane Doe, who wrote a very long sentence about the council budget", None),
    ],
)
def test_leftover_limit_with_and_without_the_noise_scan(line: str, want: tuple | None) -> None:
    ml = meta.parse_line(line)
    assert (None if ml is None else (ml.reason, ml.fields, ml.remove)) == want


_FUZZ_WORDS = [
    "ı", "İ", "K", "ſ", "AM", "P.M.", "pm", "T", "t", "GMT", "utc+8", "Posted On", "UPDATED:", "JAN", "MAY", "ſept",
    "Tues", "day", "Sunday,", "星期一", "阅读", "views:", "12", "2024", "1999", "5", "31", "/", "-", ".", "年", "月",
    "日", "10:30", "１２", "٣", "|", "（", "）", "Nov.", "DECEMBER", "3rd", "a.m.", "Last  Updated", "published",
    "发布时间", "字号", "大", "example.com", "x.CN", "ORG", " ", "  ", "\t", "\u3000", "\ud800", "\U0001F600", "k",
    "ſun", "satur", "wednes", "reads", "Comments(", "次阅读", "By", "作者：", "来源:", "由", "于", "是", "在",
    "[", "【",
    "稿源", "•", "·", "written", "Words", "edited", "主编", "编辑", "编", "poſted", "20", "19", "Author", "by", "发表",
]


def _date_scan(s: str) -> list[tuple[tuple[int, int], str | None]]:
    """What parse_line takes from the date scan: the fast patterns, chosen as it chooses them, by its walk
    from year to year (:func:`.metadata._dates`)."""
    year = meta._YEAR.search(s)
    if year is None:
        return []
    named = (any(map(s.lower().__contains__, meta._MONTH_PREFIXES)) or "\u017f" in s) and meta._day_before_year(
        s, year.start())
    fast = meta._DATE_CASED if named else meta._DATE_NUMERIC
    return [(m.span(), meta.iso_date(m)) for m in meta._dates(s, year.start(), fast)]


def _noise(s: str) -> str:
    return (meta._NOISE if meta._DOMAIN_END.search(s) else meta._NOISE_NO_DOMAIN).sub(" ", s)


def _hostile_lines() -> list[str]:
    import random

    rnd = random.Random(5)
    out = ["", " ", "\ud800", "\U0001d7d8" * 3, "x" * 5000, "May 5, 2024 " * 30, "ſep 5, 2024", "5 ſEPT 2024",
           "2024-05-05 10:30 pm", "Posted on 2024/5/5 utc+8 | views: 12", "March 2012", "March 2012 (9)",
           "12 March 2012", "2012 March 5", "May 20199", "12019 May 5", "3 May 20199 2020", "May 2012, 5 June 2013",
           "in 2012 and May 5, 2013 and more text after it " * 3, "2019 x 2020 y 2021-1-1 " + "z" * 150,
           "  \u2003 5 \t May \u3000 2024 \u2003 ", "٣ May 2024", "May ٣ 2024", "1 ſept 2019 2020",
           "2024-05-05日2024-06-06", "2024-1-1 10:30am2025-1-1", "2024年5月5日2025年6月6日 来源：x"]
    for _ in range(4000):
        out.append("".join(rnd.choice(_FUZZ_WORDS) + rnd.choice(("", " ")) for _ in range(rnd.randint(1, 14))))
    return out


def test_fast_date_and_noise_scans_equal_the_case_folded_patterns(dev_texts: list[str]) -> None:
    # parse_line scans with DATE and _NOISE spelled without re.IGNORECASE (and without the alternatives
    # a line cannot match): the same spans and ISO dates, the same substitutions, on every short dev
    # line and on generated lines full of the characters IGNORECASE folds (ſ, K, ı, İ)
    lines = {ln.strip() for t in dev_texts for ln in t.split("\n") if 0 < len(ln.strip()) <= 200}
    for s in sorted(lines) + _hostile_lines():
        assert _date_scan(s) == [(m.span(), meta.iso_date(m)) for m in meta.DATE.finditer(s)], s
        assert _noise(s) == meta._NOISE.sub(" ", s), s
        full = sum(len(w) for w in meta._NOISE.sub(" ", s).split())
        for cap in (-1, 0, 5, 12, 40):
            got = meta._leftover(meta._NOISE, s, cap)
            assert got == full if cap < 0 or full <= cap else cap < got <= full, (s, cap)


def _reference_parse_line():
    """parse_line as it was before its gates were narrowed: every field pattern behind its plain
    literal cues only (this module's patterns; the gates are what the fast path changed), none skipped
    for want of one of _ANY_CUE's literals, and the dates by one ``DATE.finditer`` over the line."""
    import inspect

    src = inspect.getsource(meta.parse_line)
    for old, new in (
        ("    cued = _ANY_CUE.search(low) is not None\n", "    cued = True\n"),
        ("        dates = _dates(s, y0, _DATE_CASED if named else _DATE_NUMERIC)\n",
         "        dates = DATE.finditer(s)\n"),
        ("        leftover = _leftover(noise, rest_s, -1 if paper_possible else limit)\n",
         '        leftover = sum(len(w) for w in noise.sub(" ", rest_s).split())\n'),
        (' and (s[0] in "bBwWaA" or any(map(has, "|•·")))', ""),
        (" and _posted_possible(s, has)", ""),
        ("_EDITOR_WORDS", "_EDITOR_CUES"),
    ):
        assert old in src, old
        src = src.replace(old, new)
    ns = dict(vars(meta))
    exec(compile(src, "reference", "exec"), ns)
    return ns["parse_line"]


def test_narrowed_gates_give_the_same_lines(dev_texts: list[str]) -> None:
    # the early exits (no year, no cue; no cue, no date), the AUTHOR_EN/POSTED_BY/EDITOR gates only skip
    # searches that cannot match, and the date walk (_day_before_year, _dates) finds DATE's matches: the
    # same MetaLine on every short dev line and on generated ones
    ref = _reference_parse_line()
    lines = {ln.strip() for t in dev_texts for ln in t.split("\n") if 0 < len(ln.strip()) <= 200}
    for s in sorted(lines) + _hostile_lines():
        assert meta.parse_line(s) == ref(s), s


def test_date_scan_from_the_computed_start_finds_every_match(dev_texts: list[str]) -> None:
    # parse_line scans for dates from _date_scan_start (at most 16 non-space characters and all the
    # white space before the first year): the same matches as a scan from 0
    import random

    rnd = random.Random(3)
    words = ["september", "September", "30th,", "3rd.", "\u017feptember", "2nd", "May", "1.", "12/", "2024", "1999",
             " ", "\u2003", "\n", "\t", "x", "|", "31", "/", "-", "dec.", "Jan"]
    lines = {ln.strip() for t in dev_texts for ln in t.split("\n") if 0 < len(ln.strip()) <= 400}
    fuzz = ["".join(rnd.choice(words) + rnd.choice(("", " ")) for _ in range(rnd.randint(1, 20))) for _ in range(4000)]
    for s in sorted(lines) + fuzz + _hostile_lines():
        y = meta._YEAR.search(s)
        if y is None:
            continue
        for p in (meta._DATE_CASED, meta._DATE_NUMERIC):
            assert [m.span() for m in p.finditer(s, meta._date_scan_start(s, y.start()))] == [
                m.span() for m in p.finditer(s)], s
