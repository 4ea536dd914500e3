"""cleaner.language.detect_language: golden texts, script routing, determinism, confusables."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner.config import Config
from cleaner.language import detect_language
from cleaner.language.orthography import GROUP_CAP

HERE = Path(__file__).resolve().parent
LANGDETECT = Config(language_backend="langdetect")
BACKENDS = [Config(), LANGDETECT]


def _golden() -> list[tuple[str, str, str]]:
    rows = []
    for line in (HERE / "golden.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lang, script, text = line.split("\t")
            rows.append((lang, script, text))
    return rows


def _negative() -> list[str]:
    lines = (HERE / "negative.tsv").read_text(encoding="utf-8").splitlines()
    return [ln.replace("\\n", "\n") for ln in lines if not ln.startswith("#")]


@pytest.mark.parametrize(("lang", "script", "text"), _golden())
def test_golden_default_backend(lang: str, script: str, text: str) -> None:
    got = detect_language(text)
    assert got.language == lang, (text, got)
    if script != "-":
        assert got.script == script, (text, got)
    assert 0.0 < got.score <= 1.0


@pytest.mark.parametrize(("lang", "script", "text"), [r for r in _golden() if r[1] not in ("Latn", "Cyrl")])
def test_golden_langdetect_routed_scripts(lang: str, script: str, text: str) -> None:
    """langdetect behind the same script routing: CJK, Greek, Hebrew, Indic... are never its guess."""
    got = detect_language(text, LANGDETECT)
    assert (got.language, got.script) == (lang, script), (text, got)


@pytest.mark.parametrize("text", _negative())
@pytest.mark.parametrize("cfg", BACKENDS, ids=["auto", "langdetect"])
def test_no_letters_is_und(text: str, cfg: Config) -> None:
    got = detect_language(text, cfg)
    assert (got.language, got.script, got.score) == ("und", None, 0.0)


CHINESE = [
    "过灵",
    "會議",
    "中国人民银行今天宣布下调存款准备金率。",
    "中國人民銀行今天宣布調降存款準備金率。",
    "我们",
    "說話",
    "北京",
]


@pytest.mark.parametrize("cfg", BACKENDS, ids=["auto", "langdetect"])
@pytest.mark.parametrize("text", CHINESE)
def test_chinese_is_never_korean(text: str, cfg: Config) -> None:
    assert detect_language(text, cfg).language == "zh"


def test_kana_makes_japanese_even_with_many_kanji() -> None:
    got = detect_language("国立国会図書館所蔵資料の電子化について")
    assert (got.language, got.script) == ("ja", "Jpan")


def test_one_stray_kana_in_chinese_stays_chinese() -> None:
    text = "这是一篇关于东京旅游的长文章，作者在文章里介绍了很多地方，比如の字招牌。"
    assert detect_language(text).language == "zh"


def test_cyrillic_is_never_answered_with_a_latin_language() -> None:
    # fastText/py3langid may rank Serbo-Croatian (Latin) labels for Serbian; script routing forbids it.
    for text in ["Ђаци су ујутру дошли у школу.", "Он је рекао да ће доћи сутра."]:
        got = detect_language(text)
        assert got.script == "Cyrl" and got.language == "sr", got


def test_serbian_cyrillic_with_langdetect_which_has_no_serbian_model() -> None:
    got = detect_language("Ђаци су ујутру дошли у школу и није било наставе због снега.", LANGDETECT)
    assert got.language == "sr"


def test_glued_cjk_does_not_confuse_a_latin_line() -> None:
    got = detect_language("The annual report 年度报告 was published on Monday by the ministry of finance.")
    assert got.language == "en"


@pytest.mark.parametrize("cfg", BACKENDS, ids=["auto", "langdetect"])
def test_deterministic_run_to_run(cfg: Config) -> None:
    texts = [t for _, _, t in _golden()] + ["ok", "das ist", "mi casa", "tak jak", "ja sam", "on the"]
    first = [detect_language(t, cfg) for t in texts]
    for _ in range(3):
        assert [detect_language(t, cfg) for t in texts] == first


def test_langdetect_backend_agrees_on_latin_sentences() -> None:
    for lang, text in [
        ("en", "The library closes early on Sundays during the summer holidays."),
        ("de", "Die Bibliothek schließt im Sommer sonntags schon um drei Uhr."),
        ("fr", "Nous avons marché le long de la rivière jusqu'à ce que la pluie cesse."),
    ]:
        assert detect_language(text, LANGDETECT).language == lang


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kerajaan negeri berkata projek itu ditangguhkan kerana kekurangan wang.", {"ms"}),
        ("Pemerintah daerah mengatakan proyek itu ditunda karena kekurangan uang.", {"id"}),
        ("Saya pergi ke pasar dan membeli beberapa buah.", {"id", "ms"}),
    ],
)
def test_malay_indonesian_cues_and_low_score(text: str, expected: set[str]) -> None:
    got = detect_language(text)
    assert got.language in expected
    assert got.score <= GROUP_CAP[got.language] + 1e-9


def test_scandinavian_cue_words_and_capped_score() -> None:
    da = detect_language("Jeg har ikke hørt noget fra ham efter mødet, men han siger at han kommer i aften.")
    nb = detect_language("Jeg har ikke hørt noe fra ham etter møtet, men han sier at han kommer i kveld.")
    assert da.language == "da" and nb.language == "nb"
    assert da.score <= GROUP_CAP["da"] and nb.score <= GROUP_CAP["nb"]


def test_confusable_group_never_reports_high_confidence() -> None:
    # Croatian/Serbian/Bosnian Latin: the winner of the group is capped.
    got = detect_language("Vlada je danas objavila novi zakon o porezu.")
    assert got.language in {"hr", "bs", "sr"}
    assert got.score <= 0.75


def test_distinct_language_keeps_high_score() -> None:
    assert detect_language("The library closes early on Sundays during the summer holidays.").score > 0.9


def test_sample_is_bounded_and_prefers_long_lines() -> None:
    nav = "\n".join(["首页", "新闻", "体育", "财经", "科技"] * 300)  # 3,000 chars of short Chinese nav
    body = "\n".join(
        ["The committee published its findings after a year of hearings with residents and experts."] * 40
    )
    got = detect_language(nav + "\n" + body, Config(language_sample_chars=2000))
    assert got.language == "en"


def test_unknown_backend_is_an_error() -> None:
    with pytest.raises(ValueError, match="language_backend"):
        detect_language("hello world, this is a test", Config(language_backend="nope"))


def test_auto_falls_back_to_langdetect_when_fast_detectors_are_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import cleaner.language as lang_mod
    from cleaner.language import backends

    monkeypatch.setattr(backends, "installed", lambda name: name == "langdetect")
    monkeypatch.setattr(lang_mod, "_resolved", {})
    monkeypatch.setattr(backends, "fasttext_dist", None)  # any use would raise
    with caplog.at_level("WARNING"):
        got = detect_language("Die Bibliothek schließt im Sommer sonntags schon um drei Uhr.")
        page = (
            "Der Rat hat den neuen Haushalt am Montag beschlossen, nach einer langen Debatte.\n\n"
            "Haushaltsberatungen dauerten gestern lange, sagte Bürgermeisterin Schulze."  # no function words
        )
        doc, blocks, _ = lang_mod.detect_blocks(page)
    assert got.language == "de" and doc.language == "de" and {b.language for b in blocks} == {"de"}
    assert lang_mod._resolved["auto"] == "langdetect"
    assert "langdetect" in caplog.text


def test_urdu_letters_are_not_persian() -> None:
    # ے (bari ye) and ہ (gol he) are Urdu letters Persian does not write.
    assert detect_language("عہدیداران درمیان").language == "ur"


def test_korean_with_hanja_is_korean() -> None:
    got = detect_language("大韓民國 憲法 第一條 대한민국은 민주공화국이다")
    assert (got.language, got.script) == ("ko", "Kore")
