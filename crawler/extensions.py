"""Progress reporting: a line per spider at start and end, periodic progress, and a live line
on a terminal. Interval: PROGRESS_INTERVAL seconds (default 30)."""
from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

logger = logging.getLogger("crawler.progress")


class Progress:
    def __init__(self, crawler):
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 30)
        self.tty = sys.stderr.isatty()
        self.loop = None
        self.started = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _counts(self):
        s = self.crawler.stats
        return (s.get_value("response_received_count", 0), s.get_value("item_scraped_count", 0))

    def opened(self, spider):
        self.started = time.time()
        logger.info("[%s] start", spider.name)
        self.loop = task.LoopingCall(self.report, spider)
        self.loop.start(self.interval if not self.tty else min(self.interval, 1.0), now=False)

    def report(self, spider):
        pages, items = self._counts()
        elapsed = max(time.time() - self.started, 1e-6)
        line = f"[{spider.name}] {pages} pages, {items} articles, {pages / elapsed:.1f} pages/s"
        if self.tty:
            sys.stderr.write("\r" + line + " " * 10)
            sys.stderr.flush()
        if not self.tty or int(elapsed) % int(self.interval or 1) == 0:
            logger.info(line)

    def closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.tty:
            sys.stderr.write("\n")
        pages, items = self._counts()
        logger.info("[%s] end (%s): %d pages, %d articles in %.1fs", spider.name, reason, pages, items,
                    time.time() - (self.started or time.time()))


class StatsDump:
    """`-s STATS_JSON=path.json`: write the final crawl stats as JSON (for scripts and tests)."""

    def __init__(self, crawler, path):
        self.crawler = crawler
        self.path = path
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get("STATS_JSON")
        if not path:
            raise NotConfigured
        return cls(crawler, path)

    def closed(self, spider, reason):
        import json

        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        with open(self.path, "w", encoding="utf-8") as fh:
            json.dump(stats, fh, ensure_ascii=False, indent=1, default=str)


class ItemErrorCount:
    """Count items an item pipeline raised on (not DropItem: an exception), per crawler:
    `item_errors/count`, `item_errors/<exception>`. Scrapy logs the traceback but keeps no stat,
    and its `log_count/ERROR` counts the whole process's lines, so under crawlall it cannot say
    which spider crashed. crawlall enables this extension and counts such a spider as failed."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def item_error(self, item, response, spider, failure):
        stats = self.crawler.stats
        stats.inc_value("item_errors/count")
        stats.inc_value(f"item_errors/{failure.type.__name__ if failure.type else 'error'}")
