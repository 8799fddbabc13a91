"""The Article record: the one definition of what a line of our JSONL holds.

Field names follow schema.org NewsArticle as zyte-common-items' `Article` uses them, plus our own
`source` and `crawl` objects and `schemaVersion`. The JSON Schema beside it
(`crawler/schema/article.schema.json`) is what archivists validate against; tests prove that every
record the crawls produce validates.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import scrapy

SCHEMA_VERSION = "1.1"  # 1.1: `videos` added


class Article(scrapy.Item):
    schemaVersion = scrapy.Field()
    url = scrapy.Field()  # the URL the article was fetched from (original URL for archive captures)
    canonicalUrl = scrapy.Field()
    headline = scrapy.Field()
    description = scrapy.Field()  # lead / sapo
    articleBody = scrapy.Field()  # paragraphs separated by a blank line
    datePublished = scrapy.Field()  # ISO 8601, +07:00
    datePublishedRaw = scrapy.Field()
    datePublishedSource = scrapy.Field()  # {"from": page|meta|jsonld|lead, "yearFrom": ...}
    dateModified = scrapy.Field()
    authors = scrapy.Field()  # [{name, nameRaw}]
    images = scrapy.Field()  # [{url, caption}]
    videos = scrapy.Field()  # [{url, caption}]: embedded players and <video>
    attachments = scrapy.Field()  # [{url, text}]
    inLanguage = scrapy.Field()
    section = scrapy.Field()
    source = scrapy.Field()  # {spider, siteName, organisation, level, province, provinceNow, ...}
    crawl = scrapy.Field()  # {fetchedAt, status, runId, extraction, layout, warc..., archive...}
    revision = scrapy.Field()  # 1 for a first export; n>1 when a changed article is re-exported


@lru_cache(maxsize=1)
def article_schema() -> dict:
    text = resources.files("crawler").joinpath("schema/article.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def schema_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(article_schema())
