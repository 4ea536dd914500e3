"""trafilatura's extraction cascade (``trafilatura_sequence``), with fewer copies of the page alive at once.

Why: a large page's peak memory is trafilatura's trees, not ours.  ``trafilatura_sequence`` keeps the page's tree,
its cleaned and converted copy, and a *backup* copy of the cleaned tree (made before the conversion) alive from
the start of the cascade to its end, and the converted copy after the main extractor is done with it, through
readability's own copy of the page.  The backup is read in two rare cases: jusText's rescue (an "unclean" or
short extraction: 17 of the 459 dev pages) and a thread-forum page.  Here it is built only then, from the page's
tree, which nothing changes between the two moments (every later step works on copies of it): the same
``tree_cleaning(copy(tree))``, so the same tree.  The converted copy is let go as soon as the main extractor
returns, and the deep copy ``extract_content`` makes of it is, on a large page (:data:`LAZY_ELEMENTS`), built
again from the page's tree only when its wild-text recovery reads it.  Over the 459 dev pages: the same result on
every page (tests/test_htmlsequence.py; the identity dumps of bench/results/html_mem_s8.md), one to two copies of
the page less at the peak (the page of 1,037,081 characters: +29.5 -> +21 MB over a worker's resident memory), and
one ``copy + tree_cleaning`` more on the 17 pages that need the backup.

Written from trafilatura 2.3.1 (``core.trafilatura_sequence``, ``_prepare_tree``, ``_extract_and_compare``,
``_recall_retry``, ``main_extractor.extract_content`` and ``external.compare_extraction``);
:func:`cleaner.html._extraction` calls it only for that release (``REPLICATED_TRAFILATURA``), any other gets
trafilatura's own function.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy, deepcopy
from typing import Any


def sequence(tree: Any, options: Any, url: str | None = None) -> tuple[Any, str, Any, str]:
    """``trafilatura.core.trafilatura_sequence(tree, options, url)``: (body, text, comments body, comments text)."""
    from trafilatura import core
    from trafilatura.core import _elem_text, baseline, html2txt, justext_rescue, prune_unwanted_nodes

    is_forum = core._forum_thread_page(tree)
    tree = prune_unwanted_nodes(tree, core.RAW_TREE_PRUNE_XPATH)
    if not options.comments and (options.focus == "precision" or not is_forum):
        tree = prune_unwanted_nodes(tree, core.REMOVE_COMMENTS_AND_LISTS_XPATH)
    backup = _backup(tree, options)  # trafilatura's copy of the cleaned tree before convert_tags, built when read
    cleaned_tree, commentsbody, temp_comments, forum_posts = _converted(tree, options, url, is_forum, backup)

    def rebuild() -> Any:  # cleaned_tree as extract_content receives it, built again from the page's tree
        return _converted(tree, options, url, is_forum, backup)[0]

    postbody, temp_text = _extract_and_compare([cleaned_tree], backup, tree, options, rebuild)
    del cleaned_tree  # handed over (and let go) above

    if len(temp_text) < options.min_extracted_size and options.focus != "precision":
        b_body, b_text, b_len = baseline(tree)
        core.LOGGER.debug("non-clean extracted length: %s (extraction)", b_len)
        if b_len > len(temp_text):
            postbody, temp_text = b_body, b_text
            forum_posts = None

    if (
        options.focus == "balanced"
        and 0 < len(temp_text) < core.ESCALATION_MAX_LENGTH
        and len(temp_text) < core.ESCALATION_PAGE_SHARE * len(html2txt(tree))
    ):
        r_options = copy(options)
        r_options.focus = "recall"
        esc_tree = (
            tree
            if is_forum or not options.comments
            else prune_unwanted_nodes(
                copy(tree), core.REMOVE_COMMENTS_AND_LISTS_XPATH if temp_comments else core.REMOVE_COMMENTS_XPATH)
        )
        r_text = ""

        def rebuild_retry() -> Any:
            return core.convert_tags(_cleaned(esc_tree, r_options), r_options, url)

        try:
            r_body, r_text = _extract_and_compare([rebuild_retry()], _backup(esc_tree, r_options), esc_tree, r_options,
                                                  rebuild_retry)
        except Exception as err:  # pragma: no cover - as trafilatura
            core.LOGGER.warning("recall retry failed: %s %s", err, url)
        j_text = ""
        if not options.fast:
            try:
                j_body, j_text = justext_rescue(copy(esc_tree), options)
            except Exception as err:  # pragma: no cover - as trafilatura
                core.LOGGER.warning("justext candidate failed: %s %s", err, url)
        len_text, r_len, j_len = len(temp_text), len(r_text), len(j_text)
        if j_len > r_len and j_len > core.ESCALATION_JUSTEXT_RATIO * len_text:
            postbody, temp_text, forum_posts = j_body, j_text, None
        elif r_len >= options.min_extracted_size and r_len > core.ESCALATION_ACCEPT_RATIO * len_text:
            postbody, temp_text, forum_posts = r_body, r_text, None

    if forum_posts is not None:
        existing = "\n".join(filter(None, (_elem_text(el) for el in postbody)))
        salvaged = [el for el in forum_posts if (t := _elem_text(el)) and t not in existing]
        if salvaged:
            core.LOGGER.debug("thread-forum salvage: %s captured posts appended to the body", len(salvaged))
            postbody.extend(salvaged)
            temp_text = " ".join(postbody.itertext()).strip()

    return postbody, temp_text, commentsbody, temp_comments


def _converted(tree: Any, options: Any, url: str | None, is_forum: bool,
               backup: Callable[[], Any]) -> tuple[Any, Any, str, Any]:
    """The page's cleaned and converted tree as trafilatura's cascade hands it to the extractors, with the comments
    taken out: (tree, comments body, comments text, forum posts or None).  Deterministic: :func:`sequence` builds it
    once, and again (only its tree) where a large page's backup is read."""
    from lxml.etree import Element
    from trafilatura import core
    from trafilatura.core import prune_unwanted_nodes

    cleaned_tree = core.convert_tags(_cleaned(tree, options), options, url)
    commentsbody, temp_comments = Element("body"), ""
    forum_posts = None
    if options.comments:
        commentsbody, temp_comments, cleaned_tree = core.extract_comments(cleaned_tree, options)
        if temp_comments and is_forum:
            forum_posts = commentsbody
            commentsbody, temp_comments = Element("body"), ""
            cleaned_tree = core.convert_tags(backup(), options, url)  # trafilatura: a copy of its backup
    if options.focus == "precision" and not is_forum:
        cleaned_tree = prune_unwanted_nodes(cleaned_tree, core.REMOVE_COMMENTS_XPATH)
    return cleaned_tree, commentsbody, temp_comments, forum_posts


