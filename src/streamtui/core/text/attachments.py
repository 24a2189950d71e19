"""What is known of an attachment, in a few words: ``audio/mpeg, 11.8 MiB, 1:02:03``. The
article pane and ``streamtui show`` say it the same way."""

from __future__ import annotations

from streamtui.core.text.sanitize import sanitize


def describe(kind: str, length: int, duration: int) -> str:
    """Type, size and playing time, those that are known ("" when none is)."""
    return ", ".join(part for part in (sanitize(kind), size(length), playing(duration)) if part)


def size(count: int) -> str:
    """``11.8 MiB`` ("" for 0: not said)."""
    if count <= 0:
        return ""
    for unit, step in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= step:
            return f"{count / step:.1f} {unit}"
    return f"{count} bytes"


def playing(seconds: int) -> str:
    """``1:02:03`` or ``45:30`` ("" for 0: not said)."""
    if seconds <= 0:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
