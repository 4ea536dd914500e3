"""cleaner.language.detect_blocks on documents shaped like web pages (our own fixtures)."""

from __future__ import annotations

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
    share = next(b for b in blocks if text[b.start : b.end] == "Share")
    assert share.language == "en" and share.score < doc.score


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
