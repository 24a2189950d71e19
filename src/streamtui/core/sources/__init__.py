"""Where stories come from: every kind of source, read or fetched, then parsed.

- pages.py: stream pages (the stream text format) and folders of them, the bundled guide
- feedfile.py: a feed file on disk, told by its content, and ``file:`` URLs
- feedurl.py: a feed URL being added (checked, fetched, recognised, parsed)
- opml.py: subscription lists in (OPML or a URL a line) and out
- accounts/: where server accounts (Tiny Tiny RSS, Miniflux...) will go
"""
