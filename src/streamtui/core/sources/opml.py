"""Subscription lists in (OPML 1.0/2.0 or one feed URL a line) and OPML 2.0 out.

Which kind of list a file holds is told by its content. The XML goes to expat as bytes (it
honours the BOM and the declared encoding) after every DOCTYPE and ``<!ENTITY>`` declaration is
cut out (core/parse/defuse.py), so nothing expands and nothing external is loaded; an entity
declaration that slips past the cut stops the parse. A file broken by undefined entities
(``&nbsp;``), bare ampersands or stray control bytes gets one repair attempt before it is
refused with the parser's message. Only feed URLs come through (the rule: core/urls.py);
every other entry comes back as :class:`Rejected`.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.parsers import expat

from streamtui.core.errors import SourceError
from streamtui.core.parse.defuse import defuse
from streamtui.core.text.decode import decode
from streamtui.core.text.sanitize import excerpt, sanitize
from streamtui.core.urls import feed_identity, web_problem


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed to subscribe to. ``folder`` holds nested outline titles joined with "/"."""

    url: str
    title: str = ""
    folder: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry that was not imported: the URL or outline text as given (sanitised), and why."""

    entry: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportList:
    subscriptions: tuple[Subscription, ...]
    rejected: tuple[Rejected, ...]
    duplicates: int = 0
    """Entries whose URL appeared earlier in the same file (the first one is kept)."""


def read_subscriptions(data: bytes, *, name: str = "") -> ImportList:
    """The feeds of an OPML file or URL list; SourceError naming ``name`` if it is neither.

    A file that starts like XML (after BOMs and any whitespace) is OPML or an error naming
    the line where it breaks; it is never read again as a list of URLs, one "rejected" line
    per tag. A list whose lines hold markup is a broken XML file, not a list either.
    """
    label = name or "subscription list"
    text, encoding = decode(data)
    exact = encoding not in _GUESSED
    if _LEADING_TEXT.sub("", text, count=1).startswith("<") or data.startswith(_UTF16_TAG):
        return _collect(_read_opml(_LEADING_BYTES.sub(b"", data, count=1), label))
    if "\x00" in text or (not exact and _BINARY.search(text)):
        raise SourceError(label, "neither OPML nor a list of feed URLs (binary data)")
    return _collect(_read_url_lines(text, label))


_GUESSED = ("cp1252", "utf-8 (with replacements)")
"""Decodings that are a fallback (text/decode.py): the bytes were no Unicode text."""
_LEADING_TEXT = re.compile("^[\\s\ufeff\u200b]+")
"""What may come before the first ``<`` of an XML file as a person or a tool left it: any
whitespace (a form feed, a no-break space), byte order marks, a zero-width space."""
_LEADING_BYTES = re.compile(rb"^(?:[ \t\r\n\f\v]|\xef\xbb\xbf|\xc2\xa0|\xe2\x80[\x8b\xa8\xa9])+")
"""The same in UTF-8 bytes, cut before expat reads them (it wants the declaration first).
A UTF-16 file keeps its BOM: expat reads its encoding from it."""
_UTF16_TAG = (b"<\x00", b"\x00<")
"""A UTF-16 XML file without a BOM starts with one of these."""


# --- deciding what to import ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    url: str
    title: str = ""
    folder: str = ""
    label: str = ""
    """What to show for an entry without a URL."""


_ONLY_WEB = "only http and https feeds can be imported"
_SCHEME_NOTES = {
    "exec": " (newsboat runs them as commands)",
    "filter": " (newsboat runs them as commands)",
    "query": " (they are newsboat searches, not feeds)",
    "file": " (they read local files)",
    "feed": " (give the http or https address instead)",
}
_LOCAL_PATH = re.compile(r"/(?!/)|[~.\\]|[A-Za-z]:[\\/]")  # "//host/x" has no scheme


def _collect(entries: Iterable[_Entry]) -> ImportList:
    subscriptions: list[Subscription] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    duplicates = 0
    for entry in entries:
        url = entry.url.strip(" \t\r\n")
        reason = _refusal(url)
        if reason:
            rejected.append(Rejected(excerpt(url, 200) or entry.label, reason))
        elif (identity := feed_identity(url)) in seen:
            duplicates += 1
        else:
            seen.add(identity)
            subscriptions.append(Subscription(url, entry.title, entry.folder))
    return ImportList(tuple(subscriptions), tuple(rejected), duplicates)


def _refusal(url: str) -> str:
    """Why ``url`` cannot be imported, or "" when it is a feed URL (the rule: core/urls.py)."""
    if not url:
        return "the outline has no feed URL"
    problem = web_problem(url)
    if problem is None:
        return ""
    if problem.kind == "spaces":
        return "the URL contains whitespace or control characters"
    if problem.kind == "invalid":
        return f"not a valid URL: {sanitize(problem.detail)}"
    if problem.kind == "scheme" and _LOCAL_PATH.match(url):
        return f"{_ONLY_WEB}; local paths are refused"
    if problem.kind == "scheme" and not problem.detail:
        return f"{_ONLY_WEB}; this is a relative path or a URL without a scheme"
    if problem.kind == "scheme":
        notes = _SCHEME_NOTES.get(problem.detail, "")
        return f"{_ONLY_WEB}; {problem.detail}: URLs are refused{notes}"
    if problem.kind == "port":
        return "not a valid URL: port 0 cannot be connected to"
    return "the URL has no host"


# --- plain lists -----------------------------------------------------------------------------

_BINARY = re.compile("[\x01-\x08\x0e-\x1f\x7f]")


def _read_url_lines(text: str, label: str) -> list[_Entry]:
    entries = []
    for number, line in enumerate(re.split("\r\n|\r|\n", text), 1):
        entry = line.strip(" \t")
        if entry and not entry.startswith("#"):
            if _MARKUP_LINE.search(entry):
                raise SourceError(
                    label,
                    f"line {number} is markup, not a feed URL ({excerpt(entry, 60)}): a "
                    "broken XML file? OPML must start with '<'; a list holds one URL a line",
                )
            entries.append(_Entry(entry))
    return entries


_MARKUP_LINE = re.compile(r"^<|<(?:[?!/]|opml\b|outline\b|body\b|head\b)", re.IGNORECASE)
"""A line that is (or holds) XML markup: a tag never stands in a URL (``<`` is %3C there)."""


# --- OPML ------------------------------------------------------------------------------------


class _NotOpml(Exception):
    """The XML is well-formed so far but is not an OPML subscription list: the whole reason."""


_PARSE_ERRORS = (expat.ExpatError, LookupError, ValueError)  # LookupError: unknown encoding


def _read_opml(data: bytes, label: str) -> list[_Entry]:
    cleaned = defuse(data)
    try:
        try:
            return _parse(cleaned)
        except _PARSE_ERRORS as error:
            repaired = _repair(cleaned)
            if repaired == cleaned:
                raise SourceError(label, f"not valid OPML: {sanitize(str(error))}") from error
        return _parse(repaired)
    except _PARSE_ERRORS as error:
        raise SourceError(label, f"not valid OPML: {sanitize(str(error))}") from error
    except _NotOpml as error:
        raise SourceError(label, str(error)) from error


def _parse(data: bytes) -> list[_Entry]:
    outlines = _Outlines()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = outlines.start
    parser.EndElementHandler = outlines.end
    parser.EntityDeclHandler = _refuse_entity
    parser.Parse(data, True)
    if not outlines.has_body:
        raise _NotOpml("not valid OPML: the <opml> element has no <body>")
    return outlines.entries


def _refuse_entity(*_: Any) -> None:
    raise _NotOpml("not valid OPML: entity declarations are not allowed")


MAX_FOLDER_DEPTH = 8
"""Nested folder outlines beyond this depth add nothing to a feed's folder. Every outline
joined every folder name above it: 20,000 nested folders took 29 s and 200 KB a folder name."""


class _Outlines:
    """expat callbacks: an entry for every outline in the body that carries a feed URL."""

    def __init__(self) -> None:
        self.elements: list[str] = []
        self.folders: list[tuple[str, int]] = [("", 0)]
        """For each open outline (after the body's own entry): the folder path of what it
        holds, and how many folder names that path has."""
        self.entries: list[_Entry] = []
        self.has_body = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = name.lower()
        if not self.elements and tag != "opml":
            raise _NotOpml(f"not OPML: the root element is <{sanitize(name)}>, not <opml>")
        if tag == "body" and len(self.elements) == 1:
            self.has_body = True
        if tag == "outline" and self.elements[1:2] == ["body"]:
            name = self._outline({k.lower(): v for k, v in attributes.items()})
            path, depth = self.folders[-1]
            if name and depth < MAX_FOLDER_DEPTH:
                path, depth = (f"{path}/{name}" if path else name), depth + 1
            self.folders.append((path, depth))
        self.elements.append(tag)

    def end(self, name: str) -> None:
        if self.elements.pop() == "outline" and self.elements[1:2] == ["body"]:
            self.folders.pop()

    def _outline(self, attributes: dict[str, str]) -> str:
        """Record a feed outline and return ""; a folder outline returns its name."""
        text = sanitize(attributes.get("text", ""))
        title = sanitize(attributes.get("title", ""))
        urls = [attributes[key] for key in ("xmlurl", "url") if key in attributes]
        feed_type = attributes.get("type", "").lower() in ("rss", "atom")
        if not urls and not feed_type:
            return text or title
        url = next((u for u in urls if u.strip()), "")
        folder = self.folders[-1][0]
        self.entries.append(_Entry(url, title or text, folder, title or text or "(untitled)"))
        return ""


# --- declarations and repairs ----------------------------------------------------------------

_REFERENCE = re.compile(rb"&(?:(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z_][A-Za-z0-9._:-]*);)?")
_XML_ENTITIES = (b"amp", b"lt", b"gt", b"quot", b"apos")
_STRAY_CONTROLS = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]")


def _repair(data: bytes) -> bytes:
    """Undefined entities as characters, bare ``&`` escaped, stray control bytes dropped, and
    a file that says (or defaults to) UTF-8 but is not read as Windows-1252.

    Works on ASCII-compatible encodings only: a file with NUL bytes (UTF-16) is left alone.
    """
    if b"\x00" in data:
        return data
    return _as_utf8(_STRAY_CONTROLS.sub(b"", _REFERENCE.sub(_fixed_reference, data)))


_DECLARED_ENCODING = re.compile(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")


def _as_utf8(data: bytes) -> bytes:
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")
    return data


def _fixed_reference(match: re.Match[bytes]) -> bytes:
    reference = match.group(1)
    if reference is None:
        return b"&amp;"
    if reference.startswith(b"#"):
        hexadecimal = reference[1:2] in (b"x", b"X")
        code = int(reference[2:], 16) if hexadecimal else int(reference[1:])
        return match.group() if _is_xml_char(code) else b""
    if reference in _XML_ENTITIES:
        return match.group()
    value = html.entities.html5.get(reference.decode("ascii") + ";")
    if value is None:
        return b"&amp;" + reference + b";"
    return "".join(f"&#{ord(c)};" for c in value).encode("ascii")


def _is_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


# --- writing ---------------------------------------------------------------------------------

_NONCHARACTERS = re.compile("[\ufffe\uffff]")


def write_opml(
    subscriptions: Iterable[Subscription],
    *,
    title: str = "streamtui subscriptions",
    created: datetime | None = None,
) -> str:
    """OPML 2.0 that newsboat (``newsboat -i``), other readers and our own import read back.

    Folders become nested ``<outline text="...">`` elements; the order given is kept, so a
    folder whose subscriptions are not next to each other appears more than once.
    """
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_escape(title)}</title>",
        f"    <dateCreated>{_rfc822(created or datetime.now(UTC))}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    return "\n".join([*head, *_body_lines(subscriptions), "  </body>", "</opml>", ""])


def _body_lines(subscriptions: Iterable[Subscription]) -> Iterator[str]:
    open_folders: list[str] = []
    for subscription in subscriptions:
        path = [
            name for name in (sanitize(part) for part in subscription.folder.split("/")) if name
        ]
        shared = 0
        while shared < min(len(path), len(open_folders)) and path[shared] == open_folders[shared]:
            shared += 1
        while len(open_folders) > shared:
            open_folders.pop()
            yield f"{_indent(open_folders)}</outline>"
        for name in path[shared:]:
            yield f'{_indent(open_folders)}<outline text="{_escape(name)}">'
            open_folders.append(name)
        name = _escape(subscription.title)
        yield (
            f'{_indent(open_folders)}<outline type="rss" text="{name}" title="{name}"'
            f' xmlUrl="{_escape(subscription.url)}"/>'
        )
    while open_folders:
        open_folders.pop()
        yield f"{_indent(open_folders)}</outline>"


def _indent(open_folders: list[str]) -> str:
    return "    " + "  " * len(open_folders)


def _escape(value: str) -> str:
    """``value`` safe inside an XML attribute or element: controls removed, markup escaped."""
    text = _NONCHARACTERS.sub("", sanitize(value))
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _rfc822(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)
