"""DOM blocks, their features and the block model (cleaner/htmlblocks.py), on pages we wrote."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from cleaner import htmlblocks as HB
from cleaner.config import MODES, Config
from cleaner.html import extract, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

PAGE = """<html><head><title>T</title><script>var x = "<p>not text</p>";</script></head><body>
<nav class="top-menu"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<div id="main-content"><h1>A <b>bold</b> headline</h1>
<p>First paragraph of the article, with a <a href="/x">link</a> inside.</p>
<p>Second paragraph.<br>After a break.</p></div>
<div class="comments"><p>A reader's comment.</p></div>
<footer><p>Copyright 2024</p></footer></body></html>"""


def _flag(name: str) -> int:
    return 1 << int(HB.FEATURE_NAMES.index(name)[4:]) if name.startswith("flag") else 0


def test_blocks_follow_block_elements_and_skip_scripts() -> None:
    b = HB.page_blocks(parse(PAGE))
    assert b.lines == [
        "Home", "World", "A bold headline",
        "First paragraph of the article, with a link inside.",
        "Second paragraph.", "After a break.", "A reader's comment.", "Copyright 2024",
    ]
    assert len(b.flags) == len(b.link_chars) == len(b.tags) == len(b.box) == len(b.outer) == len(b)


def test_flags_tags_and_link_chars() -> None:
    b = HB.page_blocks(parse(PAGE))
    nav, a_bit, li, h, p, foot = 1 << 1, 1 << 0, 1 << 6, 1 << 7, 1 << 9, 1 << 3
    assert b.flags[0] & nav and b.flags[0] & a_bit and b.flags[0] & li
    assert b.flags[0] & (1 << 17)  # class "top-menu": navigation keyword
    assert b.link_chars[0] == len("Home")
    assert b.flags[2] & h and b.tags[2] == "h1" and b.flags[2] & (1 << 21)  # id "main-content"
    assert b.link_chars[3] == len("link") and b.flags[3] & p
    assert b.flags[6] & HB.COMMENT_FLAG and not b.flags[3] & HB.COMMENT_FLAG
    assert b.flags[7] & foot
    # the two nav items share their list, the two paragraphs their div
    assert b.box[0] == b.box[1] and b.box[3] == b.box[4] != b.box[0]


def test_without_flag_drops_comment_blocks() -> None:
    b = HB.without_flag(HB.page_blocks(parse(PAGE)), HB.COMMENT_FLAG)
    assert "A reader's comment." not in b.lines and "Second paragraph." in b.lines
    assert len(b.box) == len(b.lines)


def test_features_mark_what_the_extractor_kept() -> None:
    b = HB.page_blocks(parse(PAGE))
    X = HB.block_features(b, "A bold headline\nFirst paragraph of the article, with a link inside.")
    assert X.shape == (len(b), len(HB.FEATURE_NAMES))
    col = HB.FEATURE_NAMES.index("in_extract")
    assert X[:, col].tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    assert np.all(np.isfinite(X))
    ld = X[:, HB.FEATURE_NAMES.index("link_density")]
    assert ld[0] == 1.0 and 0 < ld[3] < 0.2 and ld[4] == 0
    assert HB.block_features(HB.Blocks(), "x").shape == (0, len(HB.FEATURE_NAMES))


def test_deep_and_odd_trees() -> None:
    deep = "<html><body>" + "<div>" * 200 + "deep text" + "</div>" * 200 + "</body></html>"
    assert "deep text" in HB.page_blocks(parse(deep)).lines
    deeper = "<html><body><p>Top.</p>" + "<div>" * 5000 + "x" + "</div>" * 5000 + "</body></html>"
    assert HB.page_blocks(parse(deeper)).lines[0] == "Top."  # libxml2 stops at depth 255
    assert parse("") is None and parse("   ") is None
    # a bare fragment (trafilatura's loader rejects it) is parsed as a document
    frag = "<div class='x'>\n<div><p>" + "Words of a fragment page. " * 20 + "</p></div></div>"
    tree = parse(frag)
    assert tree is not None and HB.page_blocks(tree).lines[0].startswith("Words of a fragment page.")


def test_skipped_subtrees_keep_their_tails_and_comments_their_tails() -> None:
    page = ("<html><body><p>Before <script>var a = '<b>x</b>';</script>after the script."
            "<svg><text>no</text><style>p {}</style></svg> and the svg.</p>"
            "<div><noscript><p>hidden</p></noscript>Tail of noscript.<!-- a comment -->Tail of comment.</div>"
            "<ul><li><a href='/a'>One</a><!-- c --> two</li></ul></body></html>")
    b = HB.page_blocks(parse(page))
    assert b.lines == ["Before after the script. and the svg.", "Tail of noscript.Tail of comment.", "One two"]
    # a comment's tail is text of the element around it: "two" is not link text, "One" is
    assert b.link_chars[2] == 3 and b.tags == ["p", "div", "li"]
    # a block's container is its innermost div/ul/...; the <ul>'s outer container is <body>, the <p>'s own
    assert b.box[1] != b.box[2] and b.outer[2] == b.box[0]


def test_in_extract_is_a_substring_search() -> None:
    extracted = "Home page of the World,\nThe council met on Monday. It voted.\nA B C D"
    joined = " ".join(extracted.split())
    lines = ["Home", "World", "orld,", "The council met on Monday. It voted.", "council met on", "met on Monday.",
             "It voted. A B", "Monday. It", "C D", "D E", "voted", "council Monday met", "page"]
    got = HB._in_extract(lines, extracted, joined).tolist()
    assert got == [float(s in joined) for s in lines]
    # a text that recurs on the page is answered once, the same way every time
    twice = lines + lines[::-1]
    assert HB._in_extract(twice, extracted, joined).tolist() == [float(s in joined) for s in twice]
    assert HB._in_extract(lines, "", "").tolist() == [0.0] * len(lines)


def _model(bias: float, thresholds: dict[str, float]) -> HB.BlockModel:
    nf = len(HB.FEATURE_NAMES)
    col = HB.FEATURE_NAMES.index("in_extract")
    # one tree of depth 1 on "in_extract": +4 log-odds when kept by the extractor, -4 otherwise
    return HB.BlockModel(np.array([[col]]), np.array([[0.5]]), np.array([[-4.0, 4.0]]), bias, thresholds,
                         {"n_features": nf})


def test_model_select_modes_and_empty_fallback() -> None:
    b = HB.page_blocks(parse(PAGE))
    m = _model(0.0, {"precision": 0.6, "balanced": 0.5, "recall": 0.3})
    assert HB.select(b, "Second paragraph.\nAfter a break.", m) == "Second paragraph.\nAfter a break."
    # nothing reaches the threshold: the blocks scoring at least half the best are kept
    m2 = _model(0.0, {"precision": 0.999, "balanced": 0.999, "recall": 0.999})
    assert HB.select(b, "Copyright 2024", m2) == "Copyright 2024"
    assert HB.select(HB.Blocks(), "as is", m) == "as is"


def test_model_round_trip_and_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = _model(0.25, {"precision": 0.6, "balanced": 0.5, "recall": 0.3})
    path = tmp_path / "m.npz"
    m.save(path)
    m2 = HB.BlockModel.load(path)
    X = HB.block_features(HB.page_blocks(parse(PAGE)), "Second paragraph.")
    assert np.allclose(m.score(X), m2.score(X)) and m2.thresholds == m.thresholds
    monkeypatch.setattr(HB, "FEATURE_NAMES", (*HB.FEATURE_NAMES, "new"))
    with pytest.raises(ValueError):
        HB.BlockModel.load(path)
    monkeypatch.setattr(HB, "MODEL_FILE", path)
    HB.default_model.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert HB.default_model() is None
        assert any("block model" in str(x.message) for x in w)
    finally:
        HB.default_model.cache_clear()


@pytest.mark.skipif(not HB.MODEL_FILE.exists(), reason="no packaged block model")
def test_packaged_model_on_fixture_article() -> None:
    html = (FIXTURES / "en_article.html").read_text(encoding="utf-8")
    text, meta = extract(html, Config())
    assert meta["extractor"] == "html-blocks"
    assert "Marine biologists say the giant kelp" in text and "the loss of the southern forests." in text
    for chrome in ("Stock markets close higher", "FOLLOW US", "All rights reserved"):
        assert chrome not in text
    model = HB.default_model()
    assert model is not None and set(model.thresholds) == set(MODES)
    assert model.meta.get("built_by") == "scripts/train_html_blocks.py"


def test_metadata_lines_near_the_kept_span_are_handed_on() -> None:
    lines = ["Home", "By Jane Doe | March 3, 2021", "Headline here", "A paragraph of prose.", "More prose.",
             "Updated: 2023-03-14 09:30", "The river rose fast."]
    keep = np.array([False, False, True, True, True, False, False])
    assert HB.metadata_lines(lines, keep).tolist() == [False, True, False, False, False, True, False]
    assert not HB.metadata_lines(lines, np.zeros(len(lines), dtype=bool)).any()
    far = ["By Jane Doe | March 3, 2021"] + ["x"] * (HB.META_REACH + 1) + ["Kept."]
    keep_far = np.array([False] * (len(far) - 1) + [True])
    assert not HB.metadata_lines(far, keep_far)[0]


_ZH_P1 = "清晨的河边，渔民们已经开始一天的工作，他们把船推进水里，准备出发捕鱼。" * 3
_ZH_P2 = "河水很清，孩子们在岸边看着船慢慢离开，直到它们变成远处的小点。" * 3
ZH_PAGE = (
    '<html><head><meta name="author" content="Li Hua"><title>河边的早晨</title></head><body>'
    '<div class="nav"><a href="/">首页</a></div><div class="article"><h1>河边的早晨</h1>'
    '<div class="info">作者：王明　2023-05-06 10:00</div>'
    f"<p>{_ZH_P1}</p>" + f"<p>{_ZH_P2}</p>" * 4 + '</div><div class="footer">版权所有</div></body></html>'
)


@pytest.mark.skipif(not HB.MODEL_FILE.exists(), reason="no packaged block model")
def test_byline_in_the_text_beats_trafilaturas_meta_tag() -> None:
    import cleaner

    _, meta = extract(ZH_PAGE, Config())
    assert meta.get("author") == "Li Hua"  # trafilatura reads the <meta> tag
    rec = cleaner.clean(ZH_PAGE, html=True).to_record()
    assert rec["metadata"]["author"] == "王明" and rec["metadata"]["date"].startswith("2023-05-06")
    assert "作者" not in rec["text"] and rec["text"].startswith("河边的早晨")
    assert any(r["kind"] == "metadata" for r in rec["removed"])


def test_unclosed_title_does_not_swallow_the_page() -> None:
    """A page truncated or written without ``</title>``: libxml2 would read the rest of the page
    as the title's text (empty body); parse closes the title at the first markup."""
    body = "<p>" + "The article's first paragraph has enough words to be a paragraph. " * 3 + "</p>"
    page = f"<html><head><title>Broken title\n<script>var a = 1;</script></head><body>{body}</body></html>"
    tree = parse(page)
    assert tree.findtext(".//title").strip() == "Broken title"
    assert HB.page_blocks(tree).lines[-1].startswith("The article's first paragraph")
    # a closed title, also after other markup, is left as it is
    closed = "<html><head><title>A <b>bold</b> title</title></head><body><p>Text.</p></body></html>"
    assert "bold" in parse(closed).findtext(".//title")
    # a custom element whose name starts with "title" is not a title
    from cleaner.html import _TITLE_OPEN

    assert _TITLE_OPEN.search("<title-bar>Menu</title-bar>") is None
    assert _TITLE_OPEN.search("<TITLE lang=en>T").group() == "<TITLE lang=en>"


