"""Extraction: pure functions of HTML and URL (no Scrapy state)."""
from .article import Extraction, Layout, extract_article

__all__ = ["Extraction", "Layout", "extract_article"]
