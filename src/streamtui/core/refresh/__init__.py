"""Refreshing sources: one pipeline for every kind of source.

- readers.py: the one small interface every kind of source sits behind (fetch, then parse)
- decide.py: the pure decision: what came back and what is stored become a typed Update
- writer.py: the one writer, applying every update (failures too) in batched transactions
- run.py: one refresh, reading each kind's sources, numbering the events once
"""
