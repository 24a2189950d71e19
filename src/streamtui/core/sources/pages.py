"""The stream text format (``docs/stream-format.md``): parse pages, load folder sources.

A page is a lead article and, after a "More from this stream" line, teasers. Structure is
carried by lines and blank lines alone. Item ids come from the source, the file's path
relative to the source root and the normalised title, so they survive re-reads, new files
beside the page and edits to the body.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from streamtui.core import dates
from streamtui.core.errors import FileReadError, SourceError
from streamtui.core.files import display_path, iter_stream_files, read_text
from streamtui.core.models import SUMMARY_CHARS, Item, LoadProblem, LoadResult
from streamtui.core.text.sanitize import sanitize

MARKER = "more from this stream"
_ELLIPSES = ("...", "…")
_BLANK = re.compile(r"\s*")


@dataclass(frozen=True, slots=True)
class Teaser:
    title: str
    summary: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    paragraphs: tuple[str, ...]
    teasers: tuple[Teaser, ...]
    has_lead: bool = True


def parse_page(text: str) -> Page:
    """Parse one stream page. Never fails: an empty page is an empty lead item."""
    lines = [sanitize(line) for line in sanitize(text, multiline=True).split("\n")]
    runs_before, runs_after, has_marker = _split_at_marker(lines)
    if runs_before:
        first = runs_before[0]
        title = first[0]
        rest = [first[1:], *runs_before[1:]] if len(first) > 1 else runs_before[1:]
        paragraphs = tuple(" ".join(run) for run in rest if run)
        lead = True
    else:
        title, paragraphs = "", ()
        # A page that opens with the marker has no lead article, only teasers.
        lead = not has_marker
    return Page(title, paragraphs, _teasers(runs_after), has_lead=lead)


def _split_at_marker(lines: list[str]) -> tuple[list[list[str]], list[list[str]], bool]:
    before: list[list[str]] = []
    after: list[list[str]] = []
    target, marker_seen = before, False
    current: list[str] = []
    for line in lines:
        if not marker_seen and line.casefold() == MARKER:
            if current:
                target.append(current)
            target, marker_seen, current = after, True, []
        elif line:
            current.append(line)
        elif current:
            target.append(current)
            current = []
    if current:
        target.append(current)
    return before, after, marker_seen


def _teasers(runs: list[list[str]]) -> tuple[Teaser, ...]:
    """Each teaser is a title line and its text: the rest of its run, else the next run.

    A title with no text is recognisable only at the end of the block (the format says so);
    guessing from punctuation misreads a text line such as "Photos of the week" as a title.
    """
    teasers: list[Teaser] = []
    index = 0
    while index < len(runs):
        run = runs[index]
        title, text = run[0], " ".join(run[1:])
        index += 1
        if not text and index < len(runs):
            text = " ".join(runs[index])
            index += 1
        teasers.append(Teaser(title, text, text.endswith(_ELLIPSES)))
    return tuple(teasers)


def normalize_title(title: str) -> str:
    """The form titles are compared and identified in: NFC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", title).casefold().split())


def item_id(source_key: str, relpath: str, title: str) -> str:
    key = "\x00".join((source_key, relpath, normalize_title(title)))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:20]


@dataclass(slots=True)
class _Parsed:
    relpath: str
    page: Page
    published: datetime
    encoding: str


