"""vn-public-news-crawler: a Scrapy crawler for Vietnamese public-sector news portals."""

__version__ = "0.1.0"
