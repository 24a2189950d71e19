"""The fast parse path: well-formed RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 (and 0.3) read as
feedparser reads them, several times faster, or ``None`` ("not sure") and feedparser reads them.

:func:`parse` takes the bytes ``parse.feed._run_feedparser`` would hand to feedparser (converted to
UTF-8 by feedparser's own ``convert_to_utf8`` and defused) and returns a result shaped like
feedparser's for the keys that ``parse.feed._parse_xml`` reads: ``version``, ``feed`` (title,
title_detail, link) and ``entries``, already made into
:class:`~streamtui.core.parse.entries.Entry` values by the rules ``parse.feed._from_feedparser``
applies to feedparser's entries (``parse.fields``: id, link, title(_detail), summary(_detail),
content, published/updated/created with their ``_parsed`` time tuples, enclosures,
itunes_duration, authors), without building feedparser's dictionaries first. The rest of the
pipeline is the same for both paths, so the items are too.

How: the XML parser of feedparser's strict path (the stdlib's expat, with the same namespace
processing, so the same documents are well-formed and the same text comes out), driving a lean
copy of feedparser's state machine (its element stack, content parameters, the depth rules for
repeated elements, xml:base tracking, guid-as-link, the title-depth rule, XHTML content written
back out, its double pushes) for the elements that can touch those keys: its state in
:mod:`~streamtui.core.parse.fast_state`, its element handlers in
:mod:`~streamtui.core.parse.fast_handlers`, expat's events here. Values go through feedparser's
own helpers (its date parser, URI joins, HTML sniffing, cp1252 repair), so dates and links are
read exactly as it reads them. Anything else it would act on gives ``None``: a malformed
document (feedparser then recovers with its loose parser), a doubt about the encoding, a DOCTYPE
or entity declaration, another format (CDF, no known root), an element whose feedparser handler
is not modelled (GeoRSS, licences...), markup inside a text construct that is not XHTML, base64
content, SVG or MathML outside content, a namespace URI with whitespace, an unknown element
whose name would land on a key we read, or a stack or context that feedparser's handlers would
trip over.

``benchmarks/parse_diff.py`` (and ``tests/core/test_fastfeed.py``, a slice of it) checks both paths
give the same items on the corpus, feedparser's own tests and mutated feeds;
``benchmarks/parse.py`` measures both.
"""

from __future__ import annotations

import pyexpat
from dataclasses import dataclass
from typing import Any

from feedparser.api import StrictFeedParser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]
from feedparser.sanitizer import replace_doctype  # type: ignore[import-untyped]
from feedparser.urls import _urljoin, make_safe_absolute_uri  # type: ignore[import-untyped]

from streamtui.core.parse.fast_handlers import END, START, Start
from streamtui.core.parse.fast_state import KEPT, XHTML, State, Unsure

READ_ELEMENTS = frozenset(
    {"title", "link", "description", "summary", "content", "id", "published", "updated", "created"}
)
"""Pushed elements whose text we read: a child element inside one means "not sure"."""
MATCH: dict[str, str] = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
FP_START = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
FP_END = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
XLINK = "http://www.w3.org/1999/xlink"
EMBEDDED = frozenset(
    {("math", "http://www.w3.org/1998/Math/MathML"), ("svg", "http://www.w3.org/2000/svg")}
)
IMAGE_CHILDREN = frozenset({"title", "link", "description", "url", "href", "width", "height"})
"""Core elements that leave feedparser's "in an image" flag set (any other clears it)."""


def parse(data: bytes) -> dict[str, Any] | None:
    """A feedparser-shaped result for a document the fast path is sure of, else None."""
    second: dict[str, Any] = {}
    data = convert_to_utf8({}, data, second)  # feedparser.parse converts once more: so do we
    if second.get("bozo") or second.get("encoding") != "utf-8":
        return None
    version, replaced, _entities = replace_doctype(data)
    if version or replaced != data:
        return None
    builder = Builder()
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


