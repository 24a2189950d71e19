"""The keymap: presets, the config's [keymap] over them, and clear errors naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamtui.core.config import Config, ConfigError, load_config
from streamtui.core.library import Library
from streamtui.ui.app import StreamApp
from streamtui.ui.keys import PRESETS, key_problem, keymap_for


def _config(tmp_path: Path, text: str) -> Config:
    (tmp_path / "config.toml").write_text(text)
    return load_config(tmp_path)


def test_the_default_preset_changes_nothing(tmp_path: Path) -> None:
    assert keymap_for(_config(tmp_path, ""), StreamApp.key_tables()) == {}


def test_newsboat_preset_gives_newsboat_keys(tmp_path: Path) -> None:
    keymap = keymap_for(_config(tmp_path, 'keymap_preset = "newsboat"\n'), StreamApp.key_tables())
    assert keymap["app.quit"] == "Q"
    assert keymap["app.back"] == "q"
    assert keymap["app.toggle_read"] == "N"
    assert keymap["app.mark_everything_read"] == "C"


def test_every_preset_names_real_bindings() -> None:
    known = {b.id for _, table, _ in StreamApp.key_tables() for b in table if hasattr(b, "id")}
    for preset in PRESETS.values():
        assert set(preset) <= known


def test_config_overrides_the_preset(tmp_path: Path) -> None:
    config = _config(tmp_path, 'keymap_preset = "newsboat"\n[keymap]\napp.quit = "ctrl+q,Q"\n')
    assert keymap_for(config, StreamApp.key_tables())["app.quit"] == "ctrl+q,Q"


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
        keymap_for(config, StreamApp.key_tables())
    assert message in str(caught.value)
    assert f"config.toml, line {line}:" in str(caught.value)


def test_swapping_two_keys_is_no_clash(tmp_path: Path) -> None:
    config = _config(tmp_path, '[keymap]\napp.next_unread = "p"\napp.previous_unread = "n"\n')
    keymap = keymap_for(config, StreamApp.key_tables())
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
