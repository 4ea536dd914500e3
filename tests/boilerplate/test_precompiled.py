"""The boilerplate stage's shipped start-up tables (scripts/build_boilerplate_tables.py) against what
they replace: every pre-compiled ``re`` pattern is the pattern ``re.compile`` makes (same code), and
each shipped table is what a rebuild gives, for the interpreter its key names."""

from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner.boilerplate  # noqa: F401 -- compiles the stage's patterns
from cleaner.boilerplate import features as F
from cleaner.boilerplate import metadata, precompiled, rules

ROOT = Path(__file__).resolve().parents[2]
AT_IMPORT = list(precompiled.seen)
"""The patterns the stage compiled at import (before these tests add their own)."""


def _build_script():  # type: ignore[no-untyped-def]
    path = ROOT / "scripts" / "build_boilerplate_tables.py"
    spec = importlib.util.spec_from_file_location("build_boilerplate_tables", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


INTERPRETER = frozenset(precompiled.interpreter_key())
"""The parts of the keys that are the environment's (``re``'s compiler, the Unicode data): another value skips
the staleness tests; a part the repository controls (a source digest, the patterns) fails them."""


def _shipped_key(path: Path, member: str = "key") -> dict[str, object]:
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z[member]))  # type: ignore[no-any-return]


def _compilable() -> list[tuple[str, int]]:
    out = []
    for pattern, flags in dict.fromkeys(AT_IMPORT):
        try:
            re.compile(pattern, flags)
        except re.error:
            continue
        out.append((pattern, flags))
    return out


def test_the_stage_compiles_its_patterns_through_the_table() -> None:
    assert len(_compilable()) >= 40


def test_every_precompiled_pattern_is_re_compile_s() -> None:
    for pattern, flags in _compilable():
        ours = precompiled.compile(pattern, flags)
        ref = re.compile(pattern, flags)
        # Pattern.__eq__ compares the pattern, the flags and the compiled code word for word
        assert ours == ref, pattern[:80]
        # the group names in re's order (groupindex and a match's groupdict() list them so), not only the same set
        assert (ours.flags, ours.groups, list(ours.groupindex.items())) == (ref.flags, ref.groups,
                                                                            list(ref.groupindex.items()))


def test_group_names_keep_their_definition_order() -> None:
    """The date pattern's names come back in their groups' order (a JSON object with sorted keys made them
    alphabetical), in the pattern and in a match."""
    ref = re.compile(metadata.DATE.pattern, metadata.DATE.flags)
    assert list(metadata.DATE.groupindex.items()) == list(ref.groupindex.items())
    assert sorted(ref.groupindex) != list(ref.groupindex)  # (else this test could not tell)
    text = "Published 2021-03-12 10:30 and March 3, 2020"
    assert [list(m.groupdict().items()) for m in metadata.DATE.finditer(text)] == [
        list(m.groupdict().items()) for m in ref.finditer(text)]
    assert [list(m.groupdict()) for m in metadata.DATE.finditer(text)]


def test_seen_holds_the_import_time_patterns_only() -> None:
    """precompiled records what the stage compiles at import (what the build script ships), not every later call."""
    before = (list(precompiled.seen), list(precompiled.seen_regex))
    precompiled.compile(r"later \d+")
    precompiled.regex_compile(r"later \p{Han}+")
    assert (precompiled.seen, precompiled.seen_regex) == before
    assert len(dict.fromkeys(AT_IMPORT)) == 43 and len(dict.fromkeys(precompiled.seen_regex)) == 15


def test_the_table_serves_this_interpreter_or_falls_back() -> None:
    with np.load(precompiled.TABLE_FILE, allow_pickle=False) as z:
        shipped_key = json.loads(str(z["key"]))
    served = [precompiled.lookup(p, f) is not None for p, f in _compilable()]
    if shipped_key == precompiled.interpreter_key():
        assert all(served), "a pattern compiled at import is missing: rerun scripts/build_boilerplate_tables.py"
        for (pattern, flags), ok in zip(_compilable(), served, strict=True):
            assert ok and precompiled.lookup(pattern, flags) == precompiled.capture(pattern, flags)
    else:  # another interpreter: every pattern is compiled by re
        assert not any(served)


