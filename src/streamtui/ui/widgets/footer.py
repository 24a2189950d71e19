"""The footer: short labels, and only the keys that fit, the first ones first.

Textual's footer draws every shown binding in one row and cuts what does not fit; at 160
columns with the article focused, "Add source" was cut in half, and at 80 columns half the
keys. Here each key has a short label (the help screen keeps the long descriptions), and the
keys are shown in their order (the focused pane's first, then Quit, Help, Search...) while
they fit beside the palette's key; the rest wait for a wider terminal or the help (?).

Textual's footer composes its keys again at every change of the bindings in force, and a
change of focus signals two (each pane has its own keys): the second found the same keys and
mounted them all again, about half of what a Tab between the panes cost (benchmarks/keys.py).
A recompose that would show the same keys is skipped.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not exported; Textual is pinned exactly

SHORT = {
    # action: the footer's label
    "app.command_palette": "Palette",
    "toggle_read": "Read",
    "open_link": "Browser",
    "mark_view_read": "All read",
    "add_source": "Add",
    "page_or_next": "Next page",
    "screen.focus_list": "Back",
    "remove": "Remove",
    "rename": "Rename",
}


Shown = tuple[tuple[str, str, str, str, bool, str, str], ...]


class KeysFooter(Footer):
    _composed: Shown | None = None

    def _shown_bindings(self) -> Shown:
        """What :meth:`compose` would show: each key in force (shown, with its display,
        description, action, enabled state, tooltip and group), in order."""
        if not self._bindings_ready:
            return ()
        app = self.app
        return tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip,
                "" if binding.group is None else binding.group.description,
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )

    async def recompose(self) -> None:
        if self.is_attached and self._shown_bindings() == self._composed:
            return  # the same keys: nothing to mount again
        await super().recompose()

    def compose(self) -> ComposeResult:
        """A key per action in force, in order, and the palette's key (docked right).

        Textual's own compose binds each key's ``compact`` to the footer's: every key
        mounted then ran that watcher twice (its default, then the footer's), each a style
        update of the key, and that was most of a recompose. This footer is never compact,
        and none of its keys are grouped, so they are made as they stay."""
        self._composed = self._shown_bindings()
        if not self._bindings_ready:
            return
        app = self.app
        first: dict[str, tuple[Binding, bool, str]] = {}
        palette: tuple[Binding, bool, str] | None = None
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                first.setdefault(binding.action, (binding, enabled, tooltip))
            if binding.key == app.COMMAND_PALETTE_BINDING:
                palette = (binding, enabled, tooltip)
        for binding, enabled, tooltip in first.values():
            description = SHORT.get(binding.action, binding.description)
            yield _key(binding, app.get_key_display(binding), description, enabled, tooltip)
        if palette is not None and self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            binding, enabled, tooltip = palette
            description = SHORT.get(binding.action, binding.description)
            yield _key(
                binding,
                app.get_key_display(binding),
                description,
                enabled,
                binding.tooltip or binding.description,
                classes="-command-palette",
            )
        self.call_after_refresh(self.fit)

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Show the keys, in order, while they fit; hide the rest."""
        keys = list(self.query(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        room = self.size.width - sum(_width(key) for key in palette)
        fits = True
        for key in keys:
            if key in palette:
                continue
            width = _width(key)
            fits = fits and width <= room
            key.display = fits
            room -= width if fits else 0

    def shown(self) -> list[FooterKey]:
        """The keys on show, in order (the palette's last)."""
        return [key for key in self.query(FooterKey) if key.display]


def _key(
    binding: Binding,
    display: str,
    description: str,
    enabled: bool,
    tooltip: str,
    *,
    classes: str = "",
) -> FooterKey:
    """A footer key as Textual's footer makes it, its ``compact`` already as it ends."""
    key = FooterKey(
        binding.key,
        display,
        description,
        binding.action,
        disabled=not enabled,
        tooltip=tooltip,
        classes=classes,
    )
    if "-command-palette" not in classes:  # Textual leaves the palette's compact
        key.set_reactive(FooterKey.compact, False)
    return key


def _width(key: FooterKey) -> int:
    """Cells the key takes, from its text and styles (not its region: a key just composed
    has none yet)."""
    styles = key.styles
    return cell_len(key.render().plain) + styles.gutter.width + styles.margin.width
