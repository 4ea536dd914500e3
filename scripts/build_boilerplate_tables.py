#!/usr/bin/env python3
"""Rebuild the boilerplate stage's start-up tables in ``cleaner/data`` (derived from the package's own
source and the interpreter, no benchmark data; ``make tables`` runs it).

1. ``boilerplate_re.npz``: the ``re`` code of every pattern the stage compiles at import
   (:mod:`cleaner.boilerplate.precompiled`), for this interpreter, and the pickled arguments of its
   ``regex`` patterns, for this ``regex`` version.
2. ``boilerplate_line_filter.npz``: the tables of ``rules.lexicon_lines`` (``rules._build_line_filter``),
   keyed by rules.py's source and the interpreter.
3. ``boilerplate_char_tables.npz``: ``features._class_table`` and ``features._lower_table``, keyed by
   features.py's source, ``regex``'s version and the interpreter.

Each table is keyed by what it is derived from; at run time a key that does not match (or a missing or broken
file) falls back to building in memory (the same values), and tests/boilerplate/test_precompiled.py compares the
shipped tables with a rebuild.  The files are written by :func:`cleaner._shipped.save_npz` (fixed member dates)
under ``PYTHONHASHSEED=0`` (the script re-runs itself so when the variable is not set: ``regex`` writes a
set's members in the order of the hash seed), so a rebuild gives the same bytes.

    python scripts/build_boilerplate_tables.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def re_table(patterns: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """The arrays of ``boilerplate_re.npz`` for ``patterns`` (default: those the stage compiles at import)."""
    import cleaner.boilerplate  # noqa: F401 -- compiles every pattern through precompiled.compile
    from cleaner.boilerplate import precompiled

    index: dict[str, list[Any]] = {}
    codes: list[int] = []
    for pattern, flags in dict.fromkeys(precompiled.seen if patterns is None else patterns):
        key = precompiled.digest(pattern, flags)
        if key in index:
            continue
        try:
            final_flags, code, groups, groupindex, _indexgroup = precompiled.capture(pattern, flags)
        except re.error:  # rules._flat_alternatives tries patterns that may not compile: re raises for them
            continue
        # (the names as pairs in re's order, group-number order: JSON with sort_keys would sort an object's keys)
        index[key] = [final_flags, len(codes), len(codes) + len(code), groups, list(groupindex.items())]
        codes.extend(code)
    return {
        "key": np.array(json.dumps(precompiled.interpreter_key(), sort_keys=True)),
        "index": np.array(json.dumps(index, sort_keys=True)),
        "code": np.array(codes, dtype=np.uint32),
    }


@contextlib.contextmanager
def stable_regex_hash() -> Iterator[None]:
    """``regex`` compiles a pattern with sets of its parse nodes, hashed by keys that hold node classes, whose
    hash is their address: the order of a set's members in the code differs between processes even under one
    ``PYTHONHASHSEED``.  While this is active the nodes hash by their class's name instead (with
    ``PYTHONHASHSEED=0``, the same in every process), so a rebuild gives the same code; any order compiles to
    the same matches (the tests check the shipped patterns against ``regex.compile``'s)."""
    from regex import _regex_core

    def stable(key: Any) -> Any:
        if isinstance(key, type):
            return key.__qualname__
        if isinstance(key, tuple):
            return tuple(stable(k) for k in key)
        return key

    base = _regex_core.RegexBase
    real = base.__hash__
    base.__hash__ = lambda self: hash(stable(self._key))  # type: ignore[method-assign]
    try:
        yield
    finally:
        base.__hash__ = real  # type: ignore[method-assign]


def regex_table(patterns: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """The ``regex_*`` arrays of ``boilerplate_re.npz`` for ``patterns`` (default: those the stage compiles at
    import through ``precompiled.regex_compile``), each compiled afresh by ``regex``."""
    import regex

    import cleaner.boilerplate  # noqa: F401 -- compiles every pattern through precompiled.regex_compile
    from cleaner.boilerplate import precompiled

    index: dict[str, list[Any]] = {}
    code = bytearray()
    for pattern, flags in dict.fromkeys(precompiled.seen_regex if patterns is None else patterns):
        key = precompiled.digest(pattern, flags)
        if key in index:
            continue
        regex.purge()  # a fresh compile, never one of the table's patterns from regex's cache
        with stable_regex_hash():
            compiled = regex.compile(pattern, flags)
        regex.purge()
        index[key] = precompiled.regex_row(compiled, len(code))
        code += compiled._pickled_data[2]
    return {
        "regex_key": np.array(json.dumps(precompiled.regex_key(), sort_keys=True)),
        "regex_index": np.array(json.dumps(index, sort_keys=True)),
        "regex_code": np.frombuffer(bytes(code), dtype=np.uint8),
    }


def line_filter_table() -> dict[str, Any]:
    """The arrays of ``boilerplate_line_filter.npz``, built from the rules (never loaded from the shipped file)."""
    from cleaner.boilerplate import rules

    return rules.line_filter_arrays(rules.built_line_filter())


def main() -> None:
    if "PYTHONHASHSEED" not in os.environ:  # regex's code lists a set's members in the hash seed's order
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    from cleaner._shipped import save_npz

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "cleaner" / "data"))
    args = ap.parse_args()
    out = Path(args.out)
    arrays = {**re_table(), **regex_table()}
    save_npz(out / "boilerplate_re.npz", arrays)
    from cleaner.boilerplate import features

    save_npz(out / "boilerplate_char_tables.npz", features.char_tables_arrays())
    print(f"boilerplate_char_tables.npz: {(out / 'boilerplate_char_tables.npz').stat().st_size} bytes")
    lf = line_filter_table()
    save_npz(out / "boilerplate_line_filter.npz", lf)
    print(f"boilerplate_line_filter.npz: {(out / 'boilerplate_line_filter.npz').stat().st_size} bytes")
    print(f"boilerplate_re.npz: {len(json.loads(str(arrays['index'])))} patterns, {arrays['code'].size} code words,"
          f" {(out / 'boilerplate_re.npz').stat().st_size} bytes")


if __name__ == "__main__":
    main()
