"""The fast parse path: well-formed RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 read as feedparser reads
them, in a fraction of its time, or ``None`` ("not sure") and feedparser reads them instead.

:func:`parse` takes the bytes ``feeds._run_feedparser`` would hand to feedparser (converted to
UTF-8 by feedparser's own ``convert_to_utf8`` and defused) and returns a result shaped like
feedparser's for the keys that ``feeds._from_feedparser`` and ``feeds._parse_xml`` read:
``version``, ``feed`` (title, title_detail, link) and ``entries`` (id, link, title(_detail),
summary(_detail), content, published/updated/created with their ``_parsed`` time tuples,
enclosures). The rest of the pipeline is the same for both paths, so the items are too.

How: the same XML parser as feedparser's strict path (the stdlib's expat, through the same
namespace processing), driving a lean copy of feedparser's state machine (its element stack,
content parameters, depth rules for repeated elements, xml:base tracking, guid-as-link, the
title-depth rule, double pushes included) for the elements that can touch those keys. The value
helpers are feedparser's own (its date parser, URI joins, HTML sniffing, cp1252 table), so dates
and links are read exactly as it reads them. Anything else feedparser would act on returns
``None``: a malformed document (feedparser then recovers with its loose parser), an encoding
doubt, a DOCTYPE, another format (Atom 0.3, CDF, no known root), an element whose feedparser
handler this module does not model (GeoRSS, podcast chapters, licences...), markup inside a text
construct that is not XHTML, base64 content, SVG or MathML in content, a namespace URI with
whitespace, or an unknown element whose name would land on a key we read.

Measured and compared with feedparser by ``tests/test_fastfeed.py`` (every corpus feed, every
file of feedparser's own test suite, fuzz inputs) and ``benchmarks/parse.py``.
"""

from __future__ import annotations

import contextlib
import pyexpat
import re
from collections.abc import Callable
from typing import Any

from feedparser.api import StrictFeedParser  # type: ignore[import-untyped]
from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]
from feedparser.html import _cp1252  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]
from feedparser.sanitizer import replace_doctype  # type: ignore[import-untyped]
from feedparser.urls import _urljoin, make_safe_absolute_uri  # type: ignore[import-untyped]
from feedparser.util import FeedParserDict  # type: ignore[import-untyped]

ROOTS = frozenset({"rss", "feed", "rdf_rdf"})
VERSIONS = frozenset(
    {"rss20", "rss10", "rss090", "rss091u", "rss092", "rss093", "rss094", "rss", "atom10", "atom03"}
)
"""Formats accepted (feedparser's names); Atom 0.3 and CDF go to feedparser."""
TEXT, HTML, XHTML = "text/plain", "text/html", "application/xhtml+xml"
CONTENT_TYPES = frozenset({TEXT, HTML, XHTML})
WANTED = frozenset({"id", "link", "title", "summary", "published", "updated", "created"})
"""Keys whose values are kept (the others feedparser fills are read by nobody here)."""
READ_KEYS = WANTED | {
    "links", "content", "enclosures", "image", "textinput", "guidislink",
    *(f"{key}_detail" for key in ("title", "summary")),
    *(f"{key}_parsed" for key in ("published", "updated", "created")),
}  # fmt: skip
"""Keys an element of no feedparser handler must not land on (through FeedParserDict's keymap
too, e.g. ``<date>`` becomes ``updated``)."""
READ_ELEMENTS = frozenset(
    {"title", "link", "description", "summary", "content", "id", "published", "updated", "created"}
)
"""Pushed elements whose text we read: a child element inside one means "not sure"."""
DATES = frozenset({"published", "updated", "created"})
RELATIVE = _FeedParserMixin.can_be_relative_uri
HTML_TYPES = _FeedParserMixin.html_types
MATCH: dict[str, str] = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
KEYMAP: dict[str, Any] = FeedParserDict.keymap
FP_START = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
FP_END = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
XLINK = "http://www.w3.org/1999/xlink"
EMBEDDED = frozenset(
    {("math", "http://www.w3.org/1998/Math/MathML"), ("svg", "http://www.w3.org/2000/svg")}
)
_QUERY_FIX = re.compile("&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")
"""What feedparser's cp1252 table maps (translating with it is slow: search first)."""
looks_like_html: Callable[[str], bool] = _FeedParserMixin.looks_like_html


