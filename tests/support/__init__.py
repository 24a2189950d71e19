"""Support code shared by the tests and the benchmarks (servers, fixtures, helpers)."""
