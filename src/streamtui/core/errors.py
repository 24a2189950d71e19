"""Typed errors. Each names the thing at fault and the reason, ready to show to a user."""

from __future__ import annotations


class StreamtuiError(Exception):
    """Base class: str(error) is a complete one-line message."""


class SourceError(StreamtuiError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class FileReadError(StreamtuiError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(StreamtuiError):
    """The database could not be opened or written."""


class UnknownSourceError(StreamtuiError):
    pass


class UnknownItemError(StreamtuiError):
    pass
