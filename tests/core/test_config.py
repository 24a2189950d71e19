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


def test_the_reader_settings(tmp_path: Path) -> None:
    """download_dir, download_max_mb, player, player_terminal and images (issue 16)."""
    assert (Config().download_dir, Config().download_max_mb, Config().images) == ("", 2048, "auto")
    (tmp_path / "config.toml").write_text(
        'download_dir = "~/Podcasts"\ndownload_max_mb = 500\nplayer = ["mpv", "--no-video", "%u"]\n'
        'player_terminal = true\nimages = "blocks"\n'
    )
    config = load_config(tmp_path)
    assert config.download_dir == "~/Podcasts" and config.download_max_mb == 500
    assert config.player == ("mpv", "--no-video", "%u") and config.player_terminal is True
    assert config.images == "blocks"


@pytest.mark.parametrize(
    "text, message",
    [
        ('download_dir = "Podcasts"\n', "download_dir must be an absolute path"),
        ('download_dir = "/tmp/\\u001b[2Jx"\n', "download_dir holds control characters"),
        ("download_max_mb = 0\n", "download_max_mb must be a whole number of MiB of at least 1"),
        ('download_max_mb = "big"\n', "download_max_mb must be a whole number"),
        ('player = "mpv %u"\n', "player must be a list of words such as"),
        ("player = []\n", "player must be a list of words"),
        ('player = ["\\u001b]52;c;x\\u0007"]\n', "player holds control characters"),
        ("player_terminal = true\n", "player_terminal goes with player"),
        ('images = "sixel"\n', "images must be one of 'auto', 'off', 'blocks'"),
    ],
)
def test_bad_reader_settings_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert message in str(caught.value)
    assert "config.toml, line 1:" in str(caught.value)
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
