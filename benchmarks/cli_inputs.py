"""Bad command-line input, standard streams, locales and terminals: each case is a real
``python -m streamtui`` process with a deadline.

Run: .venv/bin/python benchmarks/cli_inputs.py [--trials 3] [--quick | --smoke]

The cases of issue 12: URLs that are no URLs (add, preview, import, a redirect), import from
a folder, a device, a pipe, standard input (closed, endless, too large), absurd numbers,
standard output or error closed or on a full disk, a database or its companions that are no
file (a loop, a folder, a FIFO, /dev/null...), a config that is none (the real app in a
pseudo-terminal), input of 64 KB and a page linking 10,000 feeds quoted in an error, broken
OPML files, a server answering 304 to a request without validators, Latin-1 and ASCII
output (and a real en_US.ISO-8859-1 locale when localedef can build one), and the app
started without a usable terminal.

A case **crashes** when its process hangs past the deadline, dies of a signal, prints a
traceback, "internal error" or "Exception ignored", or exits with the wrong status. It
**survives** when it also says what it should: one line naming the thing and the reason,
no longer than 1,000 characters (or, for output cases, what the locale can encode).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import _bench as bench
from benchmarks._reliability import Row, report
from tests.support.escapes import Terminal
from tests.support.feedserver import PROXY_VARIABLES, FeedServer, feed, redirect, status

HERE = Path(__file__).resolve().parent

DEADLINE = 30.0
"""Seconds a case may take; each takes well under one when it behaves."""
LINE_LIMIT = 1000
ARGV = [sys.executable, "-m", "streamtui"]
BAD_WORDS = ("Traceback", "internal error", "Exception ignored")
LONG = "a" * 65_536


@dataclass
class Case:
    group: str
    name: str
    args: list[str]
    code: int = 1
    """The exit status it must end with."""
    said: str = ""
    """What its standard error (or terminal) must say; "" for a case that must succeed."""
    setup: Callable[[Path], None] | None = None
    """Prepares the case's folder (``{base}`` in args) before the run."""
    shell: str = ""
    """Redirections for ``sh -c 'exec ... REDIRECTIONS'`` (closed descriptors)."""
    stdin: bytes | str | None = None
    """Bytes to pipe in; "zero" for /dev/zero; None for /dev/null."""
    stdout_full: bool = False
    env: dict[str, str | None] = field(default_factory=dict)
    pty: bool = False
    """Run it in a pseudo-terminal (the app)."""
    output: str = ""
    """For a succeeding case: an encoding its standard output must decode in."""
    lines: int = 1
    """How many lines it must write to standard error when it fails (rejected entries...)."""


@dataclass
class Outcome:
    crashed: bool
    clear: bool
    seconds: float
    note: str = ""


# -- the cases ------------------------------------------------------------------------------


def _database(kind: str) -> Callable[[Path], None]:
    def make(base: Path) -> None:
        data = base / "data"
        data.mkdir(exist_ok=True)
        db = data / "streamtui.db"
        if kind == "loop":
            db.symlink_to("streamtui.db")
        elif kind == "loop of two":
            db.symlink_to("b")
            (data / "b").symlink_to("streamtui.db")
        elif kind == "folder":
            db.mkdir()
        elif kind == "dangling":
            db.symlink_to(base / "gone" / "x.db")
        elif kind == "fifo":
            os.mkfifo(db)
        elif kind in ("/dev/null", "/dev/zero"):
            db.symlink_to(kind)
        elif kind in ("-wal", "-shm"):
            os.mkfifo(data / f"streamtui.db{kind}")

    return make


def _config(kind: str) -> Callable[[Path], None]:
    def make(base: Path) -> None:
        folder = base / "config"
        folder.mkdir(exist_ok=True)
        path = folder / "config.toml"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "zero":
            path.symlink_to("/dev/zero")
        elif kind == "loop":
            path.symlink_to("config.toml")
        elif kind == "nested":
            path.write_text("a = " + "[\n" * 15_000 + "]\n" * 15_000)
        elif kind == "dotted":
            path.write_text("[keymap]\n" + "a." * 30_000 + 'b = "x"\n')

    return make


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    def make(base: Path) -> None:
        (base / name).write_bytes(data)

    return make


