"""Who wins when an item's read or starred state changed on the server and here: the newer
change, by the time it was made. Pure: the store calls :func:`settle` inside the transaction
that applies what a sync saw, once per item and axis (read, starred).

What is known of each side:

- here: the marks queued since the server last acknowledged one (``pending``), each with the
  time it was made; the latest decides, as it is the state this side wants.
- there: the state seen now (``there``) and the one seen (or pushed) last time (``seen``).
  They differ when the state changed on the server since; it changed at ``there_at``:
  Miniflux says when (``changed_at``); the other APIs do not, and a change there counts as
  made when this machine first saw it (the start of that sync).

A state is one of two values, so a real conflict is rare: when this side changed the item
away from ``seen``, it now agrees with a server that changed too. They disagree when one
side changed it twice (read, then unread again) while the other changed it once; then the
side whose last change is newer wins. A state unchanged there never overrides a queued mark
(it is sent); with nothing queued, the state there is taken, so the two never drift apart.

A change there that a mark of this side, sent and not yet acknowledged, would explain (read
sent, then unread here, and the server now says read) is taken as that mark, whose
acknowledgement a crash kept from being stored: it never beats the later mark here, which
would undo the user's last change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pending:
    """The latest mark queued here on one axis of one item: the state it sets, and when;
    ``sent``: the states of the queued marks of this axis already sent once (a crash, or a
    connection lost, kept their acknowledgement from being written)."""

    state: bool
    at: float
    sent: frozenset[bool] = frozenset()


@dataclass(frozen=True, slots=True)
class Settled:
    """What to keep of one axis of one item after a sync saw the server's state."""

    here: bool
    """The state to have here."""
    seen: bool
    """The server's state to remember as last seen."""
    drop: bool = False
    """The queued marks on this axis lost (or agree with the server): drop them unsent."""


def settle(
    *, here: bool, seen: bool, there: bool, pending: Pending | None, there_at: float
) -> Settled:
    """The outcome for one axis: ``here`` is the state stored here now, ``seen`` the server's
    last seen, ``there`` the server's now, ``pending`` the latest mark queued here (None:
    none), ``there_at`` when the server's change was made (see the module)."""
    if there == seen:  # nothing changed there
        if pending is not None:
            return Settled(here, seen)  # the queued mark goes out
        return Settled(there, there)
    if pending is None or pending.state == there:
        return Settled(there, there, drop=pending is not None)
    if there in pending.sent or pending.at > there_at:
        # the change there is this side's own mark (sent, its acknowledgement lost to a
        # crash), or older than the latest one here: the latest one here goes out
        return Settled(here, there)
    return Settled(there, there, drop=True)
