"""A fixed slice of the mutation fuzzer (``benchmarks/fuzz.py``, 100,000 inputs in a full run):
mutated feeds through the parser pool and into a store, then no crash and no control character
in anything stored."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fuzz
from tests.support.store import update_source


def _clean(totals: fuzz.Totals, saved: Path) -> None:
    tried = sum(totals.tried.values())
    assert sum(totals.crashes.values()) == 0, f"crashes; the inputs are in {saved}"
    assert sum(totals.escapes.values()) == 0, f"controls stored; the inputs are in {saved}"
    assert sum(totals.survived.values()) == tried
    assert 0 < sum(totals.loaded.values()) < tried  # some load, some fail: the mix is real


def test_mutated_fixtures(tmp_path: Path) -> None:
    totals, _ = fuzz.fuzz(200, seed=7, seeds=fuzz.FIXTURES, workers=2, failures=tmp_path)
    assert set(totals.tried) == set(fuzz.MUTATIONS)
    _clean(totals, tmp_path)


def test_a_fixed_slice_of_the_corpus_fuzz(corpus_dir: Path, tmp_path: Path) -> None:
    seeds = fuzz.corpus_seeds(corpus_dir)
    if not seeds:
        pytest.skip(f"no feeds in {corpus_dir}")
    totals, _ = fuzz.fuzz(300, seed=1, seeds=seeds, workers=2, failures=tmp_path)
    _clean(totals, tmp_path)


def test_inputs_are_reproducible() -> None:
    seeds = list(fuzz.FIXTURES.values())
    assert fuzz.mutate(3, 41, seeds) == fuzz.mutate(3, 41, seeds)
    assert fuzz.mutate(3, 41, seeds) != fuzz.mutate(4, 41, seeds)


def test_the_check_sees_a_stored_control(tmp_path: Path) -> None:
    """The store check itself: a control put straight into the store is found."""
    pipeline = fuzz.Pipeline(tmp_path, workers=1)
    try:
        source = pipeline.store.add_source("x", fuzz.SourceKind.FEED, "https://x.example/")
        update_source(pipeline.store, source.id, warning="bad \x1b]52;c;eA==\x07")
        assert pipeline._stored_controls(source.id)
    finally:
        pipeline.close()
