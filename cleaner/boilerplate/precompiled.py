"""The boilerplate stage's stdlib ``re`` patterns, compiled ahead of time.

Why: compiling the stage's patterns (43 ``re.compile`` calls at import) costs ~60 ms at every start (``re``'s
parser and its ``_optimize_charset`` of the large classes: the Han/Latin ranges, the case-expanded lexicon), and a
pool's loader pays it on one core before the workers fork.  ``re`` turns a pattern into a list of
integers (its "code") and hands that to ``_sre.compile``; :data:`TABLE_FILE` ships those lists, built by
``scripts/build_boilerplate_tables.py``, so :func:`compile` makes the very same pattern object
(``==`` on two patterns compares their code) without parsing.

The same for the stage's ``regex`` patterns (:func:`regex_compile`): ``regex`` pickles a pattern as the
arguments of its ``_regex.compile`` (``Pattern._pickled_data``: the packed code, the group names, the
required string), and the table ships those, so parsing and optimising the pattern (~7 ms at import for
the stage's 15 ``regex.compile`` calls: author/date/publisher and a few other patterns) is skipped.

The code depends on the pattern and flags (each entry is keyed by a digest of both) and on the ``re``
compiler and Unicode data of the interpreter (:func:`interpreter_key`); when the shipped key is not
this interpreter's, or a pattern is not in the table, :func:`compile` is ``re.compile``
(:func:`regex_compile`: ``regex.compile``, its key adding ``regex``'s version and default version).
A missing, truncated or corrupt file is the same as another key (:mod:`cleaner._shipped`).  The group names
are stored in the compiler's order, so ``Pattern.groupindex`` and ``Match.groupdict()`` list them as
``re.compile``'s do.  tests/boilerplate/test_precompiled.py checks every pattern against ``re.compile`` and the
table against a rebuild.
"""

from __future__ import annotations

import _sre
import hashlib
import json
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import regex
from regex import _regex

from .._shipped import read_npz

TABLE_FILE = Path(__file__).resolve().parent.parent / "data" / "boilerplate_re.npz"
"""The shipped code lists (``key``: the interpreter key, ``index``: per pattern digest its flags, code
slice, group count and names; ``code``: every code list, concatenated)."""

seen: list[tuple[str, int]] = []
"""Every (pattern, flags) :func:`compile` was asked for while recording (what the build script ships and the
tests check): from this module's import until the stage package's import ends (:func:`stop_recording`), so
the list holds the stage's import-time patterns and does not grow with later calls."""
seen_regex: list[tuple[str, int]] = []
"""The same for :func:`regex_compile`."""
_recording = True


def stop_recording() -> None:
    """Stop adding to :data:`seen` and :data:`seen_regex` (``cleaner/boilerplate/__init__.py``, at the end of its
    import: every pattern the stage compiles at import is recorded by then)."""
    global _recording
    _recording = False


def interpreter_key() -> dict[str, Any]:
    """What ``re``'s code for a given pattern depends on besides the pattern: the compiler (the
    interpreter's version and ``re``'s opcode magic number, the code word size) and the Unicode data
    (case folding of ``IGNORECASE``, the categories)."""
    from re import _constants  # type: ignore[attr-defined]

    return {
        "implementation": sys.implementation.cache_tag,
        "version": list(sys.version_info[:3]),
        "magic": _constants.MAGIC,
        "codesize": _sre.CODESIZE,
        "unidata": unicodedata.unidata_version,
    }


def regex_key() -> dict[str, Any]:
    """What a ``regex`` pattern's pickled arguments depend on besides the pattern: ``regex``'s version (its
    compiler and Unicode tables), its default version (V0/V1 syntax) and the interpreter."""
    return {"regex": regex.__version__, "default_version": int(regex.DEFAULT_VERSION), **interpreter_key()}


def digest(pattern: str, flags: int) -> str:
    """The table's key of a pattern and its flags."""
    return hashlib.blake2b(f"{int(flags)}:{pattern}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


Entry = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
"""``_sre.compile``'s arguments after the pattern: flags, code, groups - 1, group index, index group."""


@lru_cache(maxsize=1)
def _arrays() -> dict[str, np.ndarray] | None:
    """The shipped file's arrays, read once (None: missing or broken: every pattern is compiled)."""
    return read_npz(TABLE_FILE, expect={"key": ("U", ()), "index": ("U", ()), "code": ("u4", None),
                                        "regex_key": ("U", ()), "regex_index": ("U", ()), "regex_code": ("u1", None)})


def _json(a: np.ndarray) -> Any:
    return json.loads(str(a))


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, list[Any]], np.ndarray] | None:
    z = _arrays()
    try:
        if z is None or _json(z["key"]) != interpreter_key():
            return None
        return _json(z["index"]), z["code"]
    except ValueError:  # (not JSON)
        return None


