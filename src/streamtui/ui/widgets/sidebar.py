"""The sources sidebar: "All", "Starred", then every source with its unread count, grouped
as the Library's tree groups them (core/library/tree.py): each server account with its
categories and feeds, local sources under their OPML folders, each group with its unread
total; Enter (or ``l``) on a group folds or unfolds it. Without any folder or account the
list is flat, as it always was. One module (about 500 lines): drawing every entry, updating a
few and folding groups share the entries' ids and prompts; the tree itself is core's."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any, ClassVar, cast

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.visual import VisualType
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from streamtui.core.library import Group, source_tree
from streamtui.core.models import Account, Source
from streamtui.core.text import redact_text
from streamtui.ui.format import safe

ALL = "all"
STARRED = "starred"
GROUP = "group:"
INDENT = "  "


RENAMING = "gives its items new ids at every fetch"


def _prompt(
    name: str,
    unread: int | None,
    error: str = "",
    renaming: bool = False,
    *,
    depth: int = 0,
    covered: str = "",
) -> Content:
    """Name and unread count (None: not counted yet); a failing source says why on a
    second line, and a feed that renames its items says that (`sources` says more); a feed
    that an account also carries says it is read through the account."""
    if unread is None:
        count = Content("")
    else:
        count = Content.styled(f" {unread}", "bold $accent" if unread else "dim")
    flag = Content.styled(" !", "bold $error") if error else Content("")
    if renaming and not error:
        flag = Content.styled(" ~", "bold $warning")
    if covered and not error:
        flag = Content.styled(" =", "bold $warning")
    indent = INDENT * depth
    prompt = Content.assemble(indent, safe(name), flag, count)
    if error:
        shown = safe(redact_text(error))  # errors quote URLs: never with a password
        prompt = Content.assemble(prompt, "\n", indent, shown.stylize("$error"))
    elif covered:
        note = safe(f"read through account {covered!r}").stylize("$warning")
        prompt = Content.assemble(prompt, "\n", indent, note)
    elif renaming:
        prompt = Content.assemble(prompt, "\n", indent, Content.styled(RENAMING, "$warning"))
    return prompt


def _group_prompt(
    group: Group, depth: int, folded: bool, counted: bool, status: str = "", width: int = 0
) -> Content:
    """A group's line: folded or not, its name, its unread total; below it, an account's
    one line: what it is doing (``status``: syncing, sending marks), else its last error
    (then how many changes wait to be sent), cut to ``width`` cells (0: not cut) so that it
    stays one line (the whole of it: the toast of ``r``, ``streamtui account list``)."""
    mark = "▸ " if folded else "▾ "
    count = (
        Content.styled(f" {group.unread}", "bold $accent" if group.unread else "dim")
        if counted
        else Content("")
    )
    style = "bold $secondary" if group.account is not None else "bold"
    flag = Content.styled(" !", "bold $error") if group.error else Content("")
    indent = INDENT * depth
    prompt = Content.assemble(indent, mark, safe(group.title).stylize(style), flag, count)
    room = max(8, width - len(indent + INDENT)) if width else 0
    if status:
        shown = safe(status).stylize("italic $accent")
    elif group.error:
        line = group.error.removeprefix(f"{group.title}: ")  # said just above
        waiting = group.account.pending if group.account is not None else 0
        if waiting:  # after the reason: a narrow sidebar cuts this first
            line = f"{line} · {waiting} to send"
        shown = safe(redact_text(line)).stylize("$error")  # never a password, however it came
    else:
        return prompt
    if room and shown.cell_length > room:
        shown = shown.truncate(room, ellipsis=True)
    return Content.assemble(prompt, "\n", indent, INDENT, shown)


def _starred_prompt(count: int) -> Content:
    return Content.assemble(
        ("★ ", "$warning"), "Starred", Content.styled(f" {count}", "bold" if count else "dim")
    )


class SourcesSidebar(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="sources.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sources.up"),
        Binding("l", "select", "Show", show=False, id="sources.open"),
        Binding("d", "remove", "Remove source", id="sources.remove"),
        Binding("e", "rename", "Rename source", id="sources.rename"),
    ]

    class Chosen(Message):
        def __init__(self, source_id: int | None, *, starred: bool = False) -> None:
            super().__init__()
            self.source_id = source_id
            self.starred = starred

    class RemoveRequested(Chosen):
        """The user asked to remove the highlighted source (the app confirms first)."""

    class RenameRequested(Chosen):
        pass

    class AccountRemoveRequested(Message):
        """``d`` on an account's own line: remove the account from this reader."""

        def __init__(self, account: Account) -> None:
            super().__init__()
            self.account = account

    class GroupToggled(Message):
        """A group (an account, a category, a folder) was folded or unfolded."""

        def __init__(self, key: str, folded: bool) -> None:
            super().__init__()
            self.key = key
            self.folded = folded

    def __init__(self, *options: Option, **settings: Any) -> None:
        super().__init__(*options, **settings)
        self._unread: dict[int, int] = {}
        """Each shown source's unread count, for the "All" total."""
        self._sources: dict[int, Source] = {}
        self._accounts: list[Account] = []
        self._grouped = False
        self.folded: set[str] = set()
        """The keys of the groups folded (kept across redraws)."""
        self.counted = False
        """The unread counts are shown (they follow the first drawing)."""
        self.updates = 0
        """Updates of a few entries so far (a refresh's flushes): counts read on a worker
        before the last one are older than what it drew."""
        self.starred = 0
        """The number of starred items shown."""
        self._drawn_accounts: set[int] = set()
        """The accounts whose groups the last full drawing holds."""
        self.status: dict[int, str] = {}
        """What each account is doing now ("syncing…"), by account id: shown on its line
        in place of its last error."""

    def _highlighted_source(self) -> int | None:
        option_id = self.highlighted_id()
        if option_id in (None, ALL, STARRED) or option_id.startswith(GROUP):
            return None
        return int(option_id)

    def _replace_option_prompt(self, index: int, prompt: VisualType) -> None:
        """A new prompt for one entry. Textual's OptionList forgets every entry's height and
        measures all of them again on the next frame (26-37 ms at 1,200 sources, at every
        update of a few counts during a refresh); an entry whose prompt keeps its height
        (a count changed) keeps the others' heights: only the drawn lines are made again.
        Textual is pinned exactly: these are its internals (tests/ui/test_sidebar_lines.py)."""
        option = self.get_option_at_index(index)
        before = self._line_cache.heights.get(index)
        option._set_prompt(prompt)
        if before is None or option._divider:
            self._clear_caches()
            return
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        rules = cast(RulesMap, self.styles)
        after = self._get_visual(option).get_height(rules, width - padding.width)
        if after != before:
            self._clear_caches()
            return
        cache = self._option_render_cache
        for key in [key for key in list(cache.keys()) if key[0] is option]:
            cache.discard(key)  # this entry's drawn lines only
        line = self._line_cache.index_to_line.get(index)
        if line is None:
            self.refresh()
        else:  # its own lines on the screen, not the whole list's
            self.refresh_lines(line, before)

    def highlighted_id(self) -> str | None:
        """The id of the highlighted entry ("all", "starred", "group:<key>" or a source's
        number)."""
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def highlight(self, option_id: str) -> None:
        """Move the highlight to an entry, if it is there."""
        with suppress(OptionDoesNotExist):
            self.highlighted = self.get_option_index(option_id)

    def action_remove(self) -> None:
        source_id = self._highlighted_source()
        if source_id is not None:
            self.post_message(self.RemoveRequested(source_id))
            return
        option_id = self.highlighted_id() or ""
        here = self.highlighted_account()
        if here is not None and "/" not in option_id.removeprefix(GROUP + "account:"):
            self.post_message(self.AccountRemoveRequested(here[0]))  # its own line

    def action_rename(self) -> None:
        source_id = self._highlighted_source()
        if source_id is not None:
            self.post_message(self.RenameRequested(source_id))

    def show_sources(
        self,
        sources: list[Source],
        selected: int | None,
        *,
        starred: int = 0,
        on_starred: bool = False,
        counted: bool = True,
        accounts: Sequence[Account] | None = None,
    ) -> None:
        """ "All", "Starred" (with how many), then every source, grouped; ``selected``
        highlighted. Without ``counted`` the unread counts are left out (they follow).
        ``accounts`` (Library.accounts()) give each account's group its error line and show
        an account with no feed yet; without them the last ones given stay."""
        wanted = STARRED if on_starred else ALL if selected is None else str(selected)
        if self._same_shape(sources, counted, accounts, wanted):
            self._redraw_changed(sources, starred)
            return
        if accounts is not None:
            self._accounts = list(accounts)
        self._unread = {source.id: source.unread for source in sources}
        self._sources = {source.id: source for source in sources}
        self._grouped = bool(self._accounts) or any(
            s.folder or s.account_id is not None for s in sources
        )
        self.counted, self.starred = counted, starred
        self._draw(wanted)

    def _same_shape(
        self,
        sources: list[Source],
        counted: bool,
        accounts: Sequence[Account] | None,
        wanted: str,
    ) -> bool:
        """Whether the sidebar already holds these entries, in this order, with the same
        highlight: only what they show (counts, errors) may differ."""
        if not (counted and self.counted and self.option_count):
            return False
        if accounts is not None and list(accounts) != self._accounts:
            return False
        if self.highlighted_id() != wanted or len(sources) != len(self._sources):
            return False
        return all(
            _shape(new) == _shape(old)
            for new, old in zip(sources, self._sources.values(), strict=True)
        )

    def _redraw_changed(self, sources: list[Source], starred: int) -> None:
        """Draw again the entries whose text changed (a refresh's end read every source
        again: building all 1,200 entries anew took 40 ms at 100k items, and drawing them
        again more, for the few whose counts a running refresh had not drawn yet)."""
        changed = [s for s in sources if _looks(s) != _looks(self._sources[s.id])]
        self._sources = {source.id: source for source in sources}  # the fields not drawn
        if starred != self.starred:
            self.starred = starred
            self.replace_option_prompt(STARRED, _starred_prompt(starred))
        if changed:
            self.update_sources(changed)

    def _draw(self, wanted: str) -> None:
        counted = self.counted
        unread = sum(self._unread.values()) if counted else None
        options = [
            Option(_prompt("All", unread), id=ALL),
            Option(_starred_prompt(self.starred), id=STARRED),
        ]
        tree = source_tree(list(self._sources.values()), self._accounts)
        self._drawn_accounts = {g.account.id for g in tree.root.groups if g.account is not None}
        for row in tree.rows(self.folded):
            if row.group is not None:
                folded = row.group.key in self.folded
                prompt = _group_prompt(
                    row.group,
                    row.depth,
                    folded,
                    counted,
                    self._status_of(row.group),
                    self._width(),
                )
                options.append(Option(prompt, id=row.key))
                continue
            s = row.source
            assert s is not None
            prompt = _prompt(
                s.name,
                s.unread if counted else None,
                s.last_error,
                s.renaming,
                depth=row.depth,
                covered=s.covered,
            )
            options.append(Option(prompt, id=row.key))
        self.set_options(options)
        if not wanted.startswith(GROUP) and wanted not in (ALL, STARRED):
            with suppress(ValueError):  # a source in a folded group: its group instead
                hidden = tree.group_of(int(wanted))
                folded_in = [g for g in hidden if g.key in self.folded]
                if folded_in:
                    wanted = GROUP + folded_in[0].key
        try:
            self.highlighted = self.get_option_index(wanted)
        except Exception:  # the source went away: fall back to All
            self.highlighted = 0

    def update_sources(self, sources: list[Source]) -> None:
        """Redraw the entries of ``sources`` (counted), the totals of the groups that hold
        them and the "All" total, leaving the others as they are."""
        self.updates += 1
        sources = [s for s in sources if s.id in self._sources]  # added since: drawn next time
        for source in sources:
            self._unread[source.id] = source.unread
            self._sources[source.id] = source
        if self._grouped:
            tree = source_tree(list(self._sources.values()), self._accounts)
            depths = {row.key: row.depth for row in tree.rows(self.folded)}
        else:  # the flat list: no tree to make at each key press
            depths = {str(source.id): 0 for source in sources}
        for source in sources:
            key = str(source.id)
            if key in depths:
                with suppress(OptionDoesNotExist):  # added since the sidebar was filled
                    self.replace_option_prompt(
                        key,
                        _prompt(
                            source.name,
                            source.unread,
                            source.last_error,
                            source.renaming,
                            depth=depths[key],
                            covered=source.covered,
                        ),
                    )
        if not self._grouped:
            self.replace_option_prompt(ALL, _prompt("All", sum(self._unread.values())))
            return
        changed = {source.id for source in sources}
        for group in tree.groups():
            key = GROUP + group.key
            if key in depths and _holds(group, changed):
                with suppress(OptionDoesNotExist):
                    self.replace_option_prompt(
                        key,
                        _group_prompt(
                            group,
                            depths[key],
                            group.key in self.folded,
                            True,
                            self._status_of(group),
                            self._width(),
                        ),
                    )
        self.replace_option_prompt(ALL, _prompt("All", sum(self._unread.values())))

    # -- accounts ----------------------------------------------------------------------------

    def _width(self) -> int:
        """The cells a line has (0 before the first layout: nothing is cut then)."""
        return self.scrollable_content_region.width

    def on_resize(self) -> None:
        if self._accounts:  # the accounts' lines are cut to the width
            self.update_accounts()

    def _status_of(self, group: Group) -> str:
        return self.status.get(group.account.id, "") if group.account is not None else ""

    def highlighted_account(self) -> tuple[Account, str | None] | None:
        """The account the highlighted entry belongs to (the account itself, one of its
        categories or one of its feeds) and the category it is in (None: none)."""
        option_id = self.highlighted_id()
        if option_id is None or option_id in (ALL, STARRED):
            return None
        if option_id.startswith(GROUP + "account:"):
            number, _, category = option_id.removeprefix(GROUP + "account:").partition("/")
            account_id, folder = int(number), category or None
        elif option_id.startswith(GROUP):
            return None  # a local folder
        else:
            source = self._sources.get(int(option_id))
            if source is None or source.account_id is None:
                return None
            account_id, folder = source.account_id, source.folder or None
        account = next((a for a in self._accounts if a.id == account_id), None)
        return None if account is None else (account, folder)

    @property
    def accounts(self) -> list[Account]:
        """The accounts last given."""
        return list(self._accounts)

    def update_accounts(self, accounts: Sequence[Account] | None = None) -> None:
        """Redraw the accounts' own lines (their error, their status) with ``accounts``
        (None: the last ones given), leaving every other entry as it is."""
        if accounts is not None:
            self._accounts = list(accounts)
        if {a.id for a in self._accounts} != self._drawn_accounts:  # one came or went:
            self._grouped = bool(self._accounts) or self._grouped  # every line moves
            self._draw(self.highlighted_id() or ALL)
            return
        if not self._accounts:  # nothing to redraw
            return
        tree = source_tree(list(self._sources.values()), self._accounts)
        for group in tree.root.groups:
            if group.account is None:
                continue
            with suppress(OptionDoesNotExist):
                self.replace_option_prompt(
                    GROUP + group.key,
                    _group_prompt(
                        group,
                        0,
                        group.key in self.folded,
                        self.counted,
                        self._status_of(group),
                        self._width(),
                    ),
                )

    def set_status(self, account_ids: Sequence[int], status: str) -> None:
        """Show what these accounts are doing ("": done; their error shows again)."""
        if not account_ids:
            return
        for account_id in account_ids:
            if status:
                self.status[account_id] = status
            else:
                self.status.pop(account_id, None)
        self.update_accounts()

    def shown(self, source_id: int) -> Source | None:
        """The source an entry shows (None: not in the sidebar)."""
        return self._sources.get(source_id)

    def unread(self, source_id: int | None) -> int:
        """The unread count shown for a source, or for all of them."""
        if source_id is None:
            return sum(self._unread.values())
        return self._unread.get(source_id, 0)

    def update_starred(self, count: int) -> None:
        """Redraw the "Starred" entry with ``count``."""
        self.starred = count
        self.replace_option_prompt(STARRED, _starred_prompt(count))

    def toggle_group(self, key: str) -> None:
        """Fold or unfold a group (``key`` without the "group:" of its option id); the
        highlight stays on it."""
        folded = key not in self.folded
        if folded:
            self.folded.add(key)
        else:
            self.folded.discard(key)
        self._draw(GROUP + key)
        self.post_message(self.GroupToggled(key, folded))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id
        if option_id is not None and option_id.startswith(GROUP):
            self.toggle_group(option_id.removeprefix(GROUP))
        elif option_id == STARRED:
            self.post_message(self.Chosen(None, starred=True))
        else:
            self.post_message(self.Chosen(None if option_id in (None, ALL) else int(option_id)))


def _shape(source: Source) -> tuple[object, ...]:
    """What places a source's entry in the sidebar (its group, its order)."""
    return (source.id, source.name, source.folder, source.account_id, source.account)


def _looks(source: Source) -> tuple[object, ...]:
    """What a source's entry shows."""
    return (source.name, source.unread, source.last_error, source.renaming, source.covered)


def _holds(group: Group, source_ids: set[int]) -> bool:
    return any(s.id in source_ids for s in group.sources) or any(
        _holds(child, source_ids) for child in group.groups
    )