def load_source(source_key: str, location: Path, *, unless: str | None = None) -> LoadResult | None:
    """Load a folder or a single stream file as a source's items.

    ``source_key`` scopes the ids (a path or ``bundled:``). Unreadable files of a folder
    become problems; the source itself failing (missing, not a folder or file, or a
    single-file source that cannot be read) raises SourceError. When ``unless`` equals the
    source's fingerprint (from ``stat`` alone) nothing changed and None is returned without
    reading a file.
    """
    shown = display_path(location)
    single = not location.is_dir()
    if not single:
        root, candidates = location, list(iter_stream_files(location))
    elif location.exists():
        root, candidates = location.parent, [location]
    else:
        raise SourceError(shown, "no such file or folder")
    fingerprint = _fingerprint(root, candidates)
    if unless is not None and fingerprint == unless:
        return None
    pages: list[_Parsed] = []
    problems: list[LoadProblem] = []
    for candidate in candidates:
        if isinstance(candidate, FileReadError):
            problems.append(LoadProblem(candidate.path, candidate.reason))
            continue
        relpath = candidate.relative_to(root).as_posix()
        try:
            info = os.stat(candidate)
            text, encoding = read_text(candidate, root)
        except FileReadError as error:
            problems.append(LoadProblem(display_path(relpath), error.reason))
            continue
        except OSError as error:
            problems.append(LoadProblem(display_path(relpath), str(error.strerror).lower()))
            continue
        published = dates.from_stamp(info.st_mtime)  # touch -d 9999: in range
        pages.append(_Parsed(relpath, parse_page(text), published, encoding))
    if single and problems:
        raise SourceError(shown, problems[0].reason)
    items = _items(source_key, pages)
    return LoadResult(tuple(items), tuple(problems), fingerprint)


def _fingerprint(root: Path, candidates: list[Path | FileReadError]) -> str:
    """Names, sizes and modification times of every candidate file: cheap to take, and
    different whenever a file is added, removed, renamed or written."""
    digest = hashlib.sha256()
    for candidate in candidates:
        if isinstance(candidate, FileReadError):
            entry = f"!{candidate.path}"
        else:
            try:
                info = os.stat(candidate)
                stamp = f"{info.st_mtime_ns}\x00{info.st_size}\x00{info.st_ino}"
            except OSError as error:
                stamp = f"!{error.errno}"
            entry = f"{candidate.relative_to(root).as_posix()}\x00{stamp}"
        digest.update(entry.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def _items(source_key: str, pages: list[_Parsed]) -> list[Item]:
    """Turn parsed pages into items: leads first claim their titles, then teasers."""
    leads: dict[str, Item] = {}
    aliases: dict[str, list[str]] = {}
    ordered: list[str] = []
    by_id: dict[str, Item] = {}
    for parsed in pages:
        page = parsed.page
        if not page.has_lead:
            continue
        lead = Item(
            id=item_id(source_key, parsed.relpath, page.title),
            title=page.title,
            summary=_summary(page.paragraphs),
            body="\n\n".join(page.paragraphs),
            published=parsed.published,
            path=display_path(parsed.relpath),
            encoding=parsed.encoding,
        )
        leads.setdefault(normalize_title(page.title), lead)
        by_id[lead.id] = lead
        ordered.append(lead.id)
    for parsed in pages:
        for teaser in parsed.page.teasers:
            own_id = item_id(source_key, parsed.relpath, teaser.title)
            normal = normalize_title(teaser.title)
            if normal in leads:
                # The same story again; the same teaser twice on one page is no alias.
                if leads[normal].id != own_id:
                    aliases.setdefault(leads[normal].id, []).append(own_id)
                continue
            item = Item(
                id=own_id,
                title=teaser.title,
                summary=teaser.summary,
                body="",
                published=parsed.published,
                teaser=True,
                truncated=teaser.truncated,
                path=display_path(parsed.relpath),
                encoding=parsed.encoding,
            )
            # Later pages teasing the same story point at this first teaser.
            leads[normal] = item
            by_id[own_id] = item
            ordered.append(own_id)
    return [_with_aliases(by_id[item_id_], aliases) for item_id_ in _page_order(ordered, by_id)]


def _page_order(ordered: list[str], by_id: dict[str, Item]) -> list[str]:
    """Items in page order: each page's lead, then that page's teasers."""
    rank = {item_id_: position for position, item_id_ in enumerate(ordered)}
    return sorted(ordered, key=lambda i: (by_id[i].path, by_id[i].teaser, rank[i]))


def _with_aliases(item: Item, aliases: dict[str, list[str]]) -> Item:
    extra = aliases.get(item.id)
    return replace(item, aliases=tuple(dict.fromkeys(extra))) if extra else item


def _summary(paragraphs: tuple[str, ...]) -> str:
    if not paragraphs:
        return ""
    first = paragraphs[0]
    if len(first) <= SUMMARY_CHARS:
        return first
    return first[: SUMMARY_CHARS - 1].rstrip() + "…"
