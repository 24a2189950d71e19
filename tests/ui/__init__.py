"""Tests of the app (src/streamtui/ui): Pilot, snapshots, tmux and pseudo-terminals."""
