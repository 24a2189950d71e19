"""Two-way sync with feed servers: the protocol layer (issue 14).

One :class:`~.backend.Backend` protocol and four clients of it: Google Reader API
(:mod:`.greader`), Tiny Tiny RSS (:mod:`.ttrss`), Miniflux REST (:mod:`.miniflux`) and Fever
(:mod:`.fever`), the values they return (:mod:`.models`) and their typed errors
(:mod:`.errors`). Nothing here stores anything: the refresh pipeline, the store and the UI
build on it. :func:`open_backend` makes the backend of an account kind.

What the integration keeps per account: the :class:`~.models.SyncState` of the last page
stored (``to_json``, in the same transaction as the page's items), the queue of marks (each
with the time it was made here), the last server state seen of each item (read, starred) to
tell a change there from one here, and :attr:`~.backend.Backend.credential` in the
credential store after each login (a token where the API gives one: Google Reader's Auth,
Fever's key, Miniflux's API token; tt-rss keeps the password).

Items are keyed by (account, :attr:`~.models.RemoteItem.id`): the server's id as a decimal
string, stable across syncs (Google Reader's long and short forms are one). Feeds by
(account, :attr:`~.models.RemoteFeed.id`), categories likewise.

Conflicts, newest change wins: only Miniflux says when an item's state changed
(:attr:`~.models.RemoteItem.changed`, ``changed_at``). For the others the time of a change
there is taken as the start of the sync that first saw the server's state differ from the
last state seen; a queued mark made here before that time loses to it, one made after wins
and is pushed. Marks are states (read, unread, star, unstar), never toggles, so a mark sent
twice (a crash between the server's answer and dropping it from the queue) does no harm.

A sync: push the queue (each :class:`~.models.Pushed` batch dropped from the queue as it is
acknowledged), then ``items_since`` page by page, then, when the last page says
``marks_changed``, ``unread_ids`` and ``starred_ids`` (and ``items`` for ids never pulled,
such as stars set there on old items) to bring every state here.
"""

from __future__ import annotations

from typing import Any

from .backend import Backend

KINDS = ("greader", "ttrss", "miniflux", "fever")


def open_backend(kind: str, *args: Any, **kwargs: Any) -> Backend:
    """The backend of ``kind`` (one of :data:`KINDS`) for an account: ``(name, url,
    credential, *, limits=Limits(), event_hooks=None)``. ValueError for an unknown kind."""
    if kind == "ttrss":
        from .ttrss import TtrssBackend

        return TtrssBackend(*args, **kwargs)
    if kind == "greader":
        from .greader import GReaderBackend

        return GReaderBackend(*args, **kwargs)
    if kind == "miniflux":
        from .miniflux import MinifluxBackend

        return MinifluxBackend(*args, **kwargs)
    if kind == "fever":
        from .fever import FeverBackend

        return FeverBackend(*args, **kwargs)
    raise ValueError(f"unknown account kind {kind!r} (one of {', '.join(KINDS)})")


__all__ = ["KINDS", "Backend", "open_backend"]
