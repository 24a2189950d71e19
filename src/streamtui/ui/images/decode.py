"""Image bytes -> a small drawable value, within caps: the one place Pillow is used.

:func:`decode_image` is pure (bytes and numbers in, a frozen value out, never an exception), so
it runs off the UI thread, in a thread or a worker process. Pillow is imported on the first
call, never before: the app starts, and draws its first frame, without it.

The caps, each checked before the cost it guards:

- bytes: at most :data:`MAX_BYTES` (the image fetch cap);
- formats: PNG, JPEG, GIF, WebP and BMP only (what article images are). Pillow would
  otherwise try every plugin it has, EPS among them, which runs Ghostscript on ``load()``;
- decoded pixels: the size in the header is checked before ``load()`` against
  :data:`MAX_PIXELS`; a JPEG is first asked to decode at a reduced scale (``draft``), so a
  large photo costs its thumbnail. ``Image.MAX_IMAGE_PIXELS`` is set to the same cap as a
  second lock (Pillow raises DecompressionBombError at twice it, which is caught);
- frames: the first only (an animated GIF is one picture).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["FORMATS", "MAX_BYTES", "MAX_PIXELS", "Picture", "Unreadable", "decode_image", "fit"]

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 24_000_000
"""Decoded pixels at most (6000 x 4000): about 96 MB as RGBA while it is scaled down."""
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
BACKGROUND = (0, 0, 0)
"""What transparent pixels are laid on, unless the caller gives the pane's background."""


@dataclass(frozen=True, slots=True)
class Picture:
    """An image scaled to be drawn: ``width`` x ``height`` pixels, RGB, row by row."""

    width: int
    height: int
    rgb: bytes

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        start = (y * self.width + x) * 3
        red, green, blue = self.rgb[start : start + 3]
        return red, green, blue


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Why an image is not drawn: one line (the pane keeps its ``[image: alt]``)."""

    reason: str


def fit(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled down (never up) to fit ``max_width`` x ``max_height``,
    keeping its proportions; at least 1 x 1."""
    scale = min(1.0, max_width / width, max_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode_image(
    data: bytes,
    max_width: int,
    max_height: int,
    *,
    background: tuple[int, int, int] = BACKGROUND,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> Picture | Unreadable:
    """``data`` decoded and scaled to fit ``max_width`` x ``max_height`` pixels (for half
    blocks: the pane's columns x twice its rows), or why not."""
    if not data:
        return Unreadable("the image is empty")
    if len(data) > max_bytes:
        return Unreadable(f"the image is larger than the {max_bytes / 1048576:g} MiB limit")
    try:
        return _decode(data, max(1, max_width), max(1, max_height), background, max_pixels)
    except MemoryError:
        return Unreadable("the image needs more memory than it may use")
    except Exception as error:
        return Unreadable(_reason(error))


def _decode(
    data: bytes, max_width: int, max_height: int, background: tuple[int, int, int], cap: int
) -> Picture | Unreadable:
    pil = _pillow()
    with pil.open(io.BytesIO(data), formats=FORMATS) as image:
        width, height = image.size
        if width < 1 or height < 1:
            return Unreadable("the image has no pixels")
        target = fit(width, height, max_width, max_height)
        if image.format == "JPEG":
            image.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 scale when that is enough
        decoded = image.size[0] * image.size[1]
        if decoded > cap:
            return Unreadable(
                f"the image is {width} x {height} pixels, more than the "
                f"{cap / 1e6:g} million decoded at most (a decompression bomb?)"
            )
        image.seek(0)
        image.load()
        flat = _flatten(pil, image, background)
        if flat.size != target:
            flat = flat.resize(target, pil.Resampling.BOX, reducing_gap=2.0)
        return Picture(target[0], target[1], flat.tobytes())


def _flatten(pil: Any, image: Image, background: tuple[int, int, int]) -> Image:
    """The image as RGB, transparent parts laid on ``background``."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        base = pil.new("RGBA", rgba.size, (*background, 255))
        base.alpha_composite(rgba)
        flat: Image = base.convert("RGB")
        return flat
    converted: Image = image.convert("RGB")
    return converted


def _pillow() -> Any:
    """PIL.Image, imported on first use, with its own bomb check set to our cap."""
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    # Pillow warns (on standard error: the app's terminal) between its limit and twice it; our
    # own check refuses those images with a reason instead. Set at every call (Python drops
    # the duplicate), as whatever resets the filters (a test harness) may have dropped it.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    return Image


def _reason(error: Exception) -> str:
    name = type(error).__name__
    if name == "DecompressionBombError":
        return "the image declares more pixels than it may decode (a decompression bomb)"
    if name == "UnidentifiedImageError":
        return f"not an image streamtui draws ({', '.join(FORMATS)})"
    if isinstance(error, (OSError, SyntaxError, ValueError, EOFError, IndexError)):
        return "the image is damaged and cannot be decoded"
    return f"the image could not be decoded ({name})"
