"""Tests for cleaner.decode: BOMs, UTF-8/UTF-16 sniffing, hints right and wrong, legacy codecs, garbage."""

from __future__ import annotations

import base64
import codecs
import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.decode import candidates, decode

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "encoding"
SHARED = ROOT / ".." / "shared"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))


def _expected(entry: dict[str, object]) -> str:
    text = (FIXTURES / str(entry["source"])).read_text(encoding="utf-8").strip()
    return text[: int(entry["chars"])] if entry["short"] else text  # type: ignore[call-overload]


@pytest.mark.parametrize("entry", MANIFEST, ids=[m["file"] for m in MANIFEST])
def test_fixture_files_decode_exactly(entry: dict[str, object]) -> None:
    data = (FIXTURES / str(entry["file"])).read_bytes()
    got = decode(data)
    assert got.text == _expected(entry)
    assert "replaced-undecodable-bytes" not in got.fixes


def test_fixture_set_covers_the_issue_encodings() -> None:
    codecs_seen = {m["codec"] for m in MANIFEST}
    for want in ("gbk", "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1251", "koi8-r", "cp1252",
                 "iso8859-1", "iso8859-2", "cp1256", "utf-16-le", "utf-16-be", "utf-16", "utf-8-sig"):
        assert want in codecs_seen


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
     (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")],
)
def test_bom_is_used_and_stripped(bom: bytes, codec: str) -> None:
    text = "Ünïcödé – 中文 – текст"
    got = decode(bom + text.encode(codec))
    assert got.text == text
    assert got.encoding == codec
    assert got.fixes == ("strip-bom",)


def test_utf8_and_ascii_pass_through() -> None:
    assert decode(b"plain ascii").text == "plain ascii"
    got = decode("naïve 🙂 中文".encode())
    assert (got.text, got.encoding, got.fixes) == ("naïve 🙂 中文", "utf-8", ())


def test_empty_and_non_bytes_input() -> None:
    assert decode(b"").text == ""
    assert decode(bytearray("Café crème brûlée".encode("cp1252"))).text == "Café crème brûlée"
    assert decode(memoryview(b"abc")).text == "abc"
    assert decode("already text").text == "already text"  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        decode(42)  # type: ignore[arg-type]


def test_utf16_without_bom_by_nul_pattern() -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        got = decode("Hello world, this is UTF-16 without a BOM.".encode(codec))
        assert got.encoding == codec
        assert got.text.startswith("Hello world")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_kana_that_is_also_valid_ascii(codec: str) -> None:
    # U+30xx hiragana with a low byte < 0x80: every byte is printable ASCII, so the bytes are
    # "valid UTF-8" ("S0n0S0n0..."); the repeated "0" byte makes decode score the UTF-16 readings
    text = "このこのこしたのこ"
    data = text.encode(codec)
    assert data.decode("utf-8").isascii()
    assert decode(data).text == text


def test_utf8_text_is_never_misread() -> None:
    texts = sorted((FIXTURES / "source").glob("*.txt"))
    samples = [p.read_text(encoding="utf-8") for p in texts] + ["aaaa bbbb", "0000 1111", "=" * 40, "ab"]
    path = SHARED / "bench" / "langid" / "dev.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            samples += [json.loads(line)["text"] for line in f]
    wrong = [t for t in samples if decode(t.encode("utf-8")).text != t.lstrip("\ufeff")]
    assert wrong == []


def test_iso2022_jp_escape_sequences() -> None:
    text = "日本語のテキストです。"
    assert decode(text.encode("iso2022_jp")).text == text


# -- hints ---------------------------------------------------------------------------------------


def test_right_hint_is_used() -> None:
    data = "中文测试文本，用来检验提示。".encode("gbk")
    got = decode(data, hint="GBK")
    assert got.text == "中文测试文本，用来检验提示。"
    assert got.fixes == ("charset-hint",)


def test_hint_utf8_but_bytes_are_not_utf8() -> None:
    got = decode("Crème brûlée à volonté".encode("cp1252"), hint="utf-8")
    assert got.text == "Crème brûlée à volonté"
    assert "charset-hint-overridden" in got.fixes


def test_hint_latin1_but_bytes_are_multibyte_utf8() -> None:
    got = decode("Grüße aus Köln".encode(), hint="iso-8859-1")
    assert (got.text, got.encoding) == ("Grüße aus Köln", "utf-8")
    assert got.fixes == ("charset-hint-overridden",)


def test_hint_that_cannot_decode_the_bytes_is_overridden() -> None:
    data = "東京の天気は晴れです。".encode("euc_jp") + b"\xa1"  # lone lead byte: not valid EUC-JP either
    got = decode("東京の天気は晴れです。".encode("shift_jis"), hint="euc-jp")
    assert got.text == "東京の天気は晴れです。"
    assert "charset-hint-overridden" in got.fixes
    assert isinstance(decode(data, hint="euc-jp").text, str)


def test_hint_that_decodes_but_reads_as_nonsense_is_overridden() -> None:
    text = "Привет, как дела? Сегодня хорошая погода."
    got = decode(text.encode("cp1251"), hint="koi8-r")
    assert got.text == text
    assert "charset-hint-overridden" in got.fixes
    # ... while the same hint on koi8-r bytes is kept
    assert decode(text.encode("koi8-r"), hint="koi8-r").fixes == ("charset-hint",)


