"""The benchmark harness behind ``benchmarks/run.py``: fixtures, servers, load, reports."""
