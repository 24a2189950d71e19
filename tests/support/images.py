"""Images for tests and benchmarks: PNG files that lie about their size, and real bombs."""

from __future__ import annotations

import struct
import zlib


def png_declaring(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose header declares ``width`` x ``height`` and whose data is ``idat``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def bomb(side: int) -> bytes:
    """A real greyscale PNG of ``side`` x ``side`` zero pixels: tiny on disk, huge decoded."""
    compressor = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte 0, then the pixels
    parts = [compressor.compress(row) for _ in range(side)]
    return png_declaring(side, side, b"".join(parts) + compressor.flush())
