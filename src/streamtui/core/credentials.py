"""The credential store: the one place streamtui keeps secrets (feed passwords now, server
accounts' passwords and tokens later), outside the database.

An entry is found by a kind and a name: ``("feed", source key)`` for a feed whose URL carried
a password, ``("account", account name)`` for a server account. It holds a user name, the
secret, and the origin (``scheme://host:port``) the secret may be sent to: a credential is
never sent anywhere else, whatever a redirect or a moved feed says.

The default backend is one JSON file beside the database, ``credentials.json``: mode 0600 in
the 0700 data folder, written atomically (a temporary file in the same folder, fsync, rename)
under a lock, so that two instances never lose each other's entries and a crash leaves the old
file or the new one. A missing file is an empty store; an unreadable one is an error naming
the file and never overwritten. A system keyring can be another backend: entries are small
string mappings by name, which is what a keyring stores (see :class:`Backend`).

Secrets never appear in a repr, a message or an error: :class:`Credential` hides them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from streamtui.core import paths
from streamtui.core.errors import CredentialError, FileReadError, FileWriteError
from streamtui.core.files import display_path, read_bytes, replace_file
from streamtui.core.text.redact import origin, split_login

Kind = Literal["feed", "account"]
KINDS: tuple[Kind, ...] = ("feed", "account")
FORMAT_VERSION = 1
MAX_BYTES = 8 * 1024 * 1024
LOCK_SUFFIX = ".lock"


@dataclass(frozen=True, slots=True)
class Credential:
    """A user name and its secret, for one origin. ``scope`` is for feeds whose URL, password
    and all, was their source key in a database older than the credential store: their item
    ids were made from it, and stay so. ``extra`` holds what an account needs besides
    (a token the server gave, say). The secret, the scope and the extras never show in a
    repr."""

    user: str
    secret: str = field(repr=False)
    origin: str
    scope: str = field(default="", repr=False)
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    def sendable_to(self, url: str) -> bool:
        """Whether this credential may go with a request to ``url`` (same scheme, host and
        port as the one it was given for)."""
        return bool(self.origin) and origin(url) == self.origin

    def to_fields(self) -> dict[str, str]:
        fields = {"user": self.user, "secret": self.secret, "origin": self.origin}
        if self.scope:
            fields["scope"] = self.scope
        fields.update({f"extra.{k}": v for k, v in self.extra.items()})
        return fields

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> Credential:
        return cls(
            user=fields.get("user", ""),
            secret=fields.get("secret", ""),
            origin=fields.get("origin", ""),
            scope=fields.get("scope", ""),
            extra={k[6:]: v for k, v in fields.items() if k.startswith("extra.")},
        )


def login_from_url(url: str) -> tuple[str, Credential | None]:
    """``url`` without its password, and the credential it carried (None without a password).
    The user name stays in the URL; the credential holds it too, for the origin of ``url``."""
    plain, user, password = split_login(url)
    if password is None:
        return plain, None
    return plain, Credential(user, password, origin(plain))


class Backend(Protocol):
    """Where entries live. An entry is a small mapping of strings under a name
    ("feed/<key>", "account/<name>"). ``where`` names the place in messages."""

    where: str

    def read(self, name: str) -> Mapping[str, str] | None: ...

    def write(self, name: str, fields: Mapping[str, str] | None) -> None:
        """Store ``fields`` under ``name``; None removes the entry."""

    def names(self) -> list[str]: ...


class CredentialStore:
    """Typed access to one backend: get, put and delete by (kind, name)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def beside(cls, database: Path) -> CredentialStore:
        """The store of the data folder that holds ``database``."""
        return cls(FileBackend(database.parent / paths.CREDENTIALS_NAME))

    @classmethod
    def in_memory(cls) -> CredentialStore:
        return cls(MemoryBackend())

    @property
    def where(self) -> str:
        return self.backend.where

    def get(self, kind: Kind, name: str) -> Credential | None:
        fields = self.backend.read(_entry(kind, name))
        return None if fields is None else Credential.from_fields(fields)

    def put(self, kind: Kind, name: str, credential: Credential) -> None:
        self.backend.write(_entry(kind, name), credential.to_fields())

    def delete(self, kind: Kind, name: str) -> None:
        """Remove the entry, if there is one."""
        self.backend.write(_entry(kind, name), None)

    def names(self, kind: Kind) -> list[str]:
        prefix = f"{kind}/"
        return sorted(n[len(prefix) :] for n in self.backend.names() if n.startswith(prefix))


