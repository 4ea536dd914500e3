from __future__ import annotations

import json

import pytest

import cleaner
from cleaner.config import Config
from cleaner.pipeline import STAGES, Cleaner, clean

ARTICLE = (
    "The regional water authority said on Tuesday that reservoir levels had recovered after the wet winter.\n"
    "Officials expect no restrictions on household use this summer, although farmers were asked to keep "
    "records of how much they draw from rivers.\n"
)
RECORD_KEYS = {"id", "text", "language", "language_score", "script", "metadata", "removed", "mt_garble",
               "encoding", "cleaner_version"}


def test_public_api_names() -> None:
    for name in ("clean", "Cleaner", "decode", "detect_language", "score_garble", "Config", "Result"):
        assert hasattr(cleaner, name)
    assert [s.name for s in STAGES] == ["decode", "html", "fix_encoding", "language", "boilerplate", "garble"]


def test_record_schema_is_json() -> None:
    rec = clean(ARTICLE, id="a1").to_record()
    assert RECORD_KEYS <= set(rec)
    assert rec["id"] == "a1" and rec["language"] == "en" and "error" not in rec
    assert rec["cleaner_version"] == cleaner.__version__
    json.dumps(rec)


def test_bytes_are_decoded_and_reported() -> None:
    rec = clean("Über die Brücke gingen viele Menschen am frühen Morgen.".encode("cp1252")).to_record()
    assert "Brücke" in rec["text"]
    assert rec["encoding"]["detected"]


def test_html_is_sniffed_and_extracted() -> None:
    html = "<html><body><nav><a href='/'>Home</a></nav><article><p>" + ARTICLE + "</p></article></body></html>"
    rec = clean(html).to_record()
    assert "<p>" not in rec["text"] and "reservoir levels" in rec["text"]


def test_stage_failure_is_reported_not_raised(monkeypatch) -> None:
    import cleaner.language as language

    def boom(*a, **k):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(language, "detect_blocks", boom)
    rec = clean(ARTICLE).to_record()
    assert rec["error"]["stage"] == "language" and rec["error"]["type"] == "RuntimeError"
    assert "reservoir" in rec["text"]  # later stages still ran on what there was
    assert "garble" in clean(ARTICLE).doc.timings


def test_stages_can_be_switched_off() -> None:
    cfg = Config(detect_language=False, garble=False, boilerplate=False, fix_encoding=False)
    r = clean(ARTICLE, config=cfg)
    rec = r.to_record()
    assert rec["language"] is None and rec["mt_garble"] is None and rec["text"] == ARTICLE


def test_too_large_document_is_an_error_record() -> None:
    rec = clean("x" * 100, config=Config(max_bytes=10)).to_record()
    assert rec["error"]["type"] == "DocumentTooLarge" and rec["text"] == ""


def test_lone_surrogates_are_replaced_and_reported() -> None:
    rec = clean("broken \ud800 text in a sentence that is long enough to keep").to_record()
    assert "\ufffd" in rec["text"] and "replace-lone-surrogates" in rec["encoding"]["fixes"]
    json.dumps(rec, ensure_ascii=False).encode("utf-8")


def test_clean_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        clean(123)  # type: ignore[arg-type]


def test_clean_records_one_out_per_in_with_passthrough() -> None:
    records = [
        {"id": 1, "text": ARTICLE, "url": "https://example.org/a", "lang_hint": "en"},
        {"id": 2, "html": "<html><body><p>" + ARTICLE + "</p></body></html>"},
        {"id": 3},
        {"id": 4, "text": 42},
        ["not", "an", "object"],
    ]
    out = list(Cleaner().clean_records(iter(records)))
    assert len(out) == len(records)
    assert [o["id"] for o in out] == [1, 2, 3, 4, None]
    assert out[0]["lang_hint"] == "en" and out[0]["metadata"].get("url") == "https://example.org/a"
    assert "error" not in out[0] and "error" not in out[1]
    assert out[2]["error"]["type"] == "MissingText"
    assert out[3]["error"]["type"] == "InvalidText"
    assert out[4]["error"]["type"] == "InvalidRecord"


