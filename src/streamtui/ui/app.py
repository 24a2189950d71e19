"""The streamtui app: the config, the theme and the keymap; the main screen it starts on
(``screens/main/``, where the panes, the keys and what they do are); toasts sanitised; quitting;
the too-small notice over every screen."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.console import RenderableType
from textual import events
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget

from streamtui.core.config import Config
from streamtui.core.library import Library
from streamtui.core.text import redact_text, sanitize
from streamtui.ui.keys import PALETTE, key_tables, keymap_for
from streamtui.ui.screens.main import MainScreen, Opener, Settings
from streamtui.ui.widgets.too_small import TOO_SMALL, TooSmallNotice, too_small


class StreamApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "streamtui"

    BINDINGS: ClassVar[list[BindingType]] = [PALETTE]  # the main screen's keys: ui/keys.py

    def __init__(
        self,
        library: Library,
        *,
        startup_message: str = "",
        sync_on_start: bool = True,
        refresh_minutes: int | None = None,
        config: Config | None = None,
        opener: Opener | None = None,
        image_mode: str = "blocks",
        sixel_colours: int = 256,
    ) -> None:
        """``image_mode``: how the terminal draws images (``ui/images/terminal.py``; the
        command line asks it before the app starts), ``sixel_colours`` the colours a Sixel
        image may use there. Raises ConfigError (naming the line)
        for a keymap or theme this app cannot use."""
        super().__init__()
        config = config or Config()
        self.library = library
        self.keymap: dict[str, str] = keymap_for(config, key_tables())
        if config.theme and config.theme not in self.available_themes:
            raise config.error(
                f"theme {config.theme!r} is not a theme; choose one of "
                + ", ".join(sorted(self.available_themes)),
                key="theme",
            )
        # config.toml's values win; else what the user last chose in the app (the palette's
        # theme, < and >), remembered in the database.
        remembered = library.remembered("theme")
        self._key_targets: weakref.WeakKeyDictionary[events.Key, Widget] = (
            weakref.WeakKeyDictionary()
        )  # each key on its way: the widget it was handed to (see _typed_ahead)
        self._theme_name = config.theme or (
            remembered if remembered in self.available_themes else ""
        )
        settings = Settings(
            config,
            self.keymap,
            startup_message=startup_message,
            sync_on_start=sync_on_start,
            refresh_minutes=config.refresh_interval if refresh_minutes is None else refresh_minutes,
            opener=opener,
            image_mode=image_mode,
            sixel_colours=sixel_colours,
        )
        self._main = MainScreen(library, settings)
        self.frame_listeners: list[Callable[[tuple[Region, ...]], None]] = []
        """Called after each frame written to the terminal with the regions it wrote (the
        article pane's Sixel images are written again where a frame wrote over them)."""
        self._focus_before: list[tuple[Screen[object], Widget | None]] = []

    @property
    def main(self) -> MainScreen:
        """The screen of the panes, the first on the stack (a dialog, the help or the
        too-small notice may be over it)."""
        return self._main

    def get_default_screen(self) -> MainScreen:
        return self._main

    def _display(self, screen: Screen[object], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if renderable is not None and self.frame_listeners and not self._batch_count:
            from streamtui.ui.widgets.sixels import written_regions

            touched = written_regions(renderable)
            for listener in tuple(self.frame_listeners):
                listener(touched)

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        if self._theme_name:
            self.theme = self._theme_name
        self.watch(self, "theme", self._theme_chosen, init=False)
        self._fit(self.size)

    def _theme_chosen(self, theme: str) -> None:
        """A theme picked in the palette is the theme of the next run too."""
        with self.main.guard():
            self.library.remember("theme", theme)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from self.main.key_commands()

    # -- the terminal's size -------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.main.fit_width(event.size.width)
        self._fit(event.size)

    def _fit(self, size: Size) -> None:
        """Below a usable size, a notice instead of every screen's widgets (set before the
        screens are laid out at the new size); above it, everything as it was."""
        small, was = too_small(size), self.has_class(TOO_SMALL)
        if small:
            for notice in self.main.query(TooSmallNotice):  # none before the screen is composed
                notice.show_size(size)
        if small and not was:  # hidden widgets lose the focus: remember where it was
            self._focus_before = [(screen, screen.focused) for screen in self.screen_stack]
        self.set_class(small, TOO_SMALL)
        if was and not small:
            for screen, widget in self._focus_before:
                if widget is not None and widget.is_attached and screen.focused is None:
                    screen.set_focus(widget)
            self._focus_before = []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the terminal is too small, only quitting: nothing acts unseen."""
        return action == "quit" or not self.has_class(TOO_SMALL)

    # -- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        self.main.refreshing.stop()  # a running refresh stops within a tenth of a second
        self.exit()

    async def on_event(self, event: events.Event) -> None:
        """Once the app is ending, the keys and clicks still queued behind the one that ended
        it are dropped: a dialog or the palette opened now would mount on a closing app and
        find none of its widgets (``q`` then ``a`` typed together ended in a traceback)."""
        if self._exit and isinstance(event, events.InputEvent):
            return
        if isinstance(event, events.Key) and self._typed_ahead(event):
            return
        await super().on_event(event)

    def _typed_ahead(self, event: events.Key) -> bool:
        """Give a key typed ahead of a change of focus to the new focus; True if it was.

        Textual hands each key to the widget focused when the key arrives, and runs its
        binding when it comes back up to the app. Keys typed together with one that moves the
        focus (``/``, ``a``, ``h``, Enter) were handed to the old widget before the first
        one's binding ran: back here, they would run the bindings of the new focus (``/ap``
        opened the add dialog with the ``a`` meant for the search). Such a key is read again,
        as if typed now: it goes to the widget that has the focus. A key still on its way
        when the last screen has gone is dropped."""
        if not self.screen_stack:
            return True  # after the last screen: nothing to read it (Textual's would raise)
        target = self.focused or self.screen
        if not event.is_forwarded:
            self._key_targets[event] = target
            return False
        handed = self._key_targets.pop(event, None)
        if handed is None or handed is target:
            return False
        self.post_message(events.Key(event.key, event.character))
        return True

    def on_unmount(self) -> None:
        self.main.refreshing.stop()  # however the app ends, a refresh does not outlive it

    # -- toasts --------------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is sanitised: messages carry source names, URLs and error texts; a
        URL's password is cut out of them."""
        super().notify(
            sanitize(redact_text(message), multiline=True),
            title=sanitize(redact_text(title)),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )
