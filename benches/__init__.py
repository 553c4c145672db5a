"""Benchmarks: criterion benches of the core, in-process comparisons, and the end-to-end run."""
