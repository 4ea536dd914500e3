"""Tests for cleaner.fix_encoding: ftfy's own cases, golden positive/negative sets, NFC, CJK punctuation."""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import ftfy
import pytest
from ftfy.badness import is_bad as ftfy_is_bad
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import fix_encoding
from cleaner.config import Config
from cleaner.fix_encoding import FTFY_CONFIG, fix_text, is_bad, restore_cjk_punctuation

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT / ".." / "shared"

FTFY_CASES = json.loads((DATA / "ftfy_cases" / "test_cases.json").read_text(encoding="utf-8"))
PASSING = [c for c in FTFY_CASES if c["expect"] == "pass"]
NEGATIVE = json.loads((DATA / "fix_encoding" / "negative.json").read_text(encoding="utf-8"))
POSITIVE = json.loads((DATA / "fix_encoding" / "positive.json").read_text(encoding="utf-8"))

# ftfy's "fixed" is the output of ftfy.fix_text with its defaults, which also uncurl quotes, fold
# ligatures and full-width characters, unescape HTML entities and turn CRLF into LF.  cleaner turns
# those off on purpose (they change correct text).  So a case passes when cleaner gives exactly
# ftfy's expected text, or when (a) it equals what ftfy itself gives with cleaner's settings and
# (b) applying ftfy's defaults on top of cleaner's output gives the expected text -- i.e. the
# only difference is formatting we chose to keep.
_SAME_SETTINGS = FTFY_CONFIG._replace(normalization="NFC", explain=False)


def _check_case(original: str, expected: str) -> None:
    out, fixes = fix_text(original)
    if out == expected:
        return
    assert out == ftfy.fix_text(original, config=_SAME_SETTINGS)
    assert ftfy.fix_text(out) == expected
    if out != original:
        assert fixes, "every change must be named"


def test_vendored_case_count() -> None:
    assert len(PASSING) == 151


@pytest.mark.parametrize("case", PASSING, ids=[c["label"][:60] for c in PASSING])
def test_ftfy_passing_cases(case: dict[str, str]) -> None:
    _check_case(case["original"], case["fixed"])


@pytest.mark.parametrize("case", PASSING[::5], ids=[c["label"][:60] for c in PASSING[::5]])
def test_ftfy_passing_cases_with_extra_layer_of_mojibake(case: dict[str, str]) -> None:
    # as in ftfy's own test: one more UTF-8 -> Latin-1 round of damage must also be undone
    _check_case(case["original"].encode("utf-8").decode("latin-1"), case["fixed"])


@pytest.mark.parametrize("case", NEGATIVE, ids=[c["label"] for c in NEGATIVE])
def test_negative_set_stays_untouched(case: dict[str, str]) -> None:
    assert fix_text(case["text"]) == (case["text"], [])
    cjk_on = Config(restore_cjk_punctuation=True)
    if not any("\u4e00" <= ch <= "\u9fff" for ch in case["text"]):
        assert fix_text(case["text"], cjk_on) == (case["text"], [])


@pytest.mark.parametrize("case", POSITIVE, ids=[c["label"] for c in POSITIVE])
def test_positive_set_is_repaired_and_named(case: dict[str, str]) -> None:
    out, fixes = fix_text(case["original"])
    assert out == case["fixed"]
    assert fixes


def _reference_texts() -> list[str]:
    """ftfy's own cases (broken and fixed), our golden cases, and the langid dev texts when ../shared is there."""
    texts = [c["original"] for c in FTFY_CASES] + [c["fixed"] for c in FTFY_CASES]
    texts += [c["text"] for c in NEGATIVE] + [c["original"] for c in POSITIVE]
    path = SHARED / "bench" / "langid" / "dev.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f]
    return texts


def test_fast_is_bad_agrees_with_ftfy() -> None:
    texts = _reference_texts()
    disagree = [t for t in texts if is_bad(t) != ftfy_is_bad(t)]
    assert disagree == []
    assert sum(map(ftfy_is_bad, texts)) > 50  # the comparison includes many positives


def _needs_ftfy_truth(text: str) -> bool:
    """What the compiled scan must answer: a character another fixer acts on, or ftfy's own detector."""
    return bool(fix_encoding._SUSPECT.search(text)) or ftfy_is_bad(text)


def _scan_or_skip() -> tuple:
    tables = fix_encoding._scan_tables()
    if tables is None:
        pytest.skip("compiled cp_scan not built (or switched off)")
    return tables


def test_scan_needs_ftfy_agrees_with_ftfy() -> None:
    _scan_or_skip()
    texts = _reference_texts()
    texts += [line for t in list(texts) for line in t.split("\n")]
    disagree = [t for t in texts if fix_encoding._needs_ftfy(t) != _needs_ftfy_truth(t)]
    assert disagree == []
    assert sum(map(fix_encoding._needs_ftfy, texts)) > 50


