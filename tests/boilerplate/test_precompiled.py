"""The boilerplate stage's shipped start-up tables (scripts/build_boilerplate_tables.py) against what
they replace: every pre-compiled ``re`` pattern is the pattern ``re.compile`` makes (same code), and
each shipped table is what a rebuild gives, for the interpreter its key names."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import cleaner.boilerplate  # noqa: F401 -- compiles the stage's patterns
from cleaner.boilerplate import features as F
from cleaner.boilerplate import precompiled, rules

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
        assert (ours.flags, ours.groups, dict(ours.groupindex)) == (ref.flags, ref.groups, dict(ref.groupindex))


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


def test_shipped_re_table_is_a_rebuild() -> None:
    with np.load(precompiled.TABLE_FILE, allow_pickle=False) as z:
        shipped = {k: z[k] for k in z.files}
    if json.loads(str(shipped["key"])) != precompiled.interpreter_key():
        pytest.skip("the shipped table is for another interpreter (the stage falls back to re.compile)")
    rebuilt = _build_script().re_table(AT_IMPORT)
    assert set(rebuilt) == set(shipped)
    for k, v in rebuilt.items():
        assert np.array_equal(v, shipped[k]), k


def test_shipped_line_filter_is_a_rebuild() -> None:
    with np.load(rules.LINE_FILTER_FILE, allow_pickle=False) as z:
        key = json.loads(str(z["key"]))
    if {k: v for k, v in key.items() if k != "rules_py_sha256"} != precompiled.interpreter_key():
        pytest.skip("the shipped line filter is for another interpreter (the stage builds it)")
    assert str(np.array(json.dumps(key, sort_keys=True))) == rules.line_filter_key(), (
        "rules.py changed since the line filter was built: rerun scripts/build_boilerplate_tables.py"
    )
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


def test_shipped_line_filter_equals_the_built_one() -> None:
    shipped = rules._shipped_line_filter()
    if shipped is None:
        pytest.skip("no shipped line filter for this interpreter")
    try:
        built = rules._build_line_filter()
    finally:
        rules._FIRST_MEMO.clear()
        rules._category_table.cache_clear()
    for f in dataclasses.fields(built):
        a, b = getattr(shipped, f.name), getattr(built, f.name)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), f.name


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


def test_shipped_char_tables_are_a_rebuild() -> None:
    with np.load(F.CHAR_TABLES_FILE, allow_pickle=False) as z:
        key = json.loads(str(z["key"]))
    if {k: v for k, v in key.items() if k not in ("features_py_sha256", "regex")} != precompiled.interpreter_key():
        pytest.skip("the shipped character tables are for another interpreter (the stage builds them)")
    assert str(np.array(json.dumps(key, sort_keys=True))) == F.char_tables_key(), (
        "features.py or regex changed since the character tables were built: rerun scripts/build_boilerplate_tables.py"
    )
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
