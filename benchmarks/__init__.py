"""Benchmarks: scripts that print figures (README.md here). A package, so that the scripts
import their shared parts (``benchmarks._bench``, ``benchmarks._reliability``) and the tests
import the ones they run a slice of (``benchmarks.parse_diff``, ``benchmarks.fuzz``,
``benchmarks.bigfeed``) the same way, without editing ``sys.path``."""