def test_a_pattern_not_in_the_table_is_compiled_by_re() -> None:
    pattern = r"(?P<x>not in the table)\d+" + str(sys.hexversion)
    assert precompiled.lookup(pattern, re.IGNORECASE) is None
    got = precompiled.compile(pattern, re.IGNORECASE)
    assert got == re.compile(pattern, re.IGNORECASE)
    assert got.match("NOT IN THE TABLE12" + str(sys.hexversion)) is not None
    with pytest.raises(re.error):
        precompiled.compile("(unbalanced")


def test_precompiled_patterns_find_the_same_matches() -> None:
    text = ("Share on Facebook\n© 2024 Example Media. All rights reserved.\n首页 > 新闻 > 国际\n"
            "Photo: REUTERS/John Smith\n相关阅读\nThe minister said on Monday that talks would resume.\n")
    for pattern, flags in _compilable():
        ours = precompiled.compile(pattern, flags)
        ref = re.compile(pattern, flags)
        assert [m.span() for m in ours.finditer(text)] == [m.span() for m in ref.finditer(text)]


def test_shipped_re_table_is_a_rebuild(key_is_current: Callable[..., None]) -> None:
    with np.load(precompiled.TABLE_FILE, allow_pickle=False) as z:
        shipped = {k: z[k] for k in z.files if not k.startswith("regex_")}
    key_is_current("boilerplate_re.npz (re code)", json.loads(str(shipped["key"])), precompiled.interpreter_key(),
                    INTERPRETER)
    rebuilt = _build_script().re_table(AT_IMPORT)
    assert set(rebuilt) == set(shipped)
    for k, v in rebuilt.items():
        assert np.array_equal(v, shipped[k]), k


def test_shipped_line_filter_is_a_rebuild(key_is_current: Callable[..., None]) -> None:
    key_is_current("boilerplate_line_filter.npz", _shipped_key(rules.LINE_FILTER_FILE),
                    json.loads(rules.line_filter_key()), INTERPRETER)
    shipped = rules._shipped_line_filter()
    assert shipped is not None
    rebuilt = _build_script().line_filter_table()
    for f in dataclasses.fields(shipped):
        got = getattr(shipped, f.name)
        if f"{f.name}__rows" in rebuilt:
            want = rebuilt[f"{f.name}__rows"][rebuilt[f"{f.name}__index"]]
        else:
            want = rebuilt[f.name]
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), f.name
        assert got.flags.c_contiguous


