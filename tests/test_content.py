"""The bundled guide (content/): it loads cleanly and shows every feature of the format."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamtui.core import paths
from streamtui.core.library import BUNDLED_LOCATION, Library
from streamtui.core.models import Item, LoadResult
from streamtui.core.sources.pages import load_source, normalize_title
from streamtui.core.store import Store


@pytest.fixture(scope="module")
def guide() -> LoadResult:
    return load_source(BUNDLED_LOCATION, paths.bundled_content())


def leads(result: LoadResult) -> list[Item]:
    return [item for item in result.items if not item.teaser]


def test_bundled_content_is_found() -> None:
    folder = paths.bundled_content()
    assert folder.is_dir()
    assert len(list(folder.glob("*.txt"))) >= 5


def test_guide_loads_without_problems(guide: LoadResult) -> None:
    assert guide.problems == ()
    pages = {item.path for item in guide.items}
    assert len(pages) >= 5
    assert len(leads(guide)) == len(pages)  # every page has a lead article
    for lead in leads(guide):
        assert lead.title and lead.body and lead.summary
        assert lead.encoding == "utf-8"


def test_guide_uses_every_feature(guide: LoadResult) -> None:
    teasers = [item for item in guide.items if item.teaser]
    assert any(t.truncated and t.summary.endswith("...") for t in teasers)
    assert any(t.truncated and t.summary.endswith("…") for t in teasers)
    assert any(not t.truncated and t.summary for t in teasers)
    assert any(t.summary == "" and not t.truncated for t in teasers), "a title-only teaser"
    merged = [item for item in guide.items if item.aliases]
    assert merged, "a teaser merged with another page's article"
    assert all(not item.teaser and item.body for item in merged)


def test_guide_lists_each_story_once(guide: LoadResult) -> None:
    titles = [normalize_title(item.title) for item in guide.items]
    assert len(titles) == len(set(titles))
    ids = [item.id for item in guide.items]
    aliases = [alias for item in guide.items for alias in item.aliases]
    assert len(set(ids)) == len(ids) and not set(ids) & set(aliases)


def test_welcome_page_teasers_point_at_other_pages(guide: LoadResult) -> None:
    by_path = {item.path: item for item in leads(guide)}
    welcome = by_path["welcome.txt"]
    assert welcome.title == "Welcome to streamtui"
    keys = by_path["keys.txt"]
    assert keys.aliases, "welcome.txt teases keys.txt, so keys.txt carries the teaser id"


def test_guide_text_is_clean(guide: LoadResult) -> None:
    for item in guide.items:
        for text in (item.title, item.summary, item.body):
            assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)
            assert "\ufffd" not in text


def test_a_fresh_library_shows_the_guide(tmp_path: Path) -> None:
    library = Library(Store.open(tmp_path / "streamtui.db"))
    source = library.ensure_default_source()
    assert source is not None
    report = library.sync(source)
    assert report.error == "" and report.problems == ()
    view = library.view()
    assert library.count(view) == len(load_source(BUNDLED_LOCATION, paths.bundled_content()).items)
    assert library.next_unread(view, None) is not None
    library.store.close()
