"""Subscription lists: importing an OPML file or a list of URLs, exporting OPML."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamtui.core.credentials import Credential, login_from_url
from streamtui.core.errors import DuplicateSourceError, FileReadError, SourceError, StreamtuiError
from streamtui.core.files import STDIN, read_input
from streamtui.core.library.base import LibraryBase
from streamtui.core.models import NewSource, Source, SourceKind
from streamtui.core.text.redact import without_login
from streamtui.core.text.sanitize import excerpt, sanitize
from streamtui.core.urls import feed_identity

MAX_IMPORT_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class ImportReport:
    added: list[Source] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)


class SubscriptionsPart(LibraryBase):
    """Importing and exporting the list of feeds."""

    def import_subscriptions(self, path: str) -> ImportReport:
        """Add every http(s) feed of an OPML file or URL list; they are fetched on refresh.
        ``path`` may be a pipe, or ``-`` for standard input."""
        from streamtui.core.sources.feedurl import check_url
        from streamtui.core.sources.opml import read_subscriptions

        try:
            data = read_input(path, max_bytes=MAX_IMPORT_BYTES)
        except FileReadError as error:
            raise SourceError(error.path, error.reason) from error
        shown = "standard input" if path == STDIN else excerpt(path)
        listing = read_subscriptions(data, name=shown)
        report = ImportReport(
            duplicates=listing.duplicates,
            rejected=[f"{r.entry}: {r.reason}" for r in listing.rejected],
        )
        wanted: list[NewSource] = []
        logins: dict[str, Credential] = {}
        for subscription in listing.subscriptions:
            try:
                url, login = login_from_url(check_url(subscription.url))
            except SourceError as error:
                report.rejected.append(str(error))
                continue
            name = sanitize(subscription.title) or urlsplit(without_login(url)).netloc
            wanted.append(
                NewSource(name, SourceKind.FEED, url, subscription.folder, login=login is not None)
            )
            if login is not None:
                logins[url] = login
        # One transaction: names made unique and subscriptions compared with what is stored
        # as they are saved (two imports at once both complete), each in constant time.
        for added in self.store.add_sources(wanted, identity=feed_identity):
            if isinstance(added, DuplicateSourceError):
                report.duplicates += 1  # a stored feed keeps its own password
            else:
                report.added.append(added)
        self._keep_logins([s for s in report.added if s.location in logins], logins)
        return report

    def _keep_logins(self, added: list[Source], logins: dict[str, Credential]) -> None:
        """Store the passwords of feeds just added; when the credential store cannot keep
        them, those feeds go again (a feed must never stay without the password it needs)."""
        try:
            for source in added:
                self.credentials.put("feed", source.key, logins[source.location])
        except StreamtuiError:
            for source in added:
                self.credentials.delete("feed", source.key)
                self.store.remove_source(source.id)
            raise

    def export_subscriptions(self) -> str:
        """OPML of every feed, by its stored location: never a password (those stay in the
        credential store; see :meth:`passwords_left_out`)."""
        from streamtui.core.sources.opml import Subscription, write_opml

        feeds = sorted(
            (s for s in self.store.sources() if s.kind is SourceKind.FEED),
            key=lambda s: (s.folder, s.name.casefold()),
        )  # one outline per folder
        return write_opml(Subscription(s.location, s.name, s.folder) for s in feeds)

    def passwords_left_out(self) -> int:
        """How many feeds have a password that an export leaves out."""
        sources = self.store.sources(counted=False)
        return sum(1 for s in sources if s.kind is SourceKind.FEED and s.login)
