"""config.toml is validated strictly: unknown keys and bad values name themselves and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamtui.core.config import Config, ConfigError, line_of, load_config


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_refresh_interval(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("refresh_interval = 30\n")
    assert load_config(tmp_path).refresh_interval == 30


@pytest.mark.parametrize(
    "text, message",
    [
        ("refresh_intervall = 3\n", "unknown key 'refresh_intervall'"),
        ("refresh_interval = -1\n", "refresh_interval must be a whole number"),
        ("refresh_interval = 'soon'\n", "refresh_interval must be a whole number"),
        ("refresh_interval = true\n", "refresh_interval must be a whole number"),
        ("refresh_interval = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert message in str(caught.value)
    assert str(tmp_path / "config.toml") in str(caught.value)


def test_keymap_preset_theme_and_split(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'keymap_preset = "newsboat"\ntheme = "nord"\nlist_width = 40\n\n'
        '[keymap]\napp.star = "x"\n"app.undo" = ["U", "ctrl+z"]\n'
    )
    config = load_config(tmp_path)
    assert config.keymap_preset == "newsboat"
    assert config.theme == "nord"
    assert config.list_width == 40
    assert config.keymap == {"app.star": "x", "app.undo": "U,ctrl+z"}


@pytest.mark.parametrize(
    "text, message, line",
    [
        ('theme = "nord"\n\nkeymap_preset = "emacs"\n', "keymap_preset must be one of", 3),
        ("list_width = 95\n", "list_width must be a percentage from 20 to 80", 1),
        ("theme = 3\n", "theme must be a quoted name", 1),
        ("[keymap]\n# remap\napp.star = 5\n", "the keys for 'app.star' must be a string", 3),
        ('[keymap]\n"app.star" = ""\n', "the keys for 'app.star'", 2),
        ('theme = "nord"\n[colours]\nx = 1\n', "unknown key 'colours'", 2),
    ],
)
def test_bad_values_name_their_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert message in str(caught.value)
    assert f"config.toml, line {line}:" in str(caught.value)


def test_line_of_finds_dotted_and_quoted_keys() -> None:
    text = '[keymap]\napp.quit = "Q"\n"app.star" = "x"\n[keymap.list]\ndown = "n"\n'
    assert line_of(text, "keymap", "app.quit") == 2
    assert line_of(text, "keymap", "app.star") == 3
    assert line_of(text, "keymap", "list.down") == 5
    assert line_of(text, "keymap", "app.help") is None