def _entry(kind: Kind, name: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown credential kind {kind!r}")
    return f"{kind}/{name}"


class MemoryBackend:
    """Entries in memory (a preview, or tests): nothing is written anywhere."""

    where = "memory"

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> Mapping[str, str] | None:
        with self._lock:
            found = self._entries.get(name)
            return None if found is None else dict(found)

    def write(self, name: str, fields: Mapping[str, str] | None) -> None:
        with self._lock:
            if fields is None:
                self._entries.pop(name, None)
            else:
                self._entries[name] = dict(fields)

    def names(self) -> list[str]:
        with self._lock:
            return list(self._entries)


class FileBackend:
    """One JSON file, private to the user, rewritten whole and atomically on each change.

    Reads are cached until the file changes (its inode, size or time), so a refresh of many
    feeds with passwords reads it once. Writes hold an advisory lock on a file beside it
    (``credentials.json.lock``) from reading to renaming: two instances adding at once both
    keep their entries."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = display_path(path)
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int, int], dict[str, dict[str, str]]] | None = None

    def read(self, name: str) -> Mapping[str, str] | None:
        found = self._load().get(name)
        return None if found is None else dict(found)

    def names(self) -> list[str]:
        return list(self._load())

    def write(self, name: str, fields: Mapping[str, str] | None) -> None:
        with self._lock, self._file_lock():
            entries = self._load()
            if fields is None:
                if name not in entries:
                    return
                entries = {k: v for k, v in entries.items() if k != name}
            else:
                entries = {**entries, name: dict(fields)}
            document = {"version": FORMAT_VERSION, "entries": entries}
            data = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
            try:
                replace_file(self.path, data.encode("utf-8"), new_mode=paths.PRIVATE_FILE)
            except FileWriteError as error:
                raise CredentialError(f"{error}: the credentials were not saved") from error
            self._cache = None

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        paths.private_folder(self.path.parent)
        lock_path = self.path.with_name(self.path.name + LOCK_SUFFIX)
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as error:
            reason = (error.strerror or type(error).__name__).lower()
            raise CredentialError(
                f"{self.where}: cannot save the credentials ({reason})"
            ) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _load(self) -> dict[str, dict[str, str]]:
        """Every entry, from the cache while the file has not changed."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise self._unreadable((error.strerror or type(error).__name__).lower()) from error
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        cached = self._cache
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            data = read_bytes(self.path, self.path.parent, max_bytes=MAX_BYTES)
        except FileReadError as error:
            if not self.path.exists():
                return {}  # removed meanwhile
            raise self._unreadable(error.reason) from error
        entries = self._parse(data)
        self._cache = (stamp, entries)
        return entries

    def _parse(self, data: bytes) -> dict[str, dict[str, str]]:
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise self._unreadable("not a credentials file: corrupt JSON") from error
        if not isinstance(document, dict) or not isinstance(document.get("entries"), dict):
            raise self._unreadable("not a credentials file: no entries")
        version = document.get("version")
        if version != FORMAT_VERSION:
            raise self._unreadable(f"format version {version!r}, this streamtui reads 1")
        entries: dict[str, dict[str, str]] = {}
        for name, fields in document["entries"].items():
            if not isinstance(fields, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
            ):
                raise self._unreadable("not a credentials file: a malformed entry")
            entries[str(name)] = dict(fields)
        return entries

    def _unreadable(self, reason: str) -> CredentialError:
        return CredentialError(
            f"{self.where}: the credentials file cannot be read ({reason}); feeds that need a "
            "password fail until it is fixed or removed, and it is never overwritten"
        )
