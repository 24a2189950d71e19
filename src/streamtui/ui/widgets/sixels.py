"""Sixel images in the article pane: pixels written over cells the pane keeps blank for them.

A Sixel image is not text: Textual knows nothing of it. The pane draws the image's cells as
blank ones (its background), like any line, and after each frame Textual writes, the app hands
the regions that frame wrote to :meth:`SixelPainter.frame`, which says what to write next:
each image whose cells are wholly inside the pane's visible part, on the screen shown and
under nothing else (a toast, a tooltip), written again when it moved, was not drawn, or the
frame wrote over any of its cells (a terminal erases the pixels under the text it writes, the
pane's blank cells too). A frame that covers an image (a toast, a help screen over the pane)
erases the pixels under it, and nothing is written until the image is clear again: it is
never drawn over another widget, cut, or outside the pane.

What is written: save the cursor (``ESC 7``), move to the image's top left cell, the image's
Sixel sequence, restore the cursor (``ESC 8``): through the driver's writer, after the frame,
so in order with it; :data:`SETTLE` after the last frame that called for it, so that keys
held down (a scroll) do not flood the terminal (xterm reads 250 KiB of Sixel in about 20 ms,
a photo is up to a few times that): the image shows again once the text stops. The pane
drops its images with its page or its width.

The rules are pure (regions in, text out: :class:`SixelPainter`, :func:`places`); the pane
(``widgets/article.py``) asks :func:`screen_places` where its images are on the screen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.segment import Segment
from textual.geometry import Region

if TYPE_CHECKING:
    from textual.widget import Widget

    from streamtui.ui.article.layout import Layout

__all__ = [
    "EVERYWHERE",
    "SETTLE",
    "Encoded",
    "EncodedCache",
    "SixelImage",
    "SixelPainter",
    "blank_rows",
    "encode",
    "place",
    "places",
    "prepare",
    "screen_places",
    "spots_in",
    "written_regions",
]

SETTLE = 0.05
"""Seconds after the last frame that wrote over an image before it is written again."""
EVERYWHERE = Region(0, 0, 1 << 16, 1 << 16)
"""What a frame of an unknown kind may have written."""
CACHE_BYTES = 16 * 1024 * 1024
"""Encoded images kept for a page opened again (a photo is 0.3-1.5 MB of Sixel)."""

Rows = tuple[tuple[Segment, ...], ...]


@dataclass(frozen=True, slots=True)
class Encoded:
    """An image as Sixel for a pane width: its sequence and the cells it covers."""

    data: str
    columns: int
    rows: int


@dataclass(frozen=True, slots=True)
class SixelImage:
    """An image on the open page: its Sixel and the blank cells the pane draws for it (the
    same tuple as its piece's ``picture``: how the pane finds where it is)."""

    encoded: Encoded
    cells: Rows


def blank_rows(columns: int, rows: int) -> Rows:
    """The cells an image reserves: ``rows`` lines of ``columns`` blanks (the pane gives
    them its background)."""
    return tuple((Segment(" " * columns),) for _ in range(rows))


def place(region: Region, data: str) -> str:
    """``data`` (a Sixel sequence) written with its top left at ``region``'s, the cursor
    saved before and restored after."""
    return f"\x1b7\x1b[{region.y + 1};{region.x + 1}H{data}\x1b8"


class SixelPainter:
    """The open page's Sixel images, where each was last written, and what the frames since
    wrote."""

    def __init__(self) -> None:
        self.images: dict[int, SixelImage] = {}
        """By link number."""
        self._shown: dict[int, Region] = {}
        self._touched: list[Region] = []

    def add(self, number: int, image: SixelImage) -> None:
        self.images[number] = image

    def clear(self) -> None:
        self.images, self._shown, self._touched = {}, {}, []

    def note(self, places: dict[int, Region], touched: tuple[Region, ...]) -> bool:
        """A frame wrote ``touched``, the images that may be drawn being at ``places``: True
        when one is to be written (not drawn there yet, or written over). An image not in
        ``places`` (hidden, covered, cut) is no longer counted as drawn."""
        self._touched.extend(touched)
        self._shown = {n: region for n, region in self._shown.items() if places.get(n) == region}
        return any(
            number not in self._shown or any(map(region.overlaps, touched))
            for number, region in places.items()
        )

    def frame(self, places: dict[int, Region], touched: tuple[Region, ...] = ()) -> str:
        """What to write now, the images that may be drawn being at ``places`` (by number;
        the others are hidden, covered or cut): those not drawn there yet and those a frame
        wrote over since the last write (noted, and ``touched``)."""
        touched = (*self._touched, *touched)
        self._touched = []
        out = [
            place(region, self.images[number].encoded.data)
            for number, region in places.items()
            if self._shown.get(number) != region or any(map(region.overlaps, touched))
        ]
        self._shown = dict(places)
        return "".join(out)


class EncodedCache:
    """Encoded images by (image URL, pixels wide, pixels high, colours), the least recently
    used dropped past ``limit`` bytes; shared by the image workers (a lock)."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self._items: OrderedDict[tuple[str, int, int, int], Encoded] = OrderedDict()
        self._limit = limit
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int, int]) -> Encoded | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, int, int, int], encoded: Encoded) -> None:
        with self._lock:
            if key in self._items or len(encoded.data) > self._limit:
                return
            self._items[key] = encoded
            self._size += len(encoded.data)
            while self._size > self._limit:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.data)


def written_regions(update: object) -> tuple[Region, ...]:
    """The regions a frame Textual wrote covers: the whole update's region, a line span a
    region of one line, or (an update of another kind) everywhere."""
    from textual._compositor import ChopsUpdate, LayoutUpdate  # Textual is pinned

    if isinstance(update, LayoutUpdate):
        return (update.region,)
    if isinstance(update, ChopsUpdate):
        return tuple(Region(x1, y, x2 - x1, 1) for y, x1, x2 in update.spans)
    return (EVERYWHERE,)


def places(
    spots: Iterable[tuple[int, int, Encoded]],
    content: Region,
    visible: Region,
    top: int,
    above: Iterable[Region],
    screen_height: int,
) -> dict[int, Region]:
    """Where the images may be drawn: ``spots`` are (number, first line, image) in the pane's
    lines, ``content`` its content region on the screen (``top`` its first line shown),
    ``visible`` the part of it not clipped, ``above`` what other widgets cover. An image is
    drawn only wholly inside ``visible``, under nothing, and above the screen's last line (a
    terminal scrolls when an image reaches it)."""
    covers = [region for region in above if region]
    found = {}
    for number, first, encoded in spots:
        region = Region(content.x, content.y + first - top, encoded.columns, encoded.rows)
        if (
            visible.contains_region(region)
            and region.bottom < screen_height
            and not any(map(region.overlaps, covers))
        ):
            found[number] = region
    return found


def encode(
    data: bytes, cell: tuple[int, int], columns: int, rows: int, colours: int = 256
) -> Encoded | None:
    """Image bytes decoded to fit ``columns`` x ``rows`` cells of ``cell`` pixels and encoded
    as Sixel in at most ``colours`` colours (None: not an image that decodes). Slow: call it
    off the UI thread."""
    from math import ceil

    from streamtui.ui.images.decode import Picture, decode_image
    from streamtui.ui.images.sixel import encode_sixel

    picture = decode_image(data, columns * cell[0], rows * cell[1])
    if not isinstance(picture, Picture):
        return None
    wide, high = ceil(picture.width / cell[0]), ceil(picture.height / cell[1])
    return Encoded(encode_sixel(picture, colours).decode("ascii"), wide, high)


SIXELS = EncodedCache()
"""Sixel images encoded this run, by image and size: a page opened again draws at once."""


def prepare(
    data: bytes, url: str, columns: int, rows: int, colours: int
) -> SixelImage | Literal[False] | None:
    """Image bytes as a Sixel image of at most ``columns`` x ``rows`` cells, at the pixels of
    the tty's cells, in at most ``colours`` colours (encoded here, or found encoded): None
    when they do not decode, False when the tty does not say its cells' size (an image
    sized with a guess could overrun its cells). Slow: call it off the UI thread."""
    import sys

    from streamtui.ui.images.kitty import tty_cell_pixels

    cell = tty_cell_pixels(sys.__stderr__)  # where Textual draws
    if cell is None:
        return False
    key = (url, columns * cell[0], rows * cell[1], colours)
    encoded = SIXELS.get(key)
    if encoded is None:
        encoded = encode(data, cell, columns, rows, colours)
        if encoded is None:
            return None
        SIXELS.put(key, encoded)
    return SixelImage(encoded, blank_rows(encoded.columns, encoded.rows))


def spots_in(layout: Layout, images: Mapping[int, SixelImage]) -> list[tuple[int, int, Encoded]]:
    """(number, first line, image) of each Sixel image in ``layout`` (its piece's picture is
    the image's blank cells)."""
    by_cells = {id(image.cells): (number, image) for number, image in images.items()}
    spots = []
    for index, piece in enumerate(layout.page.pieces):
        found = by_cells.get(id(piece.picture)) if piece.picture else None
        if found is not None:
            spots.append((found[0], layout.firsts[index], found[1].encoded))
    return spots


def screen_places(
    pane: Widget, spots: list[tuple[int, int, Encoded]], top: int
) -> dict[int, Region]:
    """Where the images at ``spots`` of the scrolled ``pane`` (``top`` its first line shown)
    may be drawn on the screen now (:func:`places`): none while another screen is shown or
    the pane is not, none under a widget drawn over the pane."""
    screen = pane.screen
    if not spots or pane.app.screen is not screen or not pane.display:
        return {}
    widgets = screen._compositor.visible_widgets  # top first (Textual is pinned)
    if pane not in widgets:
        return {}
    above = []
    for widget, (region, clip) in widgets.items():
        if widget is pane:
            break
        if widget.parent is not pane:  # its own scrollbars are beside its content
            above.append(region.intersection(clip))
    content = pane.scrollable_content_region
    visible = content.intersection(widgets[pane][1])
    return places(spots, content, visible, top, above, screen.size.height)
