"""Full articles: the article in a fetched page, or one line saying why there is none."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from statistics import mean

import pytest

from streamtui.core.reader.extract import (
    MAX_MARKUP_CHARS,
    Extracted,
    Refused,
    cut_scripts,
    extract_page,
)
from streamtui.core.text.htmltext import html_to_text
from streamtui.core.text.render import render_html
from tests.support.article_pages import (
    Page,
    article_pages,
    corpus_available,
    hostile_pages,
    latin1_page,
    nested_divs,
    score,
    simple_page,
)

URL = "https://example.org/story"
STORY = (
    "<p>The harbour authority said on Monday that the old swing bridge would reopen in April, "
    "after a winter of repairs to its machinery and a new coat of paint.</p>"
    "<p>Engineers found that two of the gears had worn unevenly, and replaced them with parts "
    "made by a foundry in the next town, which had kept the original drawings since 1911.</p>"
    "<p>Residents who cross the bridge every day said they were relieved, although several "
    "complained that the diversion had added twenty minutes to their walk to the station.</p>"
)


def extracted(body: bytes | str, content_type: str = "text/html") -> Extracted:
    result = extract_page(body.encode() if isinstance(body, str) else body, URL, content_type)
    assert isinstance(result, Extracted), result
    return result


def refused(body: bytes | str, content_type: str = "text/html") -> str:
    result = extract_page(body.encode() if isinstance(body, str) else body, URL, content_type)
    assert isinstance(result, Refused), result
    assert "\n" not in result.reason and len(result.reason) < 200
    return result.reason


def test_the_article_comes_back_without_the_chrome() -> None:
    result = extracted(simple_page("Bridge to reopen", STORY))
    text = html_to_text(result.html)
    assert "swing bridge would reopen in April" in text
    assert "foundry in the next town" in text
    chrome = ("We use cookies", "Related stories", "Leave a comment", "Most popular", "gtag")
    for words in (*chrome, "All rights reserved", "Sign up for our free daily newsletter"):
        assert words not in text
    assert result.title == "Bridge to reopen"
    assert result.url == URL
    assert result.words > 80


@pytest.mark.parametrize("page", list(hostile_pages()), ids=lambda page: page.name)
def test_odd_pages_are_refused_in_one_line(page: Page) -> None:
    result = extract_page(page.body, page.url, page.content_type)
    assert isinstance(result, Refused), (page.name, result)
    assert page.expect.lower() in result.reason.lower()
    assert "\n" not in result.reason


def test_a_cookie_banner_is_not_taken_for_the_article_of_a_home_page() -> None:
    # Its one long paragraph was the best candidate readability found among the headlines.
    reason = refused(next(p for p in hostile_pages() if p.name == "home page").body)
    assert "not an article" in reason


def test_a_paywall_stub_says_so_but_a_long_story_with_a_subscribe_box_is_read() -> None:
    assert "paywall" in refused(next(p for p in hostile_pages() if p.name == "paywall stub").body)
    box = '<div class="paywall-promo"><p>Subscribe to continue reading our best stories.</p></div>'
    long_story = simple_page("Long", STORY * 6 + box)
    assert extracted(long_story).words > 300
    # the schema.org flag in a script counts too (scripts are cut only after it is looked for)
    flagged = simple_page("Flagged", STORY[:200]).replace(
        "</head>",
        '<script type="application/ld+json">{"isAccessibleForFree": "False"}</script></head>',
    )
    assert "paywall" in refused(flagged)


def test_nesting_deeper_than_the_parser_reads_is_refused_at_once() -> None:
    started = time.perf_counter()
    reason = refused(nested_divs(10_000))
    assert "255 deep" in reason
    assert time.perf_counter() - started < 5  # linear: milliseconds; quadratic: minutes
    # a deep but parseable page is read whole
    assert "bridge would reopen" in html_to_text(
        extracted(nested_divs(200).replace(b"<p>", b"<p>" + STORY.encode(), 1)).html
    )


def test_a_page_larger_than_the_markup_cap_is_refused_but_scripts_do_not_count() -> None:
    script = "<script>var state = " + "x" * (MAX_MARKUP_CHARS + 10) + ";</script>"
    heavy = simple_page("Heavy", STORY).replace("</head>", script + "</head>")
    assert "bridge would reopen" in html_to_text(extracted(heavy).html)
    filler = "<p>" + "word " * (MAX_MARKUP_CHARS // 5) + "</p>"
    assert "too large" in refused(simple_page("Big", STORY + filler))


def test_a_16_mib_blob_served_as_html_is_refused() -> None:
    assert "too large" in refused(b"\xa7" * (16 * 1024 * 1024))
    assert "larger than" in refused(b"<html>" + b"a" * (16 * 1024 * 1024 + 1))


def test_cut_scripts_removes_scripts_styles_and_comments_in_linear_time() -> None:
    page = (
        "<p>one</p><script type='x'>if (a < b) { '</p>' }</script><p>two</p>"
        "<STYLE>p{}</STYLE ><!-- <p>hidden</p> --><p>three</p><template><p>t</p></template>"
    )
    assert cut_scripts(page) == "<p>one</p><p>two</p><p>three</p>"
    assert cut_scripts("<p>kept</p><script>never closed <p>gone</p>") == "<p>kept</p>"
    assert cut_scripts("<p>kept</p><!-- open") == "<p>kept</p>"
    started = time.perf_counter()
    cut_scripts("<p>x</p>" + "<script>" * 200_000)
    cut_scripts("<!--" * 200_000)
    assert time.perf_counter() - started < 5


def test_the_charset_comes_from_the_header_then_a_meta_tag_then_utf8_then_cp1252() -> None:
    assert "Le café de Noël" in html_to_text(extracted(latin1_page()).html)
    utf8 = simple_page("Noël", STORY.replace("harbour", "café")).encode()
    assert "café" in html_to_text(extracted(utf8).html)
    as_latin1 = extracted(utf8, "text/html; charset=iso-8859-1")  # the header wins
    assert "cafÃ©" in html_to_text(as_latin1.html)
    for codec in ("punycode", "rot13", "base64", "no-such-codec"):
        weird = extracted(utf8, f"text/html; charset={codec}")
        assert "café" in html_to_text(weird.html), codec


def test_the_title_is_the_pages_own_sanitised() -> None:
    page = simple_page("Plain \x1b]52;c;AAAA\x07title", STORY)
    title = extracted(page).title
    assert "\x1b" not in title and "\x07" not in title
    assert title.startswith("Plain")
    untitled = f"<html><head></head><body><h1>x</h1>{STORY}</body></html>"
    assert extracted(untitled).title == ""
    only_title = f"<html><head><title>Old &amp; new</title></head><body>{STORY}</body></html>"
    assert extracted(only_title).title == "Old & new"


def test_the_extraction_renders_safely_with_its_links_numbered() -> None:
    story = STORY + (
        '<p>Read <a href="/docs/report.pdf">the report</a> and <a href="javascript:alert(1)">'
        "this</a>; escape &#27;]52;c;QUJD&#7; here, and more words to make a paragraph.</p>"
    )
    document = render_html(extracted(simple_page("Links", story)).html, URL)
    urls = [link.url for link in document.links]
    assert "https://example.org/docs/report.pdf" in urls
    for block in document.blocks:
        assert "\x1b" not in block.text and "\x07" not in block.text


def test_readability_never_writes_on_the_terminal() -> None:
    code = (
        "from streamtui.core.reader.extract import extract_page\n"
        "print(type(extract_page(b'<html><body><p>x</p></body></html>', 'https://e.org/')).__name__)\n"
        "import readability.readability as r\n"
        "r.log.exception('a traceback that must not show')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stderr == ""


def _limited_worker(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def test_extraction_runs_in_a_worker_process_with_a_memory_limit() -> None:
    pages = [
        simple_page("Worker", STORY).encode(),
        b"\xa7" * (16 * 1024 * 1024),
        nested_divs(10_000),
        simple_page("Big", STORY + "<p>" + "word " * (MAX_MARKUP_CHARS // 6) + "</p>").encode(),
    ]
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_limited_worker,
                             initargs=(1024,)) as pool:  # fmt: skip
        results = [pool.submit(extract_page, body, URL, "text/html").result(120) for body in pages]
    assert isinstance(results[0], Extracted) and results[0].title == "Worker"
    assert all(isinstance(result, Refused) for result in results[1:3])
    assert isinstance(results[3], Extracted)  # just under the cap: fits in 1 GiB


@pytest.mark.skipif(not corpus_available(), reason="the shared corpus (../shared/corpus) is absent")
def test_accuracy_on_corpus_articles_inside_page_chrome() -> None:
    pages = article_pages()
    scores = []
    for page in pages:
        result = extract_page(page.body, page.url, page.content_type)
        assert isinstance(result, Extracted), (page.name, result)
        assert result.title == page.title
        scores.append(score(page.article_text, html_to_text(result.html), page.title))
    assert len(scores) >= 20
    assert mean(s.recall for s in scores) >= 0.9
    assert mean(s.precision for s in scores) >= 0.95
    assert min(s.recall for s in scores) >= 0.5
    assert min(s.precision for s in scores) >= 0.7
