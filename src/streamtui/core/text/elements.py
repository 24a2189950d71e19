"""What the article builder (render.py) knows of elements: what each one is (inline styles,
headings, void elements), what it keeps of those open around the text: lists, items and
quotations (:class:`Frame`), the link being read (:class:`OpenLink`), what a reader never
sees (:class:`Hidden`); how links (:class:`LinkNumbers`) and list items are numbered."""

from __future__ import annotations

import re
from dataclasses import dataclass

from streamtui.core.text.document import Link
from streamtui.core.text.htmltext import BLOCKS, DROPPED
from streamtui.core.text.links import resolve
from streamtui.core.text.sanitize import sanitize

INLINE = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "cite": "italic",
    "var": "italic", "dfn": "italic", "figcaption": "italic", "code": "code", "kbd": "code",
    "samp": "code", "tt": "code", "s": "strike", "strike": "strike", "del": "strike",
    "u": "underline", "ins": "underline",
}  # fmt: skip
ANNOTATIONS = ("annotation", "annotation-xml")
"""Skipped inside ``math``: its source as TeX or MathML, a copy of what it shows."""
VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})  # fmt: skip
"""Elements without content or end tag: hiding one hides only itself."""
HEADINGS = {f"h{level}": level for level in range(1, 7)}
SKIPPED = DROPPED | {"svg"}
LABEL_MAX = 200
"""Characters of a link's label at most."""
BULLETS = ("• ", "◦ ", "▪ ")
_DISPLAY_NONE = re.compile(r"(?:^|;)[ \t\n\r\f]*display[ \t\n\r\f]*:[ \t\n\r\f]*none\b", re.I)


@dataclass(slots=True)
class Frame:
    """An open list, list item, definition or quotation: what its blocks are indented by."""

    tag: str
    indent: int
    ordered: bool = False
    number: int = 1
    style: str = "1"


@dataclass(slots=True)
class OpenLink:
    number: int
    start: int
    shown: bool = False
    """Its number already stands in the text (after an earlier block of its text)."""
    label: str = ""


class LinkNumbers:
    """The links of a document, numbered in order of first appearance: one number an
    address (resolved against the page's ``base``, sanitised), named by the first text seen
    for it, and marked when an image brought it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._numbers: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._images: set[int] = set()
        self._urls: list[str] = []

    def number(self, href: str, image: bool) -> int | None:
        """The number of ``href`` (a new one the first time), None for no address or a place
        in this page."""
        if not href.strip() or href.lstrip().startswith("#"):  # a place in this page
            return None
        url = sanitize(resolve(href, self.base))
        if not url:
            return None
        number = self._numbers.get(url)
        if number is None:
            number = self._numbers[url] = len(self._urls) + 1
            self._urls.append(url)
            if image:
                self._images.add(number)
        return number

    def label(self, number: int, text: str) -> None:
        """The first text seen for a link (or an image's alt text) names it in the list."""
        if text.strip() and not self._labels.get(number):
            self._labels[number] = " ".join(text.split())[:LABEL_MAX]

    def links(self) -> tuple[Link, ...]:
        return tuple(
            Link(number, url, self._labels.get(number, ""), number in self._images)
            for number, url in enumerate(self._urls, 1)
        )


class Hidden:
    """Tracks the elements a reader never sees (scripts, styles, frames...): their content
    is skipped up to their end tag, nested ones of the same name counted (a tag and a count:
    constant work and memory however deep they nest)."""

    def __init__(self) -> None:
        self.tag = ""
        self.depth = 0

    @property
    def open(self) -> bool:
        return self.depth > 0

    def starts(self, tag: str, hide: bool = False) -> bool:
        """True when ``tag`` starts or sits inside a hidden element (``hide``: this one is
        hidden by its attributes)."""
        if tag == "body":  # </head> is optional: the body shows whatever was open
            self.depth = 0
        elif self.depth == 1 and (
            (self.tag == "p" and tag in BLOCKS) or (self.tag == "li" and tag == "li")
        ):
            self.depth = 0  # a hidden <p> or <li> ends where the next block starts
        if not self.depth and tag not in SKIPPED and not hide:
            return False
        if not self.depth:
            self.tag, self.depth = tag, 1
        elif tag == self.tag:
            self.depth += 1
        return True

    def ends(self, tag: str) -> bool:
        """True when ``tag`` ends inside a hidden element (or ends one)."""
        if not self.depth:
            return False
        if tag == self.tag:
            self.depth -= 1
        return True


def hides(attrs: list[tuple[str, str | None]]) -> bool:
    """The element is hidden by its attributes: ``hidden``, or ``display: none`` in its
    inline style (with ``!important`` or not, in any case)."""
    return any(
        name == "hidden" or (name == "style" and bool(_DISPLAY_NONE.search(value or "")))
        for name, value in attrs
    )


def item_marker(lists: list[Frame], attrs: dict[str, str | None]) -> str:
    """The marker of a new item of the innermost open list of ``lists`` (counted on)."""
    parent = lists[-1] if lists else Frame("ul", 0)
    if parent.ordered:
        parent.number = integer(attrs.get("value"), parent.number)
        marker = f"{ordinal(parent.number, parent.style)}. "
        parent.number += 1
        return marker
    return BULLETS[max(0, len(lists) - 1) % len(BULLETS)]


def integer(value: str | None, default: int) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        return default
    return max(-(10**9), min(number, 10**9))


def ordinal(number: int, style: str) -> str:
    """A list number as ``<ol type>`` asks: 1, a, A, i or I."""
    if style in "aA" and style and 1 <= number <= 18278:
        letters = ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if style == "A" else letters
    if style in "iI" and style and 1 <= number < 4000:
        roman = _roman(number)
        return roman.upper() if style == "I" else roman
    return str(number)


_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def _roman(number: int) -> str:
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
