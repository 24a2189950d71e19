"""The bounded reader: regular files only, a size cap, no escape from the root, no hangs."""

from __future__ import annotations

import codecs
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from streamtui.core.errors import FileReadError
from streamtui.core.files import iter_stream_files, read_bytes, read_text
from streamtui.core.models import LoadResult
from streamtui.core.sources.pages import load_source

WritePage = Callable[..., Path]  # the write_page fixture of conftest.py

T = TypeVar("T")
GOOD = "Good page\n\nIt loads.\n"


def within(seconds: float, call: Callable[[], T]) -> T:
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it takes too long."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def reason_of(path: Path, root: Path) -> str:
    with pytest.raises(FileReadError) as caught:
        within(2, lambda: read_text(path, root))
    return caught.value.reason


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


# -- what is refused -----------------------------------------------------------------------


def test_fifo_named_txt_is_refused_without_hanging(root: Path) -> None:
    fifo = root / "x.txt"
    os.mkfifo(fifo)
    assert reason_of(fifo, root) == "not a regular file"


def test_symlink_to_dev_zero_is_refused(root: Path) -> None:
    link = root / "zero.txt"
    link.symlink_to("/dev/zero")
    assert reason_of(link, root) == "outside the source folder"


def test_device_inside_the_root_is_not_a_regular_file() -> None:
    assert reason_of(Path("/dev/zero"), Path("/dev")) == "not a regular file"


def test_sparse_2gb_file_is_too_large_quickly(root: Path) -> None:
    huge = root / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024**3)
    started = time.monotonic()
    reason = reason_of(huge, root)
    assert reason.startswith("too large")
    assert "2048.0 MiB" in reason and "4.0 MiB" in reason
    assert time.monotonic() - started < 1


def test_cap_is_exact(root: Path) -> None:
    path = root / "a.txt"
    path.write_bytes(b"x" * 100)
    assert read_bytes(path, root, max_bytes=100) == b"x" * 100
    with pytest.raises(FileReadError, match="too large"):
        read_bytes(path, root, max_bytes=99)


def test_dotdot_escape_via_symlink_and_path(tmp_path: Path, root: Path) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("Secret\n\nbody\n")
    link = root / "link.txt"
    link.symlink_to(Path("..") / "outside" / "secret.txt")
    assert reason_of(link, root) == "outside the source folder"
    assert reason_of(root / ".." / "outside" / "secret.txt", root) == "outside the source folder"


def test_sibling_prefix_folder_is_outside(tmp_path: Path, root: Path) -> None:
    evil = tmp_path / "root-evil" / "x.txt"
    evil.parent.mkdir()
    evil.write_text("Evil\n\nbody\n")
    assert str(evil).startswith(str(root))  # what a string-prefix check would let through
    link = root / "x.txt"
    link.symlink_to(evil)
    assert reason_of(link, root) == "outside the source folder"


def test_symlink_loop_is_an_error_not_a_hang(root: Path) -> None:
    (root / "a.txt").symlink_to(root / "b.txt")
    (root / "b.txt").symlink_to(root / "a.txt")
    (root / "self.txt").symlink_to(root / "self.txt")
    for name in ("a.txt", "self.txt"):
        reason = reason_of(root / name, root)
        assert "loop" in reason or "symbolic links" in reason


def test_missing_file(root: Path) -> None:
    assert reason_of(root / "gone.txt", root) == "no such file or directory"


def test_nul_bytes_mean_a_binary_file(root: Path) -> None:
    path = root / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert reason_of(path, root).startswith("binary file")


# -- what is read --------------------------------------------------------------------------


def test_empty_file_is_fine(root: Path) -> None:
    path = root / "empty.txt"
    path.write_bytes(b"")
    assert read_text(path, root) == ("", "utf-8")


def test_latin1_file_falls_back_to_cp1252(root: Path) -> None:
    path = root / "latin.txt"
    path.write_bytes("Café naïve - ½ ÿ".encode("latin-1"))
    assert read_text(path, root) == ("Café naïve - ½ ÿ", "cp1252")


@pytest.mark.parametrize(
    "bom, encoding",
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF8, "utf-8"),
    ],
)
def test_bom_decides_the_encoding(root: Path, bom: bytes, encoding: str) -> None:
    text = "Grüße “aus” 東京 🚀\n\nBody.\n"
    path = root / "bom.txt"
    path.write_bytes(bom + text.encode(encoding))
    assert read_text(path, root) == (text, encoding)
    result = load_source(str(root), root)
    assert [(i.title, i.body, i.encoding) for i in result.items] == [
        ("Grüße “aus” 東京 🚀", "Body.", encoding)
    ]


