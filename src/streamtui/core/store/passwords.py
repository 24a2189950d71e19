"""Schema migration 5: passwords in feed URLs leave the database for the credential store.

Before it, ``streamtui add http://alice:S3cret@host/feed`` stored the URL whole as the source's
``location`` and ``key``. The key scopes item ids (``sha256(key + "\\0" + entry key)``), so
the ids of such a feed were made from a string holding the password; they must not change
(read state and stars hang on them). For each feed whose location or key holds a password:

- the location and the key lose the password (the user name stays, as for new sources);
- the credential store gets the user name, the password and the origin it was given for
  under ("feed", new key), and, when the old key held a password, that old key as the
  credential's ``scope``: a refresh makes ids from it, exactly as before;
- the source gets ``login = 1``; its name, error, warning, site URL and pending redirect, and
  its items' links, summaries, bodies and enclosure URLs lose the ``user:password@`` text
  (relative links used to resolve against the URL with the password);
- a marker in ``meta`` asks the store to rebuild the file and empty the WAL once the
  migration has committed (schema.scrub_moved_secrets): rows rewritten by years of refreshes
  left old copies of the location in free space, and only a rebuild drops them.

The credential file is written before the transaction commits. A migration that fails or is
killed after that leaves entries that the next attempt writes again under the same names (the
names are a function of the database), so nothing is lost or duplicated.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from streamtui.core.credentials import Credential, CredentialStore
from streamtui.core.store.naming import unique_name
from streamtui.core.text.redact import login_text, origin, split_login

SCRUB_PENDING = "scrub_moved_secrets"
"""The meta key that asks for the rebuild after migration 5."""
LOGIN_SCOPED = 2
"""``sources.login`` of a feed whose credential also holds the scope of its ids (1: only a
password; 0: none)."""


def passwords_out(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE sources ADD COLUMN login INTEGER NOT NULL DEFAULT 0")
    feeds = [
        (int(source_id), str(location), str(key))
        for source_id, location, key in db.execute(
            "SELECT id, location, key FROM sources WHERE kind = 'feed' ORDER BY id"
        )
    ]
    holding = [f for f in feeds if _has_password(f[1]) or _has_password(f[2])]
    if not holding:
        return
    credentials = CredentialStore.beside(_database_file(db))
    db.execute("PRAGMA secure_delete = ON")  # what each UPDATE replaces is zeroed
    locations = {str(row[0]) for row in db.execute("SELECT location FROM sources")}
    names = {str(row[0]).casefold() for row in db.execute("SELECT name FROM sources")}
    keys: set[str] = set()
    for source_id, location, key in holding:
        plain_location, user, password = split_login(location)
        plain_key, key_user, key_password = split_login(key)
        if password is None:  # only the key held one (the feed moved since it was added)
            user, password, given_at = key_user, key_password, plain_key
        else:
            given_at = plain_location
        assert password is not None
        locations.discard(location)
        if plain_location in locations:  # another source is at that URL without the login
            plain_location = f"{plain_location}#{source_id}"  # a fragment is never sent
        locations.add(plain_location)
        if plain_key in keys:
            plain_key = f"{plain_key}#{source_id}"
        keys.add(plain_key)
        scope = key if key_password is not None else ""
        credentials.put(
            "feed", plain_key, Credential(user, password, origin(given_at), scope=scope)
        )
        login = LOGIN_SCOPED if scope else 1
        _rewrite(db, source_id, plain_location, plain_key, login, {location, key}, names)
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (SCRUB_PENDING,))
    db.execute("PRAGMA secure_delete = OFF")


def _rewrite(
    db: sqlite3.Connection,
    source_id: int,
    location: str,
    key: str,
    login: int,
    old_urls: set[str],
    names: set[str],
) -> None:
    """Store the source without its password, and take the ``user:password@`` text of its
    old URLs out of everything stored about it."""
    pairs = [login_text(url) for url in sorted(old_urls) if _has_password(url)]
    (name,) = db.execute("SELECT name FROM sources WHERE id = ?", (source_id,)).fetchone()
    cleaned = str(name)
    for secret, _ in pairs:
        cleaned = cleaned.replace(secret, "")  # an imported name was the URL's host part
    if cleaned != name:
        names.discard(str(name).casefold())
        cleaned = unique_name(cleaned or "feed", names)
        names.add(cleaned.casefold())
    db.execute(
        "UPDATE sources SET location = ?, key = ?, login = ?, name = ? WHERE id = ?",
        (location, key, login, cleaned, source_id),
    )
    items = "SELECT id FROM items WHERE source_id = ?"
    for secret, shown in pairs:
        for column in ("last_error", "warning", "site_url", "redirect_url"):
            db.execute(
                f"UPDATE sources SET {column} = replace({column}, ?, ?) WHERE id = ?",
                (secret, shown, source_id),
            )
        for column in ("link", "summary", "body"):
            db.execute(
                f"UPDATE bodies SET {column} = replace({column}, ?, ?) "
                f"WHERE instr({column}, ?) AND item_id IN ({items})",
                (secret, shown, secret, source_id),
            )
        db.execute(
            "UPDATE OR REPLACE enclosures SET url = replace(url, ?, ?) "
            f"WHERE instr(url, ?) AND item_id IN ({items})",
            (secret, shown, secret, source_id),
        )


def _has_password(url: str) -> bool:
    return split_login(url)[2] is not None


def _database_file(db: sqlite3.Connection) -> Path:
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    raise sqlite3.DatabaseError("a database in memory cannot hold feeds with passwords")
