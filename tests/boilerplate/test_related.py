"""Topical similarity of trailing blocks: unrelated teasers go, an on-topic last paragraph stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import related as rel
from cleaner.boilerplate import strip_boilerplate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_tokens_words_and_han_bigrams() -> None:
    assert rel.tokens("The ferry route opened") == {"ferry", "route", "opened"}
    assert rel.tokens("屋顶菜园") == {"屋顶", "顶菜", "菜园"}


def test_similarity_orders_related_above_unrelated() -> None:
    body = rel.tokens((FIXTURES / "zh_news_related.txt").read_text(encoding="utf-8").split("相关")[0])
    on_topic = "专家建议，屋顶菜园在种植前要评估承重和排水。"
    off_topic = "台风即将登陆 沿海地区启动应急响应  中新网福州8月12日电 气象部门预计台风将于今天夜间登陆。"
    assert rel.similarity(on_topic, body) >= rel.UNRELATED > rel.similarity(off_topic, body)


def test_header_less_teaser_run_is_cut_last_paragraph_kept() -> None:
    text = (FIXTURES / "en_teasers_no_header.txt").read_text(encoding="utf-8")
    res = strip_boilerplate(text, "en", model=False)
    assert "Officials said the ferry timetable would be reviewed" in res.text
    cut = [r for r in res.removed if r.kind == "related"]
    assert len(cut) == 3 and all(r.reason == "related-block" for r in cut)
    assert "Stock markets" not in res.text


def test_on_topic_block_after_related_header_is_kept() -> None:
    body = "\n\n".join(
        [
            "The city council approved a new cycling plan on Tuesday that adds forty kilometres"
            " of protected lanes.",
            "The cycling plan connects the protected lanes to every school and the central station by 2027.",
            "Council members said cycling numbers doubled on streets where protected lanes were built.",
        ]
    )
    tail = (
        "Read more\n\nThe protected lanes in the cycling plan will be built first near schools"
        " and the station."
    )
    res = strip_boilerplate(body + "\n\n" + tail, "en", model=False)
    assert "built first near schools" in res.text


def test_unrelated_tail_needs_teaser_shape() -> None:
    body = rel.tokens("ferry route islands passengers timetable")
    lines = ["Markets rallied on Friday as tech shares rose sharply in late trading."] * 4
    assert rel.unrelated_tail(lines, body) == 0
    shaped = ["Markets rally as tech shares rise  Investors bought stocks on Friday..."] * 4
    assert rel.unrelated_tail(shaped, body) == 4


def test_teaser_shapes() -> None:
    assert rel.teaser_shaped("Storm closes the road   Drivers were told to stay home on Monday")
    assert rel.teaser_shaped("【环球网报道】据法新社5日消息")
    assert rel.teaser_shaped("中新网北京5月5日电 作家莫言编剧的话剧")
    assert rel.teaser_shaped("The council met and argued about the budget...")
    assert rel.teaser_shaped("  12:30 Markets close higher")
    # a table row (gap next to "|") and ordinary prose are not teasers
    assert not rel.teaser_shaped("Name  | Score")
    assert not rel.teaser_shaped("The council met on Tuesday to discuss the budget.")
    assert not rel.teaser_shaped("   ")


def test_tokens_cut_kana_and_han_into_bigrams() -> None:
    assert rel.tokens("レイノルズとは") == {"レイ", "イノ", "ノル", "ルズ", "ズと", "とは"}
    assert rel.tokens("The the AND ferry") == {"ferry"}


def _tokens_reference(text: str) -> set[str]:
    """:func:`related.tokens` as it was written first: one :data:`related._LETTERS` pass for every text."""
    low = text.lower()
    out = set(rel._LETTERS.findall(low))
    if not low.isascii():
        out.update(rel._HAN_RUN.findall(low))
        cjk = [w for w in out if "\u2e80" <= w[0] <= "\u9fff" or "\uf900" <= w[0] <= "\ufaff"]
        out.difference_update(cjk)
        for w in cjk:
            if len(w) > 1:
                out.update(map(str.__add__, w, w[1:]))
    return out - rel._STOP


def test_tokens_and_teaser_shapes_are_the_one_regex_answers_on_dev_pages(dev_texts: list[str]) -> None:
    # the ASCII word pattern and the literal test before the teaser-mark search are shortcuts only
    for text in dev_texts:
        for line in text.split("\n"):
            assert rel.tokens(line) == _tokens_reference(line)
            want = any(True for m in rel._GAP.finditer(line) if 0 < m.start() and m.end() < len(line)
                       and not line[m.start() - 1].isspace() and line[m.start() - 1] != "|"
                       and not line[m.end()].isspace() and line[m.end()] != "|")
            want = want or bool(rel._TEASER_MARKS.search(line) or rel._TIME_PREFIX.match(line.lstrip()))
            assert rel.teaser_shaped(line) == want
        assert rel.tokens(text) == _tokens_reference(text)


@pytest.mark.parametrize(
    "text", ["Ab_cd ABC ábc x1yz ſtop KELVIN", "İstanbul straße ǅemal", "a...", "…", "x [新华社电]"]
)
def test_tokens_and_teaser_shapes_edge_cases(text: str) -> None:
    assert rel.tokens(text) == _tokens_reference(text)
    assert rel.teaser_shaped(text) == bool(
        rel._TEASER_MARKS.search(text) or rel._TIME_PREFIX.match(text.lstrip()) or "  " in text.strip()
    )


def test_unrelated_tail_needs_its_last_lines_teaser_shaped(dev_texts: list[str]) -> None:
    # _related_cut tests only the last MIN_TEASERS lines of the tail before calling unrelated_tail (it
    # counted teaser-shaped lines among all twelve): a tail unrelated_tail cuts always has those lines
    # teaser-shaped, and then at least MIN_TEASERS teaser-shaped lines
    cut = 0
    for text in dev_texts:
        lines = [x.strip() for x in text.split("\n") if x.strip()]
        if len(lines) < 2 * rel.MIN_TEASERS:
            continue
        tail, body = lines[-12:], rel.tokens(" ".join(lines[:-12] or lines[: len(lines) // 2]))
        k = rel.unrelated_tail(tail, body)
        last = all(map(rel.teaser_shaped, tail[-rel.MIN_TEASERS :]))
        assert not k or last
        cut += bool(k)
    assert cut  # some dev pages end in such a run


NATIVE = rel._native
needs_native = pytest.mark.skipif(NATIVE is None, reason="cleaner._native not built")


@needs_native
def test_tokens_kernel_is_the_python_path_on_every_code_point() -> None:
    # each code point tripled (a word of 3 when it is a letter, two bigrams when CJK), apart and run together
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for k in range(0, len(chars), 4096):
        block = chars[k : k + 4096]
        for sep in (" ", "", "1"):
            text = sep.join(c * 3 for c in block)
            assert rel.tokens(text) == rel._tokens_python(text), hex(ord(block[0]))


@needs_native
def test_tokens_kernel_on_dev_pages_and_lines(dev_texts: list[str]) -> None:
    for text in dev_texts:
        assert rel.tokens(text) == rel._tokens_python(text)
        for line in text.split("\n")[::7]:
            assert rel.tokens(line) == rel._tokens_python(line)


_TOKEN_ALPHABET = (
    "aBcZé_1٣²ſİ \t\n-.レイノ中国人民𠀀𠀁ㄅ々〇가ᄀ" + "\u2e80\u2fdf\u3005\u3021\u303b\u4dbf\uf900\ufaff\ufb00"
)


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_TOKEN_ALPHABET, max_size=40) | st.text(max_size=30))
def test_tokens_kernel_is_the_python_path_on_generated_text(text: str) -> None:
    assert rel.tokens(text) == rel._tokens_python(text)


@needs_native
def test_tokens_kernel_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError):
        NATIVE.related_tokens("abc def", ["the"], rel._HAN_RANGES)
    with pytest.raises(ValueError):
        NATIVE.related_tokens("abc def", rel._STOP, b"\0\0\0")
    with pytest.raises(ValueError):  # read as uint32 pairs: a misaligned buffer is refused, not read
        NATIVE.related_tokens("abc def", rel._STOP, memoryview(bytearray(rel._HAN_RANGES + b"\0"))[1:])
    assert NATIVE.related_tokens("", rel._STOP, b"") == set()
    # without Han ranges, Han characters are letters: a run of 3 starting in the CJK block, so bigrams
    assert NATIVE.related_tokens("中国人 中国", rel._STOP, b"") == {"中国", "国人"}


def test_tokens_python_path_without_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rel, "_native", None)
    want = {"レイ", "イノ", "ノル", "ルズ", "ズと", "とは", "ferry", "中国", "国人"}
    assert rel.tokens("レイノルズとは The ferry 中国人") == want
