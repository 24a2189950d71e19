"""Fetching feeds over HTTP: the only way streamtui talks to the network.

- client.py: one fetch (limits, redirects checked by hand, credentials to their own origin)
- body.py: the body read within its cap, gzip and deflate inflated step by step
- many.py: many fetches at once, bounded, each result as it completes; the Fetcher a
  refresh is given (HttpFetcher, or a test's fake)
- errors.py: FetchError and the user's words for every failure
"""

from streamtui.core.fetch.client import (
    USER_AGENT,
    Conditional,
    Fetched,
    Limits,
    fetch,
    fetch_one,
    new_client,
)
from streamtui.core.fetch.errors import FetchError, FetchErrorKind
from streamtui.core.fetch.many import Fetcher, HttpFetcher, fetch_all

__all__ = [
    "USER_AGENT",
    "Conditional",
    "FetchError",
    "FetchErrorKind",
    "Fetched",
    "Fetcher",
    "HttpFetcher",
    "Limits",
    "fetch",
    "fetch_all",
    "fetch_one",
    "new_client",
]
