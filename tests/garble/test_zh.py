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
    # other scripts with a few Han glosses are not Chinese (the non-Han letters must be Latin)
    assert detect_language("Слово 你好 означает привет, а 谢谢 — спасибо. Это простые слова.") != "zh"
    assert detect_language("คำว่า 你好 แปลว่า สวัสดี และ 谢谢 แปลว่า ขอบคุณ") != "zh"


def test_cjk_mark_rate_is_capped_so_one_list_of_titles_cannot_cancel_a_flag() -> None:
    rate = vec.ZH_NAMES.index("cjk_mark_rate")
    assert _features(["主要作品有《家》、《春》、《秋》。", "《》《》《》"])[:, rate].tolist() == [vec.ZH_MARK_CAP] * 2
    mt = ["黄蜂出现在永恒动漫画中,由凯莉谢里丹配音.", "他说\"好\"然后走了.", "蛾类包括异形蛾扫帚蛾等."]
    alone = score_garble("\n".join(mt), "zh").score
    with_titles = score_garble("\n".join([*mt, "主要作品有《家》、《春》、《秋》。", "《家》、《春》。"]), "zh").score
    # 0.99 -> 0.88 with the cap; 0.64 without it
    assert alone is not None and with_titles is not None and with_titles > alone - 0.15


def test_a_chinese_model_built_for_other_inputs_is_refused_at_load(monkeypatch, tmp_path) -> None:
    import json

    import pytest

    from cleaner.garble import model as gm

    with np.load(gm._data_path(gm.MODEL_FILE).open("rb")) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    meta["zh_features"] = meta["zh_features"][:3]
    arrays["meta"] = np.array(json.dumps(meta))
    arrays["zh_w"] = arrays["zh_w"][:3]
    np.savez(tmp_path / gm.MODEL_FILE, **arrays)
    real = gm._data_path
    monkeypatch.setattr(gm, "_data_path", lambda name: tmp_path / name if name == gm.MODEL_FILE else real(name))
    with pytest.raises(ValueError, match="rebuild it"):
        gm.load_model.__wrapped__()  # (the cached load_model, uncached)
