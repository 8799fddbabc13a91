"""Item pipelines: normalise -> validate -> deduplicate -> (Scrapy FEEDS writes the line).

A dropped item always leaves a log line with its URL and a `dropped/<reason>` stat.
"""
from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem
from itemadapter import ItemAdapter

from .items import SCHEMA_VERSION, schema_validator

from .extensions import feed_failures
from .state import StateStore, content_hash, lock_timeout, state_path
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
    the feeds are closed (`feed_exporter_closed`) and none failed (`feedexport/failed_count/*`,
    see crawler.extensions.FeedExporter), so a killed run exports nothing twice and loses
    nothing: what it exported to an unfinished file is exported again by the next run. When a
    feed failed, nothing is committed (an ERROR says so, `incremental/not_committed` counts the
    articles): the next run exports them again. Under crawlall the command commits
    (STATE_COMMIT_EXTERNAL).

    An article is remembered under its key (its canonical URL, see `key`) and under the URL it
    was fetched from, and the URL it was listed under when a redirect led elsewhere, so a listing
    linking any of them knows it (`incremental/skipped_seen`).
    """

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.use_state = self.incremental = s.getbool("INCREMENTAL")
        self.skip_fetch = not s.getbool("RECRAWL")  # RECRAWL: fetch everything, still export only changes
        self.external = s.getbool("STATE_COMMIT_EXTERNAL")
        self.seen: set[str] = set()
        self.state: StateStore | None = None
        self._feeds_closed = False
        crawler.signals.connect(self.feeds_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        """Before the first request (a pipeline's open_spider, not the spider_opened signal): a state
        that cannot be opened (locked by another process past STATE_LOCK_TIMEOUT) closes the spider
        with the reason `state_unavailable` rather than letting it run as a first run."""
        self.open_state(self.crawler.spider)

    def open_state(self, spider):
        if not self.use_state or self.state is not None:
            return
        path = state_path(self.crawler.settings, spider.name)
        try:
            self.state = StateStore(path, commit_every=10**12, timeout=lock_timeout(self.crawler.settings))
        except sqlite3.Error as e:
            logger.error("Incremental state %s cannot be opened (%s: %s): closing the spider", path, type(e).__name__, e)
            raise CloseSpider("state_unavailable")
        if not self.external:
            self.crawler.feeds_finalised_by_state = True  # the feeds are finalised with the state's commit
        spider.state = self.state if self.skip_fetch else None
        logger.info("Incremental state: %s (%d articles remembered)", path, self.state.count())

    def process_item(self, item):
        adapter = ItemAdapter(item)
        key = self.key(adapter)
        # http and https, host and www.host: one article (a site that links both spellings)
        same = re.sub(r"^https?://(?:www\.)?", "//", key)
        if key in self.seen or same in self.seen:
            _drop(self.crawler, "duplicate", item, level=logging.INFO)
        self.seen.add(key)
        self.seen.add(same)
        adapter["revision"] = 1
        if self.state is not None:
            url = canonical_url(adapter["url"])
            digest = content_hash(adapter)
            row = self.state.get(key)
            if row is None and url != key:
                row = self.state.get(url)  # remembered under its URL by a run that did not use its canonical
            if row is not None and self.incremental:
                old_hash, rev = row
                if old_hash == digest:
                    self.state.alias(url, key)
                    _drop(self.crawler, "unchanged", item, level=logging.DEBUG)
                adapter["revision"] = (rev or 1) + 1
                self.crawler.stats.inc_value("incremental/changed")
            else:
                self.crawler.stats.inc_value("incremental/new")
            self.state.put(key, digest, adapter["revision"], aliases=(url,))
        return item

    def item_scraped(self, item, response, spider):
        """The URL an article was listed under, when a redirect answered it from another URL."""
        if self.state is None or response is None:
            return
        redirects = (response.request.meta.get("redirect_urls") if response.request is not None else None) or ()
        if not redirects:
            return
        adapter = ItemAdapter(item)
        key = self.key(adapter)
        listed = canonical_url(redirects[0])
        if (urlsplit(listed).hostname or "").removeprefix("www.") == (urlsplit(key).hostname or "").removeprefix("www."):
            self.state.alias(listed, key)

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
        self.feeds_closed()

    def feeds_closed(self):
        """Every feed is closed: commit the state (with the atomic feeds' renames), unless one failed."""
        self._feeds_closed = True
        if self.state is None or self.external:
            return
        stats = self.crawler.stats
        exporter = getattr(self.crawler, "feed_exporter", None)
        failures = feed_failures(stats)
        if failures or (exporter is not None and exporter.failed):
            n = self.state._pending
            stats.set_value("incremental/not_committed", n)
            logger.error("Incremental state NOT committed: a feed failed (%s): the %d article(s) of this run "
                         "are not remembered, the next run exports them again",
                         ", ".join(f"{k}: {v}" for k, v in sorted(failures.items())) or "feed error", n)
            if exporter is not None:
                exporter.finalise(None)  # renames nothing: says which file is incomplete
            self.state.close(commit=False)
            self.state = None
            return
        n = self.state._pending
        try:
            if exporter is not None and exporter.pending_files():
                exporter.finalise(self.state)
            self.state.close(commit=True)
        except Exception as e:  # locked past STATE_LOCK_TIMEOUT, disk full, …
            stats.set_value("incremental/not_committed", n)
            logger.error("Incremental state NOT committed (%s: %s): the %d article(s) of this run are "
                         "not remembered, the next run exports them again", type(e).__name__, e, n, exc_info=True)
            try:
                self.state.close(commit=False)
            except sqlite3.Error:
                pass
        self.state = None

    def spider_closed(self, spider, reason):
        if self.state is None:
            return
        if self.external:
            # crawlall commits after it has renamed the finished output into place
            self.crawler.state_store = self.state
            return
        if self._has_feeds() and not self._feeds_closed:
            return  # committed when the feeds are closed (feeds_closed), if none failed
        try:
            self.state.close(commit=True)
        except sqlite3.Error as e:
            self.crawler.stats.set_value("incremental/not_committed", self.state._pending)
            logger.error("Incremental state NOT committed (%s: %s): the next run exports this run's articles again",
                         type(e).__name__, e)
        self.state = None

    def _has_feeds(self) -> bool:
        from scrapy.extensions.feedexport import FeedExporter

        try:
            exts = self.crawler.extensions.middlewares
        except AttributeError:
            return bool(self.crawler.settings.getdict("FEEDS"))
        return any(isinstance(e, FeedExporter) for e in exts)
