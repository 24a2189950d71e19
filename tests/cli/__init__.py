"""Tests of the command line (src/streamtui/cli), in process and as real processes."""
