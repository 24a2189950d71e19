"""The article in a fetched web page, as clean HTML for the article pane, or why there is none.

:func:`extract_page` takes the bytes a fetch returned (with the page's URL and Content-Type) and
gives an :class:`Extracted` (the article's HTML, for ``htmlrender.render_html``, which numbers
links and sanitises; its title; its words) or a :class:`Refused` with a one-line reason: not a
web page (a PDF, an image, JSON...), too large, nested too deeply, empty, a paywall stub, or a
page that holds no article (a home page of headlines). It is pure and picklable (bytes and
strings in, a frozen value out, never an exception), so it runs in the parser's worker
processes with their time and memory limits.

**Why readability-lxml (0.9) and not trafilatura (2.3.1).** Both were measured on the same 23
pages (items of 12 corpus feeds inside the chrome of five kinds of site: navigation, cookie
banners, comments, related stories, sidebars, scripts; ``benchmarks/extractors.py``):

=========================  ================  ==================
                           readability-lxml  trafilatura
=========================  ================  ==================
token recall, mean/worst   0.943 / 0.61      0.952 / 0.64
token precision            0.978 / 0.77      0.954 / 0.65
images / headings kept     80 / 59 of 109/68 67 / 53
time a page, median / p95  6.0 / 16.8 ms     5.2 / 11.7 ms
a 12 MiB page              4.3 s             27 s
peak memory, 23 pages      53 MB             94 MB
import                     45 ms             102 ms
installed beyond ours      14.5 MB           62 MB (babel, dateparser, regex, tzdata...)
=========================  ================  ==================

Accuracy is a tie (recall within a point, precision better for readability); readability keeps
more of the images the pane is to draw, is six times faster on a large page, needs half the
memory and a quarter of the disk, and installs cleanly with Python 3.11's pip 23.2, where
trafilatura's jusText asks for ``lxml[html_clean]``, an extra pip 23.2 does not match to lxml's
``html-clean``: a fresh ``pip install .`` would give a trafilatura that cannot be imported.

Defences of our own around it: the page's scripts, styles and comments are cut first (in linear
time; inline JSON is most of a modern page's weight), the rest is capped at
:data:`MAX_MARKUP_CHARS`; a page nested deeper than libxml2 parses (it stops at 255 levels and
silently drops the rest) is refused, not shown half; readability's own logging never reaches
the terminal.
"""

from __future__ import annotations

import codecs
import html
import logging
import re
from dataclasses import dataclass

from streamtui.core.parse.entries import HTML_TYPES
from streamtui.core.parse.pages import binary_kind, looks_like_html
from streamtui.core.text.decode import decode
from streamtui.core.text.htmltext import html_to_text
from streamtui.core.text.sanitize import sanitize

__all__ = [
    "MAX_MARKUP_CHARS",
    "MAX_PAGE_BYTES",
    "Extracted",
    "Refused",
    "extract_page",
]

MAX_PAGE_BYTES = 16 * 1024 * 1024
"""The largest page read at all (the fetch cap)."""
MAX_MARKUP_CHARS = 4 * 1024 * 1024
"""Characters of markup left once scripts, styles and comments are cut: beyond it, "too large".
readability takes about 1.3 s for 4 MiB of markup on the 2-core machine (benchmarks/reader.py)."""
MIN_WORDS = 25
"""An extraction with fewer words (and no image) holds no article."""
PAYWALL_WORDS = 300
"""A page that shows a paywall and fewer words than this is a stub of the story."""
TITLE_CHARS = 500
HEAD_CHARS = 256 * 1024
"""Where the title and the charset are looked for."""