def test_utf16_without_bom_is_binary(root: Path) -> None:
    path = root / "nobom.txt"
    path.write_bytes("Title".encode("utf-16-le"))
    assert reason_of(path, root).startswith("binary file")


# -- hostile file names --------------------------------------------------------------------

ESCAPE_NAME = "evil\x1b]0;pwned\x07\x1b[2J.txt"


def no_escape(text: str) -> bool:
    return not any(ch in text for ch in "\x1b\x07\x9b\x9d") and "pwned" not in text


def all_text(result: LoadResult) -> list[str]:
    fields = [f for p in result.problems for f in (p.path, p.reason)]
    for item in result.items:
        fields += [item.id, item.title, item.summary, item.body, item.path, item.encoding]
    return fields


def test_file_name_with_an_escape_sequence_is_shown_sanitised(
    root: Path, write_page: WritePage
) -> None:
    write_page(root, ESCAPE_NAME, GOOD)
    write_page(root, "bin" + ESCAPE_NAME, b"\x00\x01binary")
    result = load_source(str(root), root)
    assert [i.title for i in result.items] == ["Good page"]
    assert len(result.problems) == 1
    assert result.problems[0].reason.startswith("binary file")
    for text in all_text(result):
        assert no_escape(text), ascii(text)
    assert result.items[0].path.startswith("evil") and result.items[0].path.endswith(".txt")
    with pytest.raises(FileReadError) as caught:
        read_text(root / ("bin" + ESCAPE_NAME), root)
    assert no_escape(str(caught.value))


def test_file_name_with_invalid_utf8_bytes(root: Path, write_page: WritePage) -> None:
    write_page(root, b"bad\xff.txt", GOOD)
    write_page(root, b"worse\xfe.txt", b"\x00binary")
    result = load_source(str(root), root)
    assert [i.title for i in result.items] == ["Good page"]
    assert result.items[0].path == "bad\ufffd.txt"
    assert result.problems[0].path == "worse\ufffd.txt"
    for text in all_text(result):
        text.encode("utf-8")  # no lone surrogate left from surrogateescape
    json.dumps([all_text(result)], ensure_ascii=False).encode("utf-8")


# -- the walk and load_source --------------------------------------------------------------


def test_iter_stream_files_yields_paths_and_problems_in_order(
    tmp_path: Path, root: Path, write_page: WritePage
) -> None:
    write_page(root, "b.txt", GOOD)
    write_page(root, "a/inner.md", GOOD)
    write_page(root, "c.html", GOOD)
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    found = list(iter_stream_files(root))
    paths = [f.relative_to(root).as_posix() for f in found if isinstance(f, Path)]
    problems = [f for f in found if isinstance(f, FileReadError)]
    assert paths == ["a/inner.md", "b.txt"]
    assert [p.reason for p in problems] == ["symlink leaves the source folder"]


def test_good_files_load_beside_every_kind_of_bad_file(
    tmp_path: Path, root: Path, write_page: WritePage
) -> None:
    write_page(root, "01-good.txt", GOOD)
    os.mkfifo(root / "02-fifo.txt")
    (root / "03-zero.txt").symlink_to("/dev/zero")
    with open(root / "04-huge.txt", "wb") as handle:
        handle.truncate(2 * 1024**3)
    write_page(tmp_path / "outside", "secret.txt", "Secret\n\nbody\n")
    (root / "05-escape.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    write_page(tmp_path / "root-evil", "x.txt", "Evil\n\nbody\n")
    (root / "06-prefix.txt").symlink_to(tmp_path / "root-evil" / "x.txt")
    (root / "07-loop.txt").symlink_to(root / "07-loop.txt")
    write_page(root, "08-binary.txt", b"abc\x00def")
    write_page(root, ESCAPE_NAME, b"\x00")
    write_page(root, "10-utf16.txt", codecs.BOM_UTF16_LE + "UTF-16 page\n\nok\n".encode(
        "utf-16-le"))  # fmt: skip
    write_page(root, "zz-good.md", "Last good page\n\nbody\n")

    result = within(5, lambda: load_source(str(root), root))
    assert [i.title for i in result.items] == ["Good page", "UTF-16 page", "Last good page"]
    reasons = {p.path: p.reason for p in result.problems}
    assert reasons["02-fifo.txt"] == "not a regular file"
    assert reasons["03-zero.txt"] == "outside the source folder"
    assert reasons["04-huge.txt"].startswith("too large")
    assert reasons["05-escape.txt"] == "outside the source folder"
    assert reasons["06-prefix.txt"] == "outside the source folder"
    assert "07-loop.txt" in reasons
    assert reasons["08-binary.txt"].startswith("binary file")
    assert len(result.problems) == 8
    for text in all_text(result):
        assert no_escape(text), ascii(text)