def test_scan_triggers_cover_every_alternative() -> None:
    """Each alternative of BADNESS_RE gets a requirement: 2 single sets + pairs = its alternatives."""
    got = fix_encoding._mojibake_triggers()
    assert got is not None
    singles, pairs, width = got
    assert len(singles) + len(pairs) == len(ftfy.badness.BADNESS_RE.pattern.split("\n    |\n"))
    assert 2 <= width <= 8
    # quotes, dashes and accented small letters alone are no trigger: ordinary text scans clean
    tables = _scan_or_skip()
    assert tables[0]("“Déjà vu” — naïve café, “Ελληνικά”, «Русский» © 2024 • ½", *tables[1:3], 64) == []


@pytest.mark.parametrize("pattern", ["ab(?=c)|xy", "ab(?!c)", "(a)b\\1", "ab$", "(?:x|y(?=z))q", "a(?>b(?=c))"])
def test_triggers_refuse_what_looks_outside_a_match(pattern: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A look-around, back-reference or end anchor would need characters past the search window (or match at
    its edge where the text goes on: ``re.compile("ab(?=c)").search("abc", 0, 2)`` is None), so such a pattern
    is not read and the regex path runs."""
    import re

    monkeypatch.setattr(fix_encoding, "BADNESS_RE", re.compile(pattern))
    assert fix_encoding._mojibake_triggers() is None
    monkeypatch.setattr(fix_encoding, "BADNESS_RE", re.compile(r"^a[bc]|\bxy\b"))
    assert fix_encoding._mojibake_triggers() is not None


# characters every BADNESS_RE class draws from, plus ASCII and the _SUSPECT set: dense in triggers
_MOJI_ALPHABET = "".join(sorted(set(fix_encoding._mojibake_chars()) | set("aZ .,!?\n\t0\xa0") | {"\x81", "\u200b"}))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_MOJI_ALPHABET), max_size=40) | st.text(max_size=60))
def test_scan_needs_ftfy_agrees_on_random_text(text: str) -> None:
    _scan_or_skip()
    assert fix_encoding._needs_ftfy(text) == _needs_ftfy_truth(text)


def _scan_reference(text: str, cls: bytes, masks, limit: int) -> list[int] | None:
    """cp_scan's documented semantics, in Python."""
    out: list[int] = []
    prev = 0
    for i, ch in enumerate(text):
        c = ord(ch)
        k = cls[c] if c < len(cls) else 0
        f, s = int(masks[2 * k]), int(masks[2 * k + 1])
        if prev & s and (not out or out[-1] != i - 1):
            out.append(i - 1)
            if len(out) > limit:
                return out
        if f & 1:
            return None
        if f & 2:
            out.append(i)
            if len(out) > limit:
                return out
        prev = f & ~3
    return out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_MOJI_ALPHABET), max_size=80) | st.text(max_size=80),
       st.integers(0, 5))
def test_cp_scan_kernel_matches_reference(text: str, limit: int) -> None:
    scan, cls, masks, _ = _scan_or_skip()
    assert scan(text, cls, masks, limit) == _scan_reference(text, cls, masks, limit)
    assert scan(text, cls[:200], masks, limit) == _scan_reference(text, cls[:200], masks, limit)


def test_cp_scan_rejects_bad_arguments() -> None:
    scan, cls, masks, _ = _scan_or_skip()
    with pytest.raises(ValueError):
        scan("x", cls, masks[:10], 4)  # fewer than 512 masks
    with pytest.raises(ValueError):
        scan("x", cls, masks, -1)
    assert scan("", cls, masks, 0) == []
    assert scan("abc", b"", masks, 0) == []  # every code point class 0


def test_every_change_is_named_on_real_text() -> None:
    path = SHARED / "bench" / "langid" / "dev.jsonl.gz"
    if not path.exists():
        pytest.skip("../shared not available")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    unnamed = [t for t in texts if (r := fix_text(t))[0] != t and not r[1]]
    assert unnamed == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_changes_are_always_named(text: str) -> None:
    out, fixes = fix_text(text)
    assert (out == text) == (fixes == [])


def test_nfc_is_applied_and_reported() -> None:
    decomposed = unicodedata.normalize("NFD", "café déjà vu")
    assert fix_text(decomposed) == ("café déjà vu", ["normalize:NFC"])
    assert fix_text(decomposed, Config(normalize_nfc=False)) == (decomposed, [])


def test_nfkc_is_never_applied() -> None:
    text = "ﬁ ① ｆｕｌｌ ² ㎏"
    assert fix_text(text) == (text, [])


