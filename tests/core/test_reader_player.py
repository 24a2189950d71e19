"""Playing an enclosure: the configured player's argv, never a shell, in the terminal or beside."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from streamtui.core.browser import run_in_terminal, start
from streamtui.core.reader.player import PlayerError, choose_player, is_terminal_player


def fake_program(folder: Path, name: str, log: Path) -> Path:
    """An executable that records its arguments as JSON in ``log``."""
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"open({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    program.chmod(0o755)
    return program


@pytest.fixture
def episode(tmp_path: Path) -> Path:
    path = tmp_path / "downloads" / "-o; rm -rf ~ $(id).mp3"
    path.parent.mkdir()
    path.write_bytes(b"ID3")
    return path


def test_the_configured_player_gets_the_file_as_one_argument(tmp_path: Path, episode: Path) -> None:
    log = tmp_path / "argv.json"
    bin_dir = tmp_path / "bin"
    fake_program(bin_dir, "mpv", log)
    launch = choose_player(
        episode, player=["mpv", "--no-video", "%u"], environ={"PATH": str(bin_dir)}
    )
    assert launch.argv == (str(bin_dir / "mpv"), "--no-video", str(episode))
    assert launch.terminal  # mpv takes the terminal: the app suspends itself
    run_in_terminal(launch)
    assert json.loads(log.read_text()) == ["--no-video", str(episode)]  # no shell ran it


def test_the_target_is_appended_and_a_relative_path_made_absolute(
    tmp_path: Path, episode: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_program(bin_dir, "myplayer", tmp_path / "log")
    monkeypatch.chdir(episode.parent)
    launch = choose_player(episode.name, player=["myplayer"], environ={"PATH": str(bin_dir)})
    assert launch.argv[-1] == str(episode)  # starts with "/": never taken for an option
    assert not launch.terminal  # an unknown program runs beside the app
    assert choose_player(
        episode, player=["myplayer"], terminal=True, environ={"PATH": str(bin_dir)}
    ).terminal


def test_a_url_is_played_only_when_http(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_program(bin_dir, "mpv", tmp_path / "log")
    env = {"PATH": str(bin_dir)}
    url = "https://cdn.example.org/ep.mp3?a=1&b=$(id)"
    assert choose_player(url, player=["mpv", "%u"], environ=env).argv[-1] == url
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "mailto:a@b.c", "smb://x/y"):
        with pytest.raises(PlayerError) as caught:
            choose_player(bad, player=["mpv"], environ=env)
        assert "\n" not in str(caught.value)


def test_without_a_setting_the_first_known_player_then_the_desktops(
    tmp_path: Path, episode: Path
) -> None:
    bin_dir = tmp_path / "bin"
    fake_program(bin_dir, "xdg-open", tmp_path / "log")
    desktop = choose_player(episode, environ={"PATH": str(bin_dir)})
    assert desktop.argv == (str(bin_dir / "xdg-open"), str(episode)) and not desktop.terminal
    start(desktop)  # beside the app, and it started
    fake_program(bin_dir, "cvlc", tmp_path / "log")
    assert choose_player(episode, environ={"PATH": str(bin_dir)}).terminal
    fake_program(bin_dir, "mpv", tmp_path / "log")
    assert Path(choose_player(episode, environ={"PATH": str(bin_dir)}).argv[0]).name == "mpv"


def test_no_player_at_all_says_how_to_set_one(tmp_path: Path, episode: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PlayerError, match=r'player = \["mpv", "%u"\]'):
        choose_player(episode, environ={"PATH": str(empty)})
    with pytest.raises(PlayerError, match="no such program"):
        choose_player(episode, player=["nonexistent-player"], environ={"PATH": str(empty)})
    with pytest.raises(PlayerError, match="no such file"):
        choose_player(tmp_path / "missing.mp3", player=["x"], environ={"PATH": str(empty)})


def test_terminal_players_by_name() -> None:
    for name in ("mpv", "/usr/bin/mplayer", "cvlc", "MPV"):
        assert is_terminal_player(name)
    for name in ("vlc", "xdg-open", "celluloid", "mpv-wrapper"):
        assert not is_terminal_player(name)
    assert os.sep == "/"