class Unsure(Exception):
    """Something feedparser would do that this module does not model."""


def parse(data: bytes) -> dict[str, Any] | None:
    """A feedparser-shaped result for a document the fast path is sure of, else None."""
    second: dict[str, Any] = {}
    data = convert_to_utf8({}, data, second)  # feedparser.parse converts once more: so do we
    if second.get("bozo") or second.get("encoding") != "utf-8":
        return None
    version, replaced, _entities = replace_doctype(data)
    if version or replaced != data:
        return None
    builder = _Builder()
    parser = pyexpat.ParserCreate(None, " ")
    parser.namespace_prefixes = True
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartNamespaceDeclHandler = builder.namespace
    parser.StartDoctypeDeclHandler = _unsure
    parser.EntityDeclHandler = _unsure
    try:
        parser.Parse(data, True)
    except (pyexpat.ExpatError, Unsure):
        return None
    return builder.result()


def _unsure(*_args: object) -> None:
    raise Unsure


def _map_type(kind: str) -> str:
    kind = kind.lower()
    if kind in ("text", "plain"):
        return TEXT
    if kind == "html":
        return HTML
    if kind == "xhtml":
        return XHTML
    return kind


def _enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _attribute_escape(text: str) -> str:
    return _xml_escape(text).replace('"', "&quot;")