def test_a_line_filter_of_another_key_is_not_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if rules._shipped_line_filter() is None:
        pytest.skip("no shipped line filter for this interpreter")
    with np.load(rules.LINE_FILTER_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["key"] = np.array(str(arrays["key"]).replace('"rules_py_sha256": "', '"rules_py_sha256": "0'))
    stale = tmp_path / "stale.npz"
    np.savez_compressed(stale, **arrays)
    monkeypatch.setattr(rules, "LINE_FILTER_FILE", stale)
    assert rules._shipped_line_filter() is None
    monkeypatch.setattr(rules, "LINE_FILTER_FILE", tmp_path / "missing.npz")
    assert rules._shipped_line_filter() is None


def test_shipped_char_tables_are_a_rebuild(key_is_current: Callable[..., None]) -> None:
    key_is_current("boilerplate_char_tables.npz", _shipped_key(F.CHAR_TABLES_FILE), json.loads(F.char_tables_key()),
                    INTERPRETER | {"regex"})
    shipped = F._shipped_char_tables()
    assert shipped is not None
    for got, want in ((shipped["class"], F._build_class_table()), (shipped["lower"], F._build_lower_table())):
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    assert np.array_equal(F._class_table(), F._build_class_table())
    assert np.array_equal(F._lower_table(), F._build_lower_table())


def test_char_tables_of_another_key_are_not_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with np.load(F.CHAR_TABLES_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["key"] = np.array(str(arrays["key"]).replace('"regex": "', '"regex": "0.'))
    stale = tmp_path / "stale.npz"
    np.savez_compressed(stale, **arrays)
    monkeypatch.setattr(F, "CHAR_TABLES_FILE", stale)
    F._shipped_char_tables.cache_clear()
    try:
        assert F._shipped_char_tables() is None
    finally:
        F._shipped_char_tables.cache_clear()


REGEX_AT_IMPORT = list(precompiled.seen_regex)


def test_the_stage_compiles_its_regex_patterns_through_the_table() -> None:
    assert len(dict.fromkeys(REGEX_AT_IMPORT)) >= 15
    assert precompiled.regex_key()["default_version"] == int(regex.DEFAULT_VERSION)
    for pattern, flags in REGEX_AT_IMPORT:
        assert precompiled.regex_lookup(pattern, flags) is not None or precompiled._regex_table() is None


def _same_regex_code(ours: regex.Pattern[str], ref: regex.Pattern[str]) -> None:
    a, b = ours._pickled_data, ref._pickled_data
    # regex's own output varies from process to process in the order of a set's members (its first-character
    # sets are built from Python sets): the same bytes in another order, every other argument the same
    assert a[:2] == b[:2] and a[3:] == b[3:], a[0][:80]
    assert len(a[2]) == len(b[2]) and sorted(a[2]) == sorted(b[2]), a[0][:80]


_REGEX_TEXT = ("作者：张三 来源：新华社 2024-05-01\nBy Jane Doe and John Smith\nPosted by admin on 2024-01-02\n"
               "Example News is an independent media organization dedicated to reporting.\n"
               "123 Main Street, Suite 4\nThe views expressed here do not necessarily reflect ours.\n© 2024 版权所有\n"
               "责任编辑：李四\n（王五/摄）\nSource: Reuters\n文/赵六\n")


def _matches(p: regex.Pattern[str], text: str) -> list[object]:
    return [(m.span(), list(m.groupdict().items())) for line in text.splitlines() for m in p.finditer(line)]


def test_every_precompiled_regex_pattern_is_regex_compile_s() -> None:
    for pattern, flags in dict.fromkeys(REGEX_AT_IMPORT):
        ours = precompiled.regex_compile(pattern, flags)
        regex.purge()
        ref = regex.compile(pattern, flags)
        _same_regex_code(ours, ref)
        assert (ours.pattern, ours.flags, ours.groups, list(ours.groupindex.items())) == (
            ref.pattern, ref.flags, ref.groups, list(ref.groupindex.items()))  # (ordered: the names in regex's order)
        assert _matches(ours, _REGEX_TEXT) == _matches(ref, _REGEX_TEXT)


_PIECES = [*"作者来源编辑责任摄文张三李 \t:：/|（）()©-.,0123456789aBbyYsource\n", "\u3000", "\xa0", "Posted by ",
           "written by ", "Editor", "2024", "发表于", "is an independent ", "organization ", "dedicated", " Street"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_precompiled_regex_patterns_match_as_regex_s_on_generated_text(text: str) -> None:
    for pattern, flags in dict.fromkeys(REGEX_AT_IMPORT):
        ours = precompiled.regex_compile(pattern, flags)
        ref = regex.compile(pattern, flags)
        assert _matches(ours, text) == _matches(ref, text)


def test_precompiled_regex_patterns_match_as_regex_s_on_dev_pages() -> None:
    dev = ROOT / ".." / "shared" / "bench" / "boilerplate" / "dev.jsonl.gz"
    if not dev.exists():
        pytest.skip("../shared not there")
    with gzip.open(dev, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in fh]
    # every distinct short line of the pages' text (the stage tries these patterns on short candidate lines)
    lines = {line.strip() for p in pages for line in (p.get("text") or "").splitlines() if len(line.strip()) <= 160}
    text = "\n".join(sorted(lines))
    n = 0
    for pattern, flags in dict.fromkeys(REGEX_AT_IMPORT):
        got = _matches(precompiled.regex_compile(pattern, flags), text)
        assert got == _matches(regex.compile(pattern, flags), text), pattern[:80]
        n += len(got)
    assert n > 100


def test_a_regex_pattern_not_in_the_table_or_another_default_version_is_compiled_by_regex(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pattern = r"\p{Han}+ not in the table " + str(sys.hexversion)
    assert precompiled.regex_lookup(pattern, 0) is None
    assert precompiled.regex_compile(pattern)._pickled_data == regex.compile(pattern)._pickled_data
    shipped = REGEX_AT_IMPORT[0]
    if precompiled.regex_lookup(*shipped) is None:
        pytest.skip("no shipped regex table for this regex and interpreter")
    other = regex.VERSION1 if int(regex.DEFAULT_VERSION) != int(regex.VERSION1) else regex.VERSION0
    monkeypatch.setattr(regex, "DEFAULT_VERSION", other)
    assert precompiled.regex_lookup(*shipped) is None


def test_shipped_regex_table_is_a_rebuild(key_is_current: Callable[..., None]) -> None:
    """The same patterns, rows and code lengths as a rebuild in this process (each code the same bytes in an order
    that may differ: see _same_regex_code; the exact bytes: the next test)."""
    with np.load(precompiled.TABLE_FILE, allow_pickle=False) as z:
        shipped = {k: z[k] for k in z.files if k.startswith("regex_")}
    key_is_current("boilerplate_re.npz (regex arguments)", json.loads(str(shipped["regex_key"])),
                    precompiled.regex_key(), frozenset(precompiled.regex_key()))
    rebuilt = _build_script().regex_table(REGEX_AT_IMPORT)
    assert set(rebuilt) == set(shipped)
    assert str(rebuilt["regex_key"]) == str(shipped["regex_key"])
    index, ref_index = json.loads(str(shipped["regex_index"])), json.loads(str(rebuilt["regex_index"]))
    assert index == ref_index
    for _final_flags, start, end, *_rest in index.values():
        assert sorted(shipped["regex_code"][start:end]) == sorted(rebuilt["regex_code"][start:end])


def test_the_build_script_rebuilds_the_shipped_files_byte_for_byte(
    tmp_path: Path, key_is_current: Callable[..., None]
) -> None:
    """scripts/build_boilerplate_tables.py in a fresh process (PYTHONHASHSEED=0, stable regex node hashes, fixed
    zip dates) writes exactly the shipped bytes, when the keys are this environment's."""
    key_is_current("boilerplate_re.npz (re code)", _shipped_key(precompiled.TABLE_FILE), precompiled.interpreter_key(),
                    INTERPRETER)
    key_is_current("boilerplate_re.npz (regex arguments)", _shipped_key(precompiled.TABLE_FILE, "regex_key"),
                    precompiled.regex_key(), frozenset(precompiled.regex_key()))
    key_is_current("boilerplate_line_filter.npz", _shipped_key(rules.LINE_FILTER_FILE),
                    json.loads(rules.line_filter_key()), INTERPRETER)
    key_is_current("boilerplate_char_tables.npz", _shipped_key(F.CHAR_TABLES_FILE), json.loads(F.char_tables_key()),
                    INTERPRETER | {"regex"})
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    script = ROOT / "scripts" / "build_boilerplate_tables.py"
    out = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    for name in ("boilerplate_re.npz", "boilerplate_line_filter.npz", "boilerplate_char_tables.npz"):
        assert (tmp_path / name).read_bytes() == (precompiled.TABLE_FILE.parent / name).read_bytes(), name
