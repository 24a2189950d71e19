"""Feed HTML as a document (blocks, spans, numbered links), and the link rules."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamtui.core.text.links import base_for, refusal, resolve
from streamtui.core.text.render import Block, Document, Link, render_html, text_document
from streamtui.core.text.sanitize import sanitize

BASE = "https://site.example/blog/post.html"


def texts(document: Document) -> list[str]:
    return [block.text for block in document.blocks]


def styled(block: Block, style: str) -> list[str]:
    return [block.text[s.start : s.end] for s in block.spans if s.style == style]


def test_paragraphs_and_headings() -> None:
    doc = render_html("<h1>Big</h1><p>One\n  two</p><h3>Small</h3><p>Three</p>")
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Big"),
        ("text", 0, "One two"),
        ("heading", 3, "Small"),
        ("text", 0, "Three"),
    ]
    assert not any(block.tight for block in doc.blocks)


def test_emphasis_spans() -> None:
    (block,) = render_html(
        "<p>a <b>bold</b> <em>it</em> <code>x()</code> <del>gone</del> <strong>B</strong></p>"
    ).blocks
    assert block.text == "a bold it x() gone B"
    assert styled(block, "bold") == ["bold", "B"]
    assert styled(block, "italic") == ["it"]
    assert styled(block, "code") == ["x()"]
    assert styled(block, "strike") == ["gone"]


def test_a_style_across_blocks_continues_and_nesting_does_not_pile_up() -> None:
    doc = render_html("<b><b><p>one</p><p>two</p></b></b><p>three</p>")
    assert [styled(block, "bold") for block in doc.blocks] == [["one"], ["two"], []]


def test_line_breaks_keep_lines_without_stray_spaces() -> None:
    (block,) = render_html("<p>first <br> second<br/>third</p>").blocks
    assert block.text == "first\nsecond\nthird"


def test_nested_lists_markers_indent_and_tightness() -> None:
    doc = render_html(
        "<p>Before</p><ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul>"
        '<ol start="9"><li>nine<li>ten</ol><p>After</p>'
    )
    rows = [(b.text, b.marker, b.indent, b.tight) for b in doc.blocks]
    assert rows == [
        ("Before", "", 0, False),
        ("one", "• ", 0, False),
        ("two", "• ", 0, True),
        ("inner", "◦ ", 2, True),
        ("nine", "9. ", 0, False),  # a new list: after a blank line
        ("ten", "10. ", 0, True),
        ("After", "", 0, False),
    ]


def test_list_types_and_values() -> None:
    doc = render_html(
        '<ol type="a"><li>x</li><li>y</li></ol><ol type="I" start="4"><li>iv</li></ol>'
        '<ol><li value="7">seven</li><li>eight</li></ol>'
    )
    assert [b.marker for b in doc.blocks] == ["a. ", "b. ", "IV. ", "7. ", "8. "]


def test_second_paragraph_of_an_item_hangs_under_its_text() -> None:
    doc = render_html("<ol><li><p>first</p><p>second</p></li></ol>")
    assert [(b.marker, b.indent) for b in doc.blocks] == [("1. ", 0), ("", 3)]


def test_blockquotes_nest() -> None:
    doc = render_html("<blockquote><p>outer</p><blockquote>inner</blockquote>back</blockquote>")
    assert [(b.text, b.quote) for b in doc.blocks] == [("outer", 1), ("inner", 2), ("back", 1)]


def test_pre_keeps_lines_and_spaces() -> None:
    code = "def f():\n\treturn  1   # " + "x" * 200
    (block,) = render_html(f"<pre><code>\n{code}\n\n</code></pre>").blocks
    assert block.kind == "pre"
    assert block.text == code
    assert styled(block, "code") == [code]


def test_table_columns_line_up() -> None:
    doc = render_html(
        "<table><caption>Sizes</caption><thead><tr><th>Name</th><th>Size</th></tr></thead>"
        "<tr><td>a</td><td>1</td></tr><tr><td>longer name</td><td>22</td></tr></table>"
    )
    caption, table = doc.blocks
    assert caption.text == "Sizes" and styled(caption, "italic") == ["Sizes"]
    assert table.kind == "table"
    assert table.text.split("\n") == [
        "Name        │ Size",
        "────────────┼─────",
        "a           │ 1",
        "longer name │ 22",
    ]
    assert styled(table, "bold") == ["Name", "Size"]


def test_layout_tables_become_paragraphs() -> None:
    doc = render_html(
        "<table><tr><td><p>A whole article in one cell.</p><p>Second.</p></td></tr></table>"
    )
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("text", "A whole article in one cell.\nSecond.")
    ]


def test_rules() -> None:
    doc = render_html("<p>a</p><hr><p>b</p>")
    assert [b.kind for b in doc.blocks] == ["text", "rule", "text"]


def test_what_a_reader_never_sees_is_dropped() -> None:
    doc = render_html(
        "<head><title>T</title><style>p{}</style></head><body><p>kept</p>"
        "<script>alert(1)</script><iframe src='x'>frame</iframe><noscript>ns</noscript>"
        "<template>tp</template><object>ob</object><svg><text>s</text></svg><p>end</p>"
    )
    assert texts(doc) == ["kept", "end"]


def test_links_are_numbered_and_resolved() -> None:
    (block,) = render_html(
        '<p>See <a href="/one">the first</a>, <a href="two.html">second</a> and '
        '<a href="/one">the first again</a>; <a href="#note">a note</a> '
        '<a href="https://other.example/x">abs</a></p>',
        BASE,
    ).blocks
    assert block.text == ("See the first [1], second [2] and the first again [1]; a note abs [3]")
    assert styled(block, "link") == ["the first", "second", "the first again", "abs"]
    assert styled(block, "link-number") == ["[1]", "[2]", "[1]", "[3]"]
    assert {s.link for s in block.spans if s.style == "link-number"} == {1, 2, 3}


def test_link_list() -> None:
    doc = render_html('<a href="/one">the first</a><img src="pic.png" alt="A cat">', BASE)
    assert doc.links == (
        Link(1, "https://site.example/one", "the first", image=False),
        Link(2, "https://site.example/blog/pic.png", "A cat", image=True),
    )


def test_images_show_inline_with_their_alt_text() -> None:
    doc = render_html(
        '<p>Look: <img src="a.png" alt="a cat"> and <img src="b.png">.'
        '<img src="pixel.gif" width="1" height="1"></p>',
        BASE,
    )
    assert texts(doc) == ["Look: [image: a cat] [1] and [image] [2] ."]
    assert [link.image for link in doc.links] == [True, True]


def test_a_link_around_blocks_numbers_each_part() -> None:
    doc = render_html('<a href="/card"><h2>Title</h2><p>Teaser</p></a>', BASE)
    assert texts(doc) == ["Title [1]", "Teaser [1]"]
    empty = render_html('<p>x <a href="/e"></a></p>', BASE)
    assert texts(empty) == ["x [1]"]


def test_an_image_linking_to_itself_shows_one_number() -> None:
    doc = render_html('<p><a href="/big.jpg"><img src="/big.jpg" alt="photo"></a>Caption</p>', BASE)
    assert texts(doc) == ["[image: photo] [1] Caption"]
    doc = render_html('<p>see <a href="/x">this</a>and <a href="/y">that</a>.</p>', BASE)
    assert texts(doc) == ["see this [1] and that [2]."]


def test_without_a_base_relative_links_stay_relative() -> None:
    doc = render_html('<a href="/one">x</a>', "file:///home/me/feed.xml")
    assert doc.links[0].url == "/one"
    assert refusal(doc.links[0].url) is not None


def test_escape_sequences_in_character_references_are_removed() -> None:
    doc = render_html(
        "<p>a&#27;]52;c;ZXZpbA==&#7;b &#x1b;[31mred &#155;2J &#x202e;x</p>"
        '<pre>&#27;]0;title&#7;code</pre><a href="http://x/&#27;[2J">l&#27;[1m</a>'
        '<img src="y" alt="&#27;]8;;http://evil&#27;\\alt">'
    )
    for block in doc.blocks:
        assert block.text == sanitize(block.text, multiline=True)
        assert not any(char in block.text for char in "\x1b\x9b\x07\u202e")
    for link in doc.links:
        assert link.url == sanitize(link.url) and link.label == sanitize(link.label)


def test_raw_escape_sequences_are_removed_as_units() -> None:
    (block,) = render_html("<p>a\x1b]52;c;ZXZpbA==\x07b <b>\x1b[31mred</b></p>").blocks
    assert block.text == "ab red"
    assert styled(block, "bold") == ["red"]


def test_markup_lookalikes_are_plain_text() -> None:
    (block,) = render_html("<p>[@click=app.quit]x[/] [b]y</p>").blocks
    assert block.text == "[@click=app.quit]x[/] [b]y"


def test_text_document_keeps_paragraphs_and_lines() -> None:
    doc = text_document("First line\nsecond line\n\n\n\nNext \x1b[31mpara\n")
    assert texts(doc) == ["First line\nsecond line", "Next para"]


def test_a_huge_body_is_cut_and_says_so() -> None:
    html = "<p>" + "word " * 1000 + "</p>"
    doc = render_html(html * 10, limit=len(html) * 3 + 5)
    assert doc.total == len(html) * 10
    assert doc.cut == doc.total - (len(html) * 3 + len("<p>"))  # cut after a tag's ">"
    assert len(doc.blocks) == 3


def test_quadratic_inputs_stay_linear() -> None:
    for hostile in ("<a" * 40_000, "<![CDATA[" + "x" * 100_000, "<ul>" * 20_000 + "x"):
        tick = time.perf_counter()
        render_html(hostile)
        assert time.perf_counter() - tick < 2, hostile[:20]
    deep = render_html("<blockquote><ul><li>" * 5000 + "deep")
    assert deep.blocks[0].quote <= 8 and deep.blocks[0].indent <= 40


TAGS = """<p> </p> <ul> </ul> <li> </li> <pre> </pre> <table> </table> <tr> <td> <th> </td>
    <caption> <blockquote> </blockquote> <b> </b> </a> <a> <br> <hr> <h2> </h2> <script>
    </script> <![CDATA[ ]]> <!-- --> < > &#27; &#x9b; & text [/] <dd> <dt> </dl> <thead>
    <![x>"""
PIECES = [
    *TAGS.split(),
    *("<ol start='x'>", "<a href='/x'>", "<img src='i' alt='a'>", "<x y='<'>", "\n", " "),
]
MARKUP = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(MARKUP)
def test_hostile_markup_never_raises(html: str) -> None:
    doc = render_html(html, BASE)
    for block in doc.blocks:
        assert block.text == sanitize(block.text, multiline=True)
        assert all(0 <= s.start < s.end <= len(block.text) for s in block.spans)
    assert [link.number for link in doc.links] == list(range(1, len(doc.links) + 1))


# -- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/a", "https://h.example/x/y", "https://h.example/a"),
        ("b", "https://h.example/x/y", "https://h.example/x/b"),
        ("//cdn.example/i.png", "https://h.example/", "https://cdn.example/i.png"),
        ("  https://o.example/  ", "https://h.example/", "https://o.example/"),
        ("/a", "file:///home/me/", "/a"),
        ("/a", "", "/a"),
        ("/a", "javascript:alert(1)", "/a"),
        ("http://[::1", "https://h.example/", "http://[::1"),
    ],
)
def test_resolve(url: str, base: str, expected: str) -> None:
    assert resolve(url, base) == expected


def test_base_is_the_first_web_address() -> None:
    assert base_for("https://item.example/p", "https://feed.example/") == "https://item.example/p"
    assert base_for("/relative", "https://feed.example/rss") == "https://feed.example/rss"
    assert base_for("javascript:x", "/home/me/feed.xml") == ""


@pytest.mark.parametrize(
    "url", ["https://example.org/a?b=c#d", "http://127.0.0.1:8000/", "mailto:me@example.org"]
)
def test_refusal_lets_web_and_mail_links_through(url: str) -> None:
    assert refusal(url) is None


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("javascript:alert(1)", "javascript:"),
        ("JavaScript:alert(1)", "javascript:"),
        ("file:///etc/passwd", "file:"),
        ("data:text/html,<b>x</b>", "data:"),
        ("smb://server/share", "smb:"),
        ("foo/bar.html", "no scheme"),
        ("//host/x", "no scheme"),
        ("", "empty"),
        ("   ", "empty"),
        ("https://x\x1b]0;t\x07", "control"),
        ("https://a.example/\nb", "control"),
        (" https://a.example/", "spaces"),
        ("http:///path", "no host"),
        ("mailto:", "no address"),
        ("http://[::1", "malformed"),
        ("https://a.example/" + "x" * 9000, "longer"),
    ],
)
def test_refusal_names_the_reason(url: str, names: str) -> None:
    reason = refusal(url)
    assert reason is not None and names in reason
    assert "\n" not in reason


# -- review fixes ----------------------------------------------------------------------------


def test_math_keeps_its_token_text_inline_and_skips_annotations() -> None:
    (block,) = render_html(
        "<p>All the copies taken together are going to take <math><semantics><mrow>"
        "<mi>N</mi>\n<mo>×</mo>\n<mi>M</mi></mrow>"
        '<annotation encoding="application/x-tex">N \\times M</annotation>'
        "<annotation-xml><mi>X</mi></annotation-xml></semantics></math> steps</p>"
    ).blocks
    assert block.text == "All the copies taken together are going to take N×M steps"
    doc = render_html(
        "<table><tr><th>Size</th><th>Cost</th></tr>"
        "<tr><td><math><mn>10</mn></math></td><td><math><mn>2</mn></math></td></tr></table>"
    )
    assert doc.blocks[0].text.split("\n")[-1] == "10   │ 2"


def test_display_math_is_a_block_and_empty_math_shows_its_alttext() -> None:
    doc = render_html(
        '<p>Thus <math display="block"><mi>x</mi><mo>=</mo><mn>1</mn></math> holds.</p>'
        '<p>a <math alttext="y^2"></math> b</p>'
    )
    assert texts(doc) == ["Thus", "x=1", "holds.", "a y^2 b"]


def test_adjacent_anchors_of_one_address_are_one_link() -> None:
    doc = render_html(
        '<p>Dropbox\'s <a href="/X">own M</a><a href="/X">agic </a><a href="/X">P</a>'
        '<a href="/X">ocket</a>. Google\'s <a href="/Y"> </a><a href="/Y">W</a>'
        '<a href="/Y">eb</a>, <a href="/Z">a</a> <a href="/Z">b</a> <b><a href="/X">c</a></b>'
        ' <i>d</i> <a href="/Y">e</a><a href="/Z">f</a></p>',
        BASE,
    )
    (block,) = doc.blocks
    assert block.text == (
        "Dropbox's own Magic Pocket [1]. Google's Web [2], a b [3] c [1] d e [2] f [3]"
    )
    assert styled(block, "link") == ["own Magic Pocket", "Web", "a b", "c", "e", "f"]
    assert styled(block, "italic") == ["d"] and styled(block, "bold") == ["c"]
    assert [link.label for link in doc.links] == ["own Magic Pocket", "Web", "a b"]
    alone = render_html('<p>x <a href="/e"> </a> y</p><p><a href="/f">f</a></p>', BASE)
    assert texts(alone) == ["x [1] y", "f [2]"]  # an empty link alone still shows its number


def test_colspan_takes_columns_and_absurd_values_span_the_table() -> None:
    (table,) = render_html(
        "<table><tr><th>A</th><th>B</th><th>C</th></tr>"
        "<tr><td colspan=2>Spanning</td><td>x</td></tr>"
        '<tr><td colspan="173">the whole row</td></tr>'
        "<tr><td>1</td><td>2</td><td>3</td></tr></table>"
    ).blocks
    assert table.kind == "table"
    assert table.text.split("\n") == [
        "A │ B    │ C",
        "──┼──────┼───",
        "Spanning │ x",
        "the whole row",
        "1 │ 2    │ 3",
    ]


def test_rowspan_leaves_empty_cells_below() -> None:
    (table,) = render_html(
        "<table><tr><th>A</th><th>B</th><th>C</th></tr>"
        "<tr><td rowspan=2>R</td><td>b1</td><td>c1</td></tr>"
        "<tr><td>b2</td><td>c2</td></tr><tr><td>a3</td><td>b3</td><td>c3</td></tr></table>"
    ).blocks
    assert table.text.split("\n") == [
        "A  │ B  │ C",
        "───┼────┼───",
        "R  │ b1 │ c1",
        "   │ b2 │ c2",
        "a3 │ b3 │ c3",
    ]


def test_hidden_content_is_skipped() -> None:
    doc = render_html(
        '<div style="DISPLAY: None !important"><table><tr><td>a</td><td>b</td></tr></table>'
        '<div>nested</div></div><section style="color: red;display:none">gone</section>'
        "<p hidden>hidden<p>shown</p>"
        '<p>one <img hidden src="q.png"> <span style="display:none">no</span>two'
        # an empty element hides nothing
        '<span style="display: inline">three</span><div hidden/>four</p>'
        '<ul><li hidden>a<li>b</ul><p style="display:nonesuch">kept</p>'
    )
    assert texts(doc) == ["shown", "one twothreefour", "b", "kept"]
    assert doc.links == ()


def test_an_image_in_a_link_shows_the_link_number_once() -> None:
    doc = render_html(
        '<p><a href="/post"><img src="/i.png" alt="pic"></a> and '
        '<a href="/m">more <img src="/j.png"></a></p>',
        BASE,
    )
    assert texts(doc) == ["[image: pic] [1] and more [image] [3]"]
    assert [(link.number, link.label, link.image) for link in doc.links] == [
        (1, "pic", False),
        (2, "pic", True),
        (3, "more", False),
        (4, "", True),
    ]
    (block,) = doc.blocks
    assert [(block.text[s.start : s.end], s.link) for s in block.spans if s.style == "image"] == [
        ("[image: pic]", 2),
        ("[image]", 4),
    ]
