"""Tests for cleaner.garble.vec (vectorised featurisation) and the bounded document sampling."""

from __future__ import annotations

import numpy as np

from cleaner.garble import score_garble, vec
from cleaner.garble.model import load_model
from cleaner.garble.score import ANALYSE_SENTENCES, FULL_SPLIT_CHARS, SAMPLE_SENTENCES, sample_spans


def _tokens(sentences: list[str]) -> tuple[vec.Tokens, str]:
    codes, low, seg, _ = vec.encode(sentences)
    return vec.tokenize(codes, low, seg), vec._joined(sentences)


def test_tokenizer_words_numbers_marks_and_han() -> None:
    tok, joined = _tokens(["Don't panic, it's 42!", "他在74码"])
    got = [joined[a:b] for a, b in zip(tok.start, tok.end, strict=True)]
    assert got == ["Don't", "panic", ",", "it's", "42", "!", "他", "在", "74", "码"]
    assert tok.seg.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert tok.upper.tolist()[:2] == [True, False]


def test_token_hash_is_case_insensitive_and_matches_hash_strings() -> None:
    tok, _ = _tokens(["The THE the cat"])
    assert tok.h[0] == tok.h[1] == tok.h[2] != tok.h[3]
    assert vec.hash_strings(["the", "cat"]).tolist() == [int(tok.h[0]), int(tok.h[3])]


def test_word_bigram_buckets_are_the_featurised_bigram_ids() -> None:
    """The evidence reads the model's weights through these buckets: they must be the ids that
    featurise gave the model for the same bigrams (a different salt read unrelated weights)."""
    sentences = ["the cat sat on the mat", "companies that buy lumpy chips"]
    tok, _ = _tokens(sentences)
    batch = vec.featurise(sentences, "en", load_model().tables)
    same = tok.seg[:-1] == tok.seg[1:]
    buckets = vec.word_bigram_buckets(tok)[same]
    assert len(buckets) == 9
    assert set(buckets.tolist()) <= set(batch.ids.tolist())


def test_ngrams_never_cross_sentences() -> None:
    _codes, low, seg, _ = vec.encode(["aaa", "bbb"])
    for h, o in vec.ngram_hashes_multi(low.astype(np.uint64), seg, (3, 4, 5), (vec._SALT["c3"],) * 3):
        assert len(h) == len(o)
    # the joined text is " aaa  bbb ": 5-grams must stay inside " aaa " / " bbb "
    _h5, o5 = vec.ngram_hashes(low.astype(np.uint64), seg, 5, vec._SALT["c5"])
    assert o5.tolist() == [0, 1]


def test_featurise_batch_equals_one_by_one() -> None:
    tab = load_model().tables
    sents = ["The council met on Monday.", "Smred in the banning of abdominal export.", "A year tense in geosus."]
    whole = vec.featurise(sents, "en", tab)
    for k, s in enumerate(sents):
        one = vec.featurise([s], "en", tab)
        assert whole.ids[whole.owner == k].tolist() == one.ids.tolist()
        np.testing.assert_allclose(whole.dense[k], one.dense[0], rtol=1e-6)


def test_clean_text_statistics_see_the_difference() -> None:
    tab = load_model().tables
    b = vec.featurise(["the government said on monday that it would", "geosus frumblated zorquent the of"], "en", tab)
    i_oov, i_unseen = vec.DENSE_NAMES.index("oov_rate"), vec.DENSE_NAMES.index("bigram_unseen")
    assert b.dense[0, i_oov] == 0.0 and b.dense[1, i_oov] > 0.5
    assert b.dense[0, i_unseen] < b.dense[1, i_unseen]


def _long_text(sentence: str, n: int) -> str:
    return "\n".join(f"{sentence} Paragraph {i} of the report adds one more sentence here." for i in range(n))


def test_long_documents_are_sampled_with_a_bounded_number_of_sentences() -> None:
    text = _long_text("The city council approved the budget for the new school year on Monday.", 200)
    assert len(text) > FULL_SPLIT_CHARS
    spans = sample_spans(text, "en")
    assert 1 <= len(spans) <= SAMPLE_SENTENCES
    assert spans == sample_spans(text, "en")  # deterministic
    starts = [a for a, _ in spans]
    assert starts == sorted(starts) and starts[-1] > len(text) // 2  # spread over the document
    for a, b in spans:
        piece = text[a:b]
        assert piece == piece.strip() and piece[-1] in ".!?"  # complete sentences
    g = score_garble(text, "en")
    assert len(g.sentences) <= max(SAMPLE_SENTENCES, ANALYSE_SENTENCES)
    for s in g.sentences:
        assert text[s["start"] : s["end"]] == s["text"]


def test_short_text_is_analysed_in_full() -> None:
    text = "The council met on Monday. It approved the budget. The mayor thanked the staff."
    assert len(sample_spans(text, "en")) == 3


def test_zh_features_mark_ascii_full_stop_and_quote_only() -> None:
    tab = load_model().tables
    sents = ["伊菲格尼亚跳了起来.", "价格为1.5元。", "详情见官网..", '他说"好"。', "他说“好”。"]
    f = vec.zh_features(sents, vec.featurise(sents, "zh", tab))
    dot, quote = vec.ZH_NAMES.index("ascii_full_stop"), vec.ZH_NAMES.index("ascii_quote")
    assert f[:, dot].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert f[:, quote].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