class _Builder:
    """feedparser's strict-parser state, for the handlers listed in START and END."""

    def __init__(self) -> None:
        self.version = ""
        self.root = ""
        self.namespaces_in_use: dict[str, str] = {}
        self.namespacemap: dict[str | None, str] = {}
        self.decls: dict[str, str] = {}
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
        self.svg = 0
        self.chapters = False
        self.has_content = 0
        self.summary_key: str | None = None
        self.guidislink = False
        self.title_depth = -1
        self.depth = 0
        self.baseuri = ""
        self.basestack: list[str] = []
        self._joins: dict[tuple[str, str], str] = {}
        self._starts: dict[str, tuple[str, str, bool, str]] = {}
        """expat's name -> (feedparser's tag, handler name, no namespace prefix, the MathML or
        SVG namespace feedparser adds as an attribute); cleared when a namespace is declared
        (names depend on the declarations seen so far)."""
        self._ends: dict[str, tuple[str, str]] = {}

    # -- expat's events, named as feedparser's StrictFeedParser names them ---------------------

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        if not uri:
            return
        if any(c.isspace() for c in uri):
            raise Unsure  # the SAX reader splits names on whitespace
        prefix = prefix or None
        self._starts.clear()
        self._ends.clear()
        self._track(prefix, uri)
        if prefix and uri == XLINK:
            self.decls["xmlns:" + prefix] = uri

    def _track(self, prefix: str | None, uri: str) -> None:
        lower = uri.lower()
        if not self.version:
            if (prefix, lower) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
                self.version = "rss090"
            elif lower == "http://purl.org/rss/1.0/":
                self.version = "rss10"
            elif lower == "http://www.w3.org/2005/atom":
                self.version = "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = "http://backend.userland.com/rss"
        if lower in MATCH:
            self.namespacemap[prefix] = MATCH[lower]
            self.namespaces_in_use[MATCH[lower]] = uri
        else:
            self.namespaces_in_use[prefix or ""] = uri

    def _named(self, namespace: str | None, local: str, prefix: str | None) -> str:
        if prefix:
            return prefix + ":" + local
        if namespace:
            for name, value in self.namespaces_in_use.items():
                if name and value == namespace:
                    return name + ":" + local
        return local

    def start(self, name: str, attributes: dict[str, str]) -> None:
        known = self._starts.get(name)
        if known is None:
            known = self._starts[name] = self._start_name(name)
        tag, full, core, embedded = known
        if not attributes and not self.decls and not embedded:
            self._starttag(tag, full, core, {})
            return
        attrs, self.decls = self.decls, {}
        if embedded:
            attrs["xmlns"] = embedded
        named: list[tuple[str, str]] = []
        for key, value in attributes.items():
            pieces = key.split(" ")
            if len(pieces) == 1:
                attrs[key.lower()] = value
                named.append((key, value))
                continue
            given = MATCH.get(pieces[0].lower(), "")
            attrs[(given + ":" + pieces[1] if given else pieces[1]).lower()] = value
            named.append((pieces[2] + ":" + pieces[1] if len(pieces) == 3 else pieces[1], value))
        for qname, value in named:
            attrs[qname.lower()] = value
        self._starttag(tag, full, core, attrs)

    def _start_name(self, name: str) -> tuple[str, str, bool, str]:
        """feedparser's tag for an element (startElementNS), its handler's name and whether
        it has no namespace prefix (unknown_starttag)."""
        parts = name.split(" ")
        namespace, local = (None, name) if len(parts) == 1 else (parts[0], parts[1])
        lower = (namespace or "").lower()
        if "backend.userland.com/rss" in lower:
            namespace = lower = "http://backend.userland.com/rss"
        prefix = MATCH.get(lower)
        tag = self._named(namespace, local.lower(), prefix.lower() if prefix else None).lower()
        embedded = namespace if (local.lower(), namespace) in EMBEDDED else ""
        return (tag, *self._handler_name(tag), embedded or "")

    def _handler_name(self, tag: str) -> tuple[str, bool]:
        prefix, suffix = tag.split(":", 1) if ":" in tag else ("", tag)
        prefix = self.namespacemap.get(prefix, prefix)
        return (prefix + "_" + suffix if prefix else suffix), not prefix

    def end(self, name: str) -> None:
        known = self._ends.get(name)
        if known is None:
            parts = name.split(" ")
            namespace, local = (None, name) if len(parts) == 1 else (parts[0], parts[1])
            prefix = MATCH.get((namespace or "").lower(), "")
            tag = self._named(namespace, local, prefix or None).lower()
            known = self._ends[name] = (tag, self._handler_name(tag)[0])
        self._endtag(*known)

    def data(self, text: str) -> None:
        if not self.stack:
            return
        if self.params.get("type") == XHTML:
            text = _xml_escape(text)
        self.stack[-1][2].append(text)

    # -- feedparser's unknown_starttag and unknown_endtag ---------------------------------------

    def _starttag(self, tag: str, full: str, core: bool, attrs: dict[str, str]) -> None:
        self.depth += 1
        if attrs:
            for key in ("rel", "type"):
                if key in attrs:
                    attrs[key] = attrs[key].lower()
            base = attrs.get("xml:base", attrs.get("base")) or self.baseuri
        else:
            base = self.baseuri
        if self.baseuri:
            self.baseuri = self._safe_join(self.baseuri, base) or self.baseuri
        elif base:
            self.baseuri = _urljoin(self.baseuri, base)
        self.basestack.append(self.baseuri)
        if self.incontent:
            if self.params.get("type") != XHTML:
                raise Unsure  # markup inside text or HTML: feedparser rewrites the type
            self._xhtml_start(tag, list(attrs.items()))
            return
        if (tag.rpartition(":")[2]) in ("svg", "math"):
            raise Unsure  # outside XHTML content
        top = self.stack[-1] if self.stack else None
        if top is not None and top[1] and not top[3] and top[0] in READ_ELEMENTS:
            raise Unsure  # an element inside a text element we read
        if core:
            if tag not in ("title", "link", "description", "name"):
                self.intextinput = 0
            if tag not in ("title", "link", "description", "url", "href", "width", "height"):
                self.inimage = 0
        if not self.root:
            self.root = full
        handler = START.get(full)
        if handler is not None:
            handler(self, attrs)
        elif full in FP_START:
            raise Unsure(full)  # a feedparser handler we do not model
        else:
            self._check_key(full)
            if attrs:
                self._context()  # feedparser stores the attributes there: a key we never read
            else:
                self._push(full, 1)

    def _endtag(self, tag: str, full: str) -> None:
        if self.svg and tag.rpartition(":")[2] == "svg":
            self.svg -= 1
        if (
            self.incontent
            and self.params.get("type") == XHTML
            and self.depth != self.params["depth"]
        ):
            if full in FP_END and not self.svg:
                raise Unsure  # feedparser would run that handler inside the content
            if self.stack[-1][0] == full:
                raise Unsure  # its generic pop would end the content early
            self._pop(full, strict=False)
            self.stack[-1][2].append(f"</{tag.split(':')[-1]}>")
        else:
            handler = END.get(full)
            if handler is not None:
                handler(self)
            elif full in FP_END:
                raise Unsure
            else:
                self._pop(full, strict=False)
        if self.basestack:
            self.basestack.pop()
            if self.basestack and self.basestack[-1]:
                self.baseuri = self.basestack[-1]
        self.depth -= 1

    def _xhtml_start(self, tag: str, attrs: list[tuple[str, str]]) -> None:
        """feedparser writes elements inside XHTML content back out as text."""
        if ":" in tag:
            prefix, tag = tag.split(":", 1)
            if (tag, self.namespaces_in_use.get(prefix, "")) in EMBEDDED:
                attrs.append(("xmlns", self.namespaces_in_use[prefix]))
        if tag == "svg":
            self.svg += 1
        text = "".join(f' {k}="{_attribute_escape(v)}"' for k, v in attrs)
        self.stack[-1][2].append(f"<{tag}{text}>")

    def _safe_join(self, base: str, rel: str) -> str:
        key = (base, rel)
        joined = self._joins.get(key)
        if joined is None:
            joined = self._joins[key] = make_safe_absolute_uri(base, rel)
        return joined

    # -- feedparser's helpers ------------------------------------------------------------------

    def _check_key(self, name: str) -> None:
        mapped = KEYMAP.get(name, name)
        keys = mapped if isinstance(mapped, list) else [mapped]
        if any(key in READ_KEYS for key in keys):
            raise Unsure

    def _context(self) -> dict[str, Any]:
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

    def _save(self, key: str, value: Any, overwrite: bool = False) -> None:
        context = self._context()
        if overwrite:
            context[key] = value
        else:
            context.setdefault(key, value)

    def _push(self, name: str, expecting: int | bool, stale: bool = False) -> None:
        self.stack.append([name, expecting, [], stale])

    def _push_content(self, tag: str, attrs: dict[str, str], default: str, expecting: Any) -> None:
        self.incontent += 1
        kind = _map_type(attrs.get("type", default))
        if kind not in CONTENT_TYPES or attrs.get("mode", "") == "base64":
            raise Unsure  # feedparser would decode base64 or read other markup
        self.params = {"type": kind, "base": self.baseuri, "depth": self.depth}
        self._push(tag, expecting)

    def _pop_content(self, tag: str) -> str | None:
        value = self._pop(tag)
        self.incontent -= 1
        self.params = {}
        return value

    def _pop(self, element: str, *, strict: bool = True) -> str | None:
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
            output = _urljoin(self.baseuri or "", output)
        atom = self.version.startswith("atom")
        if not atom and params.get("type") == TEXT and looks_like_html(output):
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
            context = self._context()
            if element == "description":
                element = "subtitle"
            if element == "link":
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
                output = _QUERY_FIX.sub(r"&\g<1>", output.replace("&amp;", "&"))
                entry["link"] = output
                if output:
                    entry["links"][-1]["href"] = output
        else:
            if element == "description":
                element = "summary"
            if element in WANTED:
                depths = self.depths[-1]
                old = depths.get(element)
                if old is None or self.depth <= old:
                    depths[element] = self.depth
                    entry[element] = output
            if self.incontent and element in ("title", "summary"):
                entry[element + "_detail"] = _detail(params, output)

    # -- the result ----------------------------------------------------------------------------

    def result(self) -> dict[str, Any] | None:
        if self.root not in ROOTS or self.version not in VERSIONS:
            return None
        feed = {
            k: self.feeddata[k] for k in ("title", "title_detail", "link") if k in self.feeddata
        }
        entries = []
        for entry in self.entries:
            out = {k: v for k, v in entry.items() if k != "links"}
            links = entry.get("links")
            if links is not None:
                out["enclosures"] = [
                    {k: v for k, v in link.items() if k != "rel"}
                    for link in links
                    if link["rel"] == "enclosure"
                ]
            entries.append(out)
        return {"bozo": False, "version": self.version, "feed": feed, "entries": entries}


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