def test_rule_columns_mark_related_headers_and_chrome_lines() -> None:
    lines = ["A paragraph of the article that ends here.", "Share on Facebook", "Related posts:",
             "Another story", "Yet another story"]
    X = HB.block_features(HB.Blocks(lines, [0] * 5, [0] * 5, ["p"] * 5, [1] * 5, [0] * 5), lines[0])
    col = {name: X[:, HB.FEATURE_NAMES.index(name)] for name in ("rule_related", "rule_chrome",
                                                                 "blocks_since_related", "rule_chrome_w3")}
    assert col["rule_related"].tolist() == [0, 0, 1, 0, 0]
    assert col["rule_chrome"].tolist() == [0, 1, 0, 0, 0]
    assert col["blocks_since_related"].tolist() == [HB.RULE_REACH, HB.RULE_REACH, 0, 1, 2]
    assert col["rule_chrome_w3"].min() > 0  # one chrome line within 3 blocks of every block


def test_object_fallback_text_is_a_block_but_params_and_scripts_are_not() -> None:
    """An ``<object>``'s fallback content is what a browser without the plugin shows (a video's
    caption); it was skipped with the scripts before."""
    page = ('<html><body><p>Before the video.</p><object data="v.swf"><param name="movie" value="v.swf">'
            '<div class="caption"><p>The senator spoke for an hour about the budget.</p></div>'
            '<script>var x = 1;</script></object><p>After the video.</p></body></html>')
    assert HB.page_blocks(parse(page)).lines == [
        "Before the video.", "The senator spoke for an hour about the budget.", "After the video."]