def _fifo(base: Path) -> None:
    os.mkfifo(base / "feeds.fifo")


def _unicode_source(base: Path) -> None:
    folder = base / "日本語"
    folder.mkdir()
    (folder / "page.txt").write_text("Ünïcode ☃ snowman — 東京\n\nBody • with … marks.\n")
    done = subprocess.run(
        [*ARGV, "--data-dir", str(base / "data"), "add", str(folder)],
        capture_output=True, timeout=DEADLINE, env=_env(base, {}),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


BROKEN_OPML = (
    '<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n'
    + "".join(
        f'<outline text="f{n}" xmlUrl="http://127.0.0.1:9/{n}">\n</outline>\n' for n in range(22)
    )
    + "<outline>\n</body></opml>\n"
).encode()


def cases(server: FeedServer, latin1: dict[str, str] | None) -> list[Case]:
    url = server.url
    listed: list[Case] = []
    add = listed.append

    group = "malformed URLs: add, preview, import, a redirect"
    for bad, said in (
        ("http://[::1/x", "IPv6"),
        ("http://127.0.0.1:99999/", "1 to 65535"),
        ("http://127.0.0.1:-1/", "1 to 65535"),
        ("http://127.0.0.1:0/", "port 0"),
        ("http://[zz]/", "IPv6"),
        ("http://xn--/feed", "host name"),
    ):
        for verb in ("add", "preview"):
            add(Case(group, f"{verb} {bad}", [verb, bad], said=said))
    bad_lines = _write("bad.txt", b"http://[::1/x\nhttp://127.0.0.1:99999/\n")
    add(Case(group, "import of bad lines", ["import", "{base}/bad.txt"], said="nothing imported",
             setup=bad_lines, lines=3))  # fmt: skip
    add(Case(group, "a redirect to port 99999", ["add", url("/to-99999")], said="1 to 65535"))

    group = "import: folder, device, pipe, -, /dev/stdin, FIFO, closed or endless input"
    add(Case(group, "a folder", ["import", "{base}"], said="a folder, not a file"))
    add(Case(group, "/dev/zero", ["import", "/dev/zero"], said="not a file or a pipe"))
    add(Case(group, "- from a pipe", ["import", "-"], code=0, stdin=b"http://127.0.0.1:9/a\n"))
    add(
        Case(group, "/dev/stdin", ["import", "/dev/stdin"], code=0, stdin=b"http://127.0.0.1:9/b\n")
    )
    add(Case(group, "a FIFO, no writer", ["import", "{base}/feeds.fifo"], setup=_fifo,
             said="no feed URLs"))  # fmt: skip
    add(Case(group, "- closed", ["import", "-"], shell="<&-", said="standard input is closed"))
    add(Case(group, "- from /dev/zero", ["import", "-"], stdin="zero", said="not a file or a pipe"))
    add(Case(group, "- of 9 MiB", ["import", "-"], stdin=b"#" * (9 << 20), said="too large"))

    group = "numbers: --limit past SQLite's, 4,000 and 5,000 digits, a huge source number"
    for limit in ("99999999999999999999", str(2**63), "9" * 4000):
        add(Case(group, f"--limit {limit[:24]}", ["search", "stream", "--limit", limit], code=0))
    add(Case(group, "--limit of 5,000 digits", ["search", "x", "--limit", "9" * 5000], code=2,
             said="is not a whole number"))  # fmt: skip
    add(Case(group, "--source 10^20", ["list", "--source", "99999999999999999999"],
             said="no such source"))  # fmt: skip

    group = "standard streams: output or error closed, both, /dev/full"
    for verb in (["list"], ["sources", "--json"], ["export"]):
        add(Case(group, f"{verb[0]} >&-", verb, shell=">&-", said="standard output is closed"))
        add(Case(group, f"{verb[0]} >/dev/full", verb, stdout_full=True,
                 said="cannot write to standard output (no space left on device)"))  # fmt: skip
    add(Case(group, "list 2>&-", ["list"], shell="2>&-", code=0))
    add(Case(group, "remove nosuch 2>&-", ["remove", "nosuch"], shell="2>&-"))
    add(Case(group, "list >&- 2>&-", ["list"], shell=">&- 2>&-"))

    group = "database or data folder that is no file: loops, folder, FIFO, devices"
    for kind, said in (
        ("loop", "loops back on itself"),
        ("loop of two", "loops back on itself"),
        ("folder", "a folder, not a database file"),
        ("dangling", "a symbolic link to"),
        ("fifo", "a FIFO or pipe, not a database file"),
        ("/dev/null", "a device, not a database file"),
        ("/dev/zero", "a device, not a database file"),
        ("-wal", "a FIFO or pipe, not a database file"),
        ("-shm", "a FIFO or pipe, not a database file"),
    ):
        add(Case(group, f"streamtui.db {kind}", ["list"], said=said, setup=_database(kind)))
    add(Case(group, "data folder a file", ["--data-dir", "{base}/f", "list"], said="not a folder",
             setup=_write("f", b"x")))  # fmt: skip

    group = "config.toml that is none, through the real app in a pseudo-terminal"
    for kind, said in (
        ("fifo", "a FIFO or pipe, not a config file"),
        ("zero", "a device, not a config file"),
        ("loop", "loops back on itself"),
        ("nested", "nested too deeply"),
        ("dotted", "longer than 1,000 characters"),
    ):
        add(Case(group, f"config {kind}", [], said=said, setup=_config(kind), pty=True))

    group = "huge input quoted: 64 KB URL, path, name, id; 10,000 linked feeds"
    add(Case(group, "add 64 KB URL", ["add", f"http://127.0.0.1:9/{LONG}"], said="URL too long"))
    add(Case(group, "preview 64 KB URL", ["preview", f"http://[::1/{LONG}"], said="IPv6"))
    add(Case(group, "add 64 KB path", ["add", f"/tmp/{LONG}"], said="no such file"))
    add(Case(group, "remove 64 KB name", ["remove", LONG], said="no such source"))
    add(Case(group, "star 64 KB id", ["star", LONG], said="no such item"))
    add(Case(group, "a page linking 10,000 feeds", ["add", url("/hub")], said="9,997 more"))

    group = "broken OPML: after a BOM, form feed, no-break space; markup in a list"
    prefixes = {"plain": b"", "BOM": b"\xef\xbb\xbf", "form feed": b"\x0c",
                "no-break space": b"\xc2\xa0", "BOM on line 2": b"\n\xef\xbb\xbf"}  # fmt: skip
    for label, prefix in prefixes.items():
        add(Case(group, f"broken OPML, {label}", ["import", "{base}/b.opml"],
                 said="not valid OPML", setup=_write("b.opml", prefix + BROKEN_OPML)))  # fmt: skip
    add(Case(group, "a letter before the XML", ["import", "{base}/b.txt"], said="is markup",
             setup=_write("b.txt", b"x" + BROKEN_OPML)))  # fmt: skip
    add(Case(group, "an empty list", ["import", "{base}/e.txt"], said="no feed URLs",
             setup=_write("e.txt", b"# nothing\n")))  # fmt: skip

    group = "a 304 to a request without validators: add, preview, refresh"
    add(Case(group, "add", ["add", url("/304")], said="HTTP 304 Not Modified"))
    add(Case(group, "preview", ["preview", url("/304")], said="HTTP 304 Not Modified"))

    def imported(base: Path) -> None:
        (base / "l.txt").write_text(url("/304") + "\n")
        done = subprocess.run([*ARGV, "--data-dir", str(base / "data"), "import",
                               str(base / "l.txt")], capture_output=True, timeout=DEADLINE,
                              env=_env(base, {}))  # fmt: skip
        assert done.returncode == 0, done.stderr

    add(Case(group, "refresh of an imported feed", ["refresh"], said="HTTP 304", setup=imported))

    group = "output a locale cannot encode: ISO-8859-1, ASCII (and a real locale)"
    verbs = (["list"], ["search", "snowman"], ["preview", "{base}/日本語"], ["sources"],
             ["list", "--json"], ["search", "snowman", "--json"], ["export"])  # fmt: skip
    for encoding in ("iso-8859-1", "ascii"):
        for verb in verbs:
            add(Case(group, f"{encoding} {' '.join(verb[:3])}", verb, code=0, output=encoding,
                     env={"PYTHONIOENCODING": encoding}, setup=_unicode_source))  # fmt: skip
    if latin1 is not None:
        for verb in verbs:
            add(Case(group, f"en_US.ISO-8859-1 {' '.join(verb[:3])}", verb, code=0,
                     output="iso-8859-1", env={**latin1, "PYTHONIOENCODING": None},
                     setup=_unicode_source))  # fmt: skip

    group = "the app without a usable terminal: none at all, TERM dumb, TERM unset"
    add(Case(group, "no terminal at all", [], said="standard input is not a terminal"))
    add(Case(group, "TERM=dumb", [], said="TERM is 'dumb'", pty=True, env={"TERM": "dumb"}))
    add(Case(group, "TERM unset", [], said="TERM is not set", pty=True, env={"TERM": None}))
    return listed


# -- running one --------------------------------------------------------------------------


def _env(base: Path, changes: dict[str, str | None]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env.update(
        STREAMTUI_DATA_DIR=str(base / "data"),
        STREAMTUI_CONFIG_DIR=str(base / "config"),
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(HERE.parent / "src"), os.environ.get("PYTHONPATH")])
        ),
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_case(case: Case, base: Path) -> Outcome:
    base.mkdir(parents=True)
    if case.setup:
        case.setup(base)
    args = [a.replace("{base}", str(base)) for a in case.args]
    env = _env(base, case.env)
    started = time.perf_counter()
    if case.pty:
        terminal = Terminal([*ARGV, *args], env)
        code = terminal.close(timeout=DEADLINE)
        seconds = time.perf_counter() - started
        if code is None:
            return Outcome(True, False, seconds, f"{case.name}: hung")
        text = terminal.output.decode("utf-8", "replace")
        return _judge(case, code, "", text, seconds)
    argv = [*ARGV, *args]
    if case.shell:
        argv = ["sh", "-c", f'exec "$0" "$@" {case.shell}', *argv]
    stdin: object = subprocess.DEVNULL
    data: bytes | None = None
    if case.stdin == "zero":
        stdin = open("/dev/zero", "rb")  # noqa: SIM115 - closed below
    elif isinstance(case.stdin, bytes):
        stdin, data = subprocess.PIPE, case.stdin
    stdout: object = open("/dev/full", "wb") if case.stdout_full else subprocess.PIPE  # noqa: SIM115
    try:
        child = subprocess.Popen(
            argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env,
            start_new_session=True,
        )  # fmt: skip
        try:
            out, err = child.communicate(data, timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)
            child.communicate()
            return Outcome(True, False, time.perf_counter() - started, f"{case.name}: hung")
    finally:
        for handle in (stdin, stdout):
            if hasattr(handle, "close"):
                handle.close()  # type: ignore[union-attr]
    seconds = time.perf_counter() - started
    if case.output and out is not None:
        try:
            out.decode(case.output)
        except UnicodeDecodeError:
            return Outcome(False, False, seconds, f"{case.name}: output not {case.output}")
    return _judge(case, child.returncode, "", err.decode("utf-8", "replace"), seconds)


