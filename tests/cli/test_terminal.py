"""Standard streams and terminals (issue 12), each through a real ``python -m streamtui``
process with a timeout: closed or full standard output, a locale that cannot encode what is
printed, and the app refusing to start without a terminal that can draw it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.escapes import Terminal
from tests.support.paths import REPO_ROOT

DEADLINE = 60.0
"""Seconds a process may take before it counts as hung (they take about one)."""
ALTERNATE_SCREEN = b"\x1b[?1049h"
MOUSE_TRACKING = b"\x1b[?1000h"
ARGV = [sys.executable, "-m", "streamtui"]


def shell(
    script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``sh -c script`` with ``$@`` = streamtui's argv and ``args`` (for ``>&-`` and friends)."""
    return subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {script}', *ARGV, *args],
        capture_output=True, timeout=DEADLINE, cwd=REPO_ROOT, env=env or os.environ.copy(),
    )  # fmt: skip


def streamtui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*ARGV, *args], capture_output=True, timeout=DEADLINE, cwd=REPO_ROOT,
        env=env or os.environ.copy(),
    )  # fmt: skip


def clean(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace")
    for bad in ("internal error", "Traceback", "Exception ignored"):
        assert bad not in text, text
    return text


@pytest.fixture
def unicode_folder(tmp_path: Path) -> Path:
    """A source whose texts go past Latin-1: a snowman, CJK, a bullet and an ellipsis."""
    folder = tmp_path / "日本語ニュース"
    folder.mkdir()
    (folder / "page.txt").write_text("Ünïcode ☃ snowman — 東京\n\nBody • with … marks.\n")
    done = streamtui("add", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


# -- 4. standard output closed, standard error closed, a full disk -----------------------------


def first_id() -> str:
    done = streamtui("list", "--json")
    return str(json.loads(done.stdout.splitlines()[0])["id"])


def test_closed_standard_output_is_said_and_nothing_is_done() -> None:
    item = first_id()
    for verb in (["list"], ["sources"], ["mark-read", item], ["export"]):
        done = shell(">&-", *verb)
        assert done.returncode == 1, verb
        assert clean(done.stderr) == (
            "streamtui: standard output is closed, so nothing could be printed; nothing was done\n"
        )
    listed = json.loads(streamtui("list", "--json").stdout.splitlines()[0])
    assert listed["id"] == item and listed["read"] is False  # mark-read did nothing


def test_closed_standard_error_keeps_errors_out_of_standard_output() -> None:
    listed = shell("2>&-", "list")
    assert listed.returncode == 0 and listed.stdout.count(b"\n") > 3
    failed = shell("2>&-", "remove", "nosuch")
    assert (failed.returncode, failed.stdout) == (1, b"")


def test_both_closed_exits_non_zero_in_silence() -> None:
    done = shell(">&- 2>&-", "list")
    assert done.returncode == 1


@pytest.mark.parametrize("verb", [["list"], ["sources", "--json"], ["export"], ["search", "the"]])
def test_a_full_disk_under_standard_output_is_said(verb: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*ARGV, *verb], stdout=full, stderr=subprocess.PIPE, timeout=DEADLINE, cwd=REPO_ROOT,
        )  # fmt: skip
    assert done.returncode == 1
    assert clean(done.stderr) == (
        "streamtui: cannot write to standard output (no space left on device)\n"
    )


def test_a_reader_that_goes_away_is_no_error() -> None:
    done = subprocess.run(
        f'"{sys.executable}" -m streamtui list | head -1', shell=True, capture_output=True,
        timeout=DEADLINE, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.count(b"\n") == 1
    assert clean(done.stderr) == ""


# -- 10. a locale that cannot encode everything ------------------------------------------------


def encoding_env(encoding: str) -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": encoding}


@pytest.mark.parametrize("encoding", ["iso-8859-1", "ascii"])
@pytest.mark.parametrize(
    "verb",
    [
        ["list"],
        ["search", "snowman"],
        ["search", "stream"],
        ["sources"],
        ["preview", "{folder}"],
        ["preview", str(REPO_ROOT / "content")],
    ],
    ids=["list", "search snowman", "search the guide", "sources", "preview", "preview the guide"],
)
def test_text_output_replaces_what_the_locale_cannot_encode(
    unicode_folder: Path, encoding: str, verb: list[str]
) -> None:
    args = [a.format(folder=unicode_folder) for a in verb]
    done = streamtui(*args, env=encoding_env(encoding))
    assert done.returncode == 0, done.stderr
    clean(done.stderr)
    text = done.stdout.decode(encoding)  # every byte is the locale's own
    assert text.count("\n") >= 1
    if verb in (["list"], ["search", "snowman"]):
        assert ("Ünïcode ? snowman" if encoding == "iso-8859-1" else "?n?code ? snowman") in text
    if verb[0] == "list":
        assert "* " in text  # the unread mark, as the locale can show it


@pytest.mark.parametrize("encoding", ["iso-8859-1", "ascii"])
@pytest.mark.parametrize(
    "verb",
    [["list", "--json"], ["search", "snowman", "--json"], ["sources", "--json"],
     ["preview", "--json", "{folder}"]],
)  # fmt: skip
def test_json_is_ascii_escaped_and_loses_nothing(
    unicode_folder: Path, encoding: str, verb: list[str]
) -> None:
    args = [a.format(folder=unicode_folder) for a in verb]
    narrow = streamtui(*args, env=encoding_env(encoding))
    wide = streamtui(*args, env=encoding_env("utf-8"))
    assert narrow.returncode == wide.returncode == 0, narrow.stderr
    clean(narrow.stderr)
    assert narrow.stdout.isascii() and b"\\u" in narrow.stdout
    assert not wide.stdout.isascii()  # UTF-8 where the output is UTF-8
    records = [json.loads(line) for line in narrow.stdout.decode("ascii").splitlines()]
    assert records == [json.loads(line) for line in wide.stdout.decode("utf-8").splitlines()]


@pytest.mark.parametrize("encoding", ["iso-8859-1", "ascii"])
def test_exported_opml_stays_valid_xml(tmp_path: Path, encoding: str) -> None:
    listing = tmp_path / "feeds.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="Ünïcode ☃ 東京" '
        'xmlUrl="http://127.0.0.1:9/feed.xml"/></body></opml>',
        encoding="utf-8",
    )
    assert streamtui("import", str(listing)).returncode == 0
    done = streamtui("export", env=encoding_env(encoding))
    assert done.returncode == 0
    clean(done.stderr)
    assert done.stdout.isascii()
    outline = ElementTree.fromstring(done.stdout).find("body/outline")
    assert outline is not None and outline.get("text") == "Ünïcode ☃ 東京"


@pytest.fixture(scope="session")
def latin1_locale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real en_US.ISO-8859-1 locale, compiled into a folder of this run (LOCPATH)."""
    if shutil.which("localedef") is None or not Path("/usr/share/i18n/locales/en_US").exists():
        message = "needs localedef and the locale sources (apt-get install locales)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("locales")
    subprocess.run(
        ["localedef", "-i", "en_US", "-f", "ISO-8859-1", str(folder / "en_US.ISO-8859-1")],
        check=True, capture_output=True, timeout=DEADLINE,
    )  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    env.pop("PYTHONIOENCODING", None)
    env.update(LOCPATH=str(folder), LANG="en_US.ISO-8859-1")
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.stdout.encoding)"],
        env=env, capture_output=True, text=True, timeout=DEADLINE,
    )  # fmt: skip
    assert probe.stdout.strip() == "iso8859-1"
    yield env


@pytest.mark.parametrize(
    "verb",
    [
        ["list"],
        ["search", "stream"],
        ["preview", str(REPO_ROOT / "content")],
        ["sources"],
        ["list", "--json"],
        ["export"],
    ],
)
def test_a_real_latin1_locale(
    latin1_locale: dict[str, str], tmp_path: Path, verb: list[str]
) -> None:
    env = {**latin1_locale, "STREAMTUI_DATA_DIR": str(tmp_path / "latin1-data")}
    done = streamtui(*verb, env=env)  # the bundled guide alone needs more than Latin-1
    assert done.returncode == 0
    clean(done.stderr)
    assert done.stdout.decode("iso-8859-1").count("\n") >= 1


def test_the_c_locale_gets_utf8() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    env.pop("PYTHONIOENCODING", None)
    done = streamtui("list", env={**env, "LANG": "C", "LC_ALL": "C"})
    assert done.returncode == 0
    clean(done.stderr)
    assert "●".encode() in done.stdout  # Python's C-locale coercion: UTF-8


# -- 11. the app needs a terminal --------------------------------------------------------------


def app_env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_no_terminal_at_all_is_refused_at_once(tmp_path: Path) -> None:
    """``setsid streamtui </dev/null >out 2>err`` ran forever at 100 % CPU."""
    out = tmp_path / "out"
    with open(out, "wb") as handle:
        done = subprocess.run(
            ARGV, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.PIPE,
            start_new_session=True, timeout=DEADLINE, cwd=REPO_ROOT, env=app_env(),
        )  # fmt: skip
    assert done.returncode == 1
    message = clean(done.stderr)
    assert message.count("\n") == 1 and "the app needs a terminal" in message
    assert "standard input is not a terminal" in message and "streamtui --help" in message
    assert out.read_bytes() == b""


def test_output_to_a_file_is_refused(tmp_path: Path) -> None:
    master, slave = os.openpty()  # standard input a terminal ...
    try:
        done = subprocess.run(  # ... and standard output a pipe
            ARGV, stdin=slave, capture_output=True, timeout=DEADLINE, cwd=REPO_ROOT, env=app_env(),
        )  # fmt: skip
    finally:
        os.close(master)
        os.close(slave)
    assert (done.returncode, done.stdout) == (1, b"")
    assert "standard output is not a terminal" in clean(done.stderr)


@pytest.mark.parametrize(
    ("term", "said"), [("dumb", "TERM is 'dumb'"), (None, "TERM is not set"), ("", "not set")]
)
def test_a_terminal_that_cannot_draw_is_refused(term: str | None, said: str) -> None:
    terminal = Terminal(ARGV, app_env(TERM=term))
    status = terminal.close(timeout=DEADLINE)
    output = terminal.output
    assert status == 1
    assert ALTERNATE_SCREEN not in output and MOUSE_TRACKING not in output
    assert b"\x1b[" not in output  # no cursor movement either
    text = clean(output)
    assert "the app needs a terminal" in text and said in text and "streamtui --help" in text


def test_a_real_terminal_still_gets_the_app() -> None:
    terminal = Terminal(ARGV, app_env())
    try:
        assert terminal.wait_for(ALTERNATE_SCREEN, timeout=DEADLINE)
        terminal.wait_quiet(0.5, timeout=DEADLINE)  # the first frames drawn
        terminal.send("q")
    finally:
        status = terminal.close(timeout=DEADLINE)
    assert status == 0


def test_a_config_fifo_ends_the_app_with_a_message(tmp_path: Path) -> None:
    """A FIFO named config.toml showed a blank screen forever."""
    config = tmp_path / "fifo-config"
    config.mkdir()
    os.mkfifo(config / "config.toml")
    terminal = Terminal(ARGV, app_env(STREAMTUI_CONFIG_DIR=str(config)))
    status = terminal.close(timeout=DEADLINE)
    assert status == 1
    text = clean(terminal.output)
    assert f"{config / 'config.toml'}: a FIFO or pipe, not a config file" in text
