"""Internet Archive source: `-s SOURCE=wayback` makes any site spider read the Wayback Machine.

1. The CDX API lists the site's captures (`url=<host>/*` or the spider's `wayback_url_patterns`),
   successful HTML only, with `-a since=`/`-a until=` as `from`/`to`; results are paged with
   `showResumeKey`, so a long listing resumes where it stopped (with Scrapy's `-s JOBDIR=…` a
   killed crawl resumes too).
2. Rows are kept when the original URL matches the spider's article URL pattern, one capture per
   URL (`-s WAYBACK_CAPTURE=newest|oldest`, default newest).
3. Each capture is fetched raw (`https://web.archive.org/web/<timestamp>id_/<original>`, the page
   as archived, not the rewritten replay page) and goes through the same site extraction, with the
   layout version chosen by capture date. Records keep the original URL as `url` and name the
   capture URL and time in `crawl`.
Politeness: one request at a time and a 2 s delay by default (WAYBACK_CONCURRENCY, WAYBACK_DELAY),
429/503 retried with Retry-After honoured (see crawler.middlewares).
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from urllib.parse import urlencode

import scrapy

from ..urls import canonical_url, host_of

logger = logging.getLogger(__name__)

CDX_ENDPOINT = "https://web.archive.org/cdx/search/cdx"
CDX_FIELDS = "timestamp,original,statuscode,mimetype,digest"
ARCHIVE_HOST = "web.archive.org"


def cdx_url(pattern: str, since: str | None = None, until: str | None = None,
            page_size: int | None = None, resume_key: str | None = None) -> str:
    params = [
        ("url", pattern),
        ("output", "json"),
        ("fl", CDX_FIELDS),
        ("filter", "statuscode:200"),
        ("filter", "mimetype:text/html"),
    ]
    if since:
        params.append(("from", since.replace("-", "")))
    if until:
        params.append(("to", until.replace("-", "")))
    if page_size:
        params += [("limit", str(page_size)), ("showResumeKey", "true")]
    if resume_key:
        params.append(("resumeKey", resume_key))
    return CDX_ENDPOINT + "?" + urlencode(params, safe="/*:,")


def capture_url(timestamp: str, original: str) -> str:
    return f"https://{ARCHIVE_HOST}/web/{timestamp}id_/{original}"


def _ts_iso(ts: str) -> str:
    ts = (ts + "00000000000000")[:14]
    return datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")


def wayback_start_requests(spider):
    patterns = spider.wayback_url_patterns or tuple(f"{d}/*" for d in spider.allowed_domains if d != ARCHIVE_HOST)
    page_size = spider.settings.getint("WAYBACK_PAGE_SIZE", 0) or None
    spider._wayback_rows = {}
    for pattern in patterns:
        url = cdx_url(pattern, spider.since, spider.until, page_size)
        yield scrapy.Request(url, callback=parse_cdx, errback=spider.errback, dont_filter=True,
                             cb_kwargs={"spider": spider, "pattern": pattern},
                             meta={"allow_offsite": True})


def parse_cdx(response, spider, pattern):
    stats = spider.crawler.stats
    try:
        rows = json.loads(response.text or "[]")
    except ValueError:
        stats.inc_value("wayback/cdx_unreadable")
        logger.warning("Wayback CDX answer is not JSON: %s", response.url)
        return
    if not rows:
        stats.inc_value("wayback/cdx_empty")
        logger.warning("Wayback CDX lists no captures: %s", response.url)
        return
    header, body = rows[0], rows[1:]
    resume_key = None
    if len(body) >= 2 and body[-2] == [] and len(body[-1]) == 1:
        resume_key = body[-1][0]
        body = body[:-2]
    cols = {name: i for i, name in enumerate(header)}
    pattern_rx = re.compile(spider.article_url_pattern) if spider.article_url_pattern else None
    newest = spider.settings.get("WAYBACK_CAPTURE", "newest") != "oldest"
    chosen: dict[str, list] = {}
    for row in body:
        try:
            ts, original = row[cols["timestamp"]], row[cols["original"]]
            status, mime = row[cols.get("statuscode", 2)], row[cols.get("mimetype", 3)]
        except (IndexError, KeyError, TypeError):
            stats.inc_value("wayback/cdx_bad_row")
            continue
        stats.inc_value("wayback/cdx_rows")
        if str(status) != "200" or "html" not in str(mime):
            stats.inc_value("wayback/skipped_not_html_200")
            continue
        if original.startswith("http://") and spider.start_urls and spider.start_urls[0].startswith("https://"):
            original = "https://" + original[len("http://"):]
        original = canonical_url(original)
        if not spider.allowed(original):
            stats.inc_value("wayback/skipped_offsite")
            continue
        if pattern_rx and not pattern_rx.search(original):
            stats.inc_value("wayback/skipped_not_article")
            continue
        prev = chosen.get(original)
        if prev is None or (ts > prev[0] if newest else ts < prev[0]):
            chosen[original] = [ts, row[cols["original"]]]
    for original, (ts, raw_original) in sorted(chosen.items()):
        cap = {
            "original": original,
            "timestamp": ts,
            "timestamp_iso": _ts_iso(ts),
            "capture_url": capture_url(ts, raw_original),
        }
        stats.inc_value("wayback/captures_requested")
        yield scrapy.Request(cap["capture_url"], callback=spider.parse_article, errback=spider.errback,
                             cb_kwargs={"capture": cap}, meta={"allow_offsite": True})
    if resume_key:
        yield scrapy.Request(cdx_url(pattern, spider.since, spider.until,
                                     spider.settings.getint("WAYBACK_PAGE_SIZE", 0) or None, resume_key),
                             callback=parse_cdx, errback=spider.errback, dont_filter=True,
                             cb_kwargs={"spider": spider, "pattern": pattern}, meta={"allow_offsite": True})


def is_archive_url(url: str) -> bool:
    return host_of(url) == ARCHIVE_HOST
