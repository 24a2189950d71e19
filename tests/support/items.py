"""Builders of test data: items for store tests and stream pages on disk (the ``item`` and
``write_page`` fixtures of tests/conftest.py are these)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from streamtui.core.models import Item


def write_page(
    directory: Path, name: str | bytes, text: str | bytes, mtime: float | None = None
) -> Path:
    """Write a page (str as UTF-8, bytes as they are) and optionally set its mtime."""
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(name, bytes):
        raw = os.path.join(os.fsencode(directory), name)
        with open(raw, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        if mtime is not None:
            os.utime(raw, (mtime, mtime))
        return Path(os.fsdecode(raw))
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def make_item(
    item_id: str, title: str = "", *, published: float = 1_700_000_000, **kw: object
) -> Item:
    """An Item with sensible defaults, for store tests (also the ``item`` fixture)."""
    return Item(
        id=item_id,
        title=title or f"title {item_id}",
        summary=str(kw.pop("summary", f"summary {item_id}")),
        body=str(kw.pop("body", f"body {item_id}")),
        published=datetime.fromtimestamp(published, UTC),
        **kw,  # type: ignore[arg-type]
    )
