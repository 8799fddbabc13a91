"""Internet Archive source: `-s SOURCE=wayback` makes any site spider read the Wayback Machine.

1. The CDX API lists the site's captures (`url=<host>/*` or the spider's `wayback_url_patterns`),
   successful HTML only, with `-a since=`/`-a until=` as `from`/`to`; results are paged with
   `showResumeKey`, so a long listing resumes where it stopped (with Scrapy's `-s JOBDIR=…` a
   killed crawl resumes too).
2. Rows are kept when the original URL is the site's (`host` and `www.host` are one site: the
   URL is written with the start URL's spelling) and matches the spider's article URL pattern;
   a row of another site is counted (`wayback/skipped_offsite`) and logged (a WARNING per host).
   One capture per URL (`-s WAYBACK_CAPTURE=newest|oldest`, default newest), chosen over the
   whole listing (every CDX page): the captures are requested once the listing is read.
3. Each capture is fetched raw (`https://web.archive.org/web/<timestamp>id_/<original>`, the page
   as archived, not the rewritten replay page) and goes through the same site extraction, with the
   layout version chosen by capture date. Records keep the original URL as `url` and name the
   capture URL and time in `crawl`: those of the capture actually served. The Wayback Machine
   answers a timestamp it does not hold with a redirect to the nearest capture; the record then
   names the capture it was redirected to (the timestamp of the final URL), not the one asked for.
A CDX row that cannot be read (missing columns, a timestamp that is not 4-14 digits) is skipped
with the stat `wayback/bad_row` and a warning; the other rows are crawled.
Politeness: one request at a time and a 2 s delay by default (WAYBACK_CONCURRENCY, WAYBACK_DELAY),
429/503 retried with Retry-After honoured (see crawler.middlewares).
"""
from __future__ import annotations

import json
import logging
import re
import types
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

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


_TS = re.compile(r"\d{4,14}")
# https://web.archive.org/web/<timestamp><modifier>/<original>; modifiers: id_, im_, js_, cs_, if_, fw_, …
_CAPTURE_PATH = re.compile(r"^https?://web\.archive\.org/web/(\d{4,14})([a-z]{2}_)?/(.+)$", re.I)


