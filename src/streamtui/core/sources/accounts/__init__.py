"""Server accounts (Tiny Tiny RSS, Miniflux, Google Reader API servers, Fever) as one more
kind of source in the refresh pipeline (issue 14):

- reader.py: the pipeline's reader of account feeds; it syncs each account once
- sync.py: one sync of one account: its feeds, what is new there, every id's state when
  needed, then the marks queued here (core/sync speaks each server's API)
- items.py: a page of a server's items read as a JSON Feed by the feed parser
- lock.py: one sync of an account at a time, across threads and processes
"""
