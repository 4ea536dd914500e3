"""Simplified vs Traditional Chinese from GB2312/Big5 coverage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cleaner.language.hanzi import chinese_script, hans_hant_counts, script_and_confidence, tables


def test_tables_are_disjoint_and_sensible() -> None:
    hans, hant = tables()
    assert not hans & hant
    for s, t in ["这這", "们們", "国國", "说說", "门門", "东東"]:
        assert s in hans and t in hant
    assert "人" not in hans | hant  # shared characters are no evidence


def test_majority_vote_and_confidence() -> None:
    assert chinese_script("我们说的话") == "Hans"
    assert chinese_script("我們說的話") == "Hant"
    # A simplified paragraph quoting one traditional title stays Hans.
    assert chinese_script("这篇报道引用了《臺灣》一书，作者认为这个问题很重要。") == "Hans"
    script, conf = script_and_confidence("人大中")  # no evidence: Hans, undecided
    assert script == "Hans" and conf == 0.5
    assert script_and_confidence("这个问题我们明天再讨论")[1] > 0.8


def test_counts_ignore_non_han() -> None:
    assert hans_hant_counts("hello 123 ×") == (0, 0)
    assert hans_hant_counts("这這") == (1, 1)


def test_bulk_tables_are_the_per_character_definition() -> None:
    """The bulk encode (:func:`~cleaner.language.hanzi._encodable_mask`) gives exactly the sets one
    ``encode`` per character gives, and is what :func:`build_tables` used here (no fall-back)."""
    from cleaner.language import hanzi

    chars = hanzi._cjk_chars()
    assert len(chars) == sum(hi - lo for lo, hi in hanzi._CJK_RANGES)
    assert hanzi._encodable_mask(chars, "gb2312") is not None and hanzi._encodable_mask(chars, "big5") is not None
    assert hanzi.build_tables() == hanzi._tables_per_character(chars)


def test_bulk_mask_refuses_what_it_cannot_prove() -> None:
    from cleaner.language import hanzi

    assert hanzi._encodable_mask("中?", "gb2312") is None  # a literal "?" would read as unencodable
    assert hanzi._encodable_mask("中", "no-such-codec") is None
    mask = hanzi._encodable_mask("中這这", "gb2312")
    assert mask is not None and mask.tolist() == [True, False, True]


def test_shipped_class_table_is_the_built_one(tmp_path: Path, key_is_current: Callable[..., None]) -> None:
    """cleaner/data/hanzi_classes.zlib holds, bit for bit, what the codecs give here, under this
    process's key (skips on another Python release, fails when hanzi.py changed without `make tables`);
    a file under another key or malformed is not used."""
    from cleaner.language import hanzi

    def parts(key: str) -> dict[str, object]:  # "<implementation> <release> gb2312/big5 <ranges> v<n>"
        implementation, release, rest = key.split(" ", 2)
        return {"python": f"{implementation} {release}", "ranges and version": rest}

    key_is_current("hanzi_classes.zlib", parts(hanzi.CLASS_FILE.read_bytes().partition(b"\n")[0].decode()),
                    parts(hanzi.class_key().decode()), {"python"}, "python scripts/build_language_tables.py")
    shipped = hanzi.read_class_table(hanzi.CLASS_FILE)
    assert shipped is not None, "hanzi_classes.zlib was built under another Python release: rebuild it"
    built = hanzi.build_class_table(*hanzi.build_tables())
    assert shipped.tobytes() == built.tobytes() and hanzi._class_table().tobytes() == built.tobytes()
    assert tables() == hanzi.build_tables()
    path = tmp_path / "c.zlib"
    hanzi.write_class_table(path, built)
    body = path.read_bytes().partition(b"\n")[2]
    path.write_bytes(b"cpython 0.0.0\n" + body)
    assert hanzi.read_class_table(path) is None
    path.write_bytes(hanzi.class_key() + b"\nnot zlib")
    assert hanzi.read_class_table(path) is None
    assert hanzi.read_class_table(tmp_path / "missing.zlib") is None
