"""What the article pane draws, apart from the pane: ``page.py`` turns an article (the core's
document of its body) into pieces of styled text (the header, the body's blocks, the numbered
links and attachments, the notices); ``layout.py`` lays those pieces out for a width. Both are
pure, so a large article is prepared in a thread. The pane is ``widgets/article.py``."""
