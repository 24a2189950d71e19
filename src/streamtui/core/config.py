"""config.toml: read with tomllib, validated strictly (an unknown key names itself and the file).

Only what exists is accepted; a key this version does not know is an error, not a silent
no-op, so a typo is found at once.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from streamtui.core.errors import StreamtuiError
from streamtui.core.sanitize import sanitize

CONFIG_NAME = "config.toml"


class ConfigError(StreamtuiError):
    pass


@dataclass(frozen=True, slots=True)
class Config:
    refresh_interval: int = 0
    """Minutes between background refreshes of every source while the app runs; 0 is off."""


def load_config(folder: Path) -> Config:
    """The config in ``folder``; defaults when there is no file."""
    path = folder / CONFIG_NAME
    shown = sanitize(str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{shown}: cannot read ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{shown}: not valid TOML ({error})") from error
    unknown = sorted(set(data) - {"refresh_interval"})
    if unknown:
        raise ConfigError(
            f"{shown}: unknown key {sanitize(unknown[0])!r} (known: refresh_interval)"
        )
    interval = data.get("refresh_interval", 0)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 0:
        raise ConfigError(
            f"{shown}: refresh_interval must be a whole number of minutes "
            f"(0 turns it off), not {sanitize(repr(interval))}"
        )
    return Config(refresh_interval=interval)