# Class and id words that mark page chrome; readability weighs them down (it already knows
# comment, footer, sidebar, related, sponsor, widget...).
NEGATIVE = (
    "cookie|consent|gdpr|newsletter|subscribe|signup|paywall|share|social|promo|banner"
    "|popular|trending|most-viewed|onward|read-next|recommend|author-box|author-card|bio"
)
_CUT_OPEN = re.compile(r"<(script|style|template)\b|<!--", re.IGNORECASE)
_CUT_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style", "template")
}
_COMMENT_CLOSE = re.compile("-->")
# A paywall says so in words or in its markup; each marker is a literal found in the lowered
# page, then confirmed by a pattern on a window around it (one regular expression with every
# alternative took 1.2 s on a 12 MiB page; this takes a few milliseconds).
_PAYWALL_MARKERS = (
    ("isaccessibleforfree", re.compile(r'isaccessibleforfree"?\s*:\s*"?false')),
    ("paywall", re.compile(r"""\b(?:class|id)\s*=\s*["'][^"'<>]{0,200}paywall""")),
    ("subscribers only", None),
    ("subscribers-only", None),
    ("subscribe to continue reading", None),
    ("subscribe now to continue reading", None),
    ("subscribe to keep reading", None),
    ("already a subscriber?", None),
)
_WINDOW = 240
_TRIES = 64
_META = re.compile(r"<meta\b([^<>]*)>", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^<>]*>([^<]{1,2000})", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_META_CHARSET = re.compile(
    rb"""<meta\b[^<>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I
)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)
_REFUSED_CODECS = frozenset({"punycode", "idna", "unicode_escape", "raw_unicode_escape"})
_AMBIGUOUS_TYPES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})
_WORD = re.compile(r"\w+")
_BANNER = re.compile(r"cookie|consent|gdpr", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Extracted:
    """The article of a page: ``html`` for ``render_html`` (not yet sanitised: the renderer
    does it), ``title`` sanitised ("" when the page names none), ``url`` the base of its
    relative links, ``words`` its length, ``text`` its plain text, sanitised (what the
    search index holds)."""

    url: str
    title: str
    html: str
    words: int
    text: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a page gave no article: one line, naming no URL (the caller names the item)."""

    reason: str


def extract_page(body: bytes, url: str, content_type: str = "") -> Extracted | Refused:
    """The article in ``body``, or why there is none. Never raises (a worker's result)."""
    try:
        return _extract(body, url, content_type)
    except MemoryError:
        return Refused("the page needs more memory than its extraction may use")
    except Exception as error:  # a bug or a parser surprise: one line, the page is not shown
        return Refused(f"the page could not be read ({type(error).__name__})")


def _extract(body: bytes, url: str, content_type: str) -> Extracted | Refused:
    refusal = _not_a_page(body, content_type)
    if refusal:
        return Refused(refusal)
    text = _decode(body, content_type)
    paywalled = _paywalled(text)
    markup = cut_scripts(text)
    if len(markup) > MAX_MARKUP_CHARS:
        return Refused(
            f"the page is too large to read as an article ({_mib(len(markup))} of markup "
            f"without its scripts; the limit is {_mib(MAX_MARKUP_CHARS)})"
        )
    if not markup.strip():
        return Refused("the page is empty")
    page = _prepare(markup)
    if isinstance(page, Refused):
        return page
    if page.words == 0:
        return Refused("the page has no text")
    article = _readability(page.markup, url)
    text = sanitize(html_to_text(article), multiline=True)
    words = len(_WORD.findall(text))
    has_image = re.search(r"<img\b", article, re.IGNORECASE) is not None
    if paywalled and words < PAYWALL_WORDS:
        return Refused(
            "the page shows only the start of the story: the rest is for subscribers (a paywall)"
        )
    if words < MIN_WORDS and not has_image:
        if page.link_words * 2 > page.words:
            return Refused("the page is a list of links (a home or index page), not an article")
        return Refused("the page holds no article (too little text outside its menus)")
    title = _title(markup[:HEAD_CHARS])
    return Extracted(url=url, title=title, html=article, words=words, text=text)


# --- what the bytes are -------------------------------------------------------------------


def _not_a_page(body: bytes, content_type: str) -> str:
    """Why ``body`` is not a web page to read, or ""."""
    if not body.strip():
        return "the page is empty"
    if len(body) > MAX_PAGE_BYTES:
        return f"the page is larger than the {_mib(MAX_PAGE_BYTES)} limit"
    kind = binary_kind(body, content_type)
    if kind:
        return f"the address gives {kind}, not a web page"
    media = content_type.split(";", 1)[0].strip().lower()
    if media in HTML_TYPES:
        return ""
    if media in _AMBIGUOUS_TYPES and looks_like_html(body):
        return ""
    shown = sanitize(media)[:60] or "no type"
    if media.startswith("image/"):
        return f"the address gives an image ({shown}), not a web page"
    return f"the address gives {shown}, not a web page"


def _decode(body: bytes, content_type: str) -> str:
    """The page as text: a byte-order mark, else the charset of the header, else of a meta
    tag, else UTF-8, else cp1252 (``files.decode``)."""
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(body)[0]
    declared = _CHARSET_PARAM.search(content_type)
    found = declared.group(1) if declared else ""
    if not found:
        meta = _META_CHARSET.search(body, 0, 4096)
        found = meta.group(1).decode("ascii") if meta else ""
    codec = _text_codec(found)
    if codec:
        return body.decode(codec, "replace")
    return decode(body)[0]


