"""`scrapy crawl`: Scrapy's command (this project's COMMANDS_MODULE overrides it), which also exits
non-zero when the crawl's output was not written.

Scrapy's own `crawl` exits 1 only when the crawl could not start. Here it also exits 1 when a feed
failed (`feedexport/failed_count/*` > 0, counted by crawler.extensions.FeedExporter: a file that
could not be opened, written or stored) or when the incremental state could not be committed
(`incremental/not_committed`) or opened (finish reason `state_unavailable`): in each case the
articles of the run are not remembered, and the next run exports them again. A line on stderr says
why.
"""
from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

EXIT_OUTPUT_FAILED = 1


def output_failure(stats: dict) -> str | None:
    """Why a finished crawl's output is not to be trusted, or None."""
    failed = {k: v for k, v in stats.items() if k.startswith("feedexport/failed_count/") and v}
    if failed:
        return "a feed failed (" + ", ".join(f"{k}: {v}" for k, v in sorted(failed.items())) + ")"
    if stats.get("finish_reason") == "state_unavailable":
        return "the incremental state could not be opened"
    if "incremental/not_committed" in stats:
        return f"the incremental state was not committed ({stats['incremental/not_committed']} article(s) not remembered)"
    return None


class Command(ScrapyCrawlCommand):
    def _create_crawler(self, *args, **kwargs):
        crawler = super()._create_crawler(*args, **kwargs)
        self._crawler_ref = crawler
        return crawler

    def run(self, args, opts):
        super().run(args, opts)
        crawler = getattr(self, "_crawler_ref", None)
        if self.exitcode or crawler is None or getattr(crawler, "stats", None) is None:
            return
        why = output_failure(crawler.stats.get_stats())
        if why:
            sys.stderr.write(f"crawl: {why}: exit code {EXIT_OUTPUT_FAILED}\n")
            self.exitcode = EXIT_OUTPUT_FAILED