def _judge(case: Case, code: int, out: str, err: str, seconds: float) -> Outcome:
    if code < 0:
        return Outcome(True, False, seconds, f"{case.name}: killed by signal {-code}")
    for word in BAD_WORDS:
        if word in err:
            return Outcome(True, False, seconds, f"{case.name}: {word}")
    if code != case.code:
        return Outcome(True, False, seconds, f"{case.name}: exit {code}, not {case.code}")
    if case.said:
        lines = [line for line in err.replace("\r", "").splitlines() if line.strip()]
        if not any(case.said in line for line in lines):
            return Outcome(False, False, seconds, f"{case.name}: did not say {case.said!r}")
        too_long = any(len(line) > LINE_LIMIT for line in lines)
        if case.code != 2 and (len(lines) != case.lines or too_long):
            return Outcome(False, False, seconds, f"{case.name}: {len(lines)} line(s)")
    return Outcome(False, True, seconds)


# -- the loopback server and the locale ---------------------------------------------------------


def _hub(count: int) -> str:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="F{n}" href="/f{n}.xml">'
        for n in range(count)
    )
    return f"<html><head><title>Hub</title>{links}</head><body>hi</body></html>"


def latin1_locale(base: Path) -> dict[str, str] | None:
    """LOCPATH and LANG for a real en_US.ISO-8859-1 locale built here, or None."""
    if shutil.which("localedef") is None or not Path("/usr/share/i18n/locales/en_US").exists():
        return None
    folder = base / "locales"
    folder.mkdir()
    done = subprocess.run(
        ["localedef", "-i", "en_US", "-f", "ISO-8859-1", str(folder / "en_US.ISO-8859-1")],
        capture_output=True, timeout=DEADLINE,
    )  # fmt: skip
    if done.returncode != 0:
        return None
    return {"LOCPATH": str(folder), "LANG": "en_US.ISO-8859-1", "LC_ALL": "en_US.ISO-8859-1"}


