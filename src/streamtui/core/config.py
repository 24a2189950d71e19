"""config.toml: read with tomllib, validated strictly (an error names the file and the line).

Only what exists is accepted; a key this version does not know is an error, not a silent
no-op, so a typo is found at once. tomllib reports no positions for values, so the line of
a bad key is found again in the text (:func:`line_of`).

What the core cannot judge (whether a binding id or a theme exists) is checked by the UI,
which raises :class:`ConfigError` through :meth:`Config.error` so that every message looks
the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from streamtui.core.errors import FileReadError, StreamtuiError
from streamtui.core.files import check_file_or_absent, read_bytes
from streamtui.core.models import Retention, check_limit
from streamtui.core.text.sanitize import excerpt, sanitize

CONFIG_NAME = "config.toml"
MAX_CONFIG_BYTES = 64 * 1024
"""A config is a few lines; anything larger is not one (a link to /dev/zero, a log)."""
MAX_LINE = 1000
"""The longest line read: tomllib takes time quadratic in the parts of a dotted key (8,000
parts took 1.5 s, 100,000 would take minutes), and no config line needs more."""
PRESETS = ("vim", "newsboat")
KNOWN = (
    "refresh_interval",
    "keymap_preset",
    "keymap",
    "theme",
    "list_width",
    "keep_days",
    "max_items",
    "unread_days",
    "browser",
    "browser_terminal",
    "download_dir",
    "download_max_mb",
    "player",
    "player_terminal",
    "images",
)
IMAGES = ("auto", "off", "blocks")
DOWNLOAD_MAX_MB = 2048


class ConfigError(StreamtuiError):
    pass


@dataclass(frozen=True, slots=True)
class Config:
    refresh_interval: int = 0
    """Minutes between background refreshes of every source while the app runs; 0 is off."""
    keymap_preset: str = "vim"
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys ("j,down"), over the preset."""
    theme: str = ""
    """A Textual theme name; empty keeps the default."""
    list_width: int = 0
    """The stream list's share of the list/article split, in percent; 0 is the default."""
    retention: Retention = field(default_factory=Retention)
    """keep_days, max_items and unread_days: which feed items are kept (store/retention.py)."""
    browser: tuple[str, ...] = ()
    """The program that opens links, as an argv list; "%u" is replaced by the URL (appended
    when no word holds it). Empty: $BROWSER, else Python's webbrowser."""
    browser_terminal: bool | None = None
    """Whether ``browser`` draws in the terminal (the app suspends itself while it runs);
    None: judged by the program's name."""
    download_dir: str = ""
    """Where attachments are downloaded ("~" expanded); empty: the user's Downloads folder,
    else ``downloads`` in the data folder. A folder named here must exist."""
    download_max_mb: int = DOWNLOAD_MAX_MB
    """The largest attachment downloaded, in MiB."""
    player: tuple[str, ...] = ()
    """The program that plays attachments, as an argv list ("%u": the file or URL); empty:
    mpv, mplayer, cvlc or mpg123 when installed, else the desktop's opener."""
    player_terminal: bool | None = None
    """Whether ``player`` uses the terminal (the app suspends itself); None: by its name."""
    images: str = "auto"
    """Images in articles: "auto" (graphics where the terminal has them, else half blocks),
    "blocks" (always half blocks) or "off" (``[image: alt]``)."""
    path: str = field(default="", compare=False)
    text: str = field(default="", repr=False, compare=False)

    def error(self, message: str, *, table: str = "", key: str = "") -> ConfigError:
        """A ConfigError naming the file and, when found, the line of ``table.key``."""
        line = line_of(self.text, table, key) if key else None
        where = f"{excerpt(self.path)}, line {line}" if line else excerpt(self.path)
        return ConfigError(f"{where}: {message}")