def _paywalled(text: str) -> bool:
    """True when the page carries a paywall's words or markup (see _PAYWALL_MARKERS)."""
    lowered = text.lower()
    for literal, confirm in _PAYWALL_MARKERS:
        found, tries = lowered.find(literal), 0
        while found >= 0 and tries < _TRIES:
            if confirm is None:
                return True
            window = lowered[max(0, found - _WINDOW) : found + len(literal) + _WINDOW]
            if confirm.search(window):
                return True
            found, tries = lowered.find(literal, found + len(literal)), tries + 1
    return False


def _text_codec(name: str) -> str:
    """The codec named ``name`` when it decodes text (not punycode, rot13 or base64), else ""."""
    if not name:
        return ""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return ""
    if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return ""
    if info.name.startswith("utf-16") or info.name.startswith("utf-32"):
        return "utf-8"  # a meta tag read as ASCII cannot be UTF-16: browsers take UTF-8 too
    return info.name


def cut_scripts(text: str) -> str:
    """``text`` without ``script``, ``style`` and ``template`` elements and comments, in linear
    time: each search starts where the last ended; an element left open runs to the end."""
    pieces: list[str] = []
    position = 0
    while True:
        opened = _CUT_OPEN.search(text, position)
        if opened is None:
            pieces.append(text[position:])
            return "".join(pieces)
        pieces.append(text[position : opened.start()])
        name = opened.group(1)
        close = _COMMENT_CLOSE if name is None else _CUT_CLOSE[name.lower()]
        closed = close.search(text, opened.end())
        if closed is None:
            return "".join(pieces)
        position = closed.end()


# --- the parse ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Page:
    markup: str
    """The page without its banners, serialised again, for readability."""
    words: int
    link_words: int


def _prepare(markup: str) -> _Page | Refused:
    """Parse once: refuse a page libxml2 could not parse whole (its depth limit), drop cookie
    and consent banners (readability takes their long paragraph for the article on a page of
    headlines), and count the words of the body and of its links."""
    import lxml.html  # type: ignore[import-untyped]
    from lxml import etree

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        document = lxml.html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError):  # "Document is empty"
        return _Page("", 0, 0)
    if any("depth" in entry.message.lower() for entry in parser.error_log):
        return Refused(
            "the page nests its elements more than 255 deep, which no article does; it is not read"
        )
    body = document.find("body")
    if body is None:
        return _Page("", 0, 0)
    for element in list(body.iter(etree.Element)):
        marks = f"{element.get('id', '')} {element.get('class', '')}"
        if _BANNER.search(marks) and element.getparent() is not None:
            element.drop_tree()
    words = len(_WORD.findall(body.text_content()))
    link_words = sum(len(_WORD.findall(link.text_content())) for link in body.iter("a"))
    serialised = lxml.html.tostring(document, encoding="unicode", method="html")
    return _Page(serialised, words, link_words)


def _readability(markup: str, url: str) -> str:
    """readability's article, as an HTML fragment with absolute links."""
    from readability import Document  # type: ignore[import-untyped]

    _quiet()
    document = Document(markup, url=url or None, negative_keywords=NEGATIVE)
    return str(document.summary(html_partial=True))


def _quiet() -> None:
    """readability logs a traceback (``log.exception``) on a page it cannot read; with no
    handler Python would print it on standard error, the app's terminal."""
    logger = logging.getLogger("readability")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


# --- the title ------------------------------------------------------------------------------


def _title(head: str) -> str:
    """The page's own title: og:title or twitter:title, else <title>; sanitised, clipped."""
    for meta in _META.finditer(head):
        attributes = _attributes(meta.group(1))
        name = attributes.get("property") or attributes.get("name") or ""
        if name.lower() in ("og:title", "twitter:title") and attributes.get("content", "").strip():
            return _clean_title(attributes["content"])
    found = _TITLE.search(head)
    return _clean_title(found.group(1)) if found else ""


def _clean_title(text: str) -> str:
    return sanitize(html.unescape(text))[:TITLE_CHARS]


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        value = match.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        found.setdefault(match.group(1).lower(), html.unescape(value))
    return found


def _mib(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB"
