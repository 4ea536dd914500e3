"""Script counting (vectorised lookup table)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cleaner.language.scripts import script_counts, script_ids


def test_counts_per_script() -> None:
    assert script_counts("Global EditionASIA 中文双语Français") == {"Latn": 25, "Hani": 4}
    assert script_counts("これは日本語です") == {"Kana": 5, "Hani": 3}
    assert script_counts("한국어 문장") == {"Hang": 5}
    assert script_counts("हिन्दी") == {"Deva": 6}  # vowel signs (marks) count with their script
    assert script_counts("123 !?") == {}


def test_ids_align_with_characters() -> None:
    text = "aя中😀"
    assert len(script_ids(text)) == len(text)
    assert script_counts(text) == {"Latn": 1, "Cyrl": 1, "Hani": 1}


def test_script_table_letters_are_the_regex_letters() -> None:
    """The table's letter mask (one ``regex.sub``) equals a per-character ``[\\p{L}\\p{M}]`` test."""
    import numpy as np
    import regex

    from cleaner.language.scripts import _TABLE_SIZE, script_table

    chars = "".join(map(chr, range(_TABLE_SIZE))).replace("\ud800", " ")
    want = np.zeros(_TABLE_SIZE, dtype=bool)
    for m in regex.finditer(r"[\p{L}\p{M}]", chars):
        want[m.start()] = True
    assert ((script_table() != 0) == want).all()


def test_shipped_script_table_is_the_built_one(key_is_current: Callable[..., None]) -> None:
    """cleaner/data/script_table.zlib holds, bit for bit, what ``build_script_table`` gives here, under
    this process's key (skips after a ``regex`` upgrade, fails when scripts.py changed without
    `make tables`); and script_table() is the shipped one."""
    from cleaner.language import scripts

    def parts(key: str) -> dict[str, object]:  # "regex <version> <digest of the definitions>"
        name, version, digest = key.split(" ")
        return {name: version, "definitions digest": digest}

    key_is_current("script_table.zlib", parts(scripts.TABLE_FILE.read_bytes().partition(b"\n")[0].decode()),
                    parts(scripts.table_key().decode()), {"regex"}, "python scripts/build_language_tables.py")
    shipped = scripts.read_table(scripts.TABLE_FILE)
    assert shipped is not None, "script_table.zlib was built for another regex release or definitions: rebuild it"
    built = scripts.build_script_table()
    assert shipped.dtype == built.dtype and shipped.tobytes() == built.tobytes()
    assert scripts.script_table().tobytes() == built.tobytes()


def test_script_table_file_with_another_key_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaner.language import scripts

    path = tmp_path / "t.zlib"
    table = scripts.build_script_table()
    scripts.write_table(path, table)
    assert scripts.read_table(path).tobytes() == table.tobytes()
    body = path.read_bytes().partition(b"\n")[2]
    path.write_bytes(b"regex 0.0 0000\n" + body)
    assert scripts.read_table(path) is None  # another key
    path.write_bytes(scripts.table_key() + b"\nnot zlib")
    assert scripts.read_table(path) is None
    assert scripts.read_table(tmp_path / "missing.zlib") is None
    monkeypatch.setattr(scripts, "TABLE_FILE", tmp_path / "missing.zlib")
    scripts.script_table.cache_clear()
    try:
        assert scripts.script_table().tobytes() == table.tobytes()  # built in memory
    finally:
        scripts.script_table.cache_clear()