def load_config(folder: Path) -> Config:
    """The config in ``folder``; defaults when there is no file.

    Read through the bounded reader like every other file: a FIFO, a device, a folder or a
    link that loops is refused at once (a FIFO would hang the app before its first frame),
    and so is anything over MAX_CONFIG_BYTES. Every failure names the file."""
    path = folder / CONFIG_NAME
    shown = str(path)
    try:
        check_file_or_absent(path, "a config file")
        if not path.exists():
            return Config(path=shown)
        raw = read_bytes(path, None, max_bytes=MAX_CONFIG_BYTES)
    except FileReadError as error:
        raise ConfigError(f"{excerpt(shown)}: {error.reason}") from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad_line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(f"{excerpt(shown)}, line {bad_line}: not UTF-8 text") from error
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE:
            raise ConfigError(
                f"{excerpt(shown)}, line {number}: longer than {MAX_LINE:,} characters, "
                "which no setting needs"
            )
    try:
        return _parse(path, text)
    except RecursionError:  # tomllib and the [keymap] walk recurse once per level
        raise ConfigError(f"{excerpt(shown)}: nested too deeply to be a config") from None


def _parse(path: Path, text: str) -> Config:
    import tomllib  # only when there is a file to read (the defaults need none)

    shown = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{excerpt(shown)}: not valid TOML ({error})") from error
    blank = Config(path=shown, text=text)
    for key in data:
        if key not in KNOWN:
            raise blank.error(f"unknown key {sanitize(key)!r} (known: {', '.join(KNOWN)})", key=key)
    return Config(
        refresh_interval=_whole(
            blank, data, "refresh_interval", "a whole number of minutes (0 turns it off)"
        ),
        keymap_preset=_preset(blank, data),
        keymap=_keymap(blank, data.get("keymap", {})),
        theme=_text(blank, data, "theme"),
        list_width=_list_width(blank, data),
        retention=_retention(blank, data),
        browser=_argv(blank, data, "browser", '["w3m", "%u"]'),
        browser_terminal=_program_terminal(blank, data, "browser"),
        download_dir=_folder(blank, data, "download_dir"),
        download_max_mb=_download_max(blank, data),
        player=_argv(blank, data, "player", '["mpv", "%u"]'),
        player_terminal=_program_terminal(blank, data, "player"),
        images=_choice(blank, data, "images", IMAGES),
        path=shown,
        text=text,
    )


def _whole(config: Config, data: dict[str, object], key: str, what: str, default: int = 0) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise config.error(f"{key} must be {what}, not {sanitize(repr(value))}", key=key)
    return value


def _retention(config: Config, data: dict[str, object]) -> Retention:
    defaults = Retention()
    values = {}
    for key, what, zero in (
        ("keep_days", "days", "no limit"),
        ("max_items", "items", "no limit"),
        ("unread_days", "days", "no extra time"),
    ):
        value = _whole(
            config, data, key, f"a whole number of {what} (0: {zero})", getattr(defaults, key)
        )
        reason = check_limit(value, what)
        if reason:
            raise config.error(f"{key} {reason}, not {value}", key=key)
        values[key] = value
    return Retention(**values)


def _list_width(config: Config, data: dict[str, object]) -> int:
    value = _whole(config, data, "list_width", "a percentage from 20 to 80 (0 is the default)")
    if value and not 20 <= value <= 80:
        raise config.error(
            f"list_width must be a percentage from 20 to 80 (0 is the default), not {value}",
            key="list_width",
        )
    return value


def _argv(config: Config, data: dict[str, object], key: str, sample: str) -> tuple[str, ...]:
    """``browser = ["w3m", "%u"]``: a list of words, never a command line for a shell."""
    value = data.get(key, [])
    example = f"a list of words such as {sample} (it is run without a shell)"
    if not isinstance(value, list) or (key in data and not value):
        raise config.error(f"{key} must be {example}, not {sanitize(repr(value))}", key=key)
    for word in value:
        if not isinstance(word, str) or not word:
            raise config.error(
                f"{key} must be {example}; {sanitize(repr(word))} is not a word", key=key
            )
        if _CONTROLS.search(word):
            raise config.error(f"{key} holds control characters", key=key)
    if value and not value[0].strip():
        raise config.error(f"{key}'s first word must name a program", key=key)
    return tuple(value)


