"""Item pipelines: normalise -> validate -> deduplicate -> (Scrapy FEEDS writes the line).

A dropped item always leaves a log line with its URL and a `dropped/<reason>` stat.
"""
from __future__ import annotations

import logging
import unicodedata

from scrapy import signals
from scrapy.exceptions import DropItem
from itemadapter import ItemAdapter

from .items import SCHEMA_VERSION, schema_validator

from .state import StateStore, content_hash, state_path
from .urls import canonical_url, is_home_url
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


def _nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


def _drop(crawler, reason: str, item, detail: str = "", level=logging.WARNING):
    crawler.stats.inc_value(f"dropped/{reason}")
    url = ItemAdapter(item).get("url")
    logger.log(level, "Dropped %s (%s)%s", url, reason, f": {detail}" if detail else "")
    raise DropItem(f"{reason}: {url}")


class NormalizePipeline:
    """NFC, trimmed strings everywhere; schemaVersion set."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        for key in list(adapter.field_names()):
            if key in adapter:
                adapter[key] = _nfc(adapter[key])
        adapter["schemaVersion"] = SCHEMA_VERSION
        for key in ("authors", "images", "videos", "attachments"):
            if adapter.get(key) is None:
                adapter[key] = []
        if not adapter.get("inLanguage"):
            adapter["inLanguage"] = "vi"
        return item


class ValidatePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if not adapter.get("headline"):
            _drop(self.crawler, "no_headline", item)
        if not adapter.get("articleBody"):
            if adapter.get("attachments"):
                # a document notice: its content is the attached file (articleBody null)
                adapter["articleBody"] = None
                self.crawler.stats.inc_value("item/document_only")
            else:
                _drop(self.crawler, "empty_body", item)
        errors = sorted(schema_validator().iter_errors(adapter.asdict()), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            _drop(self.crawler, "schema_invalid", item, f"{'/'.join(map(str, e.path))}: {e.message}")
        if adapter.get("datePublished") is None:
            self.crawler.stats.inc_value("item/date_missing")
        return item


class DedupPipeline:
    """Within a run always; across runs when INCREMENTAL is on (state in SQLite).

    Incremental: an unchanged article is dropped (`dropped/unchanged`), a changed one is exported
    again with `revision` incremented (`incremental/changed`). The state is committed only when
    the feeds are closed (`feed_exporter_closed`), so a killed run exports nothing twice and loses
    nothing: what it exported to an unfinished file is exported again by the next run.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.use_state = self.incremental = s.getbool("INCREMENTAL")
        self.skip_fetch = not s.getbool("RECRAWL")  # RECRAWL: fetch everything, still export only changes
        self.seen: set[str] = set()
        self.state: StateStore | None = None
        crawler.signals.connect(self.open_state, signal=signals.spider_opened)
        crawler.signals.connect(self.commit, signal=signals.feed_exporter_closed)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_state(self, spider):
        if self.use_state:
            path = state_path(self.crawler.settings, spider.name)
            self.state = StateStore(path, commit_every=10**12)
            spider.state = self.state if self.skip_fetch else None
            logger.info("Incremental state: %s (%d articles remembered)", path, self.state.count())

    def process_item(self, item):
        adapter = ItemAdapter(item)
        key = self.key(adapter)
        if key in self.seen:
            _drop(self.crawler, "duplicate", item, level=logging.INFO)
        self.seen.add(key)
        adapter["revision"] = 1
        if self.state is not None:
            digest = content_hash(adapter)
            row = self.state.get(key)
            if row is not None and self.incremental:
                old_hash, rev = row
                if old_hash == digest:
                    _drop(self.crawler, "unchanged", item, level=logging.DEBUG)
                adapter["revision"] = (rev or 1) + 1
                self.crawler.stats.inc_value("incremental/changed")
            else:
                self.crawler.stats.inc_value("incremental/new")
            self.state.put(key, digest, adapter["revision"])
        return item

    def key(self, adapter) -> str:
        """What names the article: its canonical URL when the page's <link rel=canonical> names an
        article of the same site (templates that point every page at the home page or at the
        category are common), else the URL it was fetched from."""
        url = canonical_url(adapter["url"])
        canon = adapter.get("canonicalUrl")
        if not canon:
            return url
        canon = canonical_url(canon)
        cu, uu = urlsplit(canon), urlsplit(url)
        same_site = (cu.hostname or "").removeprefix("www.") == (uu.hostname or "").removeprefix("www.")
        home = is_home_url(canon)
        pattern = getattr(getattr(self.crawler, "spider", None), "_article_pattern", None)
        if not same_site or home or (pattern is not None and not pattern.search(canon)):
            if canon != url:
                self.crawler.stats.inc_value("dedup/canonical_ignored")
                logger.debug("canonicalUrl %s does not name this article; deduplicated by its URL %s", canon, url)
            return url
        return canon

    def commit(self):
        if self.state is not None and not self.crawler.settings.getbool("STATE_COMMIT_EXTERNAL"):
            self.state.commit()

    def spider_closed(self, spider, reason):
        if self.state is None:
            return
        external = self.crawler.settings.getbool("STATE_COMMIT_EXTERNAL")
        if external:
            # crawlall commits after it has renamed the finished output into place
            self.crawler.state_store = self.state
            return
        self.state.close(commit=True)
        self.state = None
