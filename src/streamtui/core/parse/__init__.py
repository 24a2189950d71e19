"""Parsing what sources hold: feeds (RSS, Atom, JSON Feed) and the pages that announce them."""
