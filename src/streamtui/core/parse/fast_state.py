"""The fast parse path's state: what feedparser's strict parser keeps while it reads, as far as
the keys we read see it (the context a value lands in, the element stack, the content
parameters, ``pop`` with its URI joins and text repairs), and the result it gives.

:mod:`~streamtui.core.parse.fast` drives a :class:`State` from expat's events, and
:mod:`~streamtui.core.parse.fast_handlers` holds the element handlers that change it. Both
import this module and it imports neither: the handlers need the state's type, the events
need the handlers' tables.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from feedparser.html import _cp1252  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]
from feedparser.urls import _urljoin  # type: ignore[import-untyped]
from feedparser.util import FeedParserDict  # type: ignore[import-untyped]

from streamtui.core.parse.fields import Enclosures, enclosure_fields, entry_from_fields

TEXT, HTML, XHTML = "text/plain", "text/html", "application/xhtml+xml"
CONTENT_TYPES = frozenset({TEXT, HTML, XHTML})
ROOTS = frozenset({"rss", "feed", "rdf_rdf"})
VERSIONS = frozenset(
    {"rss20", "rss10", "rss090", "rss091u", "rss092", "rss093", "rss094", "rss", "atom10", "atom03"}
)
"""Formats accepted (feedparser's names); Atom 0.3 and CDF go to feedparser."""
WANTED = frozenset({"id", "link", "title", "summary", "published", "updated", "created"})
"""Keys whose values are kept (the others feedparser fills are read by nobody here)."""
KEPT = frozenset({"itunes_duration", "author"})
"""Entry keys kept too: ``itunes:duration`` (an element without a feedparser handler: its
generic start and pop store it, the enclosures' playing time) and ``author`` (what the author
handlers read back: see fast_handlers)."""
READ_KEYS = WANTED | {
    "links", "content", "enclosures", "image", "textinput", "guidislink",
    "author", "authors", "author_detail",
    *(f"{key}_detail" for key in ("title", "summary")),
    *(f"{key}_parsed" for key in ("published", "updated", "created")),
}  # fmt: skip
"""Keys an element of no feedparser handler must not land on (through FeedParserDict's keymap
too, e.g. ``<date>`` becomes ``updated``)."""
RELATIVE = _FeedParserMixin.can_be_relative_uri
KEYMAP: dict[str, Any] = FeedParserDict.keymap
_QUERY_FIX = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")
"""What feedparser's cp1252 table maps (translating with it is slow: search first)."""
looks_like_html: Callable[[str], bool] = _FeedParserMixin.looks_like_html


def join(base: str, uri: str) -> str:
    """feedparser's ``_urljoin``: without its two passes where they change nothing (no base,
    and no slash after a scheme's "://" for its fix-up to remove)."""
    if not base and ":///" not in uri:
        return uri
    joined: str = _urljoin(base, uri)
    return joined


def _may_be_html(text: str) -> bool:
    """feedparser's ``looks_like_html``, whose first test needs a "<" or an "&"."""
    return ("<" in text or "&" in text) and looks_like_html(text)


class Unsure(Exception):
    """Something feedparser would do that this module does not model."""


def map_type(kind: str) -> str:
    kind = kind.lower()
    if kind in ("text", "plain"):
        return TEXT
    if kind == "html":
        return HTML
    if kind == "xhtml":
        return XHTML
    return kind


class State:
    """feedparser's strict-parser state, for the handlers listed in fast_handlers' START and END."""

    def __init__(self) -> None:
        self.version = ""
        self.root = ""
        self.namespaces_in_use: dict[str, str] = {}
        self.namespacemap: dict[str | None, str] = {}
        self.feeddata: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.depths: list[dict[str, int]] = []
        self.sourcedata: dict[str, Any] = {}
        self.stack: list[list[Any]] = []
        """[name, expecting text, pieces, stale]: stale marks the first of a double push."""
        self.params: dict[str, Any] = {}
        self.held: list[dict[str, Any]] = []
        """The context each open element of a _text handler started in: feedparser's end
        handlers index it again (tags, media credits...) and raise when it changed."""
        self.infeed = self.inentry = self.insource = self.inimage = self.intextinput = 0
        self.incontent = 0
        self.inauthor = self.inpublisher = self.incontributor = 0
        self.svg = 0
        self.chapters = False
        self.has_content = 0
        self.summary_key: str | None = None
        self.guidislink = False
        self.title_depth = -1
        self.depth = 0
        self.baseuri = ""
        self.basestack: list[str] = []

    # -- feedparser's helpers ------------------------------------------------------------------

    def _check_key(self, name: str) -> None:
        mapped = KEYMAP.get(name, name)
        keys = mapped if isinstance(mapped, list) else [mapped]
        if any(key in READ_KEYS for key in keys):
            raise Unsure

    def context(self) -> dict[str, Any]:
        if self.insource:
            return self.sourcedata
        if self.inimage and "image" in self.feeddata:
            image: dict[str, Any] = self.feeddata["image"]
            return image
        if self.intextinput:
            if "textinput" not in self.feeddata:
                raise Unsure  # feedparser raises KeyError here
            textinput: dict[str, Any] = self.feeddata["textinput"]
            return textinput
        if self.inentry:
            return self.entries[-1]
        return self.feeddata

    def save(self, key: str, value: Any, overwrite: bool = False) -> None:
        context = self.context()
        if overwrite:
            context[key] = value
        else:
            context.setdefault(key, value)

    def push(self, name: str, expecting: int | bool, stale: bool = False) -> None:
        self.stack.append([name, expecting, [], stale])

    def push_content(self, tag: str, attrs: dict[str, str], default: str, expecting: Any) -> None:
        self.incontent += 1
        kind = map_type(attrs.get("type", default))
        if kind not in CONTENT_TYPES or attrs.get("mode", "") == "base64":
            raise Unsure  # feedparser would decode base64 or read other markup
        self.params = {"type": kind, "base": self.baseuri, "depth": self.depth}
        self.push(tag, expecting)

    def pop_content(self, tag: str) -> str | None:
        value = self.pop(tag)
        self.incontent -= 1
        self.params = {}
        return value

    def pop(self, element: str, *, strict: bool = True) -> str | None:
        """feedparser's pop; strict: a stack that does not match means "not sure"."""
        stack = self.stack
        if not stack or stack[-1][0] != element:
            if strict:
                raise Unsure
            return None
        _name, expecting, pieces, _stale = stack.pop()
        params = self.params
        if self.version == "atom10" and params.get("type", "text") == XHTML:
            pieces = _unwrap_div(pieces)
        output = "".join(pieces).strip()
        if not expecting:
            return output
        if element in RELATIVE and output and (element != "id" or self.guidislink):
            output = join(self.baseuri, output)
        atom = self.version.startswith("atom")
        if not atom and params.get("type") == TEXT and _may_be_html(output):
            params["type"] = HTML
        if not output.isascii():
            # feedparser's repair of UTF-8 read as Latin-1, then of cp1252 code points
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                output = output.encode("iso-8859-1").decode("utf-8")
            if _C1.search(output):
                output = output.translate(_cp1252)
        if element in ("category", "tags", "itunes_keywords"):
            return output
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry and not self.insource:
            self._store_entry(element, output, params)
        elif self.infeed or self.insource:
            context = self.context()
            if element == "description":
                element = "subtitle"
            if element == "link":
                if "&" in output:
                    output = _QUERY_FIX.sub(r"&\g<1>", output)
                context["link"] = output
                context["links"][-1]["href"] = output
            else:
                if element in WANTED:
                    context[element] = output
                if self.incontent and element in ("title", "summary"):
                    context[element + "_detail"] = _detail(params, output)
        return output

    def _store_entry(self, element: str, output: str, params: dict[str, Any]) -> None:
        entry = self.entries[-1]
        if element == "content":
            entry.setdefault("content", []).append(_detail(params, output))
        elif element == "link":
            if not self.inimage:
                if "&" in output:
                    output = _QUERY_FIX.sub(r"&\g<1>", output.replace("&amp;", "&"))
                entry["link"] = output
                if output:
                    entry["links"][-1]["href"] = output
        else:
            if element == "description":
                element = "summary"
            if element in WANTED or element in KEPT:
                depths = self.depths[-1]
                old = depths.get(element)
                if old is None or self.depth <= old:
                    depths[element] = self.depth
                    entry[element] = output
            if self.incontent and element in ("title", "summary"):
                entry[element + "_detail"] = _detail(params, output)

    # -- the result ----------------------------------------------------------------------------

    def result(self) -> dict[str, Any] | None:
        """The result's keys that parse.feed reads: the version, the feed's title and link,
        and the entries made into Entries here (what ``parse.feed._from_feedparser`` would
        make of feedparser's dictionaries, without building them); None for a format we do
        not accept."""
        if self.root not in ROOTS or self.version not in VERSIONS:
            return None
        feed = {
            k: self.feeddata[k] for k in ("title", "title_detail", "link") if k in self.feeddata
        }
        entries = [entry_from_fields(entry, _enclosures(entry)) for entry in self.entries]
        return {"bozo": False, "version": self.version, "feed": feed, "entries": entries}


def _enclosures(entry: dict[str, Any]) -> Enclosures:
    """What FeedParserDict's ``enclosures`` gives: the links of rel "enclosure", none at all
    when a link has no rel (its lookup raises KeyError) or there are no links."""
    links: list[dict[str, Any]] | None = entry.get("links")
    if not links or not all("rel" in link for link in links):
        return ()
    return enclosure_fields([link for link in links if link["rel"] == "enclosure"])


def _detail(params: dict[str, Any], value: str) -> dict[str, Any]:
    return {"type": params.get("type"), "base": params.get("base"), "value": value}


def _unwrap_div(pieces: list[str]) -> list[str]:
    """feedparser drops an Atom XHTML construct's enclosing div when it wraps everything."""
    pieces = list(pieces)
    while len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if (
        pieces
        and (pieces[0] == "<div>" or pieces[0].startswith("<div "))
        and pieces[-1] == "</div>"
    ):
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    return pieces
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        return pieces[1:-1]
    return pieces
