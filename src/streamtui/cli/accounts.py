"""The verbs of server accounts: account add, account list, account remove, sync; and the push
that the marking verbs make before they exit.

A password is read from the terminal without echo (never from a pipe by surprise), from
standard input (``--password-stdin``, its first line), or from a program
(``--password-command``, split as a shell would split it but run without one, its first
line of output). It goes to the server and to the credential store, never to the output:
every error about it says what failed, never what was read."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from streamtui import stdio
from streamtui.cli.output import cell, emit, fail, iso, updated
from streamtui.core.errors import StreamtuiError
from streamtui.core.library import Library
from streamtui.core.models import AccountReport
from streamtui.core.text import excerpt, redact_text, sanitize

PASSWORD_COMMAND_SECONDS = 120
"""How long a password command may take (it may ask for a passphrase itself)."""
MAX_PASSWORD = 4096


def account(library: Library, args: argparse.Namespace) -> int:
    if args.account_command == "add":
        return _add(library, args)
    if args.account_command == "remove":
        removed = library.remove_account(args.name)
        print(f"removed account {sanitize(removed.name)!r} with its feeds and items")
        return 0
    return _list(library, args)


def sync(library: Library, args: argparse.Namespace) -> int:
    reports = library.sync_accounts(args.accounts or None)
    if not reports:
        print("no accounts to sync (add one: streamtui account add KIND URL --user NAME)")
        return 0
    for report in reports:
        _report(report)
    return 1 if any(report.error for report in reports) else 0


def push_after_marking(library: Library) -> None:
    """Send the marks that wait for their servers before the command exits; a server that
    cannot be reached leaves them queued (for the next sync), said on standard error."""
    try:
        reports = library.push_marks()
    except StreamtuiError as error:
        fail(str(error))
        return
    for report in reports:
        if report.error:
            fail(f"{report.error} ({report.pending} change(s) wait for the next sync)")


def _add(library: Library, args: argparse.Namespace) -> int:
    secret = _password(args)
    added, report = library.add_account(args.kind, args.url, args.user, secret, args.name)
    print(
        f"account {sanitize(added.name)!r} ({added.kind}, {sanitize(added.url)}) as "
        f"{sanitize(added.user)}"
    )
    _report(report)
    why = library.why_no_subscriptions(added.name)
    if why:
        print(why)
    return 1 if report.error else 0


def _list(library: Library, args: argparse.Namespace) -> int:
    for found in library.accounts():
        name, url, user = (sanitize(text) for text in (found.name, found.url, found.user))
        error = sanitize(redact_text(found.last_error))
        if args.json:
            emit(
                {
                    "id": found.id,
                    "name": name,
                    "kind": found.kind,
                    "url": url,
                    "user": user,
                    "last_sync": iso(found.synced_at) if found.synced_at else None,
                    "pending": found.pending,
                    "error": error or None,
                    "note": sanitize(found.note) or None,
                }
            )
        else:
            shown = f"  ! {error}" if error else ""
            print(
                f"{found.id:>3}  {cell(name, 16)} {found.kind:<8} {cell(user, 16)} "
                f"{updated(found.synced_at)}  {found.pending:>4} pending  {url}{shown}"
            )
    return 0


def _report(report: AccountReport) -> None:
    name = sanitize(report.account.name)
    if report.error:
        fail(report.error)
    else:
        print(
            f"{name}: {report.feeds} feed(s), {report.added} new item(s), "
            f"{report.changed} changed there, {report.pushed} change(s) sent"
            + (f", {report.pending} waiting" if report.pending else "")
            + f" ({report.requests} request(s))"
        )
    if report.note:
        fail(f"{name}: {sanitize(report.note)}")
    for covered in report.covered:
        fail(f"{sanitize(covered)}: also subscribed directly; {name} carries it now")


# -- the password -----------------------------------------------------------------------------


def _password(args: argparse.Namespace) -> str:
    if args.password_command is not None:
        return _from_command(args.password_command)
    if args.password_stdin:
        return _from_stdin()
    return _from_terminal(args.user, args.url)


def _from_command(command: str) -> str:
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise StreamtuiError(f"--password-command: cannot be split into words ({error})") from None
    if not argv:
        raise StreamtuiError("--password-command: no program given")
    program = excerpt(argv[0], 60)
    try:
        done = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            timeout=PASSWORD_COMMAND_SECONDS,
            check=False,
            close_fds=True,
        )
    except FileNotFoundError:
        raise StreamtuiError(f"--password-command: {program}: no such program") from None
    except PermissionError:
        raise StreamtuiError(f"--password-command: {program}: not allowed to run it") from None
    except subprocess.TimeoutExpired:
        raise StreamtuiError(
            f"--password-command: {program} gave no password within {PASSWORD_COMMAND_SECONDS} s"
        ) from None
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise StreamtuiError(f"--password-command: {program}: {reason}") from None
    if done.returncode != 0:
        raise StreamtuiError(
            f"--password-command: {program} failed (exit status {done.returncode}); "
            "nothing was stored"
        )
    return _first_line(done.stdout, f"--password-command: {program}")


def _from_stdin() -> str:
    if 0 in stdio.closed_at_start or sys.stdin is None:
        raise StreamtuiError("--password-stdin: standard input is closed")
    data = sys.stdin.buffer.readline(MAX_PASSWORD + 2)
    return _first_line(data, "--password-stdin")


def _first_line(data: bytes, what: str) -> str:
    line = data.split(b"\n", 1)[0].removesuffix(b"\r")
    if len(line) > MAX_PASSWORD:
        raise StreamtuiError(f"{what}: the password is longer than {MAX_PASSWORD} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise StreamtuiError(f"{what}: the password is not UTF-8 text") from None
    if not text:
        raise StreamtuiError(f"{what}: no password was given (an empty first line)")
    return text


def _from_terminal(user: str, url: str) -> str:
    """Ask on the terminal, without echo; never from a pipe (getpass would fall back to
    reading standard input with echo on)."""
    import getpass
    import termios

    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise StreamtuiError(
            "no terminal to ask the password on: give --password-stdin or --password-command"
        ) from None
    os.close(tty)
    prompt = f"Password for {sanitize(user)} at {sanitize(excerpt(url, 80))}: "
    try:
        secret = getpass.getpass(prompt)
    except (EOFError, termios.error, OSError):
        raise StreamtuiError("no password was given (the terminal closed)") from None
    if not secret:
        raise StreamtuiError("no password was given")
    return secret
