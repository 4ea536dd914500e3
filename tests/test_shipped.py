"""cleaner/_shipped.py and every optional, keyed start-up table in cleaner/data (s9).

A shipped table is an optimisation only: a truncated, empty or corrupt file, or one built under another key (another
``re``/``regex``/Python/ftfy), must leave the package importable, the table built in memory, and every output the
same.  The end-to-end tests run a probe in a fresh interpreter (the tables are read at import and cached) on a
copy of the package whose one file is spoiled, or with the environment's part of every key faked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cleaner import _shipped

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "cleaner" / "data"

KEYED_FILES = (
    "boilerplate_re.npz",
    "boilerplate_line_filter.npz",
    "boilerplate_char_tables.npz",
    "garble_chartables.npz",
    "script_table.zlib",
    "hanzi_classes.zlib",
    "fix_encoding_scan.zlib",
)
"""Every optional table in cleaner/data: built in memory when its file is not usable."""

PROBE = r'''
import dataclasses, hashlib, json, sys

FAKE = sys.argv[1] == "fake-keys"
if FAKE:  # the environment's part of every key, as on another re/regex/ftfy/Python release
    import re._constants, regex, ftfy
    re._constants.MAGIC += 1
    regex.__version__ = "0.0.fake"
    ftfy.__version__ = "0.0.fake"
    sys.implementation.name = "fakepython"

import numpy as np
import cleaner
from cleaner import fix_encoding
from cleaner.boilerplate import features, precompiled, rules
from cleaner.garble import nn, vec
from cleaner.language import hanzi, scripts

def digest(*parts):
    d = hashlib.sha256()
    for p in parts:
        d.update(np.ascontiguousarray(p).tobytes() if isinstance(p, np.ndarray) else repr(p).encode())
    return d.hexdigest()[:16]

shipped = {
    "boilerplate_re.npz": precompiled._table() is not None and precompiled._regex_table() is not None,
    "boilerplate_line_filter.npz": rules._shipped_line_filter() is not None,
    "boilerplate_char_tables.npz": features._shipped_char_tables() is not None,
    "garble_chartables.npz": vec._shipped_arrays() is not None,
    "script_table.zlib": scripts.read_table(scripts.TABLE_FILE) is not None,
    "hanzi_classes.zlib": hanzi.read_class_table(hanzi.CLASS_FILE) is not None,
    "fix_encoding_scan.zlib": fix_encoding.read_scan_tables(fix_encoding.SCAN_FILE) is not None,
}
compiled = []
for p, f in dict.fromkeys(precompiled.seen):
    try:
        c = precompiled.compile(p, f)
    except Exception as e:
        compiled.append(type(e).__name__)
    else:
        compiled.append((c.pattern, c.flags, c.groups, list(c.groupindex.items())))
lf = rules._line_filter()
scan = fix_encoding._scan_tables()
tables = {
    "re": digest(compiled),
    "regex": digest([(c.pattern, c.flags, c.groups, list(c.groupindex.items()))
                     for c in (precompiled.regex_compile(p, f) for p, f in dict.fromkeys(precompiled.seen_regex))]),
    "line_filter": digest(*(getattr(lf, f.name) for f in dataclasses.fields(lf))),
    "char_tables": digest(features._class_table(), features._lower_table()),
    "garble": digest(*vec._tables(), nn._classes(False)),
    "script": digest(scripts.script_table()),
    "hanzi": digest(hanzi._class_table()),
    "scan": digest(*scan[1:]) if scan is not None else None,
}
texts = json.loads(sys.stdin.read())
records = [cleaner.clean(t).to_record() for t in texts]
records.append(cleaner.clean(texts[0].encode("utf-8")).to_record())
print(json.dumps({"shipped": shipped, "tables": tables, "records": records}))
'''

TEXTS = [
    "The city council met on Tuesday to discuss the new budget for public libraries.\n"
    "Members agreed that opening hours should be extended during the winter months, when demand is highest.\n"
    "Share this article\nFacebook\nTwitter\n"
    "By Jane Doe\nPublished 12 March 2021\n"
    "Related:\nTen recipes for a quick dinner\nWhy cats love boxes\nThe best beaches in Europe\n"
    "© 2021 Example News. All rights reserved.",
    "北京时间昨天晚上，国家统计局发布了最新的经济数据。数据显示，上半年国内生产总值同比增长百分之五。\n"
    "专家表示，这一数据说明经济正在稳步恢复，消费和投资都保持了较快的增长。\n"
    "作者：王小明\n来源：新华社\n2023年7月15日 10:30\n责任编辑：李华",
    "這是一篇關於臺灣天氣的報導。氣象局表示，明天將有颱風接近，請民眾注意安全。",
    "CafÃ© owners say the new rules are confusing. Itâ€™s not clear who must pay the fee, the owners said on Monday.",
    "Привет! Это короткий текст на русском языке о погоде в Москве.",
]


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package (with its built extension) whose data files the tests may spoil."""
    root = tmp_path_factory.mktemp("pkg")
    shutil.copytree(ROOT / "cleaner", root / "cleaner", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _probe(root: Path, mode: str = "normal") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", PROBE, mode], input=json.dumps(TEXTS), capture_output=True,
                         text=True, env=env, cwd=root, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def reference(package_copy: Path) -> dict[str, Any]:
    got = _probe(package_copy)
    if not all(got["shipped"].values()):
        pytest.skip(f"shipped tables not for this environment: {got['shipped']} (see the staleness tests)")
    return got


def _spoil(data: bytes, how: str) -> bytes:
    if how == "half":
        return data[: len(data) // 2]
    if how == "empty":
        return b""
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # (in a member's data: a bad CRC, a broken deflate stream or adler32)
    return bytes(flipped)


@pytest.mark.parametrize("how", ["half", "empty", "flipped"])
@pytest.mark.parametrize("name", KEYED_FILES)
def test_a_spoiled_shipped_table_is_built_in_memory_with_the_same_output(
        name: str, how: str, package_copy: Path, reference: dict[str, Any]) -> None:
    path = package_copy / "cleaner" / "data" / name
    good = path.read_bytes()
    path.write_bytes(_spoil(good, how))
    try:
        got = _probe(package_copy)
    finally:
        path.write_bytes(good)
    assert got["shipped"] == {**reference["shipped"], name: False}
    assert got["tables"] == reference["tables"]
    assert got["records"] == reference["records"]


def test_another_environment_builds_every_table_with_the_same_records(package_copy: Path,
                                                                      reference: dict[str, Any]) -> None:
    """Faked environment keys (``re``'s MAGIC, ``regex``'s and ftfy's versions, the interpreter's name): no shipped
    table is used, every one is built in memory, and the records (English, Chinese, traditional Chinese,
    mojibake, Russian; a page with byline, date, share and related lines) are the normal run's."""
    got = _probe(package_copy, "fake-keys")
    assert not any(got["shipped"].values()), got["shipped"]
    assert got["tables"] == reference["tables"]
    assert got["records"] == reference["records"]
    first = reference["records"][0]
    assert {"author", "date"} <= set(first["metadata"]) and {r["kind"] for r in first["removed"]} >= {"related"}


# -- the module's own readers and writers --------------------------------------------------------------------


def _npz(tmp_path: Path) -> Path:
    path = tmp_path / "t.npz"
    _shipped.save_npz(path, {"key": np.array("k1"), "a": np.arange(1000, dtype=np.uint16),
                             "b": np.zeros((3, 4), dtype=np.int32)})
    return path


EXPECT = {"a": ("u2", (1000,)), "b": ("i4", None), "key": ("U", ())}


def test_read_npz_reads_a_good_file_and_checks_key_and_members(tmp_path: Path) -> None:
    path = _npz(tmp_path)
    got = _shipped.read_npz(path, "k1", EXPECT)
    assert got is not None and got["a"].tolist() == list(range(1000)) and got["b"].shape == (3, 4)
    assert _shipped.read_npz(path, "k2", EXPECT) is None
    assert _shipped.read_npz(path, "k1", {**EXPECT, "c": (None, None)}) is None
    assert _shipped.read_npz(path, "k1", {**EXPECT, "a": ("u4", None)}) is None
    assert _shipped.read_npz(path, "k1", {**EXPECT, "a": ("u2", (999,))}) is None
    assert _shipped.read_npz(tmp_path / "missing.npz", "k1") is None


@pytest.mark.parametrize("how", ["half", "empty", "flipped"])
def test_read_npz_returns_none_for_a_broken_file(how: str, tmp_path: Path) -> None:
    path = _npz(tmp_path)
    path.write_bytes(_spoil(path.read_bytes(), how))
    assert _shipped.read_npz(path, "k1", EXPECT) is None


def test_read_zlib_reads_its_writer_and_refuses_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "t.zlib"
    body = bytes(range(256)) * 40
    _shipped.write_zlib(path, b"key v1", body)
    assert _shipped.read_zlib(path, b"key v1") == body
    assert _shipped.read_zlib(path, b"key v1", len(body)) == body
    assert _shipped.read_zlib(path, b"key v1", len(body) + 1) is None
    assert _shipped.read_zlib(path, b"key v2") is None
    good = path.read_bytes()
    for how in ("half", "empty", "flipped"):
        path.write_bytes(_spoil(good, how))
        assert _shipped.read_zlib(path, b"key v1") is None, how
    with pytest.raises(ValueError):
        _shipped.write_zlib(path, b"two\nlines", body)
    assert zlib.decompress(good.partition(b"\n")[2]) == body


def test_save_npz_gives_the_same_bytes_for_the_same_arrays(tmp_path: Path) -> None:
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    arrays = {"x": np.arange(10_000), "y": np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8)}
    _shipped.save_npz(a, arrays)
    _shipped.save_npz(b, arrays)
    assert a.read_bytes() == b.read_bytes()


def test_every_keyed_file_is_listed() -> None:
    """A new keyed table in cleaner/data must join :data:`KEYED_FILES` (or be a real model: listed here)."""
    models = {"boilerplate_model.npz", "boilerplate_stopwords.json", "enc_charmodel.json.gz", "garble_lexicon.npz",
              "garble_model.npz", "garble_nn.npz", "html_block_model.npz", "py3langid_flat.npz"}
    assert {p.name for p in DATA.iterdir() if p.is_file()} == set(KEYED_FILES) | models


def test_staleness_skips_for_the_environment_and_fails_for_the_repository() -> None:
    env = {"regex"}
    key = {"regex": "2026.1.1", "source": "abc"}
    assert _shipped.staleness("t", key, dict(key), env, "make tables") == ("", "")
    verdict, why = _shipped.staleness("t", key, {**key, "regex": "2027.1.1"}, env, "make tables")
    assert verdict == "skip" and "regex" in why and "make tables" in why
    verdict, why = _shipped.staleness("t", key, {**key, "source": "abd"}, env, "make tables")
    assert verdict == "fail" and "source" in why and "make tables" in why
    assert _shipped.staleness("t", key, {"regex": "2027.1.1", "source": "abd"}, env, "x")[0] == "skip"
    assert _shipped.staleness("t", key, {**key, "new": 1}, env, "x")[0] == "fail"