def test_configurable_field_names_and_keep_original() -> None:
    c = Cleaner(id_field="doc_id", text_field="content", keep_original=True)
    [rec] = c.clean_records([{"doc_id": "x", "content": ARTICLE}])
    assert rec["id"] == "x" and rec["original_content"] == ARTICLE and "content" not in rec


_SCAN_CHARS = "\x00\x07\x08\t\n\r\x0e\x1f\x20\x7e\x7f\x85\x9f\xa0\ufffd\ufffe\ud800\udfffaé中😀"


@pytest.mark.parametrize("seed", range(3))
def test_character_class_scans_match_the_regex_module(seed: int) -> None:
    """pipeline's two scans use the standard library's re: same matches as the regex module's."""
    import random

    import regex

    from cleaner import pipeline

    rng = random.Random(seed)
    for _ in range(300):
        text = "".join(rng.choice(_SCAN_CHARS) for _ in range(rng.randrange(0, 200)))
        for ours in (pipeline._NON_TEXT, pipeline._SURROGATE):
            theirs = regex.compile(ours.pattern)
            assert ours.findall(text) == theirs.findall(text)
            assert ours.sub("\ufffd", text) == theirs.sub("\ufffd", text)


@pytest.mark.parametrize("seed", range(3))
def test_binary_reason_counts_ascii_controls_as_the_pattern_does(seed: int) -> None:
    """ASCII text is counted by bytes.translate, other text by the regex: both give one answer."""
    import random

    from cleaner import pipeline

    rng = random.Random(seed)
    for _ in range(2000):
        n = rng.randrange(0, 120)
        ascii_text = "".join(chr(rng.choice([rng.randrange(0, 32), 0x7F, rng.randrange(32, 127)])) for _ in range(n))
        for text in (ascii_text, ascii_text + "é"):  # the second takes the regex path
            bad = len(pipeline._NON_TEXT.findall(text))
            binary = bad >= pipeline._BINARY_MIN and bad >= pipeline._BINARY_SHARE * len(text)
            assert (pipeline.binary_reason(text=text) is not None) == binary, repr(text)


@pytest.mark.parametrize("seed", range(3))
def test_compiled_input_scan_counts_as_the_patterns_do(seed: int) -> None:
    """cp_count (one pass for the binary sample's control characters and for lone surrogates) gives the
    regexes' answers, across the sample's edge and in every string kind."""
    import random

    from cleaner import pipeline

    census = pipeline._census()
    if census is None:
        pytest.skip("compiled cp_count not built (or switched off)")
    count, table = census
    rng = random.Random(seed)
    for _ in range(300):
        text = "".join(rng.choice(_SCAN_CHARS) for _ in range(rng.randrange(0, 200)))
        non_text, surrogate = pipeline._scan_input(text)
        assert non_text == len(pipeline._NON_TEXT.findall(text[: pipeline._BINARY_SAMPLE]))
        assert surrogate == (pipeline._SURROGATE.search(text) is not None)
        lo, hi = rng.randrange(-5, 50), rng.randrange(0, 250)
        got = count(text, table, lo, hi)
        span = text[max(lo, 0) : hi]
        assert got[0] == len(pipeline._NON_TEXT.findall(span)) and got[1] == len(pipeline._SURROGATE.findall(span))
        assert got[2:] == (0,) * 6
    # past the sample: a surrogate there is found, its control characters are not counted
    big = "é" + "a" * pipeline._BINARY_SAMPLE + "\x01\ud800"
    assert pipeline._scan_input(big) == (0, True)
    assert pipeline._scan_input("\x01" * 20 + "😀") == (20, False)
    assert count("abc", b"", 0, 3) == (0,) * 8


def test_binary_and_surrogate_records_same_without_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner import pipeline

    texts = ["é" + "\x01" * 40, "ok \ud800 text é", "\ufffd" * 30 + "é", "plain é text\n" * 10]
    native = [clean(t, html=False).to_record() for t in texts]
    monkeypatch.setattr(pipeline, "_census", lambda: None)
    assert [clean(t, html=False).to_record() for t in texts] == native
    assert native[0]["error"]["type"] == "BinaryInput" and "replace-lone-surrogates" in native[1]["encoding"]["fixes"]
