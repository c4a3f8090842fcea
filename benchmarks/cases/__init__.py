"""Benchmark cases; each module defines NAME, TITLE and run(ctx)."""
