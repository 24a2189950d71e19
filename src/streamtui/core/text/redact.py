"""Passwords in URLs: split off before a URL is stored or fetched, hidden wherever one is shown.

A feed URL may carry a login, ``http://alice:S3cret@host/feed``. The password is the secret:
it moves to the credential store (core/credentials.py) and is sent only as HTTP Basic auth to
the origin it was given for. The user name stays in the stored location and is shown
(``http://alice@host/feed``): it tells two accounts on one server apart and says which one a
feed uses, and it is no secret. Every text that may quote a URL (errors, messages, toasts)
passes through :func:`redact_text` before it is shown, so a password that slipped into one is
cut out too: ``http://alice:S3cret@host/feed`` is shown as ``http://alice@host/feed``.

Nothing here raises on malformed input: redaction is a last line of defence and must work on
any text, including URLs that a parser would refuse.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_END = re.compile(r"[\s<>\"]")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def redact_text(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` in it removed.

    A password that holds characters a URL may not (a raw ``/``, ``?``, ``@``), as a user may
    type it, is removed too: the authority is taken to end at the last ``@`` before the path,
    or, when the first ``/`` comes before any ``@``, at the last ``@`` of the URL unless what
    follows the ``:`` is a port number.
    """
    pieces: list[str] = []
    done = 0
    for colon, at in _logins(text):
        if text[colon - 1] == "/":  # "scheme://:password@host": no user name, no "@" either
            pieces.append(text[done:colon])
            done = at + 1
        else:
            pieces.append(text[done:colon])
            done = at
    pieces.append(text[done:])
    return "".join(pieces)


def redact_url(url: str) -> str:
    """A URL as it may be shown: without its password (the user name stays)."""
    return redact_text(url)


def mask_passwords(text: str, mask: str = "\u2022") -> str:
    """``text`` with each character of every URL password replaced by ``mask``: the same
    length, so that a text field showing it keeps its cursor where the user typed. For a
    field being typed in, a password whose ``@`` is not typed yet is masked too."""
    chars = list(text)
    for colon, at in _logins(text) + _typing(text):
        chars[colon + 1 : at] = mask * (at - colon - 1)
    return "".join(chars)


def _typing(text: str) -> list[tuple[int, int]]:
    """A password being typed, its ``@`` not there yet: after ``scheme://user:``, anything
    that is not a port number, up to where the host would end."""
    match = _SCHEME.search(text)
    if match is None or "@" in text[match.end() :]:
        return []
    start = match.end()
    end_match = _END.search(text, start)
    run = text[start : end_match.start() if end_match else len(text)]
    slash = _AUTHORITY_END.search(run)
    authority = run[: slash.start()] if slash else run
    colon = authority.find(":")
    if colon < 0 or authority.startswith("[") or authority[colon + 1 :].isdigit():
        return []
    return [(start + colon, start + len(authority))]


def _logins(text: str) -> list[tuple[int, int]]:
    """(the ``:`` before, the ``@`` after) each URL password in ``text``, in order."""
    if "@" not in text or "://" not in text:
        return []  # the common case: nothing that could hold a login
    found: list[tuple[int, int]] = []
    done = 0
    for match in _SCHEME.finditer(text):
        start = match.end()
        if start < done:
            continue
        end_match = _END.search(text, start)
        end = end_match.start() if end_match else len(text)
        span = _password_span(text[start:end])
        if span is not None:
            found.append((start + span[0], start + span[1]))
            done = start + span[1]
    return found


def _password_span(run: str) -> tuple[int, int] | None:
    """Where the ``:`` before and the ``@`` after the password of the URL run after
    ``scheme://`` are, or None when it has none."""
    slash = _AUTHORITY_END.search(run)
    authority_end = slash.start() if slash else len(run)
    at = run.rfind("@", 0, authority_end)
    if at < 0:
        at = run.rfind("@")
        colon = run.find(":", 0, authority_end)
        if at < 0 or colon < 0 or run[colon + 1 : authority_end].isdigit():
            return None  # no login, or host:port followed by an "@" in the path or query
        return colon, at
    colon = run.find(":", 0, at)
    return (colon, at) if colon >= 0 else None


def split_login(url: str) -> tuple[str, str, str | None]:
    """``url`` without its password, the user name (decoded) and the password (decoded; None
    when the URL carries none). The URL keeps the user name as it was written. The password
    is found as :func:`redact_text` finds it, so what is hidden and what is taken agree."""
    found = _login(url)
    if found is None:
        return url, "", None
    start, colon, at = found
    user = url[start:colon]
    plain = url[:colon] + url[at:] if user else url[:start] + url[at + 1 :]
    return plain, unquote(user), unquote(url[colon + 1 : at])


def login_text(url: str) -> tuple[str, str]:
    """The ``user:password@`` text of ``url`` as written and what replaces it where it is
    taken out (``user@``, or "" without a user name); ("", "") without a password."""
    found = _login(url)
    if found is None:
        return "", ""
    start, colon, at = found
    user = url[start:colon]
    return url[start : at + 1], f"{user}@" if user else ""


def _login(url: str) -> tuple[int, int, int] | None:
    """Where the user name starts, where the ``:`` before the password is and where the
    ``@`` after it is, in ``url``; None without a password."""
    match = _SCHEME.match(url.strip())
    if match is None:
        return None
    start = url.index("://") + 3
    found = _logins(url)
    if not found or found[0][0] < start:
        return None
    colon, at = found[0]
    return start, colon, at


def without_login(url: str) -> str:
    """``url`` with no user name or password at all: what is requested over HTTP, and what
    relative links resolve against."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def with_user(url: str, user: str) -> str:
    """``url`` (which has no login) with the user name ``user`` as written in another URL."""
    if not user:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" in parts.netloc or not parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.netloc}"))


def user_as_written(url: str) -> str:
    """The user name part of ``url`` as written (percent-encoding kept), "" when none."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return ""
    userinfo, at, _ = netloc.rpartition("@")
    return userinfo.partition(":")[0] if at else ""


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (lower case, the default port written out), or ""
    for a URL without a host: where a credential may be sent."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if not parts.hostname:
        return ""
    port = port or _DEFAULT_PORTS.get(scheme)
    host = parts.hostname
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"
