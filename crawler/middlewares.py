"""Downloader middlewares: Retry-After for 429/503, and no redirects off the site's hosts."""
from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

from scrapy.exceptions import IgnoreRequest

from .urls import host_of

logger = logging.getLogger(__name__)


class RetryAfterMiddleware:
    """Honour `Retry-After` on 429/503 by delaying the download slot before Scrapy retries."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", 300)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if response.status in (429, 503):
            raw = response.headers.get(b"Retry-After")
            wait = _retry_after_seconds(raw.decode("latin-1")) if raw else None
            if wait is not None:
                wait = min(wait, self.max_wait)
                slot_key = request.meta.get("download_slot") or host_of(request.url)
                slots = self.crawler.engine.downloader.slots
                slot = slots.get(slot_key)
                if slot is not None:
                    slot.delay = max(slot.delay, wait)
                self.crawler.stats.inc_value("retry_after/honoured")
                logger.info("HTTP %s with Retry-After %.0fs: slowing %s", response.status, wait, slot_key)
        return response


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class OffsiteRedirectMiddleware:
    """Redirects that leave the spider's hosts are not followed (stat `skipped/offsite_redirect`)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        if not request.meta.get("redirect_times"):
            return None
        spider = self.crawler.spider
        allowed = getattr(spider, "allowed", None)
        if allowed and not request.meta.get("allow_offsite") and not allowed(request.url):
            self.crawler.stats.inc_value("skipped/offsite_redirect")
            logger.warning("Redirect off the site not followed: %s (from %s)", request.url,
                           (request.meta.get("redirect_urls") or ["?"])[0])
            raise IgnoreRequest(f"offsite redirect: {request.url}")
        return None