@lru_cache(maxsize=1)
def _regex_table() -> tuple[dict[str, list[Any]], bytes, int] | None:
    z = _arrays()
    try:
        if z is None:
            return None
        key = _json(z["regex_key"])
        if key != regex_key():
            return None
        return _json(z["regex_index"]), z["regex_code"].tobytes(), key["default_version"]
    except ValueError:
        return None


def lookup(pattern: str, flags: int) -> Entry | None:
    """The shipped ``_sre.compile`` arguments of ``pattern`` compiled with ``flags`` (None: not shipped
    for this interpreter)."""
    table = _table()
    if table is None:
        return None
    index, code = table
    row = index.get(digest(pattern, flags))
    if row is None:
        return None
    final_flags, start, end, groups, group_pairs = row
    groupindex = dict(group_pairs)  # (stored as pairs in re's order: a JSON object's keys would be sorted)
    indexgroup: list[str | None] = [None] * (groups + 1)
    for name, i in group_pairs:
        indexgroup[i] = name
    return final_flags, code[start:end].tolist(), groups, groupindex, tuple(indexgroup)


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``: from the shipped code when it is there (the same object, ~50x
    faster), else by ``re``."""
    flags = int(flags)
    if _recording:
        seen.append((pattern, flags))
    entry = lookup(pattern, flags)
    if entry is None:
        return re.compile(pattern, flags)
    return _sre.compile(pattern, *entry)  # type: ignore[no-any-return]


RegexEntry = tuple[Any, ...]
"""``regex``'s ``Pattern._pickled_data``: the arguments of ``_regex.compile``."""


def regex_lookup(pattern: str, flags: int) -> RegexEntry | None:
    """The shipped ``_regex.compile`` arguments of ``pattern`` with ``flags`` (None: not shipped for this
    ``regex`` and interpreter, or the default version was changed since)."""
    table = _regex_table()
    if table is None or int(regex.DEFAULT_VERSION) != table[2]:
        return None
    index, code, _version = table
    row = index.get(digest(pattern, flags))
    if row is None:
        return None
    final_flags, start, end, group_index, index_group, req_offset, req_chars, req_flags, group_count = row
    return (pattern, final_flags, code[start:end], dict(group_index), {int(k): v for k, v in index_group},
            {}, [], req_offset, tuple(req_chars), req_flags, group_count)


def regex_compile(pattern: str, flags: int = 0) -> regex.Pattern[str]:
    """``regex.compile(pattern, flags)``: from the shipped arguments when they are there (what unpickling
    the pattern does), else by ``regex``."""
    flags = int(flags)
    if _recording:
        seen_regex.append((pattern, flags))
    entry = regex_lookup(pattern, flags)
    if entry is None:
        return regex.compile(pattern, flags)
    return _regex.compile(*entry)


def regex_row(compiled: regex.Pattern[str], start: int) -> list[Any]:
    """The table row of a compiled ``regex`` pattern whose code starts at ``start`` of the table's code (what
    :func:`regex_lookup` reads back); ValueError for a pattern with named lists (not shipped)."""
    (_p, final_flags, code, group_index, index_group, named_lists, named_list_indexes, req_offset, req_chars,
     req_flags, group_count) = compiled._pickled_data
    if named_lists or named_list_indexes:
        raise ValueError("a pattern with named lists")
    # (the group names as pairs in regex's order: a JSON object's keys would be sorted, and the pattern's
    # groupindex and a match's groupdict() would list the names in another order than regex.compile's)
    return [final_flags, start, start + len(code), list(group_index.items()), sorted(index_group.items()), req_offset,
            list(req_chars), req_flags, group_count]


def capture(pattern: str, flags: int) -> Entry:
    """What ``re`` hands ``_sre.compile`` for ``pattern`` (the build script's and tests' reference)."""
    from re import _compiler  # type: ignore[attr-defined]

    got: list[Entry] = []

    class _Shim:
        def __getattr__(self, name: str) -> Any:
            return getattr(_sre, name)

        @staticmethod
        def compile(p: str, fl: int, code: list[int], groups: int, groupindex: dict[str, int],
                    indexgroup: tuple[str | None, ...]) -> Any:
            got.append((fl, list(code), groups, dict(groupindex), tuple(indexgroup)))
            return _sre.compile(p, fl, code, groups, groupindex, indexgroup)

    real = _compiler._sre
    _compiler._sre = _Shim()
    try:
        _compiler.compile(pattern, flags)
    finally:
        _compiler._sre = real
    return got[0]