def test_fix_encoding_off_skips_ftfy() -> None:
    assert fix_text("CafÃ©", Config(fix_encoding=False)) == ("CafÃ©", [])


def test_empty_and_ascii() -> None:
    assert fix_text("") == ("", [])
    assert fix_text("plain\r\nascii\ttext") == ("plain\r\nascii\ttext", [])
    assert fix_text("bell\x07 char") == ("bell char", ["apply:remove_control_chars"])


def test_long_document_only_damaged_line_changes() -> None:
    good = "Ein ganz normaler Satz mit Umlauten: Größe, Übel, Ärger. “Zitat”.\n" * 200
    text = good + "Kaputt: GrÃ¶ÃŸe\n" + good
    out, fixes = fix_text(text)
    assert out == good + "Kaputt: Größe\n" + good
    assert fixes


# -- opt-in CJK punctuation restoration --------------------------------------------------------------


def test_cjk_punctuation_off_by_default() -> None:
    text = "台积电创始人说过:“全球化已死。”4月26日,美国国务卿访华"
    assert fix_text(text) == (text, [])


def test_cjk_punctuation_restored_when_enabled() -> None:
    text = "他说过:“全球化已死。”4月26日,美国国务卿(Blinken)访华,FSD(辅助驾驶系统)上线!"
    out, fixes = fix_text(text, Config(restore_cjk_punctuation=True))
    assert out == "他说过：“全球化已死。”4月26日，美国国务卿（Blinken）访华，FSD（辅助驾驶系统）上线！"
    assert fixes == ["restore-cjk-punctuation"]


@pytest.mark.parametrize(
    "text",
    ["时间 17:38:55 发布", "He said: yes, (maybe) later!", "他说 OK, then left.", "数字 1,234,567 元",
     "(1) first item", "中文, English with a space after the comma"],
)
def test_cjk_punctuation_leaves_non_chinese_positions(text: str) -> None:
    assert restore_cjk_punctuation(text) == text


# -- seed documents (skipped when ../shared is absent) -------------------------------------------------


def test_seed_documents_byte_identical() -> None:
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    if not seeds:
        pytest.skip("../shared not available")
    for p in seeds:
        text = p.read_bytes().decode("utf-8")
        out, fixes = fix_text(text)
        assert out.encode("utf-8") == p.read_bytes(), p.name
        assert fixes == []


def test_shipped_scan_tables_are_the_built_ones(tmp_path: Path, key_is_current: Callable[..., None]) -> None:
    """cleaner/data/fix_encoding_scan.zlib holds, bit for bit, what ftfy's installed pattern gives, under
    this process's key (skips after an ftfy or Python upgrade, fails when the code changed without a rebuild:
    make tables), and _scan_tables() uses it; a file under another key or malformed is not used."""

    def parts(key: str) -> dict[str, object]:  # "ftfy <version> py<release> <digest of the pattern, ..., source>"
        name, version, python, digest = key.split(" ")
        return {name: version, "python": python, "pattern and source digest": digest}

    key_is_current("fix_encoding_scan.zlib", parts(fix_encoding.SCAN_FILE.read_bytes().partition(b"\n")[0].decode()),
                    parts(fix_encoding.scan_key().decode()), {"ftfy", "python"})
    shipped = fix_encoding.read_scan_tables(fix_encoding.SCAN_FILE)
    assert shipped is not None, "fix_encoding_scan.zlib was built for another ftfy: rebuild it"
    built = fix_encoding.build_scan_tables()
    assert built is not None
    assert shipped[0] == built[0] and shipped[1].dtype == built[1].dtype and shipped[1].tobytes() == built[1].tobytes()
    assert shipped[2] == built[2]
    tables = fix_encoding._scan_tables()
    if tables is not None:
        assert tables[1] == built[0] and tables[2].tobytes() == built[1].tobytes() and tables[3] == built[2]
    path = tmp_path / "s.zlib"
    fix_encoding.write_scan_tables(path, built)
    body = path.read_bytes().partition(b"\n")[2]
    path.write_bytes(b"ftfy 0.0 0000\n" + body)
    assert fix_encoding.read_scan_tables(path) is None
    path.write_bytes(fix_encoding.scan_key() + b"\nnot zlib")
    assert fix_encoding.read_scan_tables(path) is None
    assert fix_encoding.read_scan_tables(tmp_path / "missing.zlib") is None


def test_scan_key_follows_ftfys_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    key = fix_encoding.scan_key()
    monkeypatch.setattr(fix_encoding, "BADNESS_RE", re.compile(r"^a[bc]|\bxy\b"))
    assert fix_encoding.scan_key() != key
    assert fix_encoding.read_scan_tables(fix_encoding.SCAN_FILE) is None  # another pattern: built in memory
