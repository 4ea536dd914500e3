#!/usr/bin/env python3
"""Rebuild the boilerplate stage's start-up tables in ``cleaner/data`` (derived from the package's own
source, no benchmark data: ``--shared`` is accepted for the scripts' common interface and unused).

1. ``boilerplate_re.npz``: the ``re`` code of every pattern the stage compiles at import
   (:mod:`cleaner.boilerplate.precompiled`), for this interpreter, and the pickled arguments of its
   ``regex`` patterns, for this ``regex`` version.
2. ``boilerplate_line_filter.npz``: the tables of ``rules.lexicon_lines`` (``rules._build_line_filter``),
   keyed by rules.py's source and the interpreter.
3. ``boilerplate_char_tables.npz``: ``features._class_table`` and ``features._lower_table``, keyed by
   features.py's source, ``regex``'s version and the interpreter.

Each table is keyed by what it is derived from; at run time a key that does not match falls back to
building in memory (the same values), and tests/boilerplate/test_precompiled.py compares the shipped
tables with a rebuild.

    python scripts/build_boilerplate_tables.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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
        index[key] = [final_flags, len(codes), len(codes) + len(code), groups, groupindex]
        codes.extend(code)
    return {
        "key": np.array(json.dumps(precompiled.interpreter_key(), sort_keys=True)),
        "index": np.array(json.dumps(index, sort_keys=True)),
        "code": np.array(codes, dtype=np.uint32),
    }


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
        compiled = regex.compile(pattern, flags)
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

    try:
        return rules.line_filter_arrays(rules._build_line_filter())
    finally:
        rules._FIRST_MEMO.clear()
        rules._category_table.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT / ".." / "shared"), help="unused (no benchmark data needed)")
    ap.add_argument("--out", default=str(ROOT / "cleaner" / "data"))
    args = ap.parse_args()
    out = Path(args.out)
    arrays = {**re_table(), **regex_table()}
    np.savez_compressed(out / "boilerplate_re.npz", **arrays)
    from cleaner.boilerplate import features

    np.savez_compressed(out / "boilerplate_char_tables.npz", **features.char_tables_arrays())
    print(f"boilerplate_char_tables.npz: {(out / 'boilerplate_char_tables.npz').stat().st_size} bytes")
    lf = line_filter_table()
    np.savez_compressed(out / "boilerplate_line_filter.npz", **lf)
    print(f"boilerplate_line_filter.npz: {(out / 'boilerplate_line_filter.npz').stat().st_size} bytes")
    print(f"boilerplate_re.npz: {len(json.loads(str(arrays['index'])))} patterns, {arrays['code'].size} code words,"
          f" {(out / 'boilerplate_re.npz').stat().st_size} bytes")


if __name__ == "__main__":
    main()
