"""What the article builder (render.py) keeps of the elements open around the text: lists,
items and quotations (:class:`Frame`), the link being read (:class:`OpenLink`), what a
reader never sees (:class:`Hidden`); and how list items are numbered."""

from __future__ import annotations

import re
from dataclasses import dataclass

from streamtui.core.text.htmltext import BLOCKS, DROPPED

SKIPPED = DROPPED | {"svg"}
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
