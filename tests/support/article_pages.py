"""Web pages to extract articles from: corpus items wrapped in page chrome, and hostile pages.

There is no network here, so the pages a reader would fetch are built: the full-text items of
the shared corpus feeds (read at run time, never copied), each wrapped in one of five kinds of
site this module writes (a WordPress blog, a newspaper, a Medium-like platform, a Ghost blog, a
one-person link blog): navigation, a cookie banner, share buttons, an author box, a newsletter
form, related stories, comments, a sidebar of popular stories, advertisements, a footer and
scripts. Everything but the item's own HTML is text of our own, and it is written to look like
what such sites carry (sentences in comments and teasers, not lorem ipsum), since chrome that
reads like prose is what extractors get wrong.

The article's text is known (the item's HTML as text), so an extraction can be scored by its
words: how many of the article's words came back (recall) and how many of the words that came
back are the article's (precision). :func:`hostile_pages` gives the odd cases.
"""

from __future__ import annotations

import html
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS_FEEDS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds"

# (feed file, how many items, smallest article in words): full-text feeds first, then the
# news feeds whose items are short (a brief inside a heavy page is the hard case).
PICKS = (
    ("nnw_dcrainmaker_wordpress.xml", 2, 300),
    ("nnw_daringfireball.atom", 3, 120),
    ("feedjira_techcrunch.xml", 3, 300),
    ("nnw_natasha_wordpress.xml", 2, 300),
    ("nnw_medium_hodlhodl.rss", 2, 150),
    ("nnw_yakubin.atom", 2, 300),
    ("nom_dropbox_tech_relative.rss", 2, 300),
    ("rowan_unsplash_ghost.rss", 2, 300),
    ("rowan_github_releases_hugo.atom", 1, 300),
    ("nodefeedparser_intertwingly.atom", 1, 200),
    ("nnw_biorxiv.rdf", 1, 200),
    ("rssparser_guardian.rss", 2, 80),
)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    """A page as a fetch would return it, and the article it holds ("" for hostile pages)."""

    name: str
    body: bytes
    url: str
    content_type: str = "text/html; charset=utf-8"
    title: str = ""
    article_html: str = ""
    expect: str = ""
    """For hostile pages: a word the one-line reason must contain ("" for an article)."""

    @property
    def article_text(self) -> str:
        from streamtui.core.text.htmltext import html_to_text

        return html_to_text(self.article_html)


def words(text: str) -> Counter[str]:
    return Counter(word.lower() for word in WORD.findall(text))


@dataclass(frozen=True)
class Score:
    recall: float
    precision: float
    extracted_words: int


def score(article_text: str, extracted_text: str, title: str = "") -> Score:
    """Token recall and precision of ``extracted_text`` against the article's text (a leading
    copy of the title is not counted against precision: the pane shows the title apart)."""
    wanted = words(article_text)
    got = words(extracted_text)
    title_words = words(title)
    head = words(" ".join(WORD.findall(extracted_text)[: sum(title_words.values())]))
    if title_words and head == title_words:
        got -= title_words
    matched = sum((wanted & got).values())
    total_wanted = sum(wanted.values())
    total_got = sum(got.values())
    recall = matched / total_wanted if total_wanted else 1.0
    precision = matched / total_got if total_got else 0.0
    return Score(recall, precision, total_got)


# --- the corpus items ------------------------------------------------------------------------


def corpus_available() -> bool:
    return CORPUS_FEEDS.is_dir()


def article_pages() -> list[Page]:
    """One page a picked corpus item, the five kinds of site in turn; [] without the corpus."""
    if not corpus_available():
        return []
    import feedparser

    from streamtui.core.text.htmltext import html_to_text

    pages: list[Page] = []
    for feed_name, count, least in PICKS:
        parsed = feedparser.parse((CORPUS_FEEDS / feed_name).read_bytes())
        taken = 0
        for number, entry in enumerate(parsed.entries):
            content = entry.get("content") or [{"value": entry.get("summary", "")}]
            body = str(content[0].get("value", ""))
            if len(html_to_text(body).split()) < least:
                continue
            title = html.unescape(str(entry.get("title", ""))) or "Untitled"
            url = str(entry.get("link", "")) or f"https://example.org/{feed_name}/{number}"
            kind = SITES[len(pages) % len(SITES)]
            rng = random.Random(f"{feed_name}-{number}")
            page = kind(title, body, url, rng)
            stem = feed_name.split(".")[0]
            pages.append(
                Page(
                    f"{stem}-{number}-{kind.__name__.strip('_')}",
                    page.encode("utf-8"),
                    url,
                    title=title,
                    article_html=body,
                )
            )
            taken += 1
            if taken == count:
                break
    return pages


