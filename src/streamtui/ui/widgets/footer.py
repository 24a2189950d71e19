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

from typing import NamedTuple

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


class Spec(NamedTuple):
    """One key of the footer, as its widget is made."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str
    palette: bool  # the palette's key, docked right


class KeysFooter(Footer):
    _composed: tuple[Spec, ...] | None = None

    def _specs(self) -> tuple[Spec, ...]:
        """The keys to show: the first binding in force of each action, in order, then the
        palette's key."""
        if not self._bindings_ready:
            return ()
        app = self.app
        first: dict[str, tuple[Binding, bool, str, bool]] = {}
        palette: tuple[Binding, bool, str, bool] | None = None
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                first.setdefault(binding.action, (binding, enabled, tooltip, False))
            if binding.key == app.COMMAND_PALETTE_BINDING:
                palette = (binding, enabled, binding.tooltip or binding.description, True)
        shown = list(first.values())
        if palette is not None and self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            shown.append(palette)
        return tuple(
            Spec(
                binding.key,
                app.get_key_display(binding),
                SHORT.get(binding.action, binding.description),
                binding.action,
                enabled,
                tooltip,
                is_palette,
            )
            for binding, enabled, tooltip, is_palette in shown
        )

    async def recompose(self) -> None:
        if self.is_attached and self._specs() == self._composed:
            return  # the same keys: nothing to mount again
        await super().recompose()

    def compose(self) -> ComposeResult:
        """A key per action in force, in order, and the palette's key (docked right).

        Textual's own compose binds each key's ``compact`` to the footer's: every key
        mounted then ran that watcher twice (its default, then the footer's), each a style
        update of the key, and that was most of a recompose. This footer is never compact,
        and none of its keys are grouped, so they are made as they stay."""
        self._composed = specs = self._specs()
        for spec in specs:
            yield _key(spec)
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


def _key(spec: Spec) -> FooterKey:
    """A footer key as Textual's footer makes it, its ``compact`` already as it ends (Textual
    leaves the palette's as it is)."""
    key = FooterKey(
        spec.key,
        spec.display,
        spec.description,
        spec.action,
        disabled=not spec.enabled,
        tooltip=spec.tooltip,
        classes="-command-palette" if spec.palette else "",
    )
    if not spec.palette:
        key.set_reactive(FooterKey.compact, False)
    return key


def _width(key: FooterKey) -> int:
    """Cells the key takes, from its text and styles (not its region: a key just composed
    has none yet)."""
    styles = key.styles
    return cell_len(key.render().plain) + styles.gutter.width + styles.margin.width
