"""Run a program in a pseudo-terminal of its own and relay bytes between it and ours, logging
each crossing with a ``time.monotonic()`` stamp (see ``_bench.Terminal``).

Usage: python _relay.py LOG -- PROGRAM [ARG...]
The log holds records ``KIND STAMP LENGTH\\n DATA \\n``: START (data: the child's pid), IN (keys
read from our terminal, as they go to the program), OUT (a chunk the program wrote), EXIT.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import sys
import termios
import time
import tty


def main() -> int:
    log_path, separator, *argv = sys.argv[1:]
    assert separator == "--" and argv, __doc__
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 (open for the whole run)

    def record(kind: str, data: bytes, at: float | None = None) -> None:
        stamp = time.monotonic() if at is None else at
        log.write(b"%s %.6f %d\n%s\n" % (kind.encode(), stamp, len(data), data))

    size = fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
    began = time.monotonic()
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    record("START", str(pid).encode(), began)
    fcntl.ioctl(master, termios.TIOCSWINSZ, size)
    os.kill(pid, signal.SIGWINCH)

    def resized(*_: object) -> None:
        fcntl.ioctl(master, termios.TIOCSWINSZ, fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8))

    signal.signal(signal.SIGWINCH, resized)
    saved = termios.tcgetattr(0)
    tty.setraw(0)
    try:
        while True:
            try:
                ready, _, _ = select.select([0, master], [], [])
            except InterruptedError:
                continue
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                record("OUT", data)
                os.write(1, data)
            if 0 in ready:
                keys = os.read(0, 1024)
                if not keys:
                    break
                record("IN", keys)
                os.write(master, keys)
    finally:
        termios.tcsetattr(0, termios.TCSAFLUSH, saved)
        _, status = os.waitpid(pid, 0)
        record("EXIT", str(status).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