# --- chrome ------------------------------------------------------------------------------------

MENU = (
    "Home", "News", "Reviews", "Guides", "Podcasts", "Video", "Deals", "About", "Contact",
    "Newsletter", "Events", "Jobs", "Advertise", "Archive", "Search",
)  # fmt: skip
COOKIE = (
    "We use cookies and similar technologies to improve your experience, measure our audience "
    "and show you relevant advertising. By clicking Accept all you agree to the storing of "
    "cookies on your device. You can change your choices at any time in Privacy settings."
)
NEWSLETTER = (
    "Get the best stories in your inbox every morning. Sign up for our free daily newsletter "
    "and never miss what matters. We respect your privacy; unsubscribe at any time."
)
RELATED = (
    ("The ten gadgets our editors could not live without this year",
     "From a pocket camera to a kettle that remembers your tea, these are the things we used "
     "every single day."),
    ("Why your next laptop will probably have a chip designed in-house",
     "Manufacturers are moving away from off-the-shelf processors, and the battery life shows."),
    ("How a small town became the unlikely capital of electric bikes",
     "A shop owner, a hill and a municipal subsidy changed the way an entire valley commutes."),
    ("What we learned after running a marathon with five different watches",
     "GPS accuracy varied more than we expected, especially under the trees near the river."),
    ("The quiet return of the paper notebook in software teams",
     "Developers say writing by hand slows them down in exactly the right way."),
    ("Inside the lab where phones are dropped ten thousand times a day",
     "Engineers explained why the corner of the screen is still the weakest point."),
    ("Our favourite podcasts for a long drive this summer",
     "Stories, interviews and one surprisingly gripping series about municipal water supply."),
    ("The best budget headphones you can buy right now",
     "You do not have to spend a fortune for clear sound and a comfortable fit."),
)  # fmt: skip
COMMENTS = (
    ("marta_k", "Great write-up, thanks. I had exactly the same problem last winter and ended "
     "up returning mine after two weeks because the battery drained overnight."),
    ("DaveOnTheHill", "I think you are being a bit generous here. The software still feels "
     "unfinished to me and the company has a habit of abandoning products after a year."),
    ("J. Okafor", "Does anyone know whether this works with the older model? The support page "
     "says nothing and the shop assistant did not know either."),
    ("reader1987", "Been following this site for years and this is why. Clear, honest and no "
     "hype. Keep it up, and please do a follow-up in six months."),
    ("sam", "Small correction: the update shipped on a Tuesday, not the Thursday after, at "
     "least here in Europe. Otherwise spot on."),
    ("Priya N.", "My experience was the opposite. Setup took ten minutes and it has worked "
     "every day since, although I agree the app could be simpler."),
)  # fmt: skip
POPULAR = (
    "Five settings you should change on your new phone today",
    "The airline that lets you pick your seat by the window view",
    "Scientists find a way to recycle the batteries nobody wanted",
    "Review: the coffee grinder that is quieter than your fridge",
    "A beginner's guide to building a keyboard from scratch",
    "Why the price of memory chips is about to fall again",
)
BIO = (
    "{author} has written about technology and the people who make it for more than a "
    "decade. Before joining the site {author} worked as a software developer and a sound "
    "engineer, and still repairs old radios at the weekend."
)
AUTHORS = ("Alex Moreno", "Hannah Weiss", "Tom Adeyemi", "Lucia Ferraro", "Sam Lindqvist")
SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}"
    "gtag('js',new Date());gtag('config','G-XXXX',{{anonymize_ip:true}});</script>\n"
    '<script type="application/ld+json">{{"@context":"https://schema.org","@type":'
    '"NewsArticle","headline":{title},"author":{{"@type":"Person","name":"{author}"}}}}'
    "</script>\n"
    "<script>(function(){{var s=document.createElement('script');s.async=true;"
    "s.src='https://ads.example.net/loader.js';document.head.appendChild(s)}})();</script>"
)
STYLE = (
    "<style>body{font-family:Georgia,serif;margin:0}.nav a{padding:0 8px}.sidebar{float:right;"
    "width:300px}.cookie{position:fixed;bottom:0}</style>"
)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _head(title: str, site: str, author: str, url: str) -> str:
    return (
        f'<head><meta charset="utf-8"><title>{_e(title)} | {_e(site)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta property="og:title" content="{_e(title)}">'
        f'<meta property="og:url" content="{_e(url)}">'
        f'<meta name="author" content="{_e(author)}">'
        f'<link rel="canonical" href="{_e(url)}">'
        f'<link rel="alternate" type="application/rss+xml" href="/feed">{STYLE}'
        + SCRIPT.format(title=_json(title), author=_e(author))
        + "</head>"
    )


