"""Where things are: the checkout's root and its sources, and the shared corpus beside it."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SRC = REPO_ROOT / "src"
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
"""The shared feed corpus, read where it lies (never copied into the repository)."""
