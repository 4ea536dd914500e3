"""Line features: shapes, CJK-aware lengths, cues and neighbour columns on small texts we wrote."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.boilerplate import features as F

PAGE = [
    "Home | News | Sport | Contact",
    "Share this",
    "",
    "The council approved the new budget on Tuesday, after a debate that lasted most of the night.",
    "It will fund two schools and a bridge over the river, the mayor said in a statement.",
    "Contact us at press@example.com or visit www.example.com",
    "© 2024 Example Media. All rights reserved.",
]


def col(X: np.ndarray, name: str) -> np.ndarray:
    return X[:, F.FEATURE_NAMES.index(name)]


def test_shapes_and_names() -> None:
    X, n_tok = F.line_features(PAGE, "en")
    assert X.shape == (len(PAGE), len(F.FEATURE_NAMES))
    assert n_tok.shape == (len(PAGE),)
    assert len(set(F.FEATURE_NAMES)) == len(F.FEATURE_NAMES)
    assert np.isfinite(X).all()


def test_token_counts_match_the_metric_tokenizer() -> None:
    lines = ["Hello, world!", "日本語のテキスト", "mixed 中文 text", "", "don't stop-words"]
    _, n_tok = F.line_features(lines, None)
    assert n_tok.tolist() == [len(F.TOKEN.findall(ln.lower())) for ln in lines]


def test_values_on_a_small_page() -> None:
    X, n_tok = F.line_features(PAGE, "en")
    assert n_tok[2] == 0
    # navigation: separators, no stopwords, no terminal punctuation
    assert col(X, "sep_density")[0] > 0.5
    assert col(X, "ends_term")[0] == 0.0
    # prose: stopwords, terminal punctuation, longest lines
    assert col(X, "stop_density")[3] > col(X, "stop_density")[0] + 0.25
    assert col(X, "ends_term")[3] == 1.0
    assert col(X, "rel_len_max")[3] == pytest.approx(1.0)
    # cues
    assert col(X, "chrome_line")[1] == 1.0
    assert col(X, "cue_email")[5] == 1.0 and col(X, "cue_url")[5] >= 1.0
    assert col(X, "cue_copyright")[6] == 1.0
    # position runs 0 -> 1
    assert col(X, "pos_line")[0] == 0.0 and col(X, "pos_line")[-1] == 1.0
    # neighbours skip the empty line: line 3's previous line is line 1
    assert col(X, "ends_term_prev")[3] == col(X, "ends_term")[1]
    assert col(X, "ends_term_next")[3] == 1.0


def test_cjk_length_and_stop_characters() -> None:
    lines = ["首页 新闻 体育", "这是一个关于城市发展的报道，记者在现场采访了很多居民和专家。"]
    X, n_tok = F.line_features(lines, "zh-cn")
    assert n_tok[1] == len(F.TOKEN.findall(lines[1]))
    assert col(X, "cjk_share")[1] == 1.0
    assert col(X, "stop_density")[1] > 0.05
    assert col(X, "stop_density")[0] == 0.0
    assert col(X, "ends_term")[1] == 1.0
    assert col(X, "chrome_line")[0] == 0.0  # three labels on one line are not one label
    X2, _ = F.line_features(["首页"], "zh")
    assert col(X2, "chrome_line")[0] == 1.0


def test_repetition_and_stoplists() -> None:
    lines = ["Read more", "A sentence of the article.", "Read more", "read more"]
    X, _ = F.line_features(lines, "en")
    assert col(X, "dup").tolist() == [1.0, 0.0, 1.0, 1.0]
    assert "the" in F.stopwords("en") and "der" in F.stopwords("de")
    assert F.stopwords("xx") >= F.stopwords("en")  # unknown language: union of the lists


def test_lines_with_newlines_and_odd_characters() -> None:
    lines = ["a\nb", "emoji 😀 and 𠀀 text", "İstanbul İzmir"]  # non-BMP, case folding that grows
    X, n_tok = F.line_features(lines, "tr")
    assert X.shape[0] == 3 and np.isfinite(X).all()
    assert n_tok[0] == 2


def test_empty_page() -> None:
    X, n_tok = F.line_features([], "en")
    assert X.shape == (0, len(F.FEATURE_NAMES)) and n_tok.shape == (0,)


def test_score_context_features() -> None:
    p1 = np.array([0.1, 0.9, 0.8, 0.0, 0.9, 0.1])
    words = np.array([2.0, 30.0, 25.0, 0.0, 20.0, 3.0])
    n_tok = np.array([2, 30, 25, 0, 20, 3])
    S = F.score_context_features(p1, words, n_tok)
    assert S.shape == (6, len(F.SCORE_CONTEXT_NAMES))
    names = F.SCORE_CONTEXT_NAMES
    assert (S[3] == 0).all()  # empty line
    assert S[1, names.index("mass_before")] < S[4, names.index("mass_before")]
    assert S[2, names.index("p1_next")] == pytest.approx(0.9)  # skips the empty line


def test_similarity_and_main_span() -> None:
    lines = [
        "Menu",
        "The river bridge reopened after repairs to its steel cables and deck.",
        "Engineers said the steel cables of the bridge were replaced in March.",
        "Drivers crossing the river bridge should expect short delays this week.",
        "Win a holiday in Spain with our partner airline today",
    ]
    X, n_tok, toks = F.page_features(lines, "en")
    p1 = np.array([0.1, 0.9, 0.9, 0.9, 0.4])
    S = F.score_context_features(p1, np.expm1(X[:, F.FEATURE_NAMES.index("log_words")]), n_tok, toks)
    names = F.SCORE_CONTEXT_NAMES
    sim = S[:, names.index("sim_share")]
    assert sim[1] > 0.3 and sim[2] > 0.3
    assert sim[4] == 0.0  # the advert shares no content word with the article
    assert S[:, names.index("in_span")].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert S[4, names.index("span_dist")] > 0


def test_rule_columns_and_related_context() -> None:
    page = [
        "Share this",
        "The council approved the new budget on Tuesday, after a long debate.",
        "Related articles",
        "Storm closes the coastal road",
        "",
        "Local team wins the cup final",
    ]
    X, _ = F.line_features(page, "en")
    assert col(X, "rule_ui").tolist() == [1, 0, 0, 0, 0, 0]
    assert col(X, "rule_related").tolist() == [0, 0, 1, 0, 0, 0]
    assert col(X, "rule_any").tolist() == [1, 0, 1, 0, 0, 0]
    # lines after the header know it is above them, and how far
    assert col(X, "after_related").tolist() == [0, 0, 0, 1, 1, 1]
    dist = col(X, "related_dist")
    assert dist[3] < dist[5] and dist[0] == dist[1] == np.log1p(len(page))
    # the stage passes the hits it found: same columns
    hits = F.R.scan("\n".join(page))
    starts = np.cumsum([0] + [len(x) + 1 for x in page[:-1]])
    rows = (np.searchsorted(starts, [h.start for h in hits], side="right") - 1).tolist()
    X2, _, _ = F.page_features(page, "en", (rows, [h.reason for h in hits]))
    assert np.array_equal(X, X2)


def test_comment_cue() -> None:
    page = ["John says:", "Great article, thanks!", "Reply", "Posted 3 hours ago", "The bridge opened in May."]
    X, _ = F.line_features(page, "en")
    assert col(X, "cue_comment").tolist() == [1, 0, 1, 1, 0]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 57, 213])
def test_p90_is_numpy_percentile_to_the_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    for k in range(30):
        x = rng.integers(0, 40, n).astype(np.float64) / (2.0 if k % 2 else 1.0) + (rng.random(n) if k % 3 else 0.0)
        assert F._p90(x) == float(np.percentile(x, 90))


def test_comment_page_columns_tell_a_thread_from_an_article_tail() -> None:
    article = [
        "The council approved the new budget on Tuesday, after a debate that lasted most of the night.",
        "It will fund two schools and a bridge over the river, the mayor said in a statement.",
        "Work on the bridge starts in the spring and should take two years to finish.",
        "Residents welcomed the decision, though some worried about traffic during the works.",
        "Anna says: about time too",
        "Reply",
    ]
    thread = [
        "Markus wrote: has anyone tried the new firmware on the old router?",
        "Reply",
        "Jana wrote: yes, it fixed the dropouts for me after a reset.",
        "Reply",
        "Markus wrote: thanks, I will try it tonight.",
        "Reply",
    ]
    Xa, _ = F.line_features(article, "en")
    Xt, _ = F.line_features(thread, "en")
    assert col(Xt, "page_comment_share")[0] > col(Xa, "page_comment_share")[0] > 0
    assert col(Xt, "comment_first_pos")[0] == 0.0
    assert col(Xa, "comment_first_pos")[0] > 0.5
    Xn, _ = F.line_features(article[:4], "en")
    assert col(Xn, "page_comment_share")[0] == 0.0 and col(Xn, "comment_first_pos")[0] == 1.0


_CUE_PIECES = ["www.", ".com", ".html", ".htm", ".asp", ".aspx", ".org", "://", "reply", "replies", " ago",
               "says:", "said:", "commented", "相关", "相關", "上一篇", "回复", "评论",
               "a", "x", "_", "1", "é", " ", ".", ":", "\n", "com", "html", "w"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_CUE_PIECES), max_size=14))
def test_literal_cue_scans_find_what_the_regexes_find(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert F._literal_starts(text, F._COMMENT_CJK_LITERALS) == [m.start() for m in F._COMMENT.finditer(text)]
    if not re.search("[\u4e00-\u9fff]", text):
        assert F._literal_starts(text, F._COMMENT_LITERALS) == [m.start() for m in F._COMMENT.finditer(text)]
    url = re.compile("|".join(["://", "www\\.", *(f"\\.{w}\\b" for w in ("com", "html", "htm", "aspx", "asp"))]))
    url_alts = (("://", False), ("www.", False), *((f".{w}", True) for w in ("com", "html", "htm", "aspx", "asp")))
    assert F._literal_starts(text, url_alts) == [m.start() for m in url.finditer(text)]
    assert F._url_starts(text) == [m.start() for m in F._URL.finditer(text)]
    for alts in (F._COMMENT_CJK_LITERALS, F._COMMENT_LITERALS):
        assert F._cue_starts(text, alts) == (F._url_starts(text), F._literal_starts(text, alts))


def test_literal_cue_scan_takes_the_regex_choice_among_overlaps() -> None:
    # "www." wins at 0 and hides the ".com" that overlaps it; ".html" needs a boundary
    alts = (("www.", False), (".com", True), (".html", True))
    assert F._literal_starts("www.com x.htmlz a.html", alts) == [0, 17]
    assert [m.start() for m in re.finditer(r"www\.|\.com\b|\.html\b", "www.com x.htmlz a.html")] == [0, 17]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"aZ9 .,;:!?…»|/@©年中の\n\t-", "\U0001f600", "\u3000"]), max_size=300))
def test_packed_class_sums_equal_one_row_per_class(page: str) -> None:
    cp = np.frombuffer(page.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cpi = np.minimum(cp, 0x10000)
    bits = F._class_table()[cpi]
    nl = np.flatnonzero(cp == 10)
    starts, ends = np.concatenate(([0], nl + 1)), np.concatenate((nl, [cp.shape[0]]))
    rng = np.random.default_rng(len(page))
    extra = tuple(rng.random(cp.shape[0]) < 0.3 for _ in range(3))
    packed = F._class_sums(cpi, bits, extra, starts, ends, packed=True)
    plain = F._class_sums(cpi, bits, extra, starts, ends, packed=False)
    assert packed.shape == (starts.shape[0], F._SUM_BITS.shape[0] + 3)
    assert np.array_equal(packed, plain)


def test_a_line_too_long_for_packed_counts_is_counted_exactly() -> None:
    long_line = "Ab. " * 20_000  # 80,000 characters: over the 16-bit fields, the one-row-per-class path
    X, n_tok = F.line_features(["Short line here.", long_line], "en")
    assert n_tok[1] == 20_000
    assert col(X, "upper_frac")[1] == 0.5


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_window_means_equal_one_window_mean_per_radius(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.random((n, 4))
    for w in (1, 3, 8, 20):
        (rows,) = F._window_means(x, (w,))
        (cols,) = F._window_means(np.ascontiguousarray(x.T), (w,), axis=1)
        assert np.array_equal(rows, F._window_mean(x, w))
        assert np.array_equal(cols, F._window_mean(x, w).T)
        assert np.array_equal(F._window_means(x[:, 0], (w, 2))[0], F._window_mean(x[:, 0], w))
