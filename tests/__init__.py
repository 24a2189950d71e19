"""The test suite, grouped by layer: core/, cli/, ui/, reliability/; support/ is what the tests
and the benchmarks share (import it as ``tests.support``: the checkout's root is on the path)."""
