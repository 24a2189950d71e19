"""When and where the article pane writes its Sixel images (``ui/widgets/sixels.py``); the pty
test in tests/reliability/test_image_terminal.py shows the app writing them."""

from __future__ import annotations

from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region

from streamtui.ui.widgets.sixels import (
    EVERYWHERE,
    Encoded,
    EncodedCache,
    SixelImage,
    SixelPainter,
    blank_rows,
    place,
    places,
    written_regions,
)

IMAGE = Encoded("\x1bPq#0~\x1b\\", columns=4, rows=3)
AT = Region(10, 5, 4, 3)


def painter() -> SixelPainter:
    painter = SixelPainter()
    painter.add(1, SixelImage(IMAGE, blank_rows(4, 3)))
    return painter


def test_an_image_is_written_once_then_again_only_where_a_frame_wrote_over_it() -> None:
    sixels = painter()
    assert sixels.frame({1: AT}, ()) == f"\x1b7\x1b[6;11H{IMAGE.data}\x1b8"
    assert sixels.frame({1: AT}, (Region(0, 0, 80, 5), Region(14, 5, 10, 3))) == ""  # beside
    assert sixels.frame({1: AT}, (Region(13, 7, 1, 1),)) == place(AT, IMAGE.data)  # its corner
    assert sixels.frame({1: AT}, (EVERYWHERE,)) == place(AT, IMAGE.data)


def test_an_image_that_moved_or_came_back_is_written_and_a_hidden_one_not() -> None:
    sixels = painter()
    sixels.frame({1: AT}, ())
    moved = Region(10, 4, 4, 3)
    assert sixels.frame({1: moved}, ()) == place(moved, IMAGE.data)
    assert sixels.frame({}, (EVERYWHERE,)) == ""  # covered or cut: nothing written
    assert sixels.frame({1: moved}, ()) == place(moved, IMAGE.data)  # clear again
    sixels.clear()
    assert sixels.frame({}, (EVERYWHERE,)) == "" and not sixels.images


def test_only_images_wholly_in_the_visible_pane_under_nothing_are_placed() -> None:
    content = Region(10, 2, 60, 20)  # the pane's content: lines 2 to 21 of the screen
    spots = [(1, 0, IMAGE), (2, 8, IMAGE), (3, 17, IMAGE), (4, 20, IMAGE)]
    # scrolled 2 lines: the first image's top row is above the pane, the last's below it
    found = places(spots, content, content, 2, (), 40)
    assert found == {2: Region(10, 8, 4, 3), 3: Region(10, 17, 4, 3)}
    clipped = Region(10, 2, 60, 17)  # the pane's last three lines clipped by its container
    assert places(spots, content, clipped, 2, (), 40) == {2: Region(10, 8, 4, 3)}
    toast = Region(12, 10, 30, 3)  # over the second image's last row
    assert places(spots, content, content, 2, (toast, Region(0, 0, 0, 0)), 40) == {
        3: Region(10, 17, 4, 3)
    }
    assert places(spots, content, content, 2, (), 20) == {2: Region(10, 8, 4, 3)}  # last line


def test_frames_say_the_regions_they_wrote() -> None:
    assert written_regions(LayoutUpdate([], Region(0, 0, 80, 24))) == (Region(0, 0, 80, 24),)
    chops = ChopsUpdate([{}, {}, {}], [(1, 5, 9), (2, 0, 80)], [[], [], []])
    assert written_regions(chops) == (Region(5, 1, 4, 1), Region(0, 2, 80, 1))
    assert written_regions(object()) == (EVERYWHERE,)


def test_the_cache_drops_the_least_recently_used_past_its_bytes() -> None:
    cache = EncodedCache(limit=3 * len(IMAGE.data))
    for n in range(3):
        cache.put((f"u{n}", 1, 1, 2), IMAGE)
    assert cache.get(("u0", 1, 1, 2)) is IMAGE  # now the most recently used
    cache.put(("u3", 1, 1, 2), IMAGE)
    assert cache.get(("u1", 1, 1, 2)) is None
    assert all(cache.get((f"u{n}", 1, 1, 2)) is IMAGE for n in (0, 2, 3))
    cache.put(("huge", 1, 1, 2), Encoded("x" * 1000, 1, 1))
    assert cache.get(("huge", 1, 1, 2)) is None


def test_frames_are_noted_until_the_write_which_covers_all_they_wrote() -> None:
    """Keys held down: each frame over an image calls for a write, made once they stop, of
    every image any of those frames wrote over; a frame elsewhere calls for nothing."""
    sixels = painter()
    assert sixels.note({1: AT}, ()) is True  # not drawn yet
    sixels.frame({1: AT})
    assert sixels.note({1: AT}, (Region(0, 0, 5, 1),)) is False  # a spinner elsewhere
    assert sixels.note({1: AT}, (Region(11, 6, 1, 1),)) is True  # over it
    assert sixels.note({1: AT}, (Region(0, 0, 5, 1),)) is False
    assert sixels.frame({1: AT}) == place(AT, IMAGE.data)  # the noted frame counts
    assert sixels.frame({1: AT}) == ""
    assert sixels.note({}, (EVERYWHERE,)) is False  # covered: nothing to write...
    assert sixels.note({1: AT}, ()) is True  # ...and written when clear again