def _program_terminal(config: Config, data: dict[str, object], program: str) -> bool | None:
    key = f"{program}_terminal"
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, bool):
        raise config.error(f"{key} must be true or false, not {sanitize(repr(value))}", key=key)
    if program not in data:
        raise config.error(
            f"{key} goes with {program} (it says whether that program needs the terminal)",
            key=key,
        )
    return value


def _folder(config: Config, data: dict[str, object], key: str) -> str:
    value = _text(config, data, key).strip()
    if "\x00" in value or _CONTROLS.search(value):
        raise config.error(f"{key} holds control characters", key=key)
    if value and not Path(value).expanduser().is_absolute():
        raise config.error(
            f"{key} must be an absolute path (or start with ~), not {sanitize(repr(value))}",
            key=key,
        )
    return value


def _download_max(config: Config, data: dict[str, object]) -> int:
    what = "a whole number of MiB of at least 1"
    value = _whole(config, data, "download_max_mb", what, DOWNLOAD_MAX_MB)
    if value < 1 or value > 1 << 30:
        raise config.error(f"download_max_mb must be {what}, not {value}", key="download_max_mb")
    return value


def _choice(config: Config, data: dict[str, object], key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key, choices[0])
    if value not in choices:
        raise config.error(
            f"{key} must be one of {', '.join(map(repr, choices))}, not {sanitize(repr(value))}",
            key=key,
        )
    return str(value)


def _text(config: Config, data: dict[str, object], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise config.error(f"{key} must be a quoted name, not {sanitize(repr(value))}", key=key)
    return value


def _preset(config: Config, data: dict[str, object]) -> str:
    value = data.get("keymap_preset", "vim")
    if value not in PRESETS:
        raise config.error(
            f"keymap_preset must be one of {', '.join(map(repr, PRESETS))}, "
            f"not {sanitize(repr(value))}",
            key="keymap_preset",
        )
    return str(value)


def _keymap(config: Config, table: object) -> dict[str, str]:
    """The [keymap] table as binding id -> keys. ``app.quit = "Q"`` is, to TOML, a table
    ``app`` holding ``quit``: both that and the quoted ``"app.quit" = "Q"`` are accepted."""
    if not isinstance(table, dict):
        raise config.error("keymap must be a table: [keymap]", key="keymap")
    keymap: dict[str, str] = {}
    for name, value in _flatten(table):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ",".join(value)
        if not isinstance(value, str) or not value.strip():
            raise config.error(
                f'the keys for {sanitize(name)!r} must be a string such as "j,down" or a '
                f"list of keys, not {sanitize(repr(value))}",
                table="keymap",
                key=name,
            )
        keymap[name] = ",".join(part.strip() for part in value.split(","))
    return keymap


def _flatten(table: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs += _flatten(value, name + ".")
        else:
            pairs.append((name, value))
    return pairs


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_HEADER = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]")
_ASSIGN = re.compile(r"^\s*([^=#]+?)\s*=")


def line_of(text: str, table: str, key: str) -> int | None:
    """The line (from 1) where ``key`` is set in ``table`` ("" for the top level), found
    again in the text with the key's parts unquoted: ``app.quit``, ``"app.quit"`` and
    ``app . "quit"`` all match ``app.quit``."""
    current = ""
    target = f"{_dotted(table)}.{_dotted(key)}" if table else _dotted(key)
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            current = _dotted(header.group(1))
            if current == target:
                return number
            continue
        assign = _ASSIGN.match(line)
        if not assign:
            continue
        name = _dotted(assign.group(1))
        full = f"{current}.{name}" if current else name
        if full == target:
            return number
    return None


def _dotted(key: str) -> str:
    """A TOML key with its quotes and the spaces around its dots removed (exact enough to
    find a line again; keys with dots inside quotes are read as dotted paths)."""
    return ".".join(part.strip().strip("\"'") for part in key.split("."))