# -- the handlers feedparser has for these elements, as far as our keys see them ---------------

Start = Callable[[_Builder, dict[str, str]], None]
End = Callable[[_Builder], None]


def _start_rss(b: _Builder, attrs: dict[str, str]) -> None:
    if not b.version or not b.version.startswith("rss"):
        given = attrs.get("version", "")
        known = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        b.version = known.get(given) or ("rss20" if given.startswith("2.") else "rss")


def _start_feed(b: _Builder, attrs: dict[str, str]) -> None:
    b.infeed = 1
    if not b.version:
        b.version = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(
            attrs.get("version") or "", "atom"
        )


def _start_channel(b: _Builder, attrs: dict[str, str]) -> None:
    b.infeed = 1
    _no_cdf(attrs)


def _no_cdf(attrs: dict[str, str]) -> None:
    if "lastmod" in attrs or "href" in attrs:
        raise Unsure  # CDF attributes


def _end_channel(b: _Builder) -> None:
    b.infeed = 0


def _start_item(b: _Builder, attrs: dict[str, str]) -> None:
    if b.inentry:
        raise Unsure  # an item inside an item
    b.entries.append({})
    b.depths.append({})
    b._push("item", 0)
    b.inentry = 1
    b.guidislink = False
    b.title_depth = -1
    about = attrs.get(_standard_prefix(b, "rdf:about"))
    if about:
        b._context()["id"] = about
    _no_cdf(attrs)


