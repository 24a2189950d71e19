"""Images in the article pane (issue 16): decoded off the UI thread, drawn as Kitty graphics'
Unicode placeholders or as Sixel where the terminal draws them, as half blocks elsewhere.

- decode.py: image bytes -> a :class:`~streamtui.ui.images.decode.Picture` scaled to the pane,
  within byte, format and decoded-pixel caps (Pillow, imported on first use; sixel.py too)
- blocks.py: a Picture as lines of Rich segments, two pixels a cell (``▀``)
- kitty.py: a Picture as Kitty graphics escapes (sent once) and placeholder cells (drawn as text)
- sixel.py: a Picture as a Sixel sequence (the pane writes it over blank cells after the
  frames that touched them: ``ui/widgets/sixels.py``)
- terminal.py: the ``images`` setting ("auto", "off", "blocks") resolved for this terminal:
  Kitty graphics, Sixel, half blocks or off

Importing this package imports none of them: the app starts without Pillow.
"""
