"""Spiders and helpers for tests/test_faults.py (crawls against a local server on 127.0.0.1).

Loaded with `-s SPIDER_MODULES=tests.fault_spiders` from the repository root.
"""
