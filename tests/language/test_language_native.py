"""The language stage's compiled kernels (``cleaner/_native.c``, "language s7") against the Python path:
fastText lid.176 inference (``ft_predict``) against fasttext-predict, to the bit, and the line judge
(``lang_judge``) against ``_Judge.ascii_lines``.  Skipped where the extension is not built."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner.language as lang_mod
from cleaner.language import backends, detect_blocks

FIX = Path(__file__).resolve().parent / "fixtures"

needs_native = pytest.mark.skipif(backends._native_fasttext() is None, reason="cleaner._native is not built")


def _reference(text: str, k: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """fasttext-predict's answer, as backends._fasttext_predict asks it."""
    model = backends._load("fasttext", backends._load_fasttext)
    line = text.replace("\n", " ")
    try:
        labels, probs = model.predict(line, k=k, threshold=0.0)
    except (TypeError, UnicodeError):
        labels, probs = model.predict(line.encode("utf-8", "replace").decode("utf-8"), k=k, threshold=0.0)
    return tuple(labels), tuple(probs)


def _texts() -> list[str]:
    out = []
    for f in sorted(FIX.glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        out.append(text)
        out.extend(line for line in text.splitlines() if line.strip())
    rng = random.Random(7)
    alphabet = "ab cdé\t\r\x0b\x0c\x00-<>_/ зж中日\U0001f600\u0301"
    out.extend("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(300))
    # the reader's corners: nothing, separators only, </s> inside the line (it ends the line), labels as
    # words (skipped), a long word, many words, lone surrogates, multi-byte letters only
    out += ["", " \t\r", "</s>", "one </s> two three", "__label__en hello there", "__label__zz bonjour le monde",
            "x" * 3000, "word " * 600, "\ud800 lone surrogate here", "é" * 300, "Привет, как дела? Всё хорошо."]
    return out


@needs_native
@pytest.mark.parametrize("k", [1, 3, 8, 176])
def test_compiled_fasttext_is_fasttext_to_the_bit(k: int) -> None:
    for text in _texts():
        assert backends._fasttext_predict(text, k) == _reference(text, k), repr(text[:60])


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_compiled_fasttext_on_any_text(text: str) -> None:
    assert backends._fasttext_predict(text, 8) == _reference(text, 8)


def test_read_ftz_refuses_other_layouts() -> None:
    data = backends.model_path().read_bytes()
    sizes, vocab, _arrays = backends.read_ftz(data)
    assert sizes[:2] == (len(vocab) - sizes[1], 176) and vocab[0] == b"</s>"
    with pytest.raises(ValueError):
        backends.read_ftz(data[: len(data) // 2])  # truncated
    with pytest.raises(ValueError):
        backends.read_ftz(data + b"\0")  # trailing bytes
    with pytest.raises(ValueError):
        backends.read_ftz(b"\0" * 200)  # not a fastText model


def test_huffman_tree_is_fastTexts() -> None:
    """Leaves in falling count order pair up as fastText's buildTree pairs them: the two rarest first,
    and on a tie the internal node before the leaf (node 4 of count 3 before leaf 1 of count 3)."""
    left, right = backends._huffman_tree([5, 3, 2, 1])
    assert left.tolist() == [-1, -1, -1, -1, 3, 4, 0]
    assert right.tolist() == [-1, -1, -1, -1, 2, 1, 5]


_LINES = [
    "The council approved the new budget on Monday after a long debate about the schools.",
    "La commune a approuvé le nouveau budget lundi après un long débat sur les écoles et les routes.",
    "Der Gemeinderat hat am Montag nach einer langen Debatte den neuen Haushalt beschlossen und die Schulen.",
    "Share on Facebook - Share on Twitter - Follow us on Instagram - Subscribe to the newsletter today",
    "well-known long-term self-driving cars -- and -dashes- at the- edges of the words - here in text",
    "John Smith, Mary Jones, Peter Brown, Anna Green, Paul White and Susan Black contributed reporting",
    "de la de la de la the and of the to in it is was for on",
    "Photo: Reuters / AP — “quoted” text with ‘curly’ marks and a non-ASCII dash – in an English line",
]


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    native = detect_blocks(text)
    with monkeypatch.context() as m:
        m.setattr(lang_mod, "_native_judge", lambda: None)
        m.setattr(backends, "_native_fasttext", lambda: None)
        python = detect_blocks(text)
    return native, python


@needs_native
def test_line_judge_is_the_python_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lang_mod._native_judge() is not None
    rng = random.Random(3)
    pages = [f.read_text(encoding="utf-8") for f in sorted(FIX.glob("*.txt"))]
    for _ in range(40):
        pages.append("\n".join(rng.choice(_LINES) for _ in range(rng.randrange(1, 30))))
    for text in pages:
        native, python = _both(text, monkeypatch)
        assert native == python


@needs_native
@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*_LINES, "Home", "", "a-b - c", "x" * 40, "-" * 30]), max_size=20),
       st.integers(0, 300))
