"""Keys sent as a fast typist sends them, for Pilot tests that type a lot of text."""

from __future__ import annotations

import unicodedata

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot


async def type_keys(pilot: Pilot[None], *keys: str) -> None:
    """Send ``keys`` (Pilot's names: "a", "[", "enter"...) the way ``pilot.press`` builds
    them, all queued on the app in order, then one pause. ``pilot.press`` waits for the app
    to be idle twice after every key, and with a large screen each wait costs a repaint: a
    test that typed ten payloads spent most of its time there. The app still handles each
    key on its own, in order (what a user typing fast, or a terminal's paste without
    bracketed paste, sends); the first key of a new screen or widget should still be sent
    with ``pilot.press``, so that the focus has moved before the rest arrives."""
    await send_keys(pilot, *keys)
    await pilot.pause()


async def send_keys(pilot: Pilot[None], *keys: str) -> None:
    """Queue ``keys`` on the app as :func:`type_keys` does, without waiting for anything:
    for a test that times how soon a key is handled (``pilot.press`` waits for the whole
    process to be idle, up to a second a wait, whatever else runs in it)."""
    app = pilot.app
    for name in keys:
        key = _character_to_key(name) if len(name) == 1 and not name.isalnum() else name
        try:
            char: str | None = unicodedata.lookup(
                _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
            )
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        await app._post_message(event)
