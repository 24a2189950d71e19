"""Small modal dialogs: add a source, confirm, ask for a name."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from streamtui.core.errors import StreamtuiError
from streamtui.core.models import Source
from streamtui.core.text import excerpt, mask_passwords, redact_text, redact_url, sanitize
from streamtui.ui.format import safe

AddSource = Callable[[str, str | None], tuple[Source, int]]
"""Adds a source from a URL or path and an optional name; returns it and its item count
(PASSWORD_UPDATED when the URL, with a password, was a feed already there). Raises
StreamtuiError (FeedChoiceError carries ``choices`` for a page that links feeds)."""
PASSWORD_UPDATED = -1


class UrlInput(Input):
    """A text field for a URL that never shows the password in it: each of its characters is
    drawn as a dot (the value, the cursor and editing are unchanged)."""

    @property
    def _value(self) -> Text:
        text = Text(mask_passwords(self.value), no_wrap=True, overflow="ignore", end="")
        return self.highlighter(text) if self.highlighter is not None else text


ADD_HINT = (
    "A feed URL or feed file (RSS, Atom, RDF, JSON Feed), a web "
    "page that links feeds, or a folder of stream pages or one page."
)


class AddSourceScreen(ModalScreen[Source | None]):
    """Paste a feed URL or a path; it is fetched and parsed before it is saved. Also asks for
    a feed to add through a server account (``title`` and ``hint`` say which; ``named``
    False: the server names its feeds)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(
        self,
        add: AddSource,
        undo: Callable[[Source], None],
        *,
        title: Content | None = None,
        hint: str = ADD_HINT,
        named: bool = True,
    ) -> None:
        super().__init__()
        self._add = add
        self._undo = undo
        self._title = title or Content.styled("Add a source", "bold")
        self._hint = hint
        self._named = named
        self._busy = False
        self._cancelled = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title)
            yield Static(Content.styled(self._hint, "dim"))
            yield UrlInput(placeholder="https://example.org/feed.xml", id="target")
            yield Input(placeholder="Name (optional)", id="name")
            yield LoadingIndicator(id="busy")
            yield Static("", id="message", markup=False)
            yield OptionList(id="choices")
            with Horizontal(id="buttons"):
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.query_one("#choices").display = False
        self.query_one("#name").display = self._named
        self.query_one("#target", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#add")
    def submit(self) -> None:
        target = self.query_one("#target", Input).value.strip()
        if not target:
            self._say("Type a feed URL or a path first.", error=True)
            return
        self._start(target)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close; a fetch still running is abandoned and whatever it adds is taken back."""
        self._cancelled = True
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.query_one("#target", Input).value = event.option.id
            self._start(event.option.id)

    def _start(self, target: str) -> None:
        if self._busy:  # one fetch at a time: a second Enter does not fetch again
            return
        self._busy = True
        name = self.query_one("#name", Input).value.strip() or None
        self.query_one("#busy").display = True
        self.query_one("#add", Button).disabled = True
        self._say(f"Fetching {excerpt(redact_url(target))}…")  # the input may hold a password
        self._run(target, name)

    @work(thread=True, exclusive=True, group="add-source")
    def _run(self, target: str, name: str | None) -> None:
        try:
            source, count = self._add(target, name)
        except StreamtuiError as error:
            choices = getattr(error, "choices", None)
            self.app.call_from_thread(self._failed, str(error), choices)
        except Exception as error:  # shown, never a traceback
            self.app.call_from_thread(self._failed, f"internal error: {error}", None)
        else:
            if self._cancelled:
                if count != PASSWORD_UPDATED:  # that source was there before: it stays
                    self._undo(source)
                return
            self.app.call_from_thread(self._done, source, count)

    def _done(self, source: Source, count: int) -> None:
        if self._cancelled:
            if count != PASSWORD_UPDATED:
                self._undo(source)
            return
        if count == PASSWORD_UPDATED:
            self.app.notify(f"Password updated for {source.name}.", markup=False, timeout=4)
        else:
            self.app.notify(f"Added {source.name} ({count} items).", markup=False, timeout=4)
        self.dismiss(source)

    def _failed(self, message: str, choices: list[tuple[str, str]] | None) -> None:
        self._busy = False
        if self._cancelled:
            return
        self.query_one("#busy").display = False
        self.query_one("#add", Button).disabled = False
        listing = self.query_one("#choices", OptionList)
        listing.clear_options()
        if choices:
            self._say("This is a web page, not a feed. It links these feeds; pick one:")
            listing.add_options(
                Option(
                    Content.assemble(
                        safe(title or "feed"), "  ", (safe(redact_url(url)).plain, "dim")
                    ),
                    id=url,
                )
                for title, url in choices
            )
            listing.display = True
            listing.highlighted = 0
            listing.focus()
        else:
            listing.display = False
            self._say(message, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        shown = safe(redact_text(text))  # every line of the dialog: never a password
        content = shown.stylize("$error") if error else shown
        self.query_one("#message", Static).update(content)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "dismiss(False)", "No", id="confirm.no"),
        Binding("y", "dismiss(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: Content) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._question)
            with Horizontal(id="buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class NameScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="name.cancel"),
    ]

    def __init__(self, title: Content, value: str) -> None:
        super().__init__()
        self._title = title
        self._value = sanitize(value)  # the stored name, drawn in the input

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title)
            yield Input(value=self._value, id="value")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