def test_line_judge_on_any_page(lines: list[str], cut: int) -> None:
    """Any mix of lines (each also cut short at ``cut`` characters somewhere)."""
    text = "\n".join(line[:cut] if i % 3 == 0 else line for i, line in enumerate(lines))
    with pytest.MonkeyPatch.context() as m:
        native = detect_blocks(text)
        m.setattr(lang_mod, "_native_judge", lambda: None)
        assert detect_blocks(text) == native


def _page_lines_python(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(lang_mod, "_native_judge", lambda: None)
        return lang_mod._page_lines(text)


def _same_lines(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    got = lang_mod._page_lines(text)
    want = _page_lines_python(text, monkeypatch)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()  # starts, ends
    assert got[2] == want[2]  # scripts present
    assert [c.tolist() for c in got[3]] == [c.tolist() for c in want[3]]  # letters per script per line
    if len(got[0]):
        assert got[4]().tolist() == want[4]().tolist()  # no non-ASCII letter


@needs_native
def test_line_pass_is_the_numpy_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for f in sorted(FIX.glob("*.txt")):
        _same_lines(f.read_text(encoding="utf-8"), monkeypatch)
    for text in ["", "\n", "a", "ab", "ab\r\ncd\r\n\r\n", "x\r", "\r\n\r\n", "中文\nабв\n\U0002a700\U00030001z",
                 "\ud800\udfff ok", "é\u0301\n" * 3, "no newline at all here"]:
        _same_lines(text, monkeypatch)


@needs_native
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \r\n\t-éЖ中かㄱ١\u0301\U0002a700\U00030001\ud800")), max_size=120))
def test_line_pass_on_any_text(text: str) -> None:
    with pytest.MonkeyPatch.context() as m:
        _same_lines(text, m)


def test_judge_beyond_the_kernels_limits_runs_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Function-word tables the kernel cannot hold (``_judge_words`` is None) are judged in Python, alike."""
    text = "\n".join(_LINES * 3)
    want = detect_blocks(text)
    monkeypatch.setattr(lang_mod, "_judge_words", lambda: None)
    assert detect_blocks(text) == want


@needs_native
def test_compiled_model_refuses_a_graph_that_is_not_a_shallow_tree() -> None:
    """ft_dfs recurses once per level and walks every path: a node with two parents (exponential walk),
    a chain deeper than FT_MAX_DEPTH (C stack) or a prune table past 2^30 entries is a ValueError."""
    from cleaner import _native

    args, vocab, arrays = backends.read_ftz(backends.model_path().read_bytes())
    nwords, nlabels, dim = args[0], args[1], args[5]
    *head, wo, left, right = arrays
    assert _native.ft_model(args, vocab, *head, wo, left, right) is not None
    shared = right.copy()
    shared[-1] = left[-1]  # the root's two children are one node
    with pytest.raises(ValueError, match="tree"):
        _native.ft_model(args, vocab, *head, wo, left, shared)
    with pytest.raises(ValueError):
        _native.ft_model((*args[:11], 2**30), vocab, *arrays)
    n = 2000  # labels in a chain: node n + i has leaf i and node n + i - 1 (or leaf 0) below it
    chain_left = np.full(2 * n - 1, -1, dtype=np.int32)
    chain_right = np.full(2 * n - 1, -1, dtype=np.int32)
    for i in range(1, n):
        chain_left[n + i - 1] = i
        chain_right[n + i - 1] = n + i - 2 if i > 1 else 0
    deep_args = (nwords, n, *args[2:])
    deep_vocab = tuple(vocab[:nwords]) + tuple(b"__label__%d" % i for i in range(n))
    deep_wo = np.zeros((n - 1) * dim, dtype=np.float32)
    with pytest.raises(ValueError, match="1024"):
        _native.ft_model(deep_args, deep_vocab, *head, deep_wo, chain_left, chain_right)
    assert nlabels == 176
