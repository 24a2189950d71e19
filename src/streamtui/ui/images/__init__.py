"""Images in the article pane (issue 16): decoded off the UI thread, drawn as half blocks.

- decode.py: image bytes -> a :class:`~streamtui.ui.images.decode.Picture` scaled to the pane,
  within byte, format and decoded-pixel caps (the one module that imports Pillow, on first use)
- blocks.py: a Picture as lines of Rich segments, two pixels a cell (``▀``)
- terminal.py: the ``images`` setting ("auto", "off", "blocks") resolved for this terminal:
  Kitty graphics, Sixel, half blocks or off

Importing this package imports none of them: the app starts without Pillow.
"""
