"""Benchmarks: rerunnable scripts that print their figures (never timed assertions in tests)."""
