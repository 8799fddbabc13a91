"""A spider for a portal it has never seen: sitemaps, feeds and listing pages, learned link patterns.

`scrapy crawl portal -a url=https://<any portal>/` and registry entries with `platform = "auto"`
use it. Flow:
- robots.txt (its `Sitemap:` lines), /sitemap.xml, the home page (its RSS/Atom `<link rel=alternate>`);
- sitemap and feed URLs are article candidates; their shapes teach the site's article-URL pattern;
- every fetched HTML page goes through platform detection and the not-an-article check: an
  article becomes a record; a listing/home/category page yields none (`skipped/not_article`) and
  its on-host links that look like articles or pagination are followed, to `max_pages` listing
  pages.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector

from ..extract.generic import extract_any
from ..urls import canonical_url, host_of
from .base import PortalSpider

logger = logging.getLogger(__name__)

# URL shapes of articles on Vietnamese portals
KNOWN_ARTICLE_PATTERNS = (
    r"-post\d+\.html?$",
    r"[?&](?:NewsID|newsid|ItemID|id|ID|nid|articleid|ArticleID)=\d+",
    r"/-/asset_publisher/[^/]+/content/",
    r"/\d{4}/\d{1,2}/\d{1,2}/[^/]+",
    r"/\d{4}/\d{2}/[^/]+\.html?$",
    r"[-/]\d{4,}\.html?$",
    r"/(?:tin-tuc|tin-bai|bai-viet|news|chi-tiet|chitiet|detail)/[^/?]+[-/]\d+",
    r"\.aspx\?.*(?:NewsID|ItemID|id)=\d+",
)
PAGER_HINT = re.compile(r"(?:[?&](?:page|p|trang|cur|_cur|PageIndex|paged)=\d+|/page/\d+/?$|/trang-\d+|[?&][\w]+_cur=\d+)", re.I)
PAGER_TEXT = re.compile(r"^(?:»|›|>|>>|trang\s+sau|sau|tiếp|tiếp\s+theo|next|\d{1,3})$", re.I)
SKIP_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|docx?|xlsx?|pptx?|zip|rar|mp[34]|avi|css|js|ico|xml)(?:$|\?)", re.I)
NON_ARTICLE_PATH = re.compile(r"/(?:tag|tags|search|tim-kiem|lien-he|contact|login|dang-nhap|wp-admin|wp-login|feed|rss|author|comments?)(?:/|$|\?)", re.I)


def url_shape(url: str) -> str:
    """/2024/03/15/le-ra-quan/ -> /\\d+/\\d+/\\d+/[^/]+/ : a regex a same-shaped URL matches."""
    parts = urlsplit(url)
    segs = []
    for seg in parts.path.split("/"):
        if not seg:
            segs.append("")
        elif seg.isdigit():
            segs.append(r"\d+")
        elif re.fullmatch(r"[a-z0-9-]+-\d+(\.html?)?", seg):
            segs.append(r"[a-z0-9-]+-\d+" + (r"\.html?" if "." in seg else ""))
        elif re.fullmatch(r"[\w-]+\.html?", seg):
            segs.append(r"[\w-]+\.html?")
        elif "-" in seg and len(seg) > 15:
            segs.append(r"[\w-]+")
        else:
            segs.append(re.escape(seg))
    return "^" + "/".join(segs) + "/?$"


class DiscoverySpider(PortalSpider):
    """Base for spiders that discover a site's articles on their own."""

    platform = "auto"
    default_max_pages = 50

    def __init__(self, *args, url=None, **kwargs):
        if url:
            url = url if "://" in url else "https://" + url
            self.start_urls = [url]
        super().__init__(*args, **kwargs)
        if not self.start_urls:
            raise ValueError("give the portal's address: -a url=https://<host>/")
        root = self.start_urls[0]
        self.homepage = f"{urlsplit(root).scheme}://{urlsplit(root).netloc}/"
        self.learned: set[str] = set()
        self._learned_rx: list[re.Pattern] = []
        self._known = [re.compile(p, re.I) for p in KNOWN_ARTICLE_PATTERNS]
        self.listing_pages = 0
        if self.max_pages is None:
            self.max_pages = self.default_max_pages

    async def start(self):
        if self.settings.get("SOURCE", "live") == "wayback":
            async for r in super().start():
                yield r
            return
        home = self.homepage
        yield scrapy.Request(urljoin(home, "/robots.txt"), callback=self.parse_robots, errback=self.errback,
                             dont_filter=True, meta={"dont_obey_robotstxt": True})
        yield scrapy.Request(urljoin(home, "/sitemap.xml"), callback=self.parse_sitemap, errback=self.errback)
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_page, errback=self.errback, cb_kwargs={"listing": True})

    # ---- sitemaps and feeds
    def parse_robots(self, response):
        for line in response.text.splitlines() if hasattr(response, "text") else ():
            if line.lower().startswith("sitemap:"):
                url = line.split(":", 1)[1].strip()
                if self.allowed(url):
                    yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.errback)

    def parse_sitemap(self, response):
        if response.status >= 400 or not response.body:
            return
        sel = Selector(text=response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace"), type="xml")
        sel.remove_namespaces()
        for loc in sel.xpath("//sitemap/loc/text()").getall():
            if self.allowed(loc.strip()):
                yield scrapy.Request(loc.strip(), callback=self.parse_sitemap, errback=self.errback)
        for node in sel.xpath("//url"):
            loc = (node.xpath("loc/text()").get() or "").strip()
            if loc and self.allowed(loc):
                self.crawler.stats.inc_value("discovery/sitemap_urls")
                yield from self._candidate(loc, source="sitemap",
                                           listing_date=(node.xpath("lastmod/text()").get() or None))

    def parse_feed(self, response):
        sel = Selector(text=response.text, type="xml")
        sel.remove_namespaces()
        links = sel.xpath("//item/link/text()").getall() + sel.xpath("//entry/link/@href").getall()
        for link in links:
            link = link.strip()
            if link and self.allowed(link):
                self.crawler.stats.inc_value("discovery/feed_urls")
                yield from self._candidate(link, source="feed")

    def _candidate(self, url, source, listing_date=None):
        url = canonical_url(url)
        if SKIP_EXT.search(url):
            return
        shape = url_shape(url)
        if shape not in self.learned and urlsplit(url).path.strip("/"):
            self.learned.add(shape)
            self._learned_rx.append(re.compile(shape))
        yield scrapy.Request(url, callback=self.parse_page, errback=self.errback,
                             cb_kwargs={"listing": False, "listing_date": (listing_date or None) and listing_date[:10]})

    # ---- pages
    def looks_like_article(self, url: str) -> bool:
        path = urlsplit(url).path
        if NON_ARTICLE_PATH.search(path) or SKIP_EXT.search(url):
            return False
        full = path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
        return any(rx.search(full) for rx in self._known) or any(rx.match(path) for rx in self._learned_rx)

    def parse_page(self, response, listing: bool = False, listing_date=None):
        stats = self.crawler.stats
        if response.status >= 400:
            stats.inc_value(f"skipped/http_{response.status}")
            return
        if not self._is_html(response):
            stats.inc_value("skipped/not_html")
            logger.info("Not HTML (%s): %s", response.headers.get(b"Content-Type"), response.url)
            return
        ex, platform, kind = extract_any(response.text, response.url)
        if ex is None:
            stats.inc_value("skipped/not_article")
            stats.inc_value(f"skipped/not_article/{kind.reason}")
            logger.info("Not an article (%s), following its links: %s", kind.reason, response.url)
            yield from self._follow(response)
            return
        stats.inc_value(f"platform/{platform}")
        stats.inc_value(f"extract/path_{ex.path}")
        yield from self._emit(response, ex, platform, listing_date)

    def _follow(self, response):
        if self.listing_pages >= (self.max_pages or 10**9):
            return
        self.listing_pages += 1
        stats = self.crawler.stats
        for href in response.css('link[rel="alternate"][type*="rss"]::attr(href), link[rel="alternate"][type*="atom"]::attr(href)').getall():
            url = response.urljoin(href)
            if self.allowed(url):
                yield scrapy.Request(url, callback=self.parse_feed, errback=self.errback)
        found = 0
        for a in response.css("a[href]"):
            href = a.attrib.get("href", "")
            if href.startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            url = canonical_url(response.urljoin(href))
            if not self.allowed(url) or SKIP_EXT.search(url):
                continue
            text = " ".join(a.css("::text").getall()).strip()
            if self.looks_like_article(url):
                found += 1
                yield scrapy.Request(url, callback=self.parse_page, errback=self.errback, cb_kwargs={"listing": False})
            elif PAGER_HINT.search(url) or (PAGER_TEXT.match(text) and a.attrib.get("rel") != "nofollow") or a.attrib.get("rel") == "next":
                yield scrapy.Request(url, callback=self.parse_page, errback=self.errback, cb_kwargs={"listing": True})
        if not found:
            stats.inc_value("listing/no_links")

    def _emit(self, response, ex, platform, listing_date):
        from ..items import Article

        f = ex.fields
        if self.since and f.get("datePublished") and f["datePublished"][:10] < self.since:
            self.crawler.stats.inc_value("skipped/before_since")
            return
        for k, v in ex.counters.items():
            self.crawler.stats.inc_value(k, v)
        item = Article(**f)
        item["url"] = canonical_url(response.url)
        item["source"] = self.source_info()
        item["crawl"] = {
            "fetchedAt": _now(), "status": response.status, "runId": self.run_id,
            "extraction": ex.path, "layout": ex.layout, "platform": platform,
        }
        warc = response.meta.get("warc_record") or response.meta.get("replay_warc")
        if warc:
            item["crawl"].update({k: v for k, v in warc.items() if k in ("warcFile", "warcRecordId", "warcPayloadDigest")})
        yield item

    def parse_listing(self, response, page: int = 1):  # wayback/start_urls compatibility
        yield from self.parse_page(response, listing=True)


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")
