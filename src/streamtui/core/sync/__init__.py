"""Two-way sync with feed servers: the protocol layer (issue 14).

One :class:`~.backend.Backend` protocol and four clients of it: Google Reader API
(:mod:`.greader`), Tiny Tiny RSS (:mod:`.ttrss`), Miniflux REST (:mod:`.miniflux`) and Fever
(:mod:`.fever`), the values they return (:mod:`.models`) and their typed errors
(:mod:`.errors`). Nothing here stores anything: the refresh pipeline, the store and the UI
build on it. :func:`open_backend` makes the backend of an account kind.
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