def test_extra_copies_keep_as_many_as_trafilatura_and_at_least_one() -> None:
    para = "The full post starts here and goes on for a while."
    lines = ["Teaser", para, "Short line", para, "Short line", "Another paragraph of the post, long enough.", para]
    keep = np.ones(len(lines), dtype=bool)
    # trafilatura kept the paragraph once (wrapped over two lines): the later copies go
    once = "Teaser\nThe full post starts here\nand goes on for a while.\nAnother paragraph"
    assert HB.extra_copies(lines, keep, once).tolist() == [False, False, False, True, False, False, True]
    # kept twice by trafilatura: two copies stay; not kept at all: one stays
    assert HB.extra_copies(lines, keep, f"{para}\n{para}").tolist() == [False] * 6 + [True]
    assert HB.extra_copies(lines, keep, "").tolist() == [False, False, False, True, False, False, True]
    # short blocks ("Short line") may repeat; dropped copies are not counted
    keep[1] = False
    assert HB.extra_copies(lines, keep, once).tolist() == [False] * 6 + [True]


def test_select_drops_a_second_copy_of_the_article() -> None:
    para = "A paragraph of the article, long enough to count as one."
    page = f"<html><body><div><p>{para}</p></div><div><p>{para}</p></div><p>Other text here.</p></body></html>"
    b = HB.page_blocks(parse(page))
    m = _model(0.0, {"precision": 0.6, "balanced": 0.5, "recall": 0.3})
    assert HB.select(b, para, m) == para
    assert HB.select(b, f"{para}\n\n{para}", m) == f"{para}\n{para}"


