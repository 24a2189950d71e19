"""config.toml is validated strictly: unknown keys and bad values name themselves and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamtui.core.config import Config, ConfigError, load_config


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
