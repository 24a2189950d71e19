"""feedparser's element handlers, as far as the keys we read see them, for the fast path.

Each start or end handler here does to :class:`~streamtui.core.parse.fast_state.State` what
the feedparser handler of the same name (``_start_title``, ``_end_guid``...) does to its parser,
keeping only the values that ``parse.feed._from_feedparser`` reads; where feedparser would raise or
do something not modelled, they raise :class:`Unsure` and feedparser reads the document.

It stays one module over 500 lines on purpose: it is read side by side with feedparser's
handlers, one handler for one handler in the same order, and the differential test
(benchmarks/parse_diff.py) checks them as a set; split, a handler and the one it mirrors
would be harder to find.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]

from streamtui.core.parse.fast_state import (
    HTML,
    TEXT,
    XHTML,
    State,
    Unsure,
    join,
    map_type,
)

HTML_TYPES: frozenset[str] = frozenset(_FeedParserMixin.html_types)


def enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


Start = Callable[[State, dict[str, str]], None]
End = Callable[[State], None]


def _start_rss(b: State, attrs: dict[str, str]) -> None:
    if not b.version or not b.version.startswith("rss"):
        given = attrs.get("version", "")
        known = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        b.version = known.get(given) or ("rss20" if given.startswith("2.") else "rss")


def _start_feed(b: State, attrs: dict[str, str]) -> None:
    b.infeed = 1
    if not b.version:
        b.version = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(
            attrs.get("version") or "", "atom"
        )


def _start_channel(b: State, attrs: dict[str, str]) -> None:
    b.infeed = 1
    _no_cdf(attrs)


def _no_cdf(attrs: dict[str, str]) -> None:
    if "lastmod" in attrs or "href" in attrs:
        raise Unsure  # CDF attributes


def _end_channel(b: State) -> None:
    b.infeed = 0


def _start_item(b: State, attrs: dict[str, str]) -> None:
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


def _standard_prefix(b: State, name: str) -> str:
    prefix, _, suffix = name.partition(":")
    return b.namespacemap.get(prefix, prefix) + ":" + suffix


def _end_item(b: State) -> None:
    b.pop("item", strict=False)
    b.inentry = 0
    b.has_content = 0


def _start_image(b: State, attrs: dict[str, str]) -> None:
    context = b.context()
    if not b.inentry:
        context.setdefault("image", {})
    b.inimage = 1
    b.title_depth = -1
    b.push("image", 0)


def _end_image(b: State) -> None:
    b.pop("image", strict=False)
    b.inimage = 0


def _start_textinput(b: State, attrs: dict[str, str]) -> None:
    if b.inentry:
        raise Unsure
    b.context().setdefault("textinput", {})
    b.intextinput = 1
    b.title_depth = -1
    b.push("textinput", 0)


def _end_textinput(b: State) -> None:
    b.pop("textinput", strict=False)
    b.intextinput = 0


def _start_source(b: State, attrs: dict[str, str]) -> None:
    if "url" in attrs:
        b.sourcedata["href"] = attrs["url"]
    b.push("source", 1)
    b.insource = 1
    b.title_depth = -1


def _end_source(b: State) -> None:
    b.insource = 0
    b.pop("source", strict=False)
    b.sourcedata = {}


def _start_title(b: State, attrs: dict[str, str]) -> None:
    b.push_content("title", attrs, TEXT, b.infeed or b.inentry or b.insource)


def _end_title(b: State) -> None:
    if b.pop_content("title"):
        b.title_depth = b.depth


def _end_media_title(b: State) -> None:
    depth = b.title_depth
    _end_title(b)
    b.title_depth = depth


def _start_description(b: State, attrs: dict[str, str]) -> None:
    if "summary" in b.context() and not b.has_content:
        b.summary_key = "content"
        _start_content(b, attrs)
    else:
        b.push_content("description", attrs, HTML, b.infeed or b.inentry or b.insource)


def _start_abstract(b: State, attrs: dict[str, str]) -> None:
    b.push_content("description", attrs, TEXT, b.infeed or b.inentry or b.insource)


def _end_description(b: State) -> None:
    if b.summary_key == "content":
        _end_content(b)
    else:
        b.pop_content("description")
    b.summary_key = None


def _start_summary(b: State, attrs: dict[str, str]) -> None:
    if "summary" in b.context() and not b.has_content:
        b.summary_key = "content"
        _start_content(b, attrs)
    else:
        b.summary_key = "summary"
        b.push_content("summary", attrs, TEXT, 1)


def _end_summary(b: State) -> None:
    if b.summary_key == "content":
        _end_content(b)
    else:
        b.pop_content(b.summary_key or "summary")
    b.summary_key = None


def _start_content(b: State, attrs: dict[str, str]) -> None:
    b.has_content = 1
    b.push_content("content", attrs, TEXT, 1)
    b.stack[-1][3] = True  # feedparser pushes "content" twice: the first one stays behind
    b.push("content", 1)


def _start_content_encoded(b: State, attrs: dict[str, str]) -> None:
    b.has_content = 1
    b.push_content("content", attrs, HTML, 1)


def _start_body(b: State, attrs: dict[str, str]) -> None:
    b.push_content("content", attrs, XHTML, 1)


def _end_content(b: State) -> None:
    kind = b.params.get("type")
    if kind is None:
        raise Unsure  # feedparser raises AttributeError and pops generically
    copy = map_type(kind) in {TEXT} | HTML_TYPES
    value = b.pop_content("content")
    if copy:
        b.save("summary", value)


def _start_guid(b: State, attrs: dict[str, str]) -> None:
    b.guidislink = attrs.get("ispermalink", "true") == "true"
    b.push("id", 1)


def _end_guid(b: State) -> None:
    value = b.pop("id")
    b.save("guidislink", b.guidislink and "link" not in b.context())
    if b.guidislink:
        b.save("link", value)


def _start_link(b: State, attrs: dict[str, str]) -> None:
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    context = b.context()
    attrs = enforce_href(attrs)
    if "href" in attrs:
        attrs["href"] = join(b.baseuri, attrs["href"])
    expecting = b.infeed or b.inentry or b.insource
    context.setdefault("links", [])
    if not (b.inentry and b.inimage):
        context["links"].append(attrs)
    if "href" in attrs:
        if attrs.get("rel") == "alternate" and map_type(attrs.get("type") or "") in HTML_TYPES:
            context["link"] = attrs["href"]
    else:
        b.push("link", expecting)


def _start_enclosure(b: State, attrs: dict[str, str]) -> None:
    attrs = enforce_href(attrs)
    attrs["rel"] = "enclosure"
    b.context().setdefault("links", []).append(attrs)


def _dates(key: str) -> tuple[Start, End]:
    def start(b: State, attrs: dict[str, str]) -> None:
        b.push(key, 1)

    def end(b: State) -> None:
        b.save(key + "_parsed", _parse_date(b.pop(key)), overwrite=True)

    return start, end


def _text(name: str, expecting: int = 1) -> tuple[Start, End]:
    """Handlers that push a value we never read and pop it."""

    def start(b: State, attrs: dict[str, str]) -> None:
        b.held.append(b.context())
        b.push(name, expecting)

    def end(b: State) -> None:
        b.pop(name)
        if b.held.pop() is not b.context():
            raise Unsure

    return start, end


def _construct(name: str) -> tuple[Start, End]:
    """Text constructs we never read (subtitle, rights, info)."""

    def start(b: State, attrs: dict[str, str]) -> None:
        b.push_content(name, attrs, TEXT, 1)

    def end(b: State) -> None:
        b.pop_content(name)

    return start, end


def _nothing(b: State, attrs: dict[str, str]) -> None:
    pass


def _attributes_only(b: State, attrs: dict[str, str]) -> None:
    b.context()  # media:content, cloud: stored under keys we never read


def _generic_end(name: str) -> End:
    """An element whose start pushes nothing and whose end pops its own name (no match)."""

    def end(b: State) -> None:
        b.pop(name, strict=False)

    return end


def _start_license(b: State, attrs: dict[str, str]) -> None:
    b.context().setdefault("links", []).append({"rel": "license"})


def _start_chapters(b: State, attrs: dict[str, str]) -> None:
    context = b.context()
    if "psc_chapters" not in context:
        b.chapters = True
        context["psc_chapters"] = True


def _end_chapters(b: State) -> None:
    b.chapters = False


def _start_chapter(b: State, attrs: dict[str, str]) -> None:
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
    (("webmaster", "dc_publisher"), "publisher", 1),
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


# -- authors ------------------------------------------------------------------------------------
# feedparser's _start_author and _end_author (author, dc:creator, itunes:author...), the name,
# e-mail and URL inside one (and inside itunes:owner, a contributor), and _sync_author_detail,
# which reads an e-mail address out of an author's text: ported as they are, quirks included
# (a name saved before an author's own text is synced from the previous author), so that the
# ``authors`` both paths give are the same. parse/feed.py clips what feedparser searches.

AUTHOR_CHARS = 1000
"""As parse/feed.py's clipping of feedparser's author search (the same value)."""
_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)


def _start_author(b: State, attrs: dict[str, str]) -> None:
    context = b.context()
    b.held.append(context)
    b.inauthor = 1
    b.push("author", 1)
    context.setdefault("authors", []).append({})


def _end_author(b: State) -> None:
    b.pop("author")
    b.inauthor = 0
    if b.held.pop() is not b.context():
        raise Unsure
    _sync_author(b)


def _start_owner(b: State, attrs: dict[str, str]) -> None:
    b.held.append(b.context())
    b.inpublisher = 1
    b.push("publisher", 0)


def _end_owner(b: State) -> None:
    b.pop("publisher")
    b.inpublisher = 0
    if b.held.pop() is not b.context():
        raise Unsure  # (its publisher sync touches no author key)


def _start_contributor(b: State, attrs: dict[str, str]) -> None:
    b.held.append(b.context())
    b.incontributor = 1
    b.push("contributor", 0)


def _end_contributor(b: State) -> None:
    b.pop("contributor")
    b.incontributor = 0
    if b.held.pop() is not b.context():
        raise Unsure


def _start_dc_contributor(b: State, attrs: dict[str, str]) -> None:
    b.held.append(b.context())
    b.incontributor = 1
    b.push("name", 0)


def _end_dc_contributor(b: State) -> None:
    _end_part(b, "name", "name")
    b.incontributor = 0


def _start_part(name: str, expecting: int) -> Start:
    def start(b: State, attrs: dict[str, str]) -> None:
        b.held.append(b.context())
        b.push(name, expecting)

    return start


def _end_part(b: State, element: str, key: str) -> None:
    """feedparser's _end_name, _end_email and _end_url: the value saved to the author (or
    to the publisher, which writes the authors too) when inside one."""
    value = b.pop(element)
    if b.held.pop() is not b.context():
        raise Unsure
    if b.inpublisher and key != "href":
        _save_author(b, key, value, "publisher")
    elif b.inauthor:
        _save_author(b, key, value)


def _save_author(b: State, key: str, value: object, prefix: str = "author") -> None:
    context = b.context()
    context.setdefault(prefix + "_detail", {})[key] = value
    _sync_author(b)
    context.setdefault("authors", [{}])[-1][key] = value


def _sync_author(b: State) -> None:
    context = b.context()
    value = context.get("author")
    if isinstance(value, str) and len(value) > AUTHOR_CHARS:
        context["author"] = value = value[:AUTHOR_CHARS]
    authors = context.get("authors", [{}])
    if not isinstance(authors, list) or not authors or not isinstance(authors[-1], dict):
        raise Unsure  # an element of that name stored text there: feedparser raises
    detail: dict[str, object] = authors[-1]
    if detail:
        name, email = detail.get("name"), detail.get("email")
        if name and email:
            context["author"] = f"{name} ({email})"
        elif name:
            context["author"] = name
        elif email:
            context["author"] = email
        return
    if not value:
        return
    if not isinstance(value, str):
        raise Unsure
    author, found = value, None
    match = _EMAIL.search(author)
    if match:
        found = match.group(0)
        author = author.replace(found, "").replace("()", "").replace("<>", "")
        author = author.replace("&lt;&gt;", "").strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author or found:
        context.setdefault("author_detail", detail)
    if author:
        detail["name"] = author
    if found:
        detail["email"] = found


for _name in ("author", "managingeditor", "dc_author", "dc_creator", "itunes_author"):
    START[_name], END[_name] = _start_author, _end_author
START["itunes_owner"], END["itunes_owner"] = _start_owner, _end_owner
START["contributor"], END["contributor"] = _start_contributor, _end_contributor
START["dc_contributor"], END["dc_contributor"] = _start_dc_contributor, _end_dc_contributor
for _names, _element, _key, _expecting in (
    (("name", "itunes_name"), "name", "name", 0),
    (("email", "itunes_email"), "email", "email", 0),
    (("url", "uri", "homepage"), "href", "href", 1),
):
    for _name in _names:
        START[_name] = _start_part(_element, _expecting)
        END[_name] = partial(_end_part, element=_element, key=_key)
