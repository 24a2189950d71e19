"""The sources as the sidebar groups them: each server account with its categories and their
feeds, local sources under their OPML folders (nested on "/"), each group with its unread
and total counts. Pure: made from the sources (and accounts) the Library lists, so that the
sidebar can make it again from what it has on screen when only some counts changed.

:func:`source_tree` gives the whole tree; :meth:`SourceTree.rows` the lines to draw, in
order, with their depth, leaving out what a collapsed group holds."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from streamtui.core.models import Account, Source


@dataclass(slots=True)
class Group:
    """A folder, an account, or an account's category."""

    key: str
    """Stable across redraws: ``folder:A/B``, ``account:3``, ``account:3/News``."""
    title: str
    account: Account | None = None
    """Set on an account's own group."""
    groups: list[Group] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(s.unread for s in self.sources) + sum(g.unread for g in self.groups)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sources) + sum(g.total for g in self.groups)

    @property
    def error(self) -> str:
        """An account's last sync error (one line), else ""."""
        return self.account.last_error if self.account is not None else ""

    def child(self, key: str, title: str) -> Group:
        for group in self.groups:
            if group.key == key:
                return group
        made = Group(key, title)
        self.groups.append(made)
        return made


@dataclass(frozen=True, slots=True)
class TreeRow:
    """One line of the sidebar below "All" and "Starred": a group or a source."""

    depth: int
    group: Group | None = None
    source: Source | None = None

    @property
    def key(self) -> str:
        """The option's id: ``group:<key>`` or the source's number."""
        if self.group is not None:
            return f"group:{self.group.key}"
        assert self.source is not None
        return str(self.source.id)


@dataclass(slots=True)
class SourceTree:
    """Local sources outside any folder, then folders, then accounts."""

    root: Group = field(default_factory=lambda: Group("", ""))

    @property
    def grouped(self) -> bool:
        """Whether any group is there (without one, the sidebar is the flat list it was)."""
        return bool(self.root.groups)

    def rows(self, collapsed: Collection[str] = ()) -> list[TreeRow]:
        """The lines to draw; what a group in ``collapsed`` (keys) holds is left out."""
        found: list[TreeRow] = []

        def walk(group: Group, depth: int) -> None:
            found.extend(TreeRow(depth, source=s) for s in group.sources)
            for child in group.groups:
                found.append(TreeRow(depth, group=child))
                if child.key not in collapsed:
                    walk(child, depth + 1)

        walk(self.root, 0)
        return found

    def groups(self) -> Iterable[Group]:
        """Every group, parents before children."""
        pending = list(self.root.groups)
        while pending:
            group = pending.pop(0)
            yield group
            pending = group.groups + pending

    def group_of(self, source_id: int) -> list[Group]:
        """The groups that hold a source, outermost first."""
        path: list[Group] = []

        def walk(group: Group) -> bool:
            if any(s.id == source_id for s in group.sources):
                return True
            for child in group.groups:
                path.append(child)
                if walk(child):
                    return True
                path.pop()
            return False

        walk(self.root)
        return path


def source_tree(sources: Sequence[Source], accounts: Sequence[Account] = ()) -> SourceTree:
    """The tree of ``sources`` in their order; ``accounts`` add their errors and show an
    account that has no feed yet (without them, an account's group is made from its feeds'
    ``account`` name)."""
    tree = SourceTree()
    root = tree.root
    known = {account.id: account for account in accounts}
    for account in accounts:
        root.child(f"account:{account.id}", account.name).account = account
    for source in sources:
        if source.account_id is not None:
            account_group = root.child(f"account:{source.account_id}", source.account)
            account_group.account = known.get(source.account_id, account_group.account)
            if source.folder:
                key = f"account:{source.account_id}/{source.folder}"
                account_group.child(key, source.folder).sources.append(source)
            else:
                account_group.sources.append(source)
            continue
        parts = [part for part in source.folder.split("/") if part.strip()]
        if not parts:
            root.sources.append(source)
            continue
        group, path = root, ""
        for part in parts:
            path = f"{path}/{part}" if path else part
            group = group.child(f"folder:{path}", part)
        group.sources.append(source)
    # folders first, by name; then accounts in the order they were added, their categories
    # by name
    root.groups.sort(key=lambda g: (g.key.startswith("account:"), _order(g)))
    for group in root.groups:
        if group.key.startswith("account:"):
            group.groups.sort(key=lambda g: g.title.casefold())
    return tree


def _order(group: Group) -> tuple[str, int]:
    if group.account is not None:
        return "", group.account.id
    if group.key.startswith("account:"):
        return "", int(group.key.split(":")[1].split("/")[0])
    return group.title.casefold(), 0
