"""Real and test feed servers for the sync work (issue 14), all on 127.0.0.1.

- :mod:`.feeds`: a loopback feed site (N feeds x M items, each with a loopback icon);
- :mod:`.ttrss`: Debian's Tiny Tiny RSS with its own PostgreSQL;
- :mod:`.coldsweat`: coldsweat (Fever API) from PyPI in its own virtual environment;
- :mod:`.greader`: a Google Reader API test server (FreshRSS and Miniflux dialects);
- :mod:`.miniflux`: a Miniflux REST API test server;
- :mod:`.newsboat`: newsboat as a reference client of Tiny Tiny RSS;
- :mod:`.fixtures`: the pytest fixtures over all of them.

See README.md beside this file.
"""

from ._common import ServerUnavailable, unavailable

__all__ = ["ServerUnavailable", "unavailable"]