def _json(text: str) -> str:
    import json

    return json.dumps(text)


def _menu(rng: random.Random, cls: str = "nav") -> str:
    items = "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in MENU)
    return f'<nav class="{cls}" aria-label="Main"><ul>{items}</ul></nav>'


def _cookie() -> str:
    return (
        f'<div class="cookie-banner" id="consent"><p>{COOKIE}</p>'
        "<button>Accept all</button><button>Reject</button>"
        '<a href="/privacy">Privacy settings</a></div>'
    )


def _share() -> str:
    return (
        '<div class="share"><span>Share this story</span> <a href="#tw">Twitter</a> '
        '<a href="#fb">Facebook</a> <a href="#li">LinkedIn</a> <a href="#mail">Email</a></div>'
    )


def _related(rng: random.Random, count: int = 4, cls: str = "related") -> str:
    picked = rng.sample(RELATED, count)
    items = "".join(
        f'<li><a href="/story/{n}"><h3>{_e(t)}</h3></a><p>{_e(d)}</p></li>'
        for n, (t, d) in enumerate(picked)
    )
    return f'<section class="{cls}"><h2>Related stories</h2><ul>{items}</ul></section>'


def _comments(rng: random.Random, count: int = 4) -> str:
    picked = rng.sample(COMMENTS, count)
    items = "".join(
        f'<li class="comment" id="comment-{n}"><div class="comment-author">{_e(a)}</div>'
        f'<time>{n + 2} hours ago</time><div class="comment-body"><p>{_e(c)}</p></div>'
        f'<a class="reply" href="#reply-{n}">Reply</a></li>'
        for n, (a, c) in enumerate(picked)
    )
    return (
        f'<section id="comments" class="comments"><h2>{count} comments</h2><ol>{items}</ol>'
        '<form class="comment-form"><textarea>Leave a comment</textarea>'
        "<button>Post comment</button></form></section>"
    )


def _popular(rng: random.Random) -> str:
    items = "".join(f'<li><a href="/popular/{n}">{_e(t)}</a></li>' for n, t in enumerate(POPULAR))
    return f'<div class="widget popular"><h3>Most popular</h3><ol>{items}</ol></div>'


def _newsletter() -> str:
    return (
        f'<div class="newsletter"><h3>Newsletter</h3><p>{NEWSLETTER}</p>'
        '<form><input type="email" placeholder="Your email"><button>Sign up</button></form></div>'
    )


def _footer(site: str) -> str:
    links = " ".join(
        f'<a href="/{x.lower().replace(" ", "-")}">{x}</a>'
        for x in ("About us", "Contact", "Terms of use", "Privacy policy", "Cookie policy", "RSS")
    )
    return (
        f'<footer class="site-footer"><div class="links">{links}</div>'
        f"<p>© 2026 {_e(site)} Media Ltd. All rights reserved. Registered in England and "
        "Wales, company number 01234567.</p></footer>"
    )


def _ad() -> str:
    return '<div class="ad-slot"><span>Advertisement</span><div id="ad-300x250"></div></div>'


