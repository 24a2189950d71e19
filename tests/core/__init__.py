"""Tests of the core (src/streamtui/core): one module each, most without a terminal."""
