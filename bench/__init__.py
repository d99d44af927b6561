"""Benchmarks, reported as ratios to baselines measured in the same run (never as timed tests)."""