def _cleaned(tree: Any, options: Any) -> Any:
    """``tree_cleaning(copy(tree), options)``: the first step of trafilatura's ``_prepare_tree``."""
    from trafilatura.core import tree_cleaning

    return tree_cleaning(copy(tree), options)


def _backup(tree: Any, options: Any) -> Callable[[], Any]:
    """A fresh ``tree_cleaning(copy(tree))`` each call: what ``_prepare_tree``'s backup copy was, as long as ``tree``
    has not changed since (the cascade changes only copies of it after the cleaning)."""
    return lambda: _cleaned(tree, options)


def _extract_and_compare(cleaned: list[Any], backup: Callable[[], Any], tree: Any, options: Any,
                         rebuild: Callable[[], Any]) -> tuple[Any, str]:
    """trafilatura's ``_extract_and_compare``; ``cleaned`` holds the only reference to the converted tree, which is
    let go once the main extractor has read it (before readability copies the page)."""
    postbody, temp_text = _extract_content(cleaned.pop(), options, rebuild)
    if not options.fast:
        postbody, temp_text = _compare_extraction(backup, copy(tree), postbody, temp_text, options)
    return postbody, temp_text


LAZY_ELEMENTS = 3_000
"""``extract_content`` deep-copies a converted tree of fewer elements than this, as trafilatura does, and rebuilds a
larger one only when the wild-text recovery reads it.  That recovery runs after 178 of the 505 main passes over the
dev pages (mostly short pages), where building the tree again (a copy of the page, trafilatura's cleaning and tag
conversion) costs several deep copies; none of the 19 pages over 300,000 characters reaches it, and it is on those
that the copy weighs (~6 MB on the page of 1,037,081 characters, ~9,900 elements).  A dev page has ~660 elements on
average."""