def _wordpress(title: str, body: str, url: str, rng: random.Random) -> str:
    author = rng.choice(AUTHORS)
    return (
        f'<!DOCTYPE html><html lang="en">{_head(title, "Gadget Notes", author, url)}'
        '<body class="post-template-default single single-post">'
        + _cookie()
        + '<header id="masthead" class="site-header"><div class="site-branding">'
        '<p class="site-title"><a href="/">Gadget Notes</a></p>'
        '<p class="site-description">Independent reviews since 2009</p></div>'
        + _menu(rng, "main-navigation")
        + '</header><div id="content" class="site-content"><div id="primary" class="content-area">'
        '<main id="main" class="site-main"><article class="post type-post status-publish">'
        f'<header class="entry-header"><h1 class="entry-title">{_e(title)}</h1>'
        f'<div class="entry-meta">Posted on <time>March 3, 2026</time> by '
        f'<span class="author vcard"><a href="/author/x">{_e(author)}</a></span></div></header>'
        f'<div class="entry-content">{body}</div>'
        '<footer class="entry-footer"><span class="cat-links">Posted in '
        '<a href="/c/reviews">Reviews</a>, <a href="/c/fitness">Fitness</a></span> '
        '<span class="tags-links">Tagged <a href="/t/gps">GPS</a>, <a href="/t/hw">hardware</a>'
        "</span></footer></article>"
        f'<div class="author-box"><h4>About {_e(author)}</h4>'
        f"<p>{_e(BIO.format(author=author))}</p></div>"
        '<nav class="post-navigation"><a href="/prev">Previous post: A week with the new '
        'tracker</a> <a href="/next">Next post: Firmware notes for spring</a></nav>'
        + _related(rng, 3, "jp-relatedposts")
        + _comments(rng, 5)
        + '</main></div><aside id="secondary" class="widget-area sidebar">'
        '<div class="widget search"><form><input placeholder="Search …"></form></div>'
        + _popular(rng)
        + _newsletter()
        + _ad()
        + "</aside></div>"
        + _footer("Gadget Notes")
        + "<script>jQuery(function($){$('.menu-toggle').click()});</script></body></html>"
    )


def _newspaper(title: str, body: str, url: str, rng: random.Random) -> str:
    author = rng.choice(AUTHORS)
    paragraphs = body
    return (
        f"<!DOCTYPE html><html>{_head(title, 'The Daily Ledger', author, url)}<body>"
        '<a class="skip" href="#maincontent">Skip to main content</a>'
        + _cookie()
        + '<div class="top-bar"><a href="/subscribe">Support us: subscribe from £1</a> '
        '<a href="/signin">Sign in</a></div>'
        '<header><div class="logo"><a href="/">The Daily Ledger</a></div>'
        + _menu(rng)
        + '<nav class="subnav"><a href="/uk">UK</a> <a href="/world">World</a> '
        '<a href="/business">Business</a> <a href="/climate">Climate</a> '
        '<a href="/tech">Tech</a> <a href="/science">Science</a></nav></header>'
        '<div class="breadcrumb"><a href="/">Home</a> › <a href="/tech">Technology</a></div>'
        + _ad()
        + '<main id="maincontent"><div class="article-wrapper">'
        f'<div class="headline"><h1>{_e(title)}</h1><p class="standfirst">What it means and '
        "why it matters, explained by our correspondents.</p></div>"
        f'<div class="byline">{_e(author)} · Technology correspondent · <time>Tue 3 Mar 2026 '
        "09.12 GMT</time></div>" + _share() + f'<div class="article-body">{paragraphs}</div>'
        '<div class="contributions"><p>I hope you appreciated this article. Before you move on, '
        "would you consider supporting our journalism? We have no shareholders and no "
        "billionaire owner, just the determination and passion to deliver high-impact "
        'reporting.</p><a href="/contribute">Support us</a></div>'
        + "</div>"
        + _related(rng, 4, "onward")
        + '<aside class="most-viewed">'
        + _popular(rng)
        + "</aside></main>"
        + _footer("The Daily Ledger")
        + "</body></html>"
    )


def _platform(title: str, body: str, url: str, rng: random.Random) -> str:
    author = rng.choice(AUTHORS)
    return (
        f'<!doctype html><html>{_head(title, "Medium-ish", author, url)}<body><div id="root">'
        '<div class="metabar"><a href="/">Medium-ish</a><a href="/m/signin">Sign in</a>'
        '<a href="/m/signup">Get started</a></div>'
        '<div class="banner">Member-only story. <a href="/membership">Become a member</a> to read '
        "every story and support the writers you love.</div>"
        f'<div class="section"><div class="author-line"><img src="/a.png" alt=""> {_e(author)} '
        "<button>Follow</button> · 6 min read · Mar 3</div>"
        f"<h1>{_e(title)}</h1>"
        f'<div class="postArticle-content">{body}</div>'
        '<div class="claps">1.2K claps · 14 responses</div></div>'
        f'<div class="more-from"><h2>More from {_e(author)}</h2>'
        + _related(rng, 4, "more-list")
        + "</div>"
        + '<div class="responses"><h2>Responses</h2>'
        + _comments(rng, 3)
        + "</div>"
        + _footer("Medium-ish")
        + '<script>window.__APOLLO_STATE__ = {"ROOT_QUERY": {"viewer": null}};</script>'
        + "</div></body></html>"
    )


