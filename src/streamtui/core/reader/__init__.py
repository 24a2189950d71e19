"""Reading the whole story: full articles from web pages, page fetches, enclosure downloads and
the media player (issue 16).

- extract.py: a fetched page's bytes -> the article as clean HTML and its title, or one line
  saying why not (not HTML, too large, a paywall stub, empty, not an article)
- page.py: fetching an article page (or an image) with the feed fetch limits, refusing what is
  not what was asked for before its body is read
- download.py: an enclosure downloaded into a folder, resumable, with progress
- player.py: the configured player's argv for a file or URL, and whether it needs the terminal

Nothing here imports Textual or Rich; the heavy parts (lxml, readability, httpx) are imported
where they are used.
"""