@dataclass(frozen=True, slots=True)
class _Name:
    """What feedparser makes of one element name, under the namespaces declared so far."""

    tag: str
    """As unknown_starttag gets it: lowercase, with feedparser's prefix for a known namespace
    (``dc:date``), the document's for another, none for RSS and Atom."""
    full: str
    """Its handlers' name: ``dc_date`` for _start_dc_date and _end_dc_date."""
    embedded: str
    """The MathML or SVG namespace, which feedparser adds as an ``xmlns`` attribute."""
    drawing: bool
    resets_textinput: bool
    resets_image: bool
    start: Start | None
    unmodelled: bool
    """feedparser has a start handler for it and we do not."""


def _unsure(*_args: object) -> None:
    raise Unsure


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def _attribute_escape(text: str) -> str:
    return _xml_escape(text).replace('"', "&quot;")


class Builder(State):
    """expat's events turned into feedparser's: element names as it names them (namespaces,
    prefixes, its handlers' names), xml:base, XHTML content written back out, and the
    handler of each element (fast_handlers' START and END) run on the state."""

    def __init__(self) -> None:
        super().__init__()
        self.decls: dict[str, str] = {}
        self._joins: dict[tuple[str, str], str] = {}
        self._starts: dict[str, _Name] = {}
        """expat's name -> what feedparser makes of it; cleared when a namespace is declared
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
        embedded = known.embedded
        if not attributes and not self.decls and not embedded:
            self._starttag(known, {})
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
        self._starttag(known, attrs)

    def _start_name(self, name: str) -> _Name:
        """What feedparser makes of an element's name (startElementNS, unknown_starttag)."""
        parts = name.split(" ")
        namespace, local = (None, name) if len(parts) == 1 else (parts[0], parts[1])
        lower = (namespace or "").lower()
        if "backend.userland.com/rss" in lower:
            namespace = lower = "http://backend.userland.com/rss"
        prefix = MATCH.get(lower)
        tag = self._named(namespace, local.lower(), prefix.lower() if prefix else None).lower()
        full, core = self._handler_name(tag)
        return _Name(
            tag=tag,
            full=full,
            embedded=(namespace or "") if (local.lower(), namespace) in EMBEDDED else "",
            drawing=tag.rpartition(":")[2] in ("svg", "math"),
            resets_textinput=core and tag not in ("title", "link", "description", "name"),
            resets_image=core and tag not in IMAGE_CHILDREN,
            start=START.get(full),
            unmodelled=full not in START and full in FP_START,
        )

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

    def _starttag(self, name: _Name, attrs: dict[str, str]) -> None:
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
            self._xhtml_start(name.tag, list(attrs.items()))
            return
        if name.drawing:
            raise Unsure  # SVG or MathML outside XHTML content
        top = self.stack[-1] if self.stack else None
        if top is not None and top[1] and not top[3] and top[0] in READ_ELEMENTS:
            raise Unsure  # an element inside a text element we read
        if name.resets_textinput:
            self.intextinput = 0
        if name.resets_image:
            self.inimage = 0
        if not self.root:
            self.root = name.full
        if name.start is not None:
            name.start(self, attrs)
        elif name.unmodelled:
            raise Unsure(name.full)  # a feedparser handler we do not model
        else:
            self._check_key(name.full)
            if attrs:
                context = self.context()  # feedparser stores the attributes there
                if name.full in KEPT:
                    context[name.full] = dict(attrs)
            else:
                self.push(name.full, 1)

    def _endtag(self, tag: str, full: str) -> None:
        if self.svg and tag.rpartition(":")[2] == "svg":
            self.svg -= 1
        xhtml = self.incontent and self.params.get("type") == XHTML
        if xhtml and self.depth != self.params["depth"]:
            if full in FP_END and not self.svg:
                raise Unsure  # feedparser would run that handler inside the content
            if self.stack[-1][0] == full:
                raise Unsure  # its generic pop would end the content early
            self.pop(full, strict=False)
        else:
            handler = END.get(full)
            if handler is not None:
                handler(self)
            elif full in FP_END:
                raise Unsure
            else:
                if xhtml and self.stack[-1][0] == full:
                    raise Unsure
                self.pop(full, strict=False)
        if self.incontent and self.params.get("type") == XHTML:
            # Still inside (the construct's own end may name no handler, its prefix rebound)
            self.stack[-1][2].append(f"</{tag.split(':')[-1]}>")
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