def test_close_hint_within_margin_is_kept() -> None:
    # Czech bytes labelled iso-8859-2 read fine under it: the hint must win over detection.
    text = "Příliš žluťoučký kůň úpěl ďábelské ódy."
    got = decode(text.encode("iso8859_2"), hint="ISO-8859-2")
    assert got.text == text and got.fixes == ("charset-hint",)


def test_unknown_hint_is_ignored_and_reported() -> None:
    got = decode("Ελληνικά κείμενα".encode("iso8859_7"), hint="x-no-such-charset")
    assert got.text == "Ελληνικά κείμενα"
    assert "charset-hint-overridden" in got.fixes


@pytest.mark.parametrize("label", ["base64", "rot13", "zlib", "", "   "])
def test_non_text_codec_hints_are_ignored(label: str) -> None:
    got = decode(b"plain words", hint=label)
    assert (got.text, got.encoding) == ("plain words", "utf-8")


def test_utf16_hint_on_plain_ascii_is_not_believed() -> None:
    got = decode(b"just ascii text here", hint="utf-16")
    assert got.text == "just ascii text here"


def test_bom_overrides_hint() -> None:
    got = decode(codecs.BOM_UTF8 + "é".encode(), hint="windows-1252")
    assert got.text == "é"
    assert got.fixes == ("strip-bom", "charset-hint-overridden")


# -- damaged input ---------------------------------------------------------------------------------


def test_truncated_utf8_is_still_utf8() -> None:
    text = "中文测试文本，用来检验截断的输入。"
    got = decode(text.encode()[:-1])
    assert got.text == text[:-1] + "\ufffd"
    assert got.encoding == "utf-8"
    assert "replaced-undecodable-bytes" in got.fixes


def test_utf8_with_one_stray_byte() -> None:
    text = "Grüße aus Köln, schöne Grüße und vielen Dank für die Hilfe – bis bald!"
    data = text.encode()
    cut = len("Grüße aus Köln, ".encode())  # a character boundary
    got = decode(data[:cut] + b"\xff" + data[cut:])
    assert got.text == "Grüße aus Köln, \ufffd" + text[len("Grüße aus Köln, ") :]
    assert got.fixes == ("replaced-undecodable-bytes",)


def test_utf16_bom_with_truncated_tail() -> None:
    data = codecs.BOM_UTF16_LE + "Привет мир, как дела".encode("utf-16-le") + b"\x00"
    got = decode(data)
    assert got.text == "Привет мир, как дела\ufffd"
    assert got.fixes == ("strip-bom", "replaced-undecodable-bytes")


def test_utf8_bom_before_legacy_bytes_is_dropped() -> None:
    got = decode(codecs.BOM_UTF8 + "Café crème brûlée".encode("cp1252"))
    assert got.text == "Café crème brûlée"
    assert got.fixes[0] == "strip-bom"


# -- garbage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 50, 500, 5000])
def test_random_bytes_never_raise(n: int) -> None:
    rnd = random.Random(n)
    data = bytes(rnd.randrange(256) for _ in range(n))
    got = decode(data)
    assert isinstance(got.text, str)
    if n >= 50:  # full-range random bytes are binary: replacement characters, said so in fixes
        assert "replaced-undecodable-bytes" in got.fixes
        assert got.confidence == 0.0


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, "utf-8", "latin-1", "gbk", "utf-16", "bogus"]))
def test_decode_is_total(data: bytes, hint: str | None) -> None:
    got = decode(data, hint=hint)
    assert isinstance(got.text, str)
    assert 0.0 <= got.confidence <= 1.0


def test_candidates_are_sorted_and_strict() -> None:
    data = "Съешь же ещё этих мягких французских булок".encode("koi8_r")
    cands = candidates(data)
    assert cands[0].codec == "koi8_r"
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    for c in cands:
        data.decode(c.codec)  # every candidate decodes strictly


# -- shared data (skipped when ../shared is absent) -------------------------------------------------


def test_dev_set_recovery() -> None:
    path = SHARED / "bench" / "encoding" / "dev.jsonl.gz"
    if not path.exists():
        pytest.skip("../shared not available")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    ok = 0
    for r in recs:
        data = base64.b64decode(r["b64"])
        ok += decode(data).text.lstrip("\ufeff") == data.decode(r["enc"]).lstrip("\ufeff")
    assert ok / len(recs) >= 0.995  # measured 0.9963; bench/results/encoding.md


def test_seed_documents_decode_identically() -> None:
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    if not seeds:
        pytest.skip("../shared not available")
    for p in seeds:
        data = p.read_bytes()
        assert decode(data).text == data.decode("utf-8")


@pytest.mark.parametrize("data", [b"Ca\x00f\xc3\xa9Cf", "Grüße\x00aus Köln".encode(), b"\xc2\xbfQQQQQQ"])
def test_stray_nul_in_utf8_keeps_the_utf8_reading(data: bytes) -> None:
    """A NUL makes the bytes look like BOM-less UTF-16, but that reading is random Han/Hangul:
    valid non-ASCII UTF-8 wins (found by the decode fuzz target)."""
    for hint in (None, "utf-7"):
        got = decode(data, hint=hint)
        assert (got.encoding, got.text) == ("utf-8", data.decode("utf-8"))


@pytest.mark.parametrize("text", ["Grüße aus Köln", "Привет мир", "日本語のテキスト", "a"])
@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_still_found(text: str, enc: str) -> None:
    got = decode(text.encode(enc))
    assert (got.encoding, got.text) == (enc, text)