def _standard_prefix(b: _Builder, name: str) -> str:
    prefix, _, suffix = name.partition(":")
    return b.namespacemap.get(prefix, prefix) + ":" + suffix


def _end_item(b: _Builder) -> None:
    b._pop("item", strict=False)
    b.inentry = 0
    b.has_content = 0


def _start_image(b: _Builder, attrs: dict[str, str]) -> None:
    context = b._context()
    if not b.inentry:
        context.setdefault("image", {})
    b.inimage = 1
    b.title_depth = -1
    b._push("image", 0)


def _end_image(b: _Builder) -> None:
    b._pop("image", strict=False)
    b.inimage = 0


def _start_textinput(b: _Builder, attrs: dict[str, str]) -> None:
    if b.inentry:
        raise Unsure
    b._context().setdefault("textinput", {})
    b.intextinput = 1
    b.title_depth = -1
    b._push("textinput", 0)


def _end_textinput(b: _Builder) -> None:
    b._pop("textinput", strict=False)
    b.intextinput = 0


def _start_source(b: _Builder, attrs: dict[str, str]) -> None:
    if "url" in attrs:
        b.sourcedata["href"] = attrs["url"]
    b._push("source", 1)
    b.insource = 1
    b.title_depth = -1


def _end_source(b: _Builder) -> None:
    b.insource = 0
    b._pop("source", strict=False)
    b.sourcedata = {}


def _start_title(b: _Builder, attrs: dict[str, str]) -> None:
    b._push_content("title", attrs, TEXT, b.infeed or b.inentry or b.insource)


def _end_title(b: _Builder) -> None:
    if b._pop_content("title"):
        b.title_depth = b.depth


def _end_media_title(b: _Builder) -> None:
    depth = b.title_depth
    _end_title(b)
    b.title_depth = depth


def _start_description(b: _Builder, attrs: dict[str, str]) -> None:
    if "summary" in b._context() and not b.has_content:
        b.summary_key = "content"
        _start_content(b, attrs)
    else:
        b._push_content("description", attrs, HTML, b.infeed or b.inentry or b.insource)


def _start_abstract(b: _Builder, attrs: dict[str, str]) -> None:
    b._push_content("description", attrs, TEXT, b.infeed or b.inentry or b.insource)


def _end_description(b: _Builder) -> None:
    if b.summary_key == "content":
        _end_content(b)
    else:
        b._pop_content("description")
    b.summary_key = None