def test_training_averages_bagged_forests() -> None:
    """scripts/train_html_blocks.fit with ``bags`` forests scores as the mean of the forests'
    log-odds (one forest of all their trees, leaves divided by their number)."""
    import dataclasses
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "scripts"))
    try:
        import train_html_blocks as T
    finally:
        sys.path.remove(str(root / "scripts"))
    from cleaner.boilerplate.model import Labels, fit_forest

    rng = np.random.default_rng(1)
    pages = []
    for k in range(4):
        n = 40
        X = rng.random((n, len(HB.FEATURE_NAMES)))
        content = X[:, 5] + 0.3 * rng.random(n) > 0.6
        n_tok = rng.integers(1, 20, n)
        labels = Labels(n_tok, np.where(content, n_tok, 0), int(n_tok[content].sum()))
        blocks = HB.Blocks([f"b{i}" for i in range(n)], [0] * n, [0] * n, ["p"] * n, [0] * n, [0] * n)
        pages.append(T.Page(f"p{k}", "d", "en", "", blocks, "", {}, X, labels))
    params = dataclasses.replace(T.PARAMS, trees=6, depth=3)
    model = T.fit(pages, params, bags=3)
    assert model.feat.shape == (18, 3) and set(model.thresholds) == set(MODES)
    X = np.concatenate([p.X for p in pages])
    y = np.concatenate([p.labels.content() for p in pages])
    w = np.concatenate([T._weights(p.labels) for p in pages])
    raws = [fit_forest(X, y, w, dataclasses.replace(params, seed=s)).prepare().raw(X) for s in range(3)]
    assert not np.allclose(raws[0], raws[1])  # the seeds give different forests
    assert np.allclose(model.score(X), 1 / (1 + np.exp(-np.mean(raws, axis=0))))


