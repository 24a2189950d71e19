"""Reliability: hostile input and servers, faults, crashes, secrets, terminals, the corpus;
the short forms of the benchmarks/reliability.py parts."""
