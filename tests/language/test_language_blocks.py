"""cleaner.language.detect_blocks on documents shaped like web pages (our own fixtures)."""

from __future__ import annotations

import itertools
from pathlib import Path

from cleaner.config import Config
from cleaner.language import detect_blocks

FIX = Path(__file__).resolve().parent / "fixtures"


def _read(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


def test_glued_navigation_does_not_flip_english_page() -> None:
    text = _read("en_glued_nav.txt")
    doc, blocks, shares = detect_blocks(text)
    assert (doc.language, doc.script) == ("en", "Latn")
    assert max(shares, key=lambda k: shares[k]) == "en" and shares["en"] > 0.9
    for b in blocks:  # offsets index the text; no block is empty
        assert 0 <= b.start < b.end <= len(text)
    first = blocks[0]
    assert text[first.start : first.end].startswith("World Edition")


def test_chinese_page_with_a_traditional_line_is_hans() -> None:
    text = _read("zh_hans_with_hant_line.txt")
    doc, blocks, shares = detect_blocks(text)
    assert (doc.language, doc.script) == ("zh", "Hans")
    hant = [b for b in blocks if b.script == "Hant"]
    assert len(hant) == 1 and "臺灣" in text[hant[0].start : hant[0].end]
    assert shares == {"zh": 1.0}


def test_bilingual_page_reports_both_languages() -> None:
    text = _read("en_fr_bilingual.txt")
    doc, blocks, shares = detect_blocks(text)
    assert doc.language in {"en", "fr"}
    assert shares.get("en", 0) > 0.3 and shares.get("fr", 0) > 0.3
    fr_blocks = [text[b.start : b.end] for b in blocks if b.language == "fr"]
    assert any(t.startswith("La piscine") for t in fr_blocks)
    assert any(t.startswith("Nous nous") for t in fr_blocks)


def test_short_lines_inherit_the_document_language_with_lower_score() -> None:
    text = _read("en_glued_nav.txt")
    doc, blocks, _ = detect_blocks(text)
    at = text.index("\nShare\n") + 1
    share = next(b for b in blocks if b.start <= at < b.end)  # (in the run of short lines around it)
    assert share.language == "en" and share.score < doc.score


_PROSE = (
    "The library will open on Sundays from the first of May, and the council has agreed to pay for the extra staff.",
    "Members of the public who want to help with the reading club can write to the library or call in at the desk.",
    "The new opening hours are on the notice board at the entrance and on the council's page about the library.",
)


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of ``text`` (without its newline)."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _assert_runs(text: str, blocks: list) -> None:
    """Blocks are runs of whole lines, in order, not overlapping; every line with a letter is in one;
    neighbours differ in (language, script, score) (equal neighbours are one block)."""
    lines = _lines(text)
    starts = {s for s, _ in lines}
    ends = {e for _, e in lines}
    for b in blocks:
        assert b.start in starts and b.end in ends and b.start < b.end
    for a, b in itertools.pairwise(blocks):
        assert a.end < b.start
        assert (a.language, a.script, a.score) != (b.language, b.script, b.score)
    for s, e in lines:
        if any(c.isalpha() for c in text[s:e]) and e - s >= 2:
            assert sum(b.start <= s and e <= b.end for b in blocks) == 1, text[s:e]


def test_adjacent_lines_of_one_language_are_one_block() -> None:
    """Three English prose lines (blank lines between them) confirmed alike are one block, from the
    first line's start to the last line's end."""
    text = "\n\n".join(_PROSE) + "\n"
    doc, blocks, shares = detect_blocks(text)
    assert doc.language == "en" and shares == {"en": 1.0}
    assert len(blocks) == 1
    b = blocks[0]
    assert (b.start, b.end) == (0, len(text) - 1) and (b.language, b.script, b.score) == ("en", "Latn", doc.score)
    _assert_runs(text, blocks)


def test_lines_of_different_languages_or_scores_stay_apart() -> None:
    """A French line between English ones is a block of its own and splits the English run; a short
    menu line (inherited: half the score) is its own block too."""
    fr = ("La bibliothèque sera ouverte le dimanche à partir du premier mai, et la commune paiera le "
          "personnel supplémentaire.")
    text = "\n".join([_PROSE[0], fr, _PROSE[1], "Home", _PROSE[2]])
    _doc, blocks, _ = detect_blocks(text)
    got = [(text[b.start : b.end], b.language) for b in blocks]
    assert [lang for _, lang in got] == ["en", "fr", "en", "en", "en"]
    assert got[3][0] == "Home" and blocks[3].score < blocks[2].score == blocks[4].score
    _assert_runs(text, blocks)


def test_blocks_are_runs_on_every_fixture() -> None:
    for name in ("en_glued_nav.txt", "en_fr_bilingual.txt", "zh_hans_with_hant_line.txt"):
        text = _read(name)
        _assert_runs(text, detect_blocks(text)[1])


def test_empty_and_letterless_documents() -> None:
    assert detect_blocks("") == (detect_blocks("")[0], [], {})
    doc, blocks, shares = detect_blocks("123\n---\n\n")
    assert doc.language == "und" and blocks == [] and shares == {}


def test_langdetect_backend_pages() -> None:
    cfg = Config(language_backend="langdetect")
    assert detect_blocks(_read("en_glued_nav.txt"), cfg)[0].language == "en"
    doc = detect_blocks(_read("zh_hans_with_hant_line.txt"), cfg)[0]
    assert (doc.language, doc.script) == ("zh", "Hans")


def test_shares_sum_to_one() -> None:
    _, _, shares = detect_blocks(_read("en_fr_bilingual.txt"))
    assert abs(sum(shares.values()) - 1.0) < 1e-3


def test_foreign_paragraphs_inside_an_english_page_are_found() -> None:
    english = (
        "The council approved the new budget on Monday after a long debate about the schools "
        "and the roads that were damaged during the winter storms."
    )
    spanish = (
        "El consejo aprobo el nuevo presupuesto el lunes despues de un largo debate sobre las escuelas "
        "y las carreteras danadas por las tormentas del invierno."
    )
    russian = "Совет утвердил новый бюджет в понедельник после долгих споров о школах и дорогах."
    text = "\n\n".join([english, spanish, english, russian, english])
    doc, blocks, shares = detect_blocks(text)
    assert doc.language == "en"
    assert [b.language for b in blocks] == ["en", "es", "en", "ru", "en"]
    assert set(shares) == {"en", "es", "ru"}


def test_function_word_share() -> None:
    from cleaner.language.orthography import function_word_share

    hits, words = function_word_share("The report was published by the ministry of finance on Monday.", "en")
    assert words == 11 and hits >= 4
    assert function_word_share("Le rapport a été publié lundi par le ministère.", "en")[0] == 0
    assert function_word_share("anything", "xx") == (0, 0)