def _ghost(title: str, body: str, url: str, rng: random.Random) -> str:
    author = rng.choice(AUTHORS)
    return (
        f'<!DOCTYPE html><html lang="en">{_head(title, "Field Notes", author, url)}'
        '<body class="post-template"><div class="site-wrapper">'
        '<header class="site-header outer"><div class="inner"><nav class="site-nav">'
        '<a class="site-nav-logo" href="/">Field Notes</a>'
        + _menu(rng, "nav")
        + '<a class="subscribe-button" href="#subscribe">Subscribe</a></nav></div></header>'
        '<main id="site-main" class="site-main outer"><div class="inner">'
        '<article class="post-full post">'
        '<header class="post-full-header"><section class="post-full-meta">'
        '<time>3 March 2026</time> / <a href="/tag/photography">Photography</a></section>'
        f'<h1 class="post-full-title">{_e(title)}</h1></header>'
        '<figure class="post-full-image"><img src="/content/images/cover.jpg" alt="Cover"></figure>'
        f'<section class="post-full-content"><div class="post-content">{body}</div></section>'
        '<section class="subscribe-form"><h3>Subscribe to Field Notes</h3>'
        f'<p>{NEWSLETTER}</p><form><input type="email"></form></section>'
        '<footer class="post-full-footer"><section class="author-card">'
        f"<h4>{_e(author)}</h4><p>{_e(BIO.format(author=author))}</p></section></footer>"
        "</article></div></main>"
        '<aside class="read-next outer"><div class="inner">'
        + _related(rng, 3, "read-next-feed")
        + "</div></aside>"
        + _footer("Field Notes")
        + "</div></body></html>"
    )


def _linkblog(title: str, body: str, url: str, rng: random.Random) -> str:
    author = rng.choice(AUTHORS)
    sidebar_links = "".join(
        f'<li><a href="/linked/{n}">{_e(t)}</a></li>' for n, t in enumerate(POPULAR)
    )
    return (
        f"<!DOCTYPE html><html>{_head(title, 'Tiny Fireball', author, url)}<body>"
        '<div id="Box"><div id="Banner"><a href="/">Tiny Fireball</a></div>'
        '<div id="Sidebar"><p>By <a href="/about">' + _e(author) + "</a></p>"
        '<ul><li><a href="/archive">Archive</a></li><li><a href="/projects">Projects</a></li>'
        '<li><a href="/contact">Contact</a></li><li><a href="/feeds">RSS Feed</a></li></ul>'
        f"<h3>Recently linked</h3><ul>{sidebar_links}</ul>"
        '<p class="sponsor">Sponsored by Acme Notes: the note-taking app that keeps your '
        "thoughts in plain text files you own forever. Try it free for thirty days.</p></div>"
        '<div id="Main"><div class="article">'
        f'<h1><a href="{_e(url)}">{_e(title)}</a></h1>'
        '<h6 class="dateline">Tuesday, 3 March 2026</h6>'
        f"{body}"
        '<div class="permalink"><a href="#">★</a></div></div>'
        '<div class="previous-next"><a href="/prev">Previous: On the new keyboards</a> '
        '<a href="/next">Next: The week in review</a></div>'
        "</div>"
        '<div id="Footer"><p>Copyright © 2002–2026 Tiny Fireball. '
        'Hosted by <a href="/host">Example Hosting</a>.</p></div></div></body></html>'
    )


SITES: tuple[Callable[[str, str, str, random.Random], str], ...] = (
    _wordpress,
    _newspaper,
    _platform,
    _ghost,
    _linkblog,
)


# --- hostile and odd pages ----------------------------------------------------------------


def _prose(sentences: int, seed: int = 1) -> str:
    """Paragraphs of plain sentences of our own (for pages that need an article of a size)."""
    rng = random.Random(seed)
    subjects = ("The council", "A reader", "The engineer", "Our reporter", "The company")
    verbs = ("said", "noted", "argued", "confirmed", "explained")
    objects = (
        "that the bridge would reopen in spring after the repairs were finished",
        "that the new timetable had cut the average wait by four minutes",
        "that the software update fixed the problem for most of the affected users",
        "that the river had risen faster than the models had predicted",
        "that prices would stay the same until the end of the year",
    )
    paragraphs = []
    for start in range(0, sentences, 5):
        text = " ".join(
            f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}."
            for _ in range(min(5, sentences - start))
        )
        paragraphs.append(f"<p>{text}</p>")
    return "".join(paragraphs)


