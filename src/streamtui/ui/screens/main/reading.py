"""Reading: opening an item (which marks it read), moving to the next item or the next unread
one (stopping at the end, then wrapping), marking read and unread, starring, marking a view
read and undoing it. A mark redraws only what it changed."""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding

from streamtui.core.models import Changes, Row, View
from streamtui.ui.keys import described, key_tables
from streamtui.ui.screens.main.base import MainBase


class ReadingPart(MainBase):
    def _open(self, item_id: str, *, focus: bool = False) -> None:
        """Show an item in the article pane and mark it read (saved at once)."""
        with self.guard():
            current = self.stream.current
            if current is None or current.id != item_id:
                position = self.library.position(self.view, item_id)
                if position is not None:
                    self.stream.cursor = position
            article = self.library.article(item_id)
            self.article.show(article)
            if not article.row.read:
                self._set_read(item_id, True)
        if focus:
            self._focus(self.article)

    def _set_read(self, item_id: str, read: bool) -> None:
        self._show_changes(self.library.mark_read([item_id], read))

    def _show_changes(self, changes: Changes) -> None:
        """Redraw only what a mark or a star changed: its rows, and its sources' entries and
        counts in the sidebar (a key press reads nothing more, however large the library)."""
        for row in changes.rows:
            self.stream.update_row(row)
        if not self.sidebar.counted:  # the counts are still to come, and will include it
            return
        changed = [
            replace(source, unread=source.unread + delta)
            for source_id, delta in changes.unread.items()
            if (source := self.sidebar.shown(source_id)) is not None
        ]
        self.sidebar.update_sources(changed)
        if changes.starred:
            self.sidebar.update_starred(self.sidebar.starred + changes.starred)
        self._show_unread()

    def _reading(self) -> bool:
        return self.focused is self.article and self.article.article is not None

    def action_step(self, delta: int) -> None:
        before = self.stream.cursor
        self.stream.cursor += delta
        row = self.stream.current
        if row is not None and self._reading() and self.stream.cursor != before:
            self._open(row.id)

    def action_next_unread(self, direction: int) -> None:
        after = self._open_id() if self._reading() else getattr(self.stream.current, "id", None)
        self._open_next_unread(direction, after=after, open_it=self._reading())

    def _open_next_unread(self, direction: int, *, after: str | None, open_it: bool = True) -> None:
        """Go to the next unread item in ``direction``. At the end of the list it stops and
        says so; the same key again, from the same item, wraps around to the other end."""
        with self.guard():
            backwards = direction < 0
            found = self.library.next_unread(self.view, after, backwards=backwards)
            if found is None and after is not None:
                wrapped = (
                    self.library.next_unread(self.view, None, backwards=backwards)
                    if not backwards
                    else self._last_unread()
                )
                if wrapped is None or wrapped == after:
                    self.notify("No more unread items in this view.", timeout=3)
                    return
                if self._wrap_from != (direction, after):
                    self._wrap_from = (direction, after)
                    where, end = ("above", "bottom") if backwards else ("below", "top")
                    self.notify(
                        f"No unread item {where}; press again to wrap around to the {end}.",
                        timeout=4,
                    )
                    return
                self.notify(
                    "Wrapped around: " + ("from the bottom." if backwards else "from the top."),
                    timeout=3,
                )
                found = wrapped
            self._wrap_from = None
            if found is None or found == after:
                self.notify("No more unread items in this view.", timeout=3)
                return
            position = self.library.position(self.view, found)
            if position is not None:
                self.stream.cursor = position
            if open_it:
                self._open(found)

    def _last_unread(self) -> str | None:
        last = self.library.rows(self.view, max(0, self.stream.count - 1), 1)
        if not last:
            return None
        if not last[0].read:
            return last[0].id
        return self.library.next_unread(self.view, last[0].id, backwards=True)

    def _target_row(self) -> Row | None:
        """What a key acts on: the open article while reading, else the cursor's row."""
        target = self._open_id() if self._reading() else None
        return self.library.row(target) if target else self.stream.current

    def action_toggle_read(self) -> None:
        row = self._target_row()
        if row is None:
            return
        with self.guard():
            self._set_read(row.id, not row.read)

    def action_toggle_star(self) -> None:
        row = self._target_row()
        if row is None:
            return
        with self.guard():
            self._show_changes(self.library.set_starred([row.id], not row.starred))
            self.notify("Unstarred." if row.starred else "Starred.", timeout=2)

    def action_mark_view_read(self) -> None:
        self._mark_read_in(self.view, "this view")

    def action_mark_everything_read(self) -> None:
        self._mark_read_in(self.library.view(), "every source")

    def _mark_read_in(self, view: View, where: str) -> None:
        with self.guard():
            changed = self.library.mark_view_read(view)
            self.stream.forget_rows()
            self._show_changes(changed)
            if not changed.count:
                self.notify(f"Nothing unread in {where}.", timeout=3)
                return
            keys = self._keys_for("app.undo")
            # Markup from our own words and numbers only: no feed text in this string.
            self.notify(
                f"Marked {changed.count} item(s) read in {where}. "
                f"[@click=screen.undo]Undo[/] (or press {keys})",
                timeout=8,
            )

    def action_undo(self) -> None:
        with self.guard():
            undone = self.library.undo()
            if undone is None:
                self.notify("Nothing to undo.", timeout=3)
                return
            self.stream.forget_rows()
            self._reload(self._cursor_id())
            self._show_sources()
            self.notify(
                f"Undone: {undone.description} ({undone.count} item(s)).",
                markup=False,
                timeout=4,
            )

    def _keys_for(self, binding_id: str) -> str:
        for _, table, _ in key_tables():
            for binding in table:
                if isinstance(binding, Binding) and binding.id == binding_id:
                    keymap = self.settings.keymap
                    return described([binding], self.app.get_key_display, keymap)[0][0]
        return "?"