def rows(quick: bool, trials: int | None = None, smoke: bool = False) -> list[Row]:
    count = 1 if smoke else trials or (1 if quick else 3)
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    with bench.workspace("cli-inputs") as base, FeedServer() as server:
        server.route("/304", status(304))
        server.route("/to-99999", redirect(301, "http://127.0.0.1:99999/feed.xml"))
        server.route("/hub", feed(_hub(10_000), content_type="text/html"))
        chosen = cases(server, None if smoke else latin1_locale(base))
        if smoke:  # the first case of each group (tests/cli/test_inputs.py checks the cases)
            first: dict[str, Case] = {}
            for case in chosen:
                first.setdefault(case.group, case)
            chosen = list(first.values())
        results: dict[str, Row] = {}
        slowest: dict[str, tuple[float, str]] = {}
        lock = threading.Lock()

        def one(index: int, trial: int, case: Case) -> None:
            outcome = run_case(case, base / f"t{trial}-c{index}")
            with lock:
                row = results.setdefault(case.group, Row(case.group, 0, 0))
                row.tried += 1
                row.survived += outcome.clear and not outcome.crashed
                row.crashes += outcome.crashed
                row.seconds += outcome.seconds
                if outcome.note and not row.note:
                    row.note = outcome.note[:80]
                if outcome.seconds > slowest.get(case.group, (0.0, ""))[0]:
                    slowest[case.group] = (outcome.seconds, case.name)

        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(one, i, t, c) for t in range(count) for i, c in enumerate(chosen)]
            for job in jobs:
                job.result()
        for group, row in results.items():
            if not row.note:
                seconds, name = slowest[group]
                size = len({c.name for c in chosen if c.group == group})
                row.note = f"{size} cases; slowest: {name[:30]}, {seconds:.1f} s"
        return [results[group] for group in dict.fromkeys(c.group for c in chosen)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=None, help="runs of each case (default 3)")
    parser.add_argument("--quick", action="store_true", help="one run of each case")
    parser.add_argument("--smoke", action="store_true", help="the first case of each group, once")
    args = parser.parse_args()
    print(f"bad command-line input, each a process that must end within {DEADLINE:g} s")
    return report(rows(args.quick, args.trials, args.smoke))


if __name__ == "__main__":
    sys.exit(main())