def _start_summary(b: _Builder, attrs: dict[str, str]) -> None:
    if "summary" in b._context() and not b.has_content:
        b.summary_key = "content"
        _start_content(b, attrs)
    else:
        b.summary_key = "summary"
        b._push_content("summary", attrs, TEXT, 1)


def _end_summary(b: _Builder) -> None:
    if b.summary_key == "content":
        _end_content(b)
    else:
        b._pop_content(b.summary_key or "summary")
    b.summary_key = None


def _start_content(b: _Builder, attrs: dict[str, str]) -> None:
    b.has_content = 1
    b._push_content("content", attrs, TEXT, 1)
    b.stack[-1][3] = True  # feedparser pushes "content" twice: the first one stays behind
    b._push("content", 1)


def _start_content_encoded(b: _Builder, attrs: dict[str, str]) -> None:
    b.has_content = 1
    b._push_content("content", attrs, HTML, 1)


def _start_body(b: _Builder, attrs: dict[str, str]) -> None:
    b._push_content("content", attrs, XHTML, 1)


def _end_content(b: _Builder) -> None:
    kind = b.params.get("type")
    if kind is None:
        raise Unsure  # feedparser raises AttributeError and pops generically
    copy = _map_type(kind) in {TEXT} | HTML_TYPES
    value = b._pop_content("content")
    if copy:
        b._save("summary", value)


def _start_guid(b: _Builder, attrs: dict[str, str]) -> None:
    b.guidislink = attrs.get("ispermalink", "true") == "true"
    b._push("id", 1)


def _end_guid(b: _Builder) -> None:
    value = b._pop("id")
    b._save("guidislink", b.guidislink and "link" not in b._context())
    if b.guidislink:
        b._save("link", value)


def _start_link(b: _Builder, attrs: dict[str, str]) -> None:
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    context = b._context()
    attrs = _enforce_href(attrs)
    if "href" in attrs:
        attrs["href"] = _urljoin(b.baseuri or "", attrs["href"])
    expecting = b.infeed or b.inentry or b.insource
    context.setdefault("links", [])
    if not (b.inentry and b.inimage):
        context["links"].append(attrs)
    if "href" in attrs:
        if attrs.get("rel") == "alternate" and _map_type(attrs.get("type") or "") in HTML_TYPES:
            context["link"] = attrs["href"]
    else:
        b._push("link", expecting)


def _start_enclosure(b: _Builder, attrs: dict[str, str]) -> None:
    attrs = _enforce_href(attrs)
    attrs["rel"] = "enclosure"
    b._context().setdefault("links", []).append(attrs)


def _dates(key: str) -> tuple[Start, End]:
    def start(b: _Builder, attrs: dict[str, str]) -> None:
        b._push(key, 1)

    def end(b: _Builder) -> None:
        b._save(key + "_parsed", _parse_date(b._pop(key)), overwrite=True)

    return start, end


def _text(name: str, expecting: int = 1) -> tuple[Start, End]:
    """Handlers that push a value we never read and pop it."""

    def start(b: _Builder, attrs: dict[str, str]) -> None:
        b.held.append(b._context())
        b._push(name, expecting)

    def end(b: _Builder) -> None:
        b._pop(name)
        if b.held.pop() is not b._context():
            raise Unsure

    return start, end


def _construct(name: str) -> tuple[Start, End]:
    """Text constructs we never read (subtitle, rights, info)."""

    def start(b: _Builder, attrs: dict[str, str]) -> None:
        b._push_content(name, attrs, TEXT, 1)

    def end(b: _Builder) -> None:
        b._pop_content(name)

    return start, end


def _nothing(b: _Builder, attrs: dict[str, str]) -> None:
    pass


def _attributes_only(b: _Builder, attrs: dict[str, str]) -> None:
    b._context()  # media:content, cloud: stored under keys we never read


def _generic_end(name: str) -> End:
    """An element whose start pushes nothing and whose end pops its own name (no match)."""

    def end(b: _Builder) -> None:
        b._pop(name, strict=False)

    return end


def _start_chapters(b: _Builder, attrs: dict[str, str]) -> None:
    context = b._context()
    if "psc_chapters" not in context:
        b.chapters = True
        context["psc_chapters"] = True