def simple_page(title: str, body_html: str, *, chrome: bool = True) -> str:
    """A small page of our own around ``body_html``."""
    rng = random.Random(7)
    if not chrome:
        head = f"<!DOCTYPE html><html><head><title>{_e(title)}</title></head>"
        return f"{head}<body>{body_html}</body></html>"
    return _wordpress(title, body_html, "https://example.org/post", rng)


def nested_divs(depth: int) -> bytes:
    """``depth`` nested divs around an article-sized text."""
    return (
        "<!DOCTYPE html><html><head><title>Deep</title></head><body>"
        + "<div>" * depth
        + _prose(40)
        + "</div>" * depth
        + "</body></html>"
    ).encode()


def huge_page(size: int) -> bytes:
    """A page of about ``size`` bytes: an article followed by endless comments."""
    head = simple_page("A huge page", _prose(60)).encode()
    comment = (
        b'<div class="comment"><p>This is a comment that someone wrote underneath the story, '
        b"one of very many.</p></div>"
    )
    repeats = max(0, (size - len(head)) // len(comment))
    return head.replace(b"</body>", comment * repeats + b"</body>")


def paywall_stub() -> bytes:
    body = (
        "<p>The government announced on Tuesday a plan that would change how millions of "
        "households pay for their energy, in a move that critics said came too late.</p>"
        '<div class="paywall"><h2>Subscribe to continue reading</h2><p>This article is for '
        "subscribers only. Subscribe now for unlimited access to all our journalism, or "
        '<a href="/login">log in</a> if you already have an account.</p>'
        '<a class="button" href="/subscribe">Subscribe for £1 a week</a></div>'
    )
    return simple_page("Energy bills to change under new plan", body).encode()


def not_an_article() -> bytes:
    """A home page: lists of headlines and teasers, no story of its own."""
    teasers = "".join(
        f'<div class="card"><a href="/story/{n}"><h3>{_e(t)}</h3></a><p>{_e(d)}</p></div>'
        for n, (t, d) in enumerate(RELATED)
    )
    links = "".join(f'<li><a href="/p/{n}">{_e(t)}</a></li>' for n, t in enumerate(POPULAR))
    body = (
        "<!DOCTYPE html><html><head><title>The Daily Ledger: news and views</title></head>"
        f"<body>{_cookie()}<header>{_menu(random.Random(1))}</header><main>"
        f'<section class="top-stories">{teasers}</section><ul class="latest">{links}</ul>'
        f"</main>{_footer('The Daily Ledger')}</body></html>"
    )
    return body.encode()


PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def hostile_pages() -> Iterator[Page]:
    """The odd pages, each with a word its one-line reason must contain."""
    url = "https://example.org/odd"
    yield Page("empty body", b"", url, expect="empty")
    yield Page(
        "empty html", b"<!DOCTYPE html><html><head></head><body></body></html>", url, expect="no"
    )
    yield Page("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", url,
               content_type="application/pdf", expect="PDF")  # fmt: skip
    yield Page("pdf served as html", b"%PDF-1.4\n" + b"\x00\x01" * 200, url, expect="PDF")
    yield Page("png image", PNG_HEADER + b"\x00" * 64, url, content_type="image/png",
               expect="image")  # fmt: skip
    yield Page("json", b'{"items": []}', url, content_type="application/json", expect="web page")
    yield Page("paywall stub", paywall_stub(), url, expect="subscri")
    yield Page("home page", not_an_article(), url, expect="article")
    yield Page("16 MiB blob", b"\xa7" * (16 * 1024 * 1024), url,
               content_type="application/octet-stream", expect="web page")  # fmt: skip
    yield Page("huge", huge_page(12 * 1024 * 1024), url, expect="large")


def latin1_page() -> bytes:
    """A page in windows-1252, declared only in a meta tag."""
    body = _prose(30, seed=4).replace("The council", "Le café de Noël")
    return (
        simple_page("Le café", body)
        .replace('charset="utf-8"', 'charset="windows-1252"')
        .encode("cp1252")
    )