def test_quoted_posts_and_signatures_are_not_copies() -> None:
    """A forum thread quotes earlier posts and repeats each member's signature: the page (and a
    gold text) shows them every time, so the copies rule leaves text under quote/signature
    containers alone."""
    post = "The probe launched on time and should land in October this year."
    sig = "Bears eat crabs and never let the crabs eat them back."
    page = (f'<html><body><div class="post"><p>{post}</p><div class="signature">{sig}</div></div>'
            f'<div class="post"><div class="bbcode_quote"><p>{post}</p></div><p>Let us hope the landing works out.</p>'
            f'<div class="signature">{sig}</div></div></body></html>')
    b = HB.page_blocks(parse(page))
    assert b.lines == [post, sig, post, "Let us hope the landing works out.", sig]
    quoted = [bool(f & HB.QUOTE_FLAG) for f in b.flags]
    assert quoted == [False, True, True, False, True]
    keep = np.ones(len(b), dtype=bool)
    assert not HB.extra_copies(b.lines, keep, post, b.flags).any()
    assert HB.extra_copies(b.lines, keep, post).tolist() == [False, False, True, False, True]
    # the quote bit is not a model feature: the feature rows are the same without it
    no_quote = HB.Blocks(b.lines, [f & ~HB.QUOTE_FLAG for f in b.flags], b.link_chars, b.tags, b.box, b.outer)
    assert np.array_equal(HB.block_features(b, post), HB.block_features(no_quote, post))


def test_keyword_flags_match_the_case_insensitive_regex() -> None:
    """The ASCII fast path (lower-cased, no ``re.I``) gives the bits of ``_KEYWORD_RE.finditer`` itself,
    overlapping and upper-case names included; non-ASCII names (KELVIN SIGN folds to ``k``) take the regex."""

    def slow(value: str) -> int:
        b = 0
        for name in value.split():
            for m in HB._KEYWORD_RE.finditer(name):
                b |= 1 << int((m.lastgroup or "k0")[1:])
        return b

    values = ["sharelated", "POSTED-Comments", "readnext read-next Read_Next", "ads ad adsx my-ads", "\u212aeyword",
              "bloc\u212a-related", "\u017fidebar", "menu-item-1234 menu-item", "", "   ", "x", "comment-reply-link",
              "Ñavigation nav", "TOPICS tagcloud", "photo_credit", "masthead-logo brand", "signaturecontainer"]
    HB._KW_CACHE.clear()
    for v in values + values:  # the second round from the cache
        assert HB._keyword_flags(v) == slow(v), v


def test_keyword_cache_stays_bounded() -> None:
    HB._KW_CACHE.clear()
    for i in range(HB.KW_CACHE_MAX * 2 + 5):
        assert HB._keyword_flags(f"post-{i}x widget") == (1 << 21) | (1 << 19)
        assert len(HB._KW_CACHE) <= HB.KW_CACHE_MAX


def test_digit_share_counts_each_blocks_digits() -> None:
    """The digit share column (digits summed per block over the joined blocks' code points) is each block's count
    of ASCII digits over its length, whatever the characters around it (astral, other scripts' digits)."""
    lines = ["2021", "a1b2", "no digits", "\U0001f600 9 \U0001f600", "٣ arabic-indic three is not counted", "x", "7"]
    blocks = HB.Blocks(lines, [0] * len(lines), [0] * len(lines), ["p"] * len(lines), [0] * len(lines),
                       [0] * len(lines))
    X = HB.block_features(blocks, "2021 a1b2")
    col = HB.FEATURE_NAMES.index("digit_share")
    want = [sum(c in "0123456789" for c in s) / len(s) for s in lines]
    assert X[:, col].tolist() == want
