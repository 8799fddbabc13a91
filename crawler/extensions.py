"""Extensions: progress reporting (a line per spider at start and end, periodic progress, a live
line on a terminal; PROGRESS_INTERVAL seconds, default 30), STATS_JSON, item error counts, and the
project's FeedExporter (failed feeds counted, atomic default feed)."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from scrapy import signals
from twisted.internet import task

from .state import hold

logger = logging.getLogger("crawler.progress")
logger_feed = logging.getLogger("crawler.feeds")


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


# ---------------------------------------------------------------------------------------- feeds
from scrapy.extensions.feedexport import FeedExporter as _ScrapyFeedExporter  # noqa: E402


def feed_failures(stats) -> dict:
    """`feedexport/failed_count/<storage>` counters of a crawl (empty when every feed was written)."""
    values = stats.get_stats() if hasattr(stats, "get_stats") else stats
    return {k: v for k, v in values.items() if k.startswith("feedexport/failed_count/") and v}


class FeedExporter(_ScrapyFeedExporter):
    """Scrapy's feed exporter (installed in its place by crawler.addons), with two additions.

    1. Every failed feed is counted. Scrapy counts `feedexport/failed_count/<storage>` only when
       storing a finished file fails; a feed whose file cannot be opened or written (a folder on
       the path that is a file, a full disk) raises on every item instead, a traceback each, and
       is counted nowhere, so a crawl that exported nothing looked successful. Here such a feed is
       counted once in `feedexport/failed_count/<storage>` with one ERROR line naming it; the
       incremental state is not committed when a feed failed (crawler.pipelines.DedupPipeline)
       and `scrapy crawl` exits 1 (crawler.commands.crawl).
    2. Atomic feeds (feed option `"atomic": True`: the default feed of `scrapy crawl`,
       OUTPUT_DIR/<spider>/<time>.jsonl, see crawler.addons): written as `<file>.part`, held under
       an flock while written, renamed to `<file>` when the feed closed with nothing failed
       (together with the commit of the incremental state, through the state's file journal, as
       under crawlall). At open, what an interrupted run left in the folder is finished: a .part
       whose state was committed is renamed, any other .part nobody holds is removed (its articles
       were never committed: this run exports them again), each with a WARNING.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self._failed: set[int] = set()
        self._atomic: list[tuple[object, Path, Path]] = []  # (slot, part, final)
        self._held: dict[str, object] = {}
        self._folders_checked: set[Path] = set()
        self.finalised: list[str] = []
        crawler.feed_exporter = self

    # ---- failures
    def _mark_failed(self, slot, what: str):
        if id(slot) in self._failed:
            return
        self._failed.add(id(slot))
        self.crawler.stats.inc_value(f"feedexport/failed_count/{type(slot.storage).__name__}")
        logger_feed.error("Feed %s failed: %s; the feed is incomplete (Scrapy logs the traceback)", slot.uri, what)

    @property
    def failed(self) -> bool:
        return bool(self._failed) or bool(feed_failures(self.crawler.stats))

    def item_scraped(self, item, spider):
        before = [(slot, slot.itemcount) for slot in self.slots]
        try:
            return super().item_scraped(item, spider)
        except Exception as e:
            for slot, count in before:
                if slot.itemcount == count and slot.filter.accepts(item):
                    self._mark_failed(slot, f"an item could not be written ({type(e).__name__}: {e})")
                    break
            raise

    async def _close_slot(self, slot, spider):
        try:
            await super()._close_slot(slot, spider)
        except Exception as e:
            logger_feed.error("Error closing feed %s", slot.uri, exc_info=True, extra={"spider": spider})
            self._mark_failed(slot, f"it could not be closed ({type(e).__name__}: {e})")

    # ---- atomic feeds
    def _start_new_batch(self, batch_id, uri, feed_options, spider, uri_template):
        if not feed_options.get("atomic"):
            return super()._start_new_batch(batch_id, uri, feed_options, spider, uri_template)
        final = Path(uri[len("file://"):] if uri.startswith("file://") else uri)
        self._recover(final.parent, spider)
        # %(time)s has a resolution of a second: a run started in the same second as the last one
        # (a retry, a cron job fired twice) gets "<time>-1.jsonl", never the other's file
        base, n = final, 0
        while final.exists() or final.with_name(final.name + ".part").exists():
            n += 1
            final = base.with_name(f"{base.stem}-{n}{base.suffix}")
        if n:
            logger_feed.info("%s exists (a run started in the same second): this run writes %s", base, final)
        part = final.with_name(final.name + ".part")
        try:
            self._held[str(part)] = hold(part)
        except OSError as e:  # the folder cannot be made: the slot fails when it writes, and is counted
            logger_feed.debug("Cannot hold %s: %s", part, e)
        slot = super()._start_new_batch(batch_id, str(part), dict(feed_options, overwrite=True), spider, uri_template)
        self._atomic.append((slot, part, final))
        return slot

    def _recover(self, folder: Path, spider):
        if folder in self._folders_checked:
            return
        self._folders_checked.add(folder)
        from .state import lock_timeout, recover_folder, state_path

        actions, _ = recover_folder(folder, state_path(self.crawler.settings, spider.name),
                                    lock_timeout(self.crawler.settings))
        for a in actions:
            if a.startswith("discarded unfinished "):
                logger_feed.warning("Removed %s: an unfinished feed left by an interrupted run (its articles "
                                    "were never committed to the incremental state: this run exports them again)",
                                    a[len("discarded unfinished "):])
            else:
                logger_feed.warning("Recovery after an interrupted run: %s", a)

    def pending_files(self) -> list[tuple[Path, Path]]:
        return [(part, final) for _slot, part, final in self._atomic if str(final) not in self.finalised]

    def finalise(self, store=None):
        """Rename the complete .part files into place, with the state's commit when there is one:
        state + `pending` journal rows in one transaction, then the renames, then the rows `done`.
        Nothing is renamed (or committed) when a feed failed. Raises what the commit raises."""
        files = self.pending_files()
        if self.failed:
            for part, _final in files:
                logger_feed.error("Feed %s is incomplete (a feed failed): left as %s, not renamed; the next run "
                                  "removes it", _final, part)
            return
        if store is not None:
            store.commit(files=files)
        for part, final in files:
            if part.exists():
                from .state import fsync_replace

                fsync_replace(part, final)
            self.finalised.append(str(final))
            logger_feed.info("Feed complete: %s", final)
        if store is not None and files:
            store.db.executemany("UPDATE files SET status='done' WHERE part=?", [(str(p),) for p, _ in files])
        self._release()

    def _release(self):
        for fh in self._held.values():
            fh.close()
        self._held.clear()

    async def close_spider(self, spider):
        # closes the slots and sends feed_exporter_closed: DedupPipeline commits the incremental
        # state and finalises the atomic feeds there; without a state they are finalised here
        await super().close_spider(spider)
        try:
            if self.pending_files() and not getattr(self.crawler, "feeds_finalised_by_state", False):
                self.finalise(None)
        finally:
            self._release()
