"""The Chinese sentence model's inputs (``vec.zh_features``) and their direction in the shipped model."""

from __future__ import annotations

import unicodedata

import numpy as np

from cleaner.garble import score_garble, vec
from cleaner.garble.model import load_model


def _features(sents: list[str]) -> np.ndarray:
    return vec.zh_features(sents, vec.featurise(sents, "zh", load_model().tables))


def test_cjk_mark_rate_counts_nfkc_stable_marks_per_han_character() -> None:
    sents = [
        "黄蜂出现在《永恒》动漫画中。",
        "黄蜂出现在永恒动漫画中",
        "他说“好”，然后走了。",
        "蛾类包括异形蛾、扫帚蛾等。",
    ]
    # marks / Han characters: 《》。/ 11, none, “”。/ 7 (，is not counted), 、。/ 11
    rate = _features(sents)[:, vec.ZH_NAMES.index("cjk_mark_rate")]
    assert rate.tolist() == [3 / 11, 0.0, 3 / 7, 2 / 11]


def test_cjk_mark_rate_ignores_what_nfkc_folds() -> None:
    # ，：；（）！？ become ASCII under NFKC (scraped Chinese often has it): not counted, so the feature
    # is the same on a page before and after that folding
    text = "他说：“我们（北京）今天去了，很好；真的吗？是的！”然后走了。、《书》"
    rate = vec.ZH_NAMES.index("cjk_mark_rate")
    a, b = _features([text, unicodedata.normalize("NFKC", text)])[:, rate]
    assert a == b == 6 / 22  # “ ” 。 、 《 》 over 22 Han characters


def test_chinese_model_reads_missing_marks_as_garbled() -> None:
    m = load_model()
    assert m.zh_w[vec.ZH_NAMES.index("cjk_mark_rate")] < 0  # more 。“”、《》 per character: less garbled
    assert m.zh_w[vec.ZH_NAMES.index("ascii_full_stop")] > 0
    post_edit = score_garble("黄蜂出现在《永恒》动漫画中，由凯莉·谢里丹配音。", "zh").score
    mt = score_garble("黄蜂出现在永恒动漫画中,由凯莉谢里丹配音.", "zh").score
    assert post_edit is not None and mt is not None and mt > post_edit


def test_chinese_with_latin_names_is_routed_to_the_chinese_model() -> None:
    from cleaner.garble.score import detect_language

    # most letters are Latin, but the Han characters carry the sentence
    assert detect_language("Smith在电影“The Long Night”中客串") == "zh"
    assert detect_language("Brown , John A美国历史, 1962 Oxford University Press , ed .") == "zh"
    # an English page with a Chinese navigation word stays English; kana makes it Japanese, not Chinese
    assert (
        detect_language("Global Edition 中文 The council met on Monday and approved the budget for the year.") == "en"
    )
    assert detect_language("Tokyo Motor Showで新型車を発表した Toyota Corolla Cross Hybrid") != "zh"
