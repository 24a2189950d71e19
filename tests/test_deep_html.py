"""Deeply nested HTML renders in time linear in its size: every tag costs the same work however
deep the markup goes (20,000 nested <ul><li> took 12 s; 40,000 kept a core busy for 50 s).

Nothing here is timed (machines are shared): the work is counted as the lines of Python the
interpreter runs, the stdlib parser's included (a loop over the open lists runs its line once
a turn), and the nesting is checked in what comes out. The timing is a benchmark row:
``benchmarks/crash_cases.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from streamtui.core.text.htmltext import html_to_text
from streamtui.core.text.render import MAX_DEPTH, MAX_INDENT, render_html
from streamtui.ui.widgets.article import Page, block_piece, layout


def nested_lists(depth: int) -> str:
    return "<ul><li>x" * depth + "</li></ul>" * depth + "<p>after</p>"


SHAPES: dict[str, Callable[[int], str]] = {
    "closed lists": nested_lists,
    "unclosed lists": lambda n: "<ul><li>x" * n,
    "ordered in unordered": lambda n: "<ol><li>1<ul><li>x" * n,
    "quotations": lambda n: "<blockquote><p>q" * n,
    "definitions": lambda n: "<dl><dt>t<dd>d" * n,
    "hidden objects": lambda n: "<object>" * n + "hidden" + "</object>" * n + "<p>shown</p>",
    "items without lists": lambda n: "<li>x" * n,
    "bold": lambda n: "<b>x" * n,
    "tables": lambda n: "<table><tr><td>x" * n,
}


def traced_lines(function: Callable[[str], object], text: str) -> int:
    """How many lines of Python run while ``function(text)`` runs (a loop's line counts once
    a turn): work, counted exactly, whatever the machine's load."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal count
        count += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        return local

    sys.settrace(calls)
    try:
        function(text)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("convert", [render_html, html_to_text], ids=["render", "text"])
def test_work_per_tag_does_not_grow_with_depth(
    shape: str, convert: Callable[[str], object]
) -> None:
    small, large = (traced_lines(convert, SHAPES[shape](n)) for n in (600, 1200))
    # Twice the markup, twice the work (measured: 1.99-2.00 for every shape);
    # a cost per tag that grows with depth makes it about four times.
    assert large / small < 2.2, (shape, small, large)


def test_the_depth_is_capped_and_nothing_is_lost() -> None:
    depth = 5000
    document = render_html(nested_lists(depth))
    blocks = document.blocks
    assert [block.text for block in blocks] == ["x"] * depth + ["after"]
    assert max(block.indent for block in blocks) <= MAX_INDENT
    markers = {block.marker for block in blocks[MAX_DEPTH:depth]}
    assert markers and all(marker.strip() for marker in markers)  # deep items stay items
    assert blocks[-1].indent == 0 and blocks[-1].marker == ""  # after them, all is closed
    shallow = render_html(nested_lists(10)).blocks  # the cap changes nothing shallow
    assert [block.indent for block in shallow[:10]] == [2 * n for n in range(10)]


def test_output_grows_linearly_with_depth() -> None:
    sizes = []
    for depth in (10_000, 20_000):
        document = render_html(nested_lists(depth))
        page = Page(tuple(block_piece(block) for block in document.blocks))
        laid_out = layout(page, 60)
        sizes.append((len(document.blocks), laid_out.count, len(html_to_text(nested_lists(depth)))))
    (blocks_a, lines_a, text_a), (blocks_b, lines_b, text_b) = sizes
    assert blocks_b == 2 * blocks_a - 1  # "after" once
    assert lines_b <= 2 * lines_a and text_b <= 2 * text_a + 10


def test_hidden_elements_nest_as_a_count() -> None:
    deep = "<object>" * 3000 + "secret" + "</object>" * 3000 + "<p>shown</p>"
    assert [block.text for block in render_html(deep).blocks] == ["shown"]
    assert html_to_text(deep) == "shown"
    body = "<head><style>x</style><body><p>a</p>"  # </head> left out: the body still shows
    assert html_to_text(body) == "a"
