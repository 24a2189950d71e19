"""feedparser's element handlers, as far as the keys we read see them, for the fast path.

Each start or end handler here does to :class:`~streamtui.core.parse.fast.Builder`'s state what
the feedparser handler of the same name (``_start_title``, ``_end_guid``...) does to its parser,
keeping only the values that ``parse.feed._from_feedparser`` reads; where feedparser would raise or
do something not modelled, they raise :class:`Unsure` and feedparser reads the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]
from feedparser.urls import _urljoin  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from streamtui.core.parse.fast import Builder

TEXT, HTML, XHTML = "text/plain", "text/html", "application/xhtml+xml"
CONTENT_TYPES = frozenset({TEXT, HTML, XHTML})
HTML_TYPES: frozenset[str] = frozenset(_FeedParserMixin.html_types)


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


def enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


Start = Callable[["Builder", dict[str, str]], None]
End = Callable[["Builder"], None]


def _start_rss(b: Builder, attrs: dict[str, str]) -> None:
    if not b.version or not b.version.startswith("rss"):
        given = attrs.get("version", "")
        known = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        b.version = known.get(given) or ("rss20" if given.startswith("2.") else "rss")


def _start_feed(b: Builder, attrs: dict[str, str]) -> None:
    b.infeed = 1
    if not b.version:
        b.version = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(
            attrs.get("version") or "", "atom"
        )


def _start_channel(b: Builder, attrs: dict[str, str]) -> None:
    b.infeed = 1
    _no_cdf(attrs)


def _no_cdf(attrs: dict[str, str]) -> None:
    if "lastmod" in attrs or "href" in attrs:
        raise Unsure  # CDF attributes


def _end_channel(b: Builder) -> None:
    b.infeed = 0


def _start_item(b: Builder, attrs: dict[str, str]) -> None:
    if b.inentry:
        raise Unsure  # an item inside an item
    b.entries.append({})
    b.depths.append({})
    b.push("item", 0)
    b.inentry = 1
    b.guidislink = False
    b.title_depth = -1
    about = attrs.get(_standard_prefix(b, "rdf:about"))
    if about:
        b.context()["id"] = about
    _no_cdf(attrs)


def _standard_prefix(b: Builder, name: str) -> str:
    prefix, _, suffix = name.partition(":")
    return b.namespacemap.get(prefix, prefix) + ":" + suffix


def _end_item(b: Builder) -> None:
    b.pop("item", strict=False)
    b.inentry = 0
    b.has_content = 0


def _start_image(b: Builder, attrs: dict[str, str]) -> None:
    context = b.context()
    if not b.inentry:
        context.setdefault("image", {})
    b.inimage = 1
    b.title_depth = -1
    b.push("image", 0)


def _end_image(b: Builder) -> None:
    b.pop("image", strict=False)
    b.inimage = 0


def _start_textinput(b: Builder, attrs: dict[str, str]) -> None:
    if b.inentry:
        raise Unsure
    b.context().setdefault("textinput", {})
    b.intextinput = 1
    b.title_depth = -1
    b.push("textinput", 0)


def _end_textinput(b: Builder) -> None:
    b.pop("textinput", strict=False)
    b.intextinput = 0


def _start_source(b: Builder, attrs: dict[str, str]) -> None:
    if "url" in attrs:
        b.sourcedata["href"] = attrs["url"]
    b.push("source", 1)
    b.insource = 1
    b.title_depth = -1


def _end_source(b: Builder) -> None:
    b.insource = 0
    b.pop("source", strict=False)
    b.sourcedata = {}


def _start_title(b: Builder, attrs: dict[str, str]) -> None:
    b.push_content("title", attrs, TEXT, b.infeed or b.inentry or b.insource)


def _end_title(b: Builder) -> None:
    if b.pop_content("title"):
        b.title_depth = b.depth


def _end_media_title(b: Builder) -> None:
    depth = b.title_depth
    _end_title(b)
    b.title_depth = depth


def _start_description(b: Builder, attrs: dict[str, str]) -> None:
    if "summary" in b.context() and not b.has_content:
        b.summary_key = "content"
        _start_content(b, attrs)
    else:
        b.push_content("description", attrs, HTML, b.infeed or b.inentry or b.insource)


def _start_abstract(b: Builder, attrs: dict[str, str]) -> None:
    b.push_content("description", attrs, TEXT, b.infeed or b.inentry or b.insource)


def _end_description(b: Builder) -> None:
    if b.summary_key == "content":
        _end_content(b)
    else:
        b.pop_content("description")
    b.summary_key = None


def _start_summary(b: Builder, attrs: dict[str, str]) -> None:
    if "summary" in b.context() and not b.has_content:
        b.summary_key = "content"
        _start_content(b, attrs)
    else:
        b.summary_key = "summary"
        b.push_content("summary", attrs, TEXT, 1)


def _end_summary(b: Builder) -> None:
    if b.summary_key == "content":
        _end_content(b)
    else:
        b.pop_content(b.summary_key or "summary")
    b.summary_key = None


def _start_content(b: Builder, attrs: dict[str, str]) -> None:
    b.has_content = 1
    b.push_content("content", attrs, TEXT, 1)
    b.stack[-1][3] = True  # feedparser pushes "content" twice: the first one stays behind
    b.push("content", 1)


def _start_content_encoded(b: Builder, attrs: dict[str, str]) -> None:
    b.has_content = 1
    b.push_content("content", attrs, HTML, 1)


def _start_body(b: Builder, attrs: dict[str, str]) -> None:
    b.push_content("content", attrs, XHTML, 1)


def _end_content(b: Builder) -> None:
    kind = b.params.get("type")
    if kind is None:
        raise Unsure  # feedparser raises AttributeError and pops generically
    copy = map_type(kind) in {TEXT} | HTML_TYPES
    value = b.pop_content("content")
    if copy:
        b.save("summary", value)


def _start_guid(b: Builder, attrs: dict[str, str]) -> None:
    b.guidislink = attrs.get("ispermalink", "true") == "true"
    b.push("id", 1)


def _end_guid(b: Builder) -> None:
    value = b.pop("id")
    b.save("guidislink", b.guidislink and "link" not in b.context())
    if b.guidislink:
        b.save("link", value)


def _start_link(b: Builder, attrs: dict[str, str]) -> None:
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    context = b.context()
    attrs = enforce_href(attrs)
    if "href" in attrs:
        attrs["href"] = _urljoin(b.baseuri or "", attrs["href"])
    expecting = b.infeed or b.inentry or b.insource
    context.setdefault("links", [])
    if not (b.inentry and b.inimage):
        context["links"].append(attrs)
    if "href" in attrs:
        if attrs.get("rel") == "alternate" and map_type(attrs.get("type") or "") in HTML_TYPES:
            context["link"] = attrs["href"]
    else:
        b.push("link", expecting)


def _start_enclosure(b: Builder, attrs: dict[str, str]) -> None:
    attrs = enforce_href(attrs)
    attrs["rel"] = "enclosure"
    b.context().setdefault("links", []).append(attrs)


def _dates(key: str) -> tuple[Start, End]:
    def start(b: Builder, attrs: dict[str, str]) -> None:
        b.push(key, 1)

    def end(b: Builder) -> None:
        b.save(key + "_parsed", _parse_date(b.pop(key)), overwrite=True)

    return start, end


def _text(name: str, expecting: int = 1) -> tuple[Start, End]:
    """Handlers that push a value we never read and pop it."""

    def start(b: Builder, attrs: dict[str, str]) -> None:
        b.held.append(b.context())
        b.push(name, expecting)

    def end(b: Builder) -> None:
        b.pop(name)
        if b.held.pop() is not b.context():
            raise Unsure

    return start, end


def _construct(name: str) -> tuple[Start, End]:
    """Text constructs we never read (subtitle, rights, info)."""

    def start(b: Builder, attrs: dict[str, str]) -> None:
        b.push_content(name, attrs, TEXT, 1)

    def end(b: Builder) -> None:
        b.pop_content(name)

    return start, end


def _nothing(b: Builder, attrs: dict[str, str]) -> None:
    pass


def _attributes_only(b: Builder, attrs: dict[str, str]) -> None:
    b.context()  # media:content, cloud: stored under keys we never read


def _generic_end(name: str) -> End:
    """An element whose start pushes nothing and whose end pops its own name (no match)."""

    def end(b: Builder) -> None:
        b.pop(name, strict=False)

    return end


def _start_license(b: Builder, attrs: dict[str, str]) -> None:
    b.context().setdefault("links", []).append({"rel": "license"})


def _start_chapters(b: Builder, attrs: dict[str, str]) -> None:
    context = b.context()
    if "psc_chapters" not in context:
        b.chapters = True
        context["psc_chapters"] = True


def _end_chapters(b: Builder) -> None:
    b.chapters = False


def _start_chapter(b: Builder, attrs: dict[str, str]) -> None:
    if b.chapters and ("start" not in attrs or "psc_chapters" not in b.context()):
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
    "cc_license": _start_license,
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
    (("dcterms_valid",), "validity", 1),
    (("georss_point", "georss_line", "georss_polygon", "georss_box"), "geometry", 0),
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
