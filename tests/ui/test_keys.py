"""The keymap: presets, the config's [keymap] over them, and clear errors naming the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App
from textual.binding import Binding

from streamtui.core.config import Config, ConfigError, load_config
from streamtui.core.library import Library
from streamtui.core.store import Store
from streamtui.ui.app import StreamApp
from streamtui.ui.keys import PRESETS, bindings_of, key_problem, key_tables, keymap_for
from streamtui.ui.screens.help import HelpScreen
from tests.ui.test_app import PAGES, write_pages


def _config(tmp_path: Path, text: str) -> Config:
    (tmp_path / "config.toml").write_text(text)
    return load_config(tmp_path)


def test_the_default_preset_changes_nothing(tmp_path: Path) -> None:
    assert keymap_for(_config(tmp_path, ""), key_tables()) == {}


def test_newsboat_preset_gives_newsboat_keys(tmp_path: Path) -> None:
    keymap = keymap_for(_config(tmp_path, 'keymap_preset = "newsboat"\n'), key_tables())
    assert keymap["app.quit"] == "Q"
    assert keymap["app.back"] == "q"
    assert keymap["app.toggle_read"] == "N"
    assert keymap["app.mark_everything_read"] == "C"


def test_every_preset_names_real_bindings() -> None:
    known = {b.id for _, table, _ in key_tables() for b in table if hasattr(b, "id")}
    for preset in PRESETS.values():
        assert set(preset) <= known


def test_config_overrides_the_preset(tmp_path: Path) -> None:
    config = _config(tmp_path, 'keymap_preset = "newsboat"\n[keymap]\napp.quit = "ctrl+q,Q"\n')
    assert keymap_for(config, key_tables())["app.quit"] == "ctrl+q,Q"


@pytest.mark.parametrize(
    "text, message, line",
    [
        ('[keymap]\n\napp.stars = "x"\n', "has no binding 'app.stars'", 3),
        ('[keymap]\napp.star = "ctrl+nope"\n', "'ctrl+nope' is not a key name", 2),
        ('[keymap]\napp.star = "hyperspace+x"\n', "'hyperspace' is not a modifier", 2),
        # n is "next unread" already: one key, two actions.
        ('[keymap]\napp.star = "n"\n', "'n' would do two things", 2),
        # j moves down in the list: a global key there would never run.
        ('[keymap]\napp.star = "j"\n', "'j' would do two things in the stream list", 2),
    ],
)
def test_bad_keymaps_are_clear_errors(tmp_path: Path, text: str, message: str, line: int) -> None:
    config = _config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        keymap_for(config, key_tables())
    assert message in str(caught.value)
    assert f"config.toml, line {line}:" in str(caught.value)


def test_swapping_two_keys_is_no_clash(tmp_path: Path) -> None:
    config = _config(tmp_path, '[keymap]\napp.next_unread = "p"\napp.previous_unread = "n"\n')
    keymap = keymap_for(config, key_tables())
    assert keymap["app.next_unread"] == "p"


@pytest.mark.parametrize(
    "key",
    [
        "j",
        "J",
        "?",
        "ctrl+d",
        "pagedown",
        "question_mark",
        "f5",
        "shift+tab",
        "less_than_sign",
        "space",
        "alt+x",
    ],
)
def test_real_keys_are_accepted(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize("key", ["", " ", "ctrl+", "foo", "ctl+x", "\x1b"])
def test_non_keys_are_refused(key: str) -> None:
    assert key_problem(key)


def test_an_unknown_theme_is_refused_by_the_app(tmp_path: Path, library: Library) -> None:
    config = _config(tmp_path, '\ntheme = "no-such-theme"\n')
    with pytest.raises(ConfigError) as caught:
        StreamApp(library, config=config, sync_on_start=False)
    assert "line 2" in str(caught.value)
    assert "'no-such-theme' is not a theme" in str(caught.value)


# -- the ids users write keep working wherever the bindings live ---------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_ids() -> list[str]:
    """The binding ids the README's key table documents: what users write in [keymap]."""
    section = README.read_text(encoding="utf-8").split("\n## Keys\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return [found for row in rows[1:] for found in re.findall(r"`([^`]+)`", row.split("|")[-2])]


def test_every_id_the_readme_documents_is_a_binding() -> None:
    ids = readme_ids()
    assert len(ids) >= 40 and "app.next_item" in ids and "list.open" in ids
    known = {b.id for _, table, _ in key_tables() for b in table if isinstance(b, Binding)}
    assert set(ids) - known == set()


async def test_the_ids_users_write_remap_the_main_screens_keys(tmp_path: Path) -> None:
    """Every documented ``app.*`` id (the main screen's keys since they left the app) moved
    to a key of its own through config.toml: the running screen answers the new keys with
    those bindings, the old keys no longer, and the keys do what they did."""
    ids = [i for i in readme_ids() if i.startswith("app.")]
    free = [f"ctrl+f{n}" for n in range(1, 25)] + [f"alt+f{n}" for n in range(1, 25)]
    new_keys = dict(zip(ids, free, strict=False))
    text = "[keymap]\n" + "".join(f'"{i}" = "{k}"\n' for i, k in new_keys.items())
    config = _config(tmp_path, text)
    pages = tmp_path / "pages"
    write_pages(pages, PAGES)
    library = Library(Store.open(tmp_path / "data" / "streamtui.db"), bundled=pages)
    library.ensure_default_source()
    library.sync_all().__next__()
    app = StreamApp(library, sync_on_start=False, config=config)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        active = app.screen.active_bindings
        for binding_id, key in new_keys.items():
            assert active[key].binding.id == binding_id, binding_id
        defaults = {b.id: b.key for _, table, _ in key_tables()[:1] for b in bindings_of(table)}
        for binding_id in ids:
            for key in defaults[binding_id].split(","):
                found = active.get(App._normalize_keymap({"k": key})["k"])
                assert found is None or found.binding.id != binding_id, (binding_id, key)

        stream = app.main.stream
        assert stream.current is not None and not stream.current.read
        await pilot.press("m")  # its old key: nothing
        assert not app.library.row(stream.current.id).read
        await pilot.press(new_keys["app.toggle_read"])
        assert app.library.row(stream.current.id).read
        await pilot.press(new_keys["app.star"])
        assert app.library.row(stream.current.id).starred
        await pilot.press("enter", new_keys["app.next_item"])  # J while reading
        assert stream.cursor == 1 and app.main.article.article is not None
        assert app.main.article.article.row.id == stream.current.id
        await pilot.press(new_keys["app.help"])
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", new_keys["app.quit"])
    assert not app.is_running
    library.close()