def _end_chapters(b: _Builder) -> None:
    b.chapters = False


def _start_chapter(b: _Builder, attrs: dict[str, str]) -> None:
    if b.chapters and ("start" not in attrs or "psc_chapters" not in b._context()):
        raise Unsure  # feedparser raises TypeError or KeyError


START: dict[str, Start] = {
    "rss": _start_rss,
    "feed": _start_feed,
    "channel": _start_channel,
    "item": _start_item,
    "entry": _start_item,
    "image": _start_image,
    "textinput": _start_textinput,
    "source": _start_source,
    "title": _start_title,
    "dc_title": _start_title,
    "media_title": _start_title,
    "description": _start_description,
    "dc_description": _start_description,
    "media_description": _start_description,
    "abstract": _start_abstract,
    "summary": _start_summary,
    "itunes_summary": _start_summary,
    "content": _start_content,
    "content_encoded": _start_content_encoded,
    "fullitem": _start_content_encoded,
    "body": _start_body,
    "xhtml_body": _start_body,
    "guid": _start_guid,
    "id": _start_guid,
    "link": _start_link,
    "enclosure": _start_enclosure,
    "media_group": _nothing,
    "media_content": _attributes_only,
    "cloud": _attributes_only,
    "psc_chapters": _start_chapters,
    "psc_chapter": _start_chapter,
}
END: dict[str, End] = {
    "channel": _end_channel,
    "feed": _end_channel,
    "item": _end_item,
    "entry": _end_item,
    "image": _end_image,
    "textinput": _end_textinput,
    "source": _end_source,
    "title": _end_title,
    "dc_title": _end_title,
    "media_title": _end_media_title,
    "description": _end_description,
    "dc_description": _end_description,
    "media_description": _end_description,
    "abstract": _end_description,
    "summary": _end_summary,
    "itunes_summary": _end_summary,
    "content": _end_content,
    "content_encoded": _end_content,
    "fullitem": _end_content,
    "body": _end_content,
    "xhtml_body": _end_content,
    "guid": _end_guid,
    "id": _end_guid,
    "link": _generic_end("link"),
    "psc_chapters": _end_chapters,
}
_names: tuple[str, ...]
for _names, _key in (
    (("published", "pubdate", "issued", "dcterms_issued"), "published"),
    (("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"), "updated"),
    (("created", "dcterms_created"), "created"),
    (("expirationdate",), "expired"),
):
    for _name in _names:
        START[_name], END[_name] = _dates(_key)
for _names, _key, _expecting in (
    (("category", "dc_subject", "media_category", "itunes_category", "keywords"), "category", 1),
    (("author", "managingeditor", "dc_author", "dc_creator", "itunes_author"), "author", 1),
    (("webmaster", "dc_publisher"), "publisher", 1),
    (("itunes_owner",), "publisher", 0),
    (("contributor",), "contributor", 0),
    (("name", "itunes_name", "dc_contributor"), "name", 0),
    (("email", "itunes_email"), "email", 0),
    (("url", "uri", "homepage"), "href", 1),
    (("language", "dc_language"), "language", 1),
    (("generator",), "generator", 1),
    (("width",), "width", 0),
    (("height",), "height", 0),
    (("newlocation",), "newlocation", 1),
    (("tags",), "tags", 1),
    (("itunes_image", "itunes_link"), "itunes_image", 0),
    (("media_rating",), "rating", 1),
    (("media_credit",), "credit", 1),
    (("media_restriction",), "restriction", 1),
    (("media_license",), "license", 1),
    (("media_player",), "media_player", 0),
    (("media_thumbnail",), "url", 1),
):
    for _name in _names:
        START[_name], END[_name] = _text(_key, _expecting)
for _names, _key in (
    (("subtitle", "tagline", "itunes_subtitle"), "subtitle"),
    (("rights", "copyright", "dc_rights"), "rights"),
    (("info", "feedburner_browserfriendly"), "info"),
):
    for _name in _names:
        START[_name], END[_name] = _construct(_key)
for _name in ("itunes_keywords", "itunes_block", "itunes_explicit", "media_keywords"):
    END[_name] = _generic_end(_name)  # no start handler: the generic start pushed the name
