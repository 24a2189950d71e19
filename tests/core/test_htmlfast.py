"""The parse path's HTML to text (htmlfast, on Lexbor) against the reference (htmltext, stdlib).

Every corpus body and every fixture below gives the same text both ways, except the listed
DIFFERENCES: malformed markup that a browser repairs, where the Lexbor path shows what a
browser shows (checked by hand against the HTML standard's tree construction rules).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamtui.core.parse.entries import Context, Entry, entry_item
from streamtui.core.text.htmlfast import (
    RENEW,
    _lexbor_text,
    _simple_blocks,
    fast_html_to_text,
    indexed_text,
)
from streamtui.core.text.htmltext import _prepare, html_to_text
from streamtui.core.text.sanitize import sanitize, sanitize_start
from tests.core.test_sanitize import hostile_text, property_settings

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")
HTML_TYPES = {"text/html", "application/xhtml+xml"}

SAME = {
    "nested lists": "<ul><li>one<ul><li>a</li><li>b<ol><li>deep</li></ol></li></ul></li>"
    "<li>two</li></ul><p>after</p>",
    "unclosed items": "<ul><li>one<li>two<li>three</ul>tail",
    "headings, lists, tables": "<h2>Heading</h2><ul><li>one</li><li><p>two</p></li><li>three"
    "<ol><li>inner</li></ol></li></ul><p>after</p><table><tr><th>a</th><td>b</td></tr>"
    "<tr><td>c</td></tr></table>",
    "pre": "<p>Code:</p><pre>\n  def f():\n\n      return 1  \n</pre><p>end</p>",
    "pre with br": "<pre>a<br>b\n  c</pre>",
    "br": "<p>Hello   <b>world</b>\n again</p><div>Two<br>lines<br/></div>tail",
    "dropped": "<script>alert('<p>x</p>')</script><style>p{}</style><iframe src=x>fb</iframe>"
    "<noscript>js</noscript><template><p>t</p></template><object>o</object><p>end</p>",
    "entities": "<p>a&nbsp;&amp;&lt;b&gt; &hellip; &#8211; &copy; &eacute; &amp &notit; "
    "&#x1F600; &#0; &bogus;</p>",
    "entities, no markup": "a&nbsp;&amp;&lt;b&gt; &hellip; &#27;[2J &#0;x\r\n y",
    "comments": "<p>a <!-- <b>x</b> --> b</p><!--[if IE]><p>ie</p><![endif]--><p>c<!-- open",
    "cdata": "<p><![CDATA[<c> & d]]></p><p><![CDATA[open",
    "unclosed tags": "<p>one<p>two<div>three<b>bold<i>it</div>four",
    "<a<a<a": "<a<a<a" * 50,
    "<a<a<a amid text": "x <a<a<a y <p>z</p>",
    "a < in an attribute": "<p><img alt='1 < 2'> text</p>",
    "stray brackets": "<p>1 < 2 and 3 > 2</p><![x>y<![if !supportLists]>z<![endif]>",
    "NUL": "<p>a\x00b</p>\x00<pre>c\x00d</pre>",
    "huge flat text": "<p>" + "word " * 100_000 + "</p>",
    "huge flat text, no markup": "word " * 100_000,
    "escapes": "x&#27;[2J\x1b]52;c;eA==\x07&#x9b;y\u202e z\x1b[31mred\x1b[0m",
    "doctype and instructions": "<!DOCTYPE html><?xml version='1.0'?><p>a</p>",
    "nested hidden elements": "<object>" * 300 + "secret" + "</object>" * 300 + "<p>shown</p>",
    "deep blocks": "<div>" * 3000 + "x" + "</div>" * 3000 + "after",
    "deep lists": "<ul><li>" * 1000 + "x" + "</li></ul>" * 1000 + "after",
    "a page": "<html><head><title>T</title><body><p>kept</p>",
    "a head without its end": "<head><style>x</style><body><p>a</p>",
    "quotes, rules, terms": "<blockquote><p>q</p></blockquote><hr><dl><dt>t</dt><dd>d</dd></dl>",
    "line ends": "<p>a\r\nb</p><pre>x\r\ny</pre>",
    "upper case": "<P>A<BR>B</P><UL><LI>x</UL>",
    "a > in an attribute": "<p title='a>b'>t</p>",
    "svg": "<p>a</p><svg><title>t</title><text>s</text></svg><p>b</p>",
    "svg without a title": "<p>a</p><svg><g><text>s</text><foreignObject><p>x</p><div>y</div>"
    "</foreignObject></g></svg><p>b</p><svg><p>out</p></svg><svg><style>x</style>z</svg>",
    "math": "<math><mi>x</mi><mo>=</mo><mtext><p>t</p></mtext></math>after",
    "a title in a fragment": "<title>T</title>hello<p>x</p>",
    "body tags": "a<body>b<html>c",
}

DIFFERENCES = {
    # end tags with no element open: a browser ignores </li> and </div>, makes </p> an empty
    # paragraph and </br> a <br>; the stdlib path ends a block at each
    "end tags alone": ("a</p>b</li>c</div>d</br>e", "a\n\nb\n\nc\n\nde", "a\n\nbcd\ne"),
    # an <iframe/> is no empty element in HTML: its text runs to </iframe> (here: the end)
    "a self-closed iframe": ("<p>a<iframe/>b</p>", "ab", "a"),
    # textarea, xmp and plaintext hold text, markup included, and a browser shows it
    "textarea": ("<textarea><p>x</p></textarea>", "x", "<p>x</p>"),
    "xmp": ("<xmp><p>x</p></xmp>", "x", "<p>x</p>"),
    # cells outside a row (seen in a corpus feed): a browser makes a row of them
    "cells outside a row": (
        "<table><tr><td>a</td></tr><th>b</th><th>c</th><tr><td>d</td></tr></table>",
        "a\n\nb c\n\nd",
        "a\nb c\nd",
    ),
    # a control character reference in markup: a browser keeps the character (so sanitize
    # removes the whole escape sequence it starts), html.unescape drops it and leaves its
    # parameters as text. Neither lets the escape through.
    "escape by reference": ("<p>x&#27;[2J&#x1b;]0;title&#7;y</p>", "x[2J]0;titley", "xy"),
}


@pytest.mark.parametrize("html", SAME.values(), ids=SAME.keys())
def test_the_same_text_as_the_stdlib_path(html: str) -> None:
    assert fast_html_to_text(html) == html_to_text(html)


def test_one_document_holds_many_bodies_in_turn() -> None:
    # bodies are parsed into one kept document (made anew every RENEW bodies): none leaks
    # into the next, across a renewal too
    bodies = [f"<p>{n}<table><tr><td>open" if n % 2 else f"<pre>{n}" for n in range(RENEW + 3)]
    assert [fast_html_to_text(b) for b in bodies] == [html_to_text(b) for b in bodies]


@pytest.mark.parametrize("case", DIFFERENCES.values(), ids=DIFFERENCES.keys())
def test_where_a_browser_repairs_the_markup_it_shows_what_a_browser_shows(
    case: tuple[str, str, str],
) -> None:
    html, stdlib, browser = case
    assert html_to_text(html) == stdlib
    assert fast_html_to_text(html) == browser


@pytest.mark.parametrize(
    "html",
    [*SAME.values(), *(c[0] for c in DIFFERENCES.values())],
    ids=[*SAME.keys(), *DIFFERENCES.keys()],  # their names: some bodies are 500 kB
)
def test_no_escape_reaches_the_text(html: str) -> None:
    assert not CONTROLS.search(fast_html_to_text(html).replace("\n", "").replace("\t", ""))


def test_the_parse_path_makes_the_summary_and_the_index_text_with_it() -> None:
    # a cell outside a row is where the two paths part: the item shows the Lexbor path's text
    body = DIFFERENCES["cells outside a row"][0]
    context = Context("k", "https://x.example/feed", _now(), "feed")
    item = entry_item(Entry(guid="g", title="t", body=body, body_html=True), context)
    assert item.text == "a\nb c\nd"
    assert item.summary == "a b c d"
    assert indexed_text("", body, True) == "a\nb c\nd"


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


def _corpus_bodies() -> list[str]:
    if not CORPUS.is_dir():
        return []
    import feedparser  # type: ignore[import-untyped]

    bodies: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted(CORPUS.iterdir()):
            for entry in feedparser.parse(path.read_bytes(), sanitize_html=False).entries:
                for detail in [entry.get("summary_detail"), *entry.get("content", [])]:
                    if detail and detail.get("type") in HTML_TYPES and detail.get("value"):
                        bodies.append(detail["value"])
    return bodies


# The corpus bodies whose text differs, each for a reason listed in DIFFERENCES.
CORPUS_DIFFERENCES = {"cells outside a row": 2}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/feeds is absent")
def test_every_corpus_body_gives_the_same_text() -> None:
    bodies = _corpus_bodies()
    assert len(bodies) > 1000
    differ = [b for b in bodies if fast_html_to_text(b) != html_to_text(b)]
    # both are dcrainmaker reviews whose comparison tables put <th> rows outside any <tr>
    assert len(differ) == CORPUS_DIFFERENCES["cells outside a row"]
    for body in differ:
        assert "</tr>\n<th>" in body
        # the same lines, only the blank lines between the table's rows differ
        assert _lines(html_to_text(body)) == _lines(fast_html_to_text(body))


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


TOKENS = ["<p>", "</p>", "<", ">", "</", "<!", "<![", "<![CDATA[", "]]>", "<!--", "-->", "&"]
TOKENS += ["<a href='", "'", "&#", ";", "<li>", "<pre>", "</pre>", "<script>", "</script>", "x"]
TOKENS += ["<br>", "\n", " ", "\x1b[2J", "\x9b", "&#27;", "\u202e", "<td>", "<svg>", "\x00"]
TOKENS += ["<table>", "<tr>", "<textarea>", "<iframe/>", "<ul>", "</ul>", "<object>", "<title>"]


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_never_raises_nor_lets_a_control_through(html: str) -> None:
    assert not CONTROLS.search(fast_html_to_text(html).replace("\n", "").replace("\t", ""))


# -- the tag reader for simple markup (paragraphs, breaks, images, inline elements) -----------
# Bodies made of those only are read from their tags without a tree; the text must be what
# the walk of Lexbor's tree gives, on every body the reader takes (the rest goes to Lexbor).

SIMPLE_TAGS = ["p", "P", "br", "BR", "img", "wbr", "a", "b", "i", "em", "strong", "span", "code"]
SIMPLE_TAGS += ["q", "s", "small", "sub", "sup", "u", "mark", "cite", "abbr", "time", "A", "Em"]
SIMPLE_TAGS += ["hr", "HR"]
OTHER_TAGS = ["div", "li", "ul", "pre", "table", "td", "script", "h2", "button", "br", "img"]
ATTRIBUTES = ["", " href='x>y'", ' title="a > b"', " class=c", " data-x", ' a="1" b', " /", "/"]
TEXTS = ["x", "word", " ", "  ", "\n", "\t", "\r\n", "\r", "\xa0", "\u3000", "\x0c", "\x1c"]
TEXTS += ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&nbsp;", "&", "& ", "&AMP;", "&amp"]
TEXTS += [
    "&#38;",
    "&#x1c;",
    "&notit;",
    "&copy",
    "<",
    ">",
    "</",
    "< p>",
    "<!--c-->",
    "<![CDATA[<]]>",
]


# Every tag a name (the simple ones twice as often), an end or not (a start twice as often)
# and its attributes make, each as often as drawing the three in turn would give it: one draw
# a tag, where three took most of the properties' time.
TAGS = [
    f"<{end}{name}{attributes}>"
    for name in SIMPLE_TAGS + SIMPLE_TAGS + OTHER_TAGS
    for end in ["", "", "/"]
    for attributes in ATTRIBUTES
]
# A piece is a tag or a text, each half the time: one draw from both lists, each repeated as
# often as the other is long (a choice, then a draw, took twice the draws).
PIECES = TAGS * len(TEXTS) + TEXTS * len(TAGS)
SIMPLE_MARKUP = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=3000, deadline=None, database=None)
@given(SIMPLE_MARKUP)
def test_the_tag_reader_gives_the_text_of_lexbors_tree(html: str) -> None:
    prepared = _prepare(html)
    simple = _simple_blocks(prepared)
    if simple is not None:
        assert "\n\n".join(simple) == _lexbor_text(prepared)


def test_the_tag_reader_takes_paragraphs_and_inline_markup_only() -> None:
    assert _simple_blocks("<p>a <b>b</b><br>c</p>\n<p class='x'>d &amp; e</p>") == [
        "a b\nc",
        "d & e",
    ]
    assert _simple_blocks("<p>a<hr>b &#8217;c&#x2019;</p><HR/>d") == ["a", "b \u2019c\u2019", "d"]
    others = ("<div>a</div>", "<li>a", "a</br>", "<p>&#1;</p>", "<p>&copy</p>", "a < b")
    others += ("a</hr>", "&#8232;", "&#x202e;", "&#65534;", "&#8217", "&#1114112;")
    for other in others:
        assert _simple_blocks(other) is None


@property_settings
@given(st.lists(hostile_text, max_size=6).map("".join), st.integers(min_value=0, max_value=40))
def test_a_summary_of_sanitised_text_is_what_sanitize_start_gives(text: str, chars: int) -> None:
    """entry_item makes a summary from the converter's text (already sanitised as multi-line)
    with sanitize_start(sanitised=True), which only folds whitespace: the same as without."""
    clean = sanitize(text, multiline=True)
    assert sanitize_start(clean, chars, sanitised=True) == sanitize_start(clean, chars)


@settings(max_examples=1000, deadline=None, database=None)
@given(st.lists(st.one_of(SIMPLE_MARKUP, hostile_text), max_size=4).map("".join))
def test_sanitised_markup_needs_no_second_pass(html: str) -> None:
    """entry_item hands the converter a body it sanitised: the text is the same without
    the converter's own pass, and clean."""
    body = sanitize(html, multiline=True)
    text = fast_html_to_text(body, clean=True)
    assert text == fast_html_to_text(body)
    assert sanitize(text, multiline=True) == text
