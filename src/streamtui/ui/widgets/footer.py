"""The footer: short labels, and only the keys that fit, the first ones first.

Textual's footer draws every shown binding in one row and cuts what does not fit; at 160
columns with the article focused, "Add source" was cut in half, and at 80 columns half the
keys. Here each key has a short label (the help screen keeps the long descriptions), and the
keys are shown in their order (the focused pane's first, then Quit, Help, Search...) while
they fit beside the palette's key; the rest wait for a wider terminal or the help (?).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
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


class KeysFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = SHORT.get(widget.action, widget.description)
            yield widget
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


def _width(key: FooterKey) -> int:
    """Cells the key takes, from its text and styles (not its region: a key just composed
    has none yet)."""
    styles = key.styles
    return cell_len(key.render().plain) + styles.gutter.width + styles.margin.width
