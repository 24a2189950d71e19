"""What the user types to search, made into a safe FTS5 query and the words to mark.

The index itself (store/search.py) folds case and diacritics; these rules decide which words a
query holds, which of them must also appear as typed (``c++``), and which the list marks.
"""

from __future__ import annotations

import re

MAX_WORDS = 32
"""Words of a query beyond this many are ignored (a pasted paragraph is not a search)."""

_WORD = re.compile(r"[^\W_]+")
"""The tokenizer's word characters, near enough: letters and digits (``_`` separates)."""
_LITERAL = re.compile(r"(?:\.[A-Za-z0-9]+|[A-Za-z0-9]+[+#]+)")
"""A word whose symbols the tokenizer drops but which name something: ``c++``, ``c#``,
``f#``, ``.net``. To the index ``c++`` is the word ``c``, so each must also appear as typed."""


def match_expression(text: str) -> str | None:
    """The FTS5 query for what the user typed, or None when it asks for nothing.

    Every whitespace-separated word becomes a quoted string, so FTS5 syntax typed by the user
    (``"``, ``*``, ``-``, ``:``, ``^``, ``NEAR``, ``AND``, parentheses) is only text, and a
    word with inner punctuation (``foo-bar``, ``don't``) is a phrase of its parts. All words
    must match. The last word is a prefix, so results come as the user types, unless the text
    ends with a space (the word is finished). Words without a letter or digit are dropped:
    they hold no token, and an empty phrase would match nothing at all.
    """
    text = text.replace("\x00", " ")  # FTS5 ends a string at NUL: "unterminated string"
    words = [chunk for chunk in text.split() if _WORD.search(chunk)]
    if not words:
        return None
    phrases = ['"' + word.replace('"', '""') + '"' for word in words[:MAX_WORDS]]
    # "c++" and "c#" end their word: "c" is the whole of it, not the start of every c-word.
    finished = words[-1].endswith(("+", "#"))
    if len(words) <= MAX_WORDS and text.endswith(words[-1]) and not finished:
        phrases[-1] += " *"
    return " ".join(phrases)


def literals(text: str) -> list[str]:
    """The words of a query that must also appear as typed, symbols included (lower-cased,
    ASCII only, so SQLite's lower() agrees): ``c++`` must not find every item with "c".
    The store checks them on the matches of :func:`match_expression` with instr()."""
    words = text.replace("\x00", " ").split()[:MAX_WORDS]
    return list(dict.fromkeys(w.lower() for w in words if _LITERAL.fullmatch(w)))


def terms(text: str) -> list[str]:
    """The words of a query to mark in titles, lower-cased, each once, in typed order.

    A match starts a word of the title with a term (the last one may be a prefix). Diacritics
    are not folded here: "cafe" also finds "Café" but marks only "cafe".
    """
    seen: dict[str, None] = {}
    for chunk in text.split()[:MAX_WORDS]:
        for word in _WORD.findall(chunk):
            seen.setdefault(word.lower())
    return list(seen)
