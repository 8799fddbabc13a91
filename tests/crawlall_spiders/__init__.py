"""Spiders for tests/test_crawlall.py: site spiders that crash on purpose, replayed from the
liemhai snapshot (their `snapshot` names it). Loaded with
`-s SPIDER_MODULES=spiders,tests.crawlall_spiders` from the repository root."""
