"""Benchmarks: ``python -m benchmarks --households N [--case NAME ...]``."""