def _extract_content(cleaned_tree: Any, options: Any, rebuild: Callable[[], Any]) -> tuple[Any, str]:
    """``trafilatura.main_extractor.extract_content`` whose backup of a large ``cleaned_tree`` (read where the main
    pass finds too little, to recover wild text) is ``rebuild()``, built then, instead of a deep copy made every
    time (:data:`LAZY_ELEMENTS`)."""
    from lxml.etree import strip_elements, strip_tags
    from trafilatura import main_extractor as me

    order = list(cleaned_tree.iter())
    backup_tree = deepcopy(cleaned_tree) if len(order) < LAZY_ELEMENTS else None
    result_body, temp_text, potential_tags = me._extract(cleaned_tree, options)
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        if backup_tree is None:
            backup_tree = rebuild()
            twins = list(backup_tree.iter())
            if len(twins) != len(order):  # the rebuild is deterministic; if that ever broke, say so loudly
                raise RuntimeError(f"htmlsequence: the rebuilt tree has {len(twins)} elements, the page {len(order)}")
        else:
            twins = list(backup_tree.iter())
        consumed: set[Any] = {twin for elem, twin in zip(order, twins, strict=True) if elem.tag == "done"}
        result_body = me.recover_wild_text(backup_tree, result_body, options, potential_tags, consumed)
        temp_text = " ".join(result_body.itertext()).strip()
    del order
    previous = None
    for el in list(result_body):
        current = me._elem_text(el)
        if current and current == previous and len(current) > me.MIN_DUPLICATE_LENGTH:
            me.delete_element(el, keep_tail=False)
        else:
            previous = current
    strip_elements(result_body, "done")
    strip_tags(result_body, "div")
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not me.text_chars_test(linebreak.tail)
            and not any(anc.tag in me.SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text


def _compare_extraction(backup: Callable[[], Any], raw_tree: Any, body: Any, text: str,
                        options: Any) -> tuple[Any, str]:
    """``trafilatura.external.compare_extraction`` with the cleaned tree for jusText built when it is needed."""
    from lxml.etree import tostring
    from trafilatura import external
    from trafilatura.external import _prefer_readability, justext_rescue, sanitize_tree, trim, try_readability

    len_text = len(text)
    if options.focus == "recall" and len_text > options.min_extracted_size * 10:
        return body, text
    if options.focus == "precision":
        raw_tree = external.prune_unwanted_nodes(raw_tree, external.OVERALL_DISCARD_XPATH)
    temppost_algo = try_readability(raw_tree)
    del raw_tree  # readability's copy of the page: its summary is a tree of its own
    algo_text = trim(tostring(temppost_algo, method="text", encoding="utf-8").decode("utf-8"))
    len_algo = len(algo_text)
    external.LOGGER.debug("extracted length: %s (algorithm) %s (extraction)", len_algo, len_text)
    use_readability = _prefer_readability(body, temppost_algo, algo_text, len_text, len_algo, options)
    if use_readability:
        body, text, len_text = temppost_algo, algo_text, len_algo
    external.LOGGER.debug("using %s extraction: %s", "generic" if use_readability else "custom", options.source)
    unclean = bool(body.xpath(external.SANITIZED_XPATH))
    if unclean or len_text < options.min_extracted_size:
        external.LOGGER.debug("unclean or short document triggering justext examination: %s", options.source)
        body2, text2 = justext_rescue(backup(), options)
        len_text2 = len(text2)
        if unclean:
            accept = len_text <= external.JUSTEXT_OVERRIDE_RATIO * len_text2 and (
                len_text2 > len_text or not options.images or body.find(".//graphic") is None
            )
        else:
            accept = len_text < len_text2
        if text2 and accept:
            external.LOGGER.debug("using justext, length: %s", len_text2)
            body, text, len_text = body2, text2, len_text2
            use_readability = False
    if use_readability:
        body, text = sanitize_tree(body, options)
    return body, text
