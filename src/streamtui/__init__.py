"""streamtui: a keyboard-driven terminal newsreader."""

import sys

__version__ = "0.1.0"

# httpx's package imports its own command-line tool (click, rich and pygments: about 50 ms of
# CPU before a refresh's first request) whenever click is installed beside it; streamtui never
# runs that tool. A None entry makes that one import fail, which httpx expects and handles.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
