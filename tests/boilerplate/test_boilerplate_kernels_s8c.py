"""The stage's round-2 session-8 kernels (block "boilerplate s8c" of cleaner/_native.c) against
what they replace, on generated inputs: ``line_keys2`` against ``line_keys`` (s6) and the
Python columns (a ``Counter`` of stripped lines, ``str.strip(_STRIP_CHARS)`` in the label set)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import features as F

NATIVE = F._native
needs_native = pytest.mark.skipif(NATIVE is None, reason="cleaner._native not built (numpy path only)")

# label entries in every text kind, decorated, in other cases, one character changed (same length,
# same first and last character: the filter lets them through, the set must say no)
_PIECES = ["home", "share", "login", "首页", "相关新闻", "ログイン", "skip to main content", "hone", "shore", "首贝",
           "x", "", " ", "\t", "\u3000", "\u00a0", "-", "»", "•", "12", ":", "(", ")", "é", "\U0001f600", "σοφια",
           "\u0100", "\u01ff", "a" * 70, "\n"]


def _python_columns(low: str, chrome: frozenset, strip: str) -> tuple[list[float], list[float]]:
    keys = [k.strip() for k in low.split("\n")]
    counts = Counter(keys)
    return [counts[k] - 1.0 for k in keys], [1.0 if k.strip(strip) in chrome else 0.0 for k in keys]


def _both(low: str, chrome: frozenset, strip: str, max_len: int) -> None:
    n = low.count("\n") + 1
    got = [np.empty(n), np.empty(n)]
    old = [np.empty(n), np.empty(n)]
    assert NATIVE.line_keys2(low, n, chrome, strip, max_len, *got) == n
    assert NATIVE.line_keys(low, n, chrome, strip, max_len, *old) == n
    assert got[0].tolist() == old[0].tolist() and got[1].tolist() == old[1].tolist()
    dup, cl = _python_columns(low, chrome, strip)
    assert got[0].tolist() == dup
    if max_len >= max((len(k) for k in chrome if isinstance(k, str)), default=0):
        assert got[1].tolist() == cl


@needs_native
@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=5).map("".join), min_size=1, max_size=25))
def test_line_keys2_is_line_keys_and_the_python_columns(lines: list[str]) -> None:
    low = "\n".join(lines)
    _both(low, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX)
    # a set with long entries, non-ASCII first/last characters sharing low bytes with others, and
    # an empty entry; a max_len that cuts some entries off
    chrome = frozenset({"a" * 70, "\u0168ome", "hom\u0165", "é", "", "σοφια", "\U0001f600x"})
    _both(low, chrome, F._STRIP_CHARS, 100)
    _both(low, chrome, "-»•é", 3)


@needs_native
def test_line_keys2_with_a_set_of_other_objects_looks_every_short_key_up() -> None:
    class Key(str):
        pass

    chrome = frozenset({Key("home"), 5, "share"})
    low = "Home\n\nshare\n-- home --\nx"
    _both(low, chrome, F._STRIP_CHARS, 10)


@needs_native
def test_line_keys2_refuses_a_wrong_line_count_and_short_buffers() -> None:
    buf = np.empty(3)
    with pytest.raises(ValueError, match="more lines"):
        NATIVE.line_keys2("a\nb\nc\nd", 3, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, buf, np.empty(3))
    with pytest.raises(ValueError, match="fewer lines"):
        NATIVE.line_keys2("a\nb", 3, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, buf, np.empty(3))
    with pytest.raises(ValueError, match="dup"):
        NATIVE.line_keys2("a\nb", 2, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, np.empty(1), np.empty(2))
    with pytest.raises(ValueError, match="more lines"):
        NATIVE.line_keys2("", 0, F._CHROME_LINES, F._STRIP_CHARS, F._CHROME_MAX, np.empty(0), np.empty(0))
