"""Tests for cleaner.garble: evidence signals, fluent negatives, languages, calibration range, seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import Config
from cleaner.garble import detect_language, score_garble
from cleaner.garble.model import load_model
from cleaner.garble.signals import entity_swaps, glued_words, halfwidth_punctuation, tortured_phrases

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT / ".." / "shared"
SEEDS = SHARED / "seeds"


def _signals(text: str, lang: str | None = "en") -> dict[str, list[str]]:
    g = score_garble(text, lang)
    out: dict[str, list[str]] = {}
    for e in g.evidence:
        assert text[e.start : e.end] == e.text, e  # offsets index the input
        out.setdefault(e.signal, []).append(e.text)
    return out


# -- each explicit signal fires on a small text we wrote ----------------------------------


def test_glued_words_fires_and_skips_brands_and_urls() -> None:
    text = "The premier opened the meeting with an offerEstablishing a new council."
    ev = glued_words(text)
    assert [e.text for e in ev] == ["offerEstablishing"]
    assert text[ev[0].start : ev[0].end] == "offerEstablishing"
    assert glued_words("She bought an iPhone and sold it on eBay via PayPal at McDonald's.") == []
    assert glued_words("See https://example.com/someThing for details.") == []
    assert "glued-words" in _signals(text)


def test_entity_swap_marks_the_minority_expansion() -> None:
    text = (
        "The conference on artificial intelligence drew large crowds. Speakers said artificial "
        "intelligence would change work, and that the models of Amnesty International need rules."
    )
    ev = entity_swaps(text, load_model().acronyms)
    assert [e.text for e in ev] == ["Amnesty International"]
    assert ev[0].signal == "entity-swap"
    assert "entity-swap" in _signals(text)


def test_entity_swap_silent_with_one_sense_or_a_tie() -> None:
    acr = load_model().acronyms
    assert entity_swaps("Amnesty International said the trial was unfair. Amnesty International", acr) == []
    assert entity_swaps("Amnesty International criticised artificial intelligence surveillance.", acr) == []


def test_tortured_phrase_fires() -> None:
    text = "The authors apply counterfeit consciousness to predict the yield of crops."
    ev = tortured_phrases(text, load_model().tortured)
    assert [e.text for e in ev] == ["counterfeit consciousness"]
    assert "tortured-phrase" in _signals(text)


def test_nonword_fires_on_invented_lowercase_words_only() -> None:
    sig = _signals("The delegates were tense in geosus matters and the frumblated exports.")
    assert {"geosus", "frumblated"} <= set(sig.get("non-word", []))
    # capitalised names are not non-words
    assert "non-word" not in _signals("Mr Zorbowicz met Ms Kwiatkowska in Wrocław on Tuesday.")


def test_halfwidth_punctuation_in_chinese() -> None:
    text = "在第二周,他投入了三次冲撞."
    ev = halfwidth_punctuation(text)
    assert [e.text for e in ev] == [",", "."]
    assert halfwidth_punctuation("在第二周，他投入了三次冲撞。价格为1,000元。") == []
    # shown only inside a flagged document (fluent web Chinese uses it too)
    g = score_garble(text, "zh", Config(garble_threshold=0.01, garble_strict_threshold=0.01))
    assert g.flagged and "halfwidth-punctuation" in {e.signal for e in g.evidence}


def test_chinese_mt_full_stop_and_quote_raise_the_score() -> None:
    # ASCII full stop / double quote after Han characters: the marks of en->zh MT output
    fluent = score_garble("常住和短暂的猩猩都聚集在大果树上进食。", "zh").score
    mt_dot = score_garble("常住和短暂的猩猩都聚集在大果树上进食.", "zh").score
    mt_quote = score_garble('他们称之为"大果树"的地方聚集着猩猩。', "zh").score
    quoted = score_garble("他们称之为“大果树”的地方聚集着猩猩。", "zh").score
    assert fluent is not None and mt_dot is not None and mt_quote is not None and quoted is not None
    assert mt_dot > fluent and mt_quote > quoted
    # NFKC-folded commas (fluent scraped Chinese, seed-like news) do not move the score
    folded = score_garble("常住和短暂的猩猩,都聚集在大果树上进食。", "zh").score
    assert folded == pytest.approx(fluent, abs=0.02)


# -- fluent text stays unflagged; scores are in range and deterministic ----------------------


@pytest.mark.parametrize("name,lang", [("fluent_en.txt", "en"), ("fluent_zh.txt", "zh")])
def test_golden_fluent_documents_not_flagged(name: str, lang: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    doc = score_garble(text, lang)
    assert doc.score is not None and 0.0 <= doc.score <= 1.0
    assert not doc.flagged, (doc.score, [e.text for e in doc.evidence])


def test_golden_fluent_chinese_sentences_not_flagged() -> None:
    for line in (DATA / "fluent_zh.txt").read_text(encoding="utf-8").splitlines():
        g = score_garble(line, "zh")
        assert not g.flagged, (line, g.score)


def test_golden_fluent_english_sentences_not_flagged() -> None:
    # was an xfail with the 0.65 model-only threshold (one line scored ~0.65); the top score is 0.58 now
    for line in (DATA / "fluent_en.txt").read_text(encoding="utf-8").splitlines():
        g = score_garble(line, "en")
        assert not g.flagged, (line, g.score, [(e.signal, e.text) for e in g.evidence])


def test_fluent_english_sentences_flag_rate_within_the_goodmt_budget() -> None:
    """The issue's budget for fluent MT is <= 10% flagged; our own fluent sentences must stay near it."""
    lines = (DATA / "fluent_en.txt").read_text(encoding="utf-8").splitlines()
    flagged = [line for line in lines if score_garble(line, "en").flagged]
    assert len(flagged) <= max(1, len(lines) // 10), flagged


def test_garbled_text_scores_above_its_fluent_version() -> None:
    fluent = "The Chinese government wants to cooperate with other countries on artificial intelligence."
    garbled = (
        "Smred in the banning of abdominal export says the elderly are dominated by the sales of "
        "the lumpy chips and the geosus."
    )
    assert score_garble(garbled, "en").score > score_garble(fluent, "en").score  # type: ignore[operator]


def test_flag_always_has_evidence_and_offsets() -> None:
    text = (
        "Smred in the banning of abdominal export says the elderly are dominated by the sales. "
        "A year tense in geosus artificial intelligence and the models of Amnesty International "
        "offerEstablishing the gesterodes of artificial intelligence."
    )
    g = score_garble(text, "en", Config(garble_threshold=0.01))
    assert g.flagged and g.evidence
    signals = {e.signal for e in g.evidence}
    assert "garbled-sentence" in signals and "entity-swap" in signals
    for e in g.evidence:
        assert text[e.start : e.end] == e.text
    for s in g.sentences:
        assert text[s["start"] : s["end"]] == s["text"] and 0.0 <= s["score"] <= 1.0


def test_score_range_and_empty_inputs() -> None:
    for t in ["", "   \n ", "12345 678", "Hello.", "a " * 5000]:
        g = score_garble(t, "en")
        assert g.score is None or 0.0 <= g.score <= 1.0
        assert g.flagged is False or g.evidence
    assert score_garble("", "en").reason == "no-text"


def test_deterministic_across_processes() -> None:
    text = (DATA / "fluent_en.txt").read_text(encoding="utf-8")
    code = (
        "import sys; from cleaner.garble import score_garble; print(repr(score_garble(sys.stdin.read(), 'en').score))"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        r = subprocess.run(
            [sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env, check=True
        )
        outs.add(r.stdout.strip())
    outs.add(repr(score_garble(text, "en").score))
    assert len(outs) == 1, outs


# -- languages ----------------------------------------------------------------------------


def test_unsupported_language_returns_none_with_reason() -> None:
    g = score_garble("Le conseil municipal a approuvé le nouveau budget lundi.", "fr")
    assert g.score is None and not g.flagged and g.reason == "unsupported-language:fr"
    g = score_garble("Le conseil municipal a approuvé le nouveau budget lundi après un long débat.")
    assert g.score is None and g.reason is not None and g.reason.startswith("unsupported-language:")
    assert (
        score_garble("Die Regierung hat am Montag den Haushalt beschlossen.", "de-DE").reason
        == "unsupported-language:de"
    )


def test_cheap_language_detection() -> None:
    assert detect_language("市议会周一批准了新的预算。") == "zh"
    assert detect_language("The council approved the new budget on Monday.") == "en"
    assert detect_language("Der Stadtrat hat am Montag den neuen Haushalt beschlossen.") == "und"
    assert detect_language("Si tu veux, je viens demain.") == "und"
    # short English lines without the classic function words still count as English
    assert detect_language("Turn off your phone's microphone") == "en"
    assert detect_language("Heavy rain expected across northern regions") == "en"
    assert detect_language("東京都は月曜日に新しい予算を承認しました。") == "ja"
    assert score_garble("市议会周一批准了新的预算。").score is not None
    assert score_garble("The council approved the new budget on Monday.", "en-GB").score is not None


# -- adapter ---------------------------------------------------------------------------------


def test_benchmark_adapter_roundtrip() -> None:
    inp = "".join(
        json.dumps({"id": i, "text": t}) + "\n"
        for i, t in enumerate(["The council met on Monday.", "Le conseil a voté."])
    )
    r = subprocess.run(
        [sys.executable, "-m", "cleaner.garble"],
        input=inp,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in rows] == [0, 1]
    assert 0.0 <= rows[0]["score"] <= 1.0 and rows[1]["reason"].startswith("unsupported-language")


# -- the seed documents (skipped without ../shared) -------------------------------------------


def _seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not available")
    return next(SEEDS.glob(prefix + "_*.txt")).read_text(encoding="utf-8")


def test_seed_003_flagged_with_its_artifacts() -> None:
    g = score_garble(_seed("003"), "en")
    assert g.flagged
    texts = " | ".join(e.text for e in g.evidence)
    for artifact in ("Amnesty International", "geosus", "offerEstablishing", "gesterodes"):
        assert artifact in texts, artifact
    assert {"entity-swap", "glued-words", "non-word", "garbled-sentence"} <= {e.signal for e in g.evidence}


@pytest.mark.parametrize("prefix", ["001", "002", "004"])
def test_fluent_seeds_not_flagged(prefix: str) -> None:
    g = score_garble(_seed(prefix))
    assert not g.flagged, (g.score, [e.text for e in g.evidence][:10])


def test_fluent_mt_seed_scores_below_garbled_seed() -> None:
    a, b = score_garble(_seed("000"), "en").score, score_garble(_seed("003"), "en").score
    assert a is not None and b is not None and a < b


# -- property: any text, any language hint: score in range, offsets valid, no exception -------

_ALPHABET = 'abcXYZ İıß中文国。，,.!? \n\t"“”@#/:é\u200b-' + "offerEstablishing Amnesty International "


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=300), st.sampled_from([None, "en", "zh", "fr"]))
def test_property_offsets_and_range(text: str, lang: str | None) -> None:
    g = score_garble(text, lang)
    assert g.score is None or 0.0 <= g.score <= 1.0
    assert not g.flagged or g.evidence
    for e in g.evidence:
        assert text[e.start : e.end] == e.text
    for s in g.sentences:
        assert text[s["start"] : s["end"]] == s["text"]
