"""Spiders made from `registry.toml` entries (sites as data). See that file for the keys."""
from __future__ import annotations

import tomllib
from pathlib import Path

from crawler.extract.article import Layout
from crawler.platforms.registry import build_spider_classes

REGISTRY_PATH = Path(__file__).with_name("registry.toml")

for _cls in build_spider_classes(tomllib.loads(REGISTRY_PATH.read_text("utf-8")), __name__):
    globals()[_cls.__name__] = _cls

del Layout, _cls
