"""The one home of decoding bytes into text: a byte-order mark, else UTF-8, else cp1252.

Stream pages, feed files (their first element) and subscription lists are all read this way;
feeds themselves are decoded by their parser, which honours the XML declaration."""

from __future__ import annotations

import codecs

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
"""Byte-order marks and their codecs, in the order to test them."""


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes; returns the text and the name of the decoding used."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError:
                replaced = data[len(bom) :].decode(encoding, "replace")
                return replaced, f"{encoding} (with replacements)"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), "utf-8 (with replacements)"
