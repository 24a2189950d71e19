"""Terminal safety: hostile escapes in every field never reach the terminal.

The corpus and the pty driver live in ``tests/support/escapes.py`` (``benchmarks/pty_escapes.py``
runs the same scenario one field at a time). One run of the real app in a pseudo-terminal
covers every payload in every field; its output is searched for each payload's marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from streamtui.core.models import Article, Enclosure, Row
from streamtui.core.text.sanitize import sanitize
from streamtui.ui.article.layout import layout, piece_lines
from streamtui.ui.article.page import article_page
from tests.support.escapes import PAYLOADS, Payload, Run, Scenario, leaked, scenario_run

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(PAYLOADS) >= 40
    assert len({p.name for p in PAYLOADS}) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_each_marker_would_see_its_payload_and_sanitize_removes_it(payload: Payload) -> None:
    """A leak is detected (the marker matches the raw payload as the terminal would get it)
    and the choke point removes exactly what the marker looks for."""
    assert payload.marker.search(payload.text.encode("utf-8"))
    for multiline in (False, True):
        cleaned = sanitize(f"a {payload.text} z", multiline=multiline)
        assert not payload.marker.search(cleaned.encode("utf-8")), ascii(cleaned)
        assert not CONTROLS.search(cleaned), ascii(cleaned)


# -- the article page built from raw fields (an old database, another loader) -------------


def raw_article(text: str) -> Article:
    row = Row(
        id="raw",
        source_id=1,
        title=f"Title {text}",
        published=datetime(2026, 1, 2, tzinfo=UTC),
        teaser=False,
        truncated=False,
        read=False,
        starred=False,
    )
    return Article(
        row=row,
        source_name=f"Source {text}",
        summary=f"Summary {text}",
        body=f"Body {text}",
        link=f"https://example.org/{text}",
        path=f"page {text}.txt",
        encoding=f"cp{text}",
        html=False,
        enclosures=(Enclosure("https://example.org/a.mp3", f"audio/{text}"),),
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_the_article_page_sanitises_every_field_where_it_is_drawn(payload: Payload) -> None:
    """Path, encoding and attachment type were drawn as they were stored (found by the pty
    run's old-database field)."""
    page = article_page(raw_article(payload.text))
    laid_out = layout(page, 80)
    for index in range(len(page.pieces)):
        for line in piece_lines(laid_out, index):
            for part in (line.prefix, line.body):
                assert not CONTROLS.search(part.plain), ascii(part.plain)
                assert not payload.marker.search(part.plain.encode("utf-8"))
    text = "\n".join(piece.content.plain for piece in page.pieces)
    assert "page" in text and "(decoded as cp" in text and "Attachment:" in text


# -- the real app in a pseudo-terminal ------------------------------------------------------


ONE_DRIVE = pytest.mark.xdist_group("terminal-safety-drive")
"""The tests of the hostile drive share one worker, so the drive (about a minute) runs once per
run: a module fixture is computed again on every xdist worker that runs one of its tests."""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scenario, Run]]:
    with scenario_run(tmp_path_factory.mktemp("hostile") / "run") as result:
        yield result


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scenario, Run]]:
    plain = [Payload(f"plain {n}", "plain words", re.compile(rb"^$")) for n in range(3)]
    with scenario_run(tmp_path_factory.mktemp("clean") / "run", plain) as result:
        yield result


def test_no_marker_matches_what_textual_writes_itself(clean_run: tuple[Scenario, Run]) -> None:
    """The markers look for nothing a clean run writes (Textual's own escapes, its queries
    and its exit sequence), so a match in the hostile run is a leak."""
    _, run = clean_run
    assert run.status == 0 and not run.traceback
    assert not run.missing and not [s for s in run.steps if "timing" not in s], run.steps
    assert [p.name for p in leaked(run.output)] == []


@ONE_DRIVE
def test_no_payload_reaches_the_terminal(hostile_run: tuple[Scenario, Run]) -> None:
    _, run = hostile_run
    found = {
        payload.name: run.output[max(0, m.start() - 40) : m.end() + 20]
        for payload in leaked(run.output)
        if (m := payload.marker.search(run.output))
    }
    assert found == {}
    assert run.status == 0, run.output[-2000:]
    assert not run.traceback


@ONE_DRIVE
def test_every_field_was_drawn(hostile_run: tuple[Scenario, Run]) -> None:
    """An empty run cannot pass: the word beside each payload in each field was drawn, and
    every screen the drive opened showed."""
    scenario, run = hostile_run
    assert len(scenario.expected) > 10 * len(PAYLOADS)
    # on a failure, what the drive saw: its steps and the last of the output
    assert run.missing == [], (run.steps, run.status, run.output[-1500:])
    assert [s for s in run.steps if "timing" not in s] == []
    for screen in (b"Open link", b"streamtui keys", b"Source:", b"Search", b"Removed"):
        assert screen in run.output, screen
    assert run.seconds < 240, run.steps  # a hang guard (each step has its own), not a speed target


@ONE_DRIVE
def test_the_drive_covers_every_field(hostile_run: tuple[Scenario, Run]) -> None:
    scenario, _ = hostile_run
    assert all(count >= len(PAYLOADS) - 3 for count in scenario.tried.values()), scenario.tried