def _ts_iso(ts: str) -> str:
    """A CDX/Wayback timestamp (4 to 14 digits) as ISO 8601 UTC; ValueError for anything else."""
    if not isinstance(ts, str) or not _TS.fullmatch(ts):
        raise ValueError(f"not a Wayback timestamp: {ts!r}")
    # a short timestamp stands for the start of its period: month and day pad with 01, not 00
    ts = ts + "0101000000"[len(ts) - 4:] if len(ts) < 14 else ts
    return datetime.strptime(ts, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")


def served_capture(response, capture: dict) -> dict:
    """The capture actually served: when the `id_` URL asked for was redirected to another capture
    (web.archive.org answers 302 to the nearest one it holds), the final URL's timestamp."""
    m = _CAPTURE_PATH.match(response.url or "")
    if not m or m.group(1) == capture.get("timestamp"):
        return capture
    try:
        iso = _ts_iso(m.group(1))
    except ValueError:
        return capture
    served = dict(capture, timestamp=m.group(1), timestamp_iso=iso, capture_url=response.url,
                  requested_capture_url=capture.get("capture_url"))
    return served


def _parse_capture(spider, response, capture):
    served = served_capture(response, capture)
    if served is not capture:
        spider.crawler.stats.inc_value("wayback/capture_redirected")
        logger.info("Wayback: %s was served by another capture, %s (%s)",
                    capture.get("capture_url"), served["capture_url"], served["timestamp_iso"])
    return spider.parse_article(response, capture=served)


def _parse_cdx_method(spider, response, pattern):
    return parse_cdx(response, spider, pattern)


def _bind(spider):
    """The CDX and capture callbacks as methods of the spider itself (not module functions with the
    spider in cb_kwargs), so their requests stay serialisable for JOBDIR: Scrapy stores a callback
    by its spider method name. Bound before the first request, as a resumed queue needs them."""
    if getattr(spider, "parse_wayback_capture", None) is None:
        spider.parse_wayback_capture = types.MethodType(_parse_capture, spider)
        spider.parse_wayback_cdx = types.MethodType(_parse_cdx_method, spider)


def cdx_patterns(spider) -> tuple[str, ...]:
    """The CDX `url=` queries: the spider's `wayback_url_patterns`, else `<host>/*` per site host,
    once for `host` and `www.host` (the CDX server compares URLs in SURT form, without `www.`, so
    either query lists the captures of both; the start URL's spelling is used)."""
    if spider.wayback_url_patterns:
        return tuple(spider.wayback_url_patterns)
    start_host = host_of(spider.start_urls[0]) if getattr(spider, "start_urls", None) else ""
    hosts: dict[str, str] = {}
    for d in sorted(spider.allowed_domains, key=lambda d: (d != start_host, d)):
        if d != ARCHIVE_HOST:
            hosts.setdefault(d.lower().removeprefix("www."), d)
    return tuple(f"{d}/*" for d in sorted(hosts.values()))


def wayback_start_requests(spider):
    patterns = cdx_patterns(spider)
    page_size = spider.settings.getint("WAYBACK_PAGE_SIZE", 0) or None
    spider._wayback_rows = {}  # original URL -> [timestamp, original as the CDX wrote it], over every page
    spider._wayback_requested = set()
    spider._wayback_offsite = {}  # host -> rows skipped
    _bind(spider)
    if not getattr(spider, "_wayback_idle_connected", False):
        spider.crawler.signals.connect(lambda spider=spider: _on_idle(spider), signal=signals.spider_idle, weak=False)
        spider._wayback_idle_connected = True
    return _cdx_requests(spider, patterns, page_size)


def _cdx_requests(spider, patterns, page_size):
    for pattern in patterns:
        url = cdx_url(pattern, spider.since, spider.until, page_size)
        yield scrapy.Request(url, callback=spider.parse_wayback_cdx, errback=spider.errback, dont_filter=True,
                             cb_kwargs={"pattern": pattern}, meta={"allow_offsite": True})


def _www_toggled(host: str) -> str:
    return host[4:] if host.startswith("www.") else "www." + host


def site_original(spider, original: str) -> str | None:
    """The capture's original URL as the spider names the site's pages, or None when it is not the
    site's. `http://host/a` and `http://www.host/a` are one page (the archive files captures under
    whatever spelling a crawler used): written with the start URL's host and scheme, so captures
    of one page under both spellings are one URL (one capture per URL) and records name it as a
    live crawl would."""
    parts = urlsplit(original)
    host = (parts.hostname or "").lower()
    start = urlsplit(spider.start_urls[0]) if getattr(spider, "start_urls", None) else None
    if start is not None and start.hostname and not parts.port:
        same = host.removeprefix("www.") == start.hostname.lower().removeprefix("www.")
        if same:
            scheme = start.scheme if parts.scheme in ("http", "https") else parts.scheme
            original = urlunsplit((scheme, start.netloc, parts.path, parts.query, ""))
    elif original.startswith("http://") and start is not None and start.scheme == "https":
        original = "https://" + original[len("http://"):]
    original = canonical_url(original)
    if spider.allowed(original):
        return original
    p = urlsplit(original)
    if p.hostname and not p.port:
        other = canonical_url(urlunsplit((p.scheme, _www_toggled(p.hostname), p.path, p.query, "")))
        if spider.allowed(other):
            return other
    return None


def parse_cdx(response, spider, pattern):
    """One CDX page: its rows are added to the choice over every page (one capture per URL, the
    newest or the oldest of all the site's rows, wherever the paging cut them); the captures are
    requested once the listing is read whole (when the crawl goes idle, see `_on_idle`)."""
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
    chosen = spider._wayback_rows
    for row in body:
        try:
            ts, original = row[cols["timestamp"]], row[cols["original"]]
            status, mime = row[cols.get("statuscode", 2)], row[cols.get("mimetype", 3)]
            if not isinstance(original, str) or not original:
                raise ValueError(f"no original URL: {original!r}")
            _ts_iso(ts)
        except (IndexError, KeyError, TypeError, ValueError) as e:
            stats.inc_value("wayback/bad_row")
            logger.warning("Wayback CDX row skipped (%s): %r in %s", e, row, response.url)
            continue
        stats.inc_value("wayback/cdx_rows")
        if str(status) != "200" or "html" not in str(mime):
            stats.inc_value("wayback/skipped_not_html_200")
            continue
        site_url = site_original(spider, original)
        if site_url is None:
            stats.inc_value("wayback/skipped_offsite")
            host = host_of(original) or original
            seen = spider._wayback_offsite.get(host, 0)
            spider._wayback_offsite[host] = seen + 1
            if not seen:
                logger.warning("Wayback: capture of another site skipped (%s is not %s): %s",
                               host, ", ".join(d for d in spider.allowed_domains if d != ARCHIVE_HOST), original)
            else:
                logger.debug("Wayback: capture of another site skipped: %s", original)
            continue
        if pattern_rx and not pattern_rx.search(site_url):
            stats.inc_value("wayback/skipped_not_article")
            continue
        prev = chosen.get(site_url)
        if prev is None or (ts > prev[0] if newest else ts < prev[0]):
            if prev is not None:
                stats.inc_value("wayback/skipped_other_capture")
            chosen[site_url] = [ts, original]
        else:
            stats.inc_value("wayback/skipped_other_capture")
    if resume_key:
        yield scrapy.Request(cdx_url(pattern, spider.since, spider.until,
                                     spider.settings.getint("WAYBACK_PAGE_SIZE", 0) or None, resume_key),
                             callback=spider.parse_wayback_cdx, errback=spider.errback, dont_filter=True,
                             cb_kwargs={"pattern": pattern}, meta={"allow_offsite": True})


def _capture_requests(spider):
    stats = spider.crawler.stats
    for original, (ts, raw_original) in sorted(spider._wayback_rows.items()):
        if original in spider._wayback_requested:
            continue
        spider._wayback_requested.add(original)
        cap = {
            "original": original,
            "timestamp": ts,
            "timestamp_iso": _ts_iso(ts),
            "capture_url": capture_url(ts, raw_original),
        }
        stats.inc_value("wayback/captures_requested")
        yield scrapy.Request(cap["capture_url"], callback=spider.parse_wayback_capture, errback=spider.errback,
                             cb_kwargs={"capture": cap}, meta={"allow_offsite": True})


def _on_idle(spider):
    """Every CDX page has been read (nothing else is left to crawl): request the chosen captures."""
    requests = list(_capture_requests(spider))
    if not requests:
        if spider._wayback_offsite:
            logger.info("Wayback: %d capture(s) of other sites skipped (%s)", sum(spider._wayback_offsite.values()),
                        ", ".join(f"{h}: {n}" for h, n in sorted(spider._wayback_offsite.items())))
            spider._wayback_offsite = {}
        return
    logger.info("Wayback: %d capture(s) chosen from the CDX listing (%s)", len(requests),
                "newest" if spider.settings.get("WAYBACK_CAPTURE", "newest") != "oldest" else "oldest")
    for req in requests:
        spider.crawler.engine.crawl(req)
    raise DontCloseSpider


def is_archive_url(url: str) -> bool:
    return host_of(url) == ARCHIVE_HOST
