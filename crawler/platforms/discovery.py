"""A spider for a portal it has never seen: sitemaps, feeds and the site's own navigation.

`scrapy crawl portal -a url=https://<any portal>/` and registry entries with `platform = "auto"`
use it. Flow:
- robots.txt (its `Sitemap:` lines), /sitemap.xml, the start page and the RSS/Atom feeds every page
  announces (`<link rel=alternate>`);
- sitemap and feed URLs are article candidates, fetched at once; their shapes teach the site's
  article-URL pattern. A sitemap `lastmod` before `-a since` (a page last modified before that day
  was published before it too) and a feed `pubDate` outside `-a since`/`-a until` prune the URL
  before it is fetched;
- every fetched HTML page goes through platform detection and the not-an-article check: an article
  becomes a record (`-a since`/`-a until` applied to its date); a listing/home/category page
  yields none (`skipped/not_article`). The links of both are read:
  * links that look like articles (known shapes, learned shapes) found on a listing page are
    fetched at once;
  * every other on-host page (menus, "Xem tất cả", categories, pagination, breadcrumbs), and
    article links found only on an article page, join a frontier walked breadth-first from the
    start URL: all pages one click away before pages two clicks away, and at each distance the
    likely listings first (pager links, "Xem tất cả", menu and breadcrumb links, paths the
    site's articles sit under). `max_pages` (default 50, start page included) bounds the pages
    fetched from the frontier; what the budget leaves is counted (`discovery/not_followed_budget`)
    and named in one log line at the end. The frontier is released one distance at a time when
    the engine goes idle (`spider_idle`), so a distance is known whole before the budget is spent
    on it;
  * a page judged an article whose URL is not an article's shape, and whose own markup declares
    a listing (JSON-LD CollectionPage/ItemList, `<link rel=next|prev>` to a pager of its path),
    is read as a listing (`skipped/not_article/declared_*`).
- the crawl stays on the start URL's host exactly (`www.host` and `host` are the same site;
  a subdomain is another site): off-host links are counted (`discovery/offsite_links`), never
  fetched. Print versions (`/in/123`, `/print/…`, `?print=1`, `/ban-in/`), files, and utility
  pages (search, login, contact, tag, author) are counted by reason, never fetched; a pager URL
  of page 1 (`?page=1`, `/page/1/`) is the page without it.
- incremental runs (`-s INCREMENTAL=1`, crawlall): an article URL an earlier run exported (the
  state knows it by its URL or its canonical URL) is not fetched again, wherever it was found
  (`incremental/skipped_seen`); navigation pages are walked as on a first run.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from ..extract.generic import extract_any
from ..urls import ascii_host, canonical_url, host_of
from .base import PortalSpider, _http_date

logger = logging.getLogger(__name__)

VN_TZ = timezone(timedelta(hours=7))

# URL shapes of articles on Vietnamese portals
KNOWN_ARTICLE_PATTERNS = (
    r"-post\d+\.html?$",
    r"[?&](?:NewsID|newsid|ItemID|id|ID|nid|articleid|ArticleID|MaTin|matin|IDTin|idtin|TinID|tinid|IdBaiViet|"
    r"idbaiviet|BaiVietID|baivietid|postid|PostID|ContentID|contentid|NewsId|tin)=\d+",
    r"/-/asset_publisher/[^/]+/content/",
    r"/\d{4}/\d{1,2}/\d{1,2}/[^/]+",
    r"/\d{4}/\d{2}/[^/]+\.html?$",
    r"[-/]\d{4,}\.html?$",
    r"/(?:tin-tuc|tin-bai|bai-viet|news|chi-tiet|chitiet|detail)/[^/?]+[-/]\d+",
    r"\.aspx\?.*(?:NewsID|ItemID|id)=\d+",
)
PAGER_HINT = re.compile(r"(?:[?&](?:page|p|trang|cur|_cur|PageIndex|paged)=\d+|/page/\d+/?$|/trang-\d+|[?&][\w]+_cur=\d+)", re.I)
PAGER_TEXT = re.compile(r"^(?:»|›|>|>>|«|‹|<|<<|trang\s+sau|sau|tiếp|tiếp\s+theo|next|trước|đầu|cuối|"
                        r"first|last|prev|previous|\d{1,3})\W*$|^\W*(?:sau|trước|next|prev)\b", re.I)
SKIP_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|bmp|tiff?|pdf|docx?|xlsx?|pptx?|odt|ods|rtf|txt|zip|rar|7z|gz|"
                      r"mp[34]|avi|mov|wmv|flv|wav|css|js|ico|xml|json|exe|apk)(?:$|\?)", re.I)
NON_ARTICLE_PATH = re.compile(r"/(?:tag|tags|search|tim-?kiem|lien-?he|contact(?:-?us)?|login|logout|dang-?nhap|dang-?ky|"
                              r"register|wp-admin|wp-login(?:\.php)?|wp-json|feed|rss|author|comments?|admin|"
                              r"quan-?tri|cart|gio-?hang|gioi-?thieu|about(?:-?us)?|so-?do-?(?:site|trang|cong)|sitemap|"
                              r"thu-?vien-?(?:anh|video)|album|hoi-?dap|faq)(?:/|$|\?|\.)", re.I)  # GioiThieu.aspx, LienHe.aspx too
# print versions of a page: same text, another URL (never an article candidate, never followed)
_PRINT_SEGMENT = re.compile(r"(?:in|ban-in|banin|in-bai|inbai|in-tin|intin|printer|print(?:[-_]?(?:version|view|"
                            r"preview|page|news|article|friendly|able))?)(?:\.\w+)?", re.I)
_PRINT_QUERY = re.compile(r"(?:^|&)(?:(?:print|printable|inbai|isprint)=(?:1|true|yes|on)|"
                          r"(?:view|layout|format|mode|type|action|do|tmpl)=(?:print|printable|inbai))(?:&|$)", re.I)
# a pager parameter whose value 1 names the first page, i.e. the page without it
_FIRST_PAGE_PARAM = re.compile(r"^(?:page|trang|paged|pageindex|pagenum|pagenumber|pageno|pg|cur|_cur|[\w]+_cur|"
                               r"currentpage|page_no|p_page)$", re.I)
_FIRST_PAGE_PATH = re.compile(r"/(?:page|trang)/1/?$", re.I)
# likelihood that a link leads to a listing (orders the frontier within one distance)
_MORE_TEXT = re.compile(r"^\W*(?:xem\s+(?:tất\s+cả|thêm|tiếp|toàn\s+bộ)|tất\s+cả|more|view\s+all|see\s+all|"
                        r"all\s+news)\W*$", re.I)
_LISTING_WORDS = re.compile(r"(?:^|[/_.-])(?:tin-tuc|tintuc|tin|news|chuyen-muc|chuyenmuc|danh-muc|category|"
                            r"categories|chuyen-de|su-kien|thoi-su|hoat-dong|thong-bao|tin-bai|bai-viet|archives?|"
                            r"blog|section|linh-vuc|phong-trao|cong-tac|tin-hoat-dong)(?:$|[/_.-])", re.I)
_UNLIKELY_WORDS = re.compile(r"(?:^|[/_.-])(?:gioi-thieu|about|so-do|co-cau|lich-su|ban-do|map|sitemap|site-map|"
                             r"hoi-dap|faq|gop-y|thu-vien-anh|album|gallery|video|media|van-ban|vanban|documents?|"
                             r"download|tai-lieu|lich-cong-tac|danh-ba|thu-tuc|dich-vu-cong|english|en)(?:$|[/_.-])", re.I)
_NAV_MARK = re.compile(r"menu|nav|breadcrumb", re.I)
_PAGER_MARK = re.compile(r"pag(?:er|ing|ination)|phan-?trang|phantrang", re.I)
_FEED_PATH = re.compile(r"(?:/(?:rss|feed|atom)(?:\.xml|\.rss)?/?$|\.rss$)", re.I)


# reasons a discovered URL is not fetched (stats `discovery/<reason>`), as the summary line names them
_REASONS = {
    "offsite_links": "off-host",
    "print_links": "print versions",
    "not_followed_file": "files",
    "not_followed_excluded": "utility pages (search, login, contact, tag, author)",
    "not_followed_before_since": "dated before since",
    "not_followed_after_until": "dated after until",
    "pager_first_page": "page-1 pager links (same page as without)",
}


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


def is_print_link(url: str) -> bool:
    """The print version of a page: `/tin-tuc/in/12333`, `/print/123`, `/ban-in/…`, `?print=1`."""
    parts = urlsplit(url)
    if any(_PRINT_SEGMENT.fullmatch(seg) for seg in parts.path.split("/") if seg):
        return True
    return bool(parts.query and _PRINT_QUERY.search(parts.query))


def first_page_collapsed(url: str) -> str:
    """A pager URL of page 1 is the page without the pager: `?page=1` and `/page/1/` are dropped."""
    parts = urlsplit(url)
    path = parts.path
    if _FIRST_PAGE_PATH.search(path):
        path = _FIRST_PAGE_PATH.sub("/", path)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not (_FIRST_PAGE_PARAM.match(k) and v.strip() == "1")]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    if path == parts.path and query == parts.query:
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


_COLLECTION_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage"}
_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
                  "opinionnewsarticle", "backgroundnewsarticle", "scholarlyarticle", "techarticle"}


def declared_listing(response) -> str | None:
    """The page says it is a listing, whatever its prose: its JSON-LD's top-level type is a
    collection (CollectionPage, ItemList, SearchResultsPage) and no article, or its head links
    `rel=next`/`rel=prev` to a pager URL of its own path (`/page/2/`, `?page=2`). The reason, or None."""
    import json

    types: set[str] = set()
    for raw in response.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(raw.strip().removeprefix("<!--").removesuffix("-->"))
        except (ValueError, RecursionError):  # malformed, or nested past Python's limit
            continue
        tops = data if isinstance(data, list) else [data]
        for top in list(tops):
            if isinstance(top, dict) and isinstance(top.get("@graph"), list):
                tops.extend(top["@graph"])
        for node in tops:
            if isinstance(node, dict):
                t = node.get("@type")
                types.update(x.lower() for x in (t if isinstance(t, list) else [t]) if isinstance(x, str))
    if types & _COLLECTION_TYPES and not types & _ARTICLE_TYPES:
        return "declared_collection"
    own = urlsplit(first_page_collapsed(canonical_url(response.url)))
    base = own.path.rstrip("/")
    for href in response.xpath('//head/link[@rel="next" or @rel="prev"]/@href').getall():
        target = urlsplit(canonical_url(response.urljoin(href.strip())))
        if target.hostname != own.hostname or not PAGER_HINT.search(target.path + ("?" + target.query if target.query else "")):
            continue
        tpath = _FIRST_PAGE_PATH.sub("/", re.sub(r"/(?:page|trang)/\d+/?$", "/", target.path)).rstrip("/")
        if tpath == base:
            return "declared_pagination"
    return None


def site_host(host: str) -> str:
    """`www.host` and `host` are one site."""
    host = ascii_host(host)  # the wire form: a Vietnamese host name goes out in punycode
    return host[4:] if host.startswith("www.") else host


def local_date(value: str | None) -> str | None:
    """A sitemap `lastmod` (W3C datetime) or feed `pubDate` (RFC 822) as a day in Asia/Ho_Chi_Minh."""
    value = (value or "").strip()
    if not value:
        return None
    dt = None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            m = re.match(r"(\d{4}-\d{2}-\d{2})", value)
            return m.group(1) if m else None
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(VN_TZ)
    return dt.date().isoformat()


@dataclass
class _Entry:
    url: str
    depth: int
    score: int
    seq: int
    kind: str  # "page" (navigation), "pager" (pagination) or "article" (linked only from an article page)
    via: str


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
        # exactly the start URLs' hosts (www. or not); Scrapy's OffsiteMiddleware would let
        # subdomains through, `allowed()` does not
        self._site_hosts = {site_host(host_of(u)) for u in self.start_urls}
        self.allowed_domains = sorted(self._site_hosts)
        self._netloc = {site_host(host_of(u)): urlsplit(u).netloc for u in self.start_urls}
        self.learned: set[str] = set()
        self._learned_rx: list[re.Pattern] = []
        self._known = [re.compile(p, re.I) for p in KNOWN_ARTICLE_PATTERNS]
        if self.max_pages is None:
            self.max_pages = self.default_max_pages
        # discovery state
        self.pages_fetched = 0  # navigation pages fetched: start URLs + frontier (the max_pages budget)
        self._frontier: list[tuple] = []  # heap of (depth, -score, seq, key)
        self._pending: dict[str, _Entry] = {}  # key -> entry still in the frontier
        self._requested: set[str] = set()  # keys of every page or article requested
        self._seq = itertools.count()
        self._article_dirs: set[str] = set()
        self._not_followed: dict[str, set[str]] = {}  # reason -> URLs (counted once each)
        self._offsite_hosts: dict[str, int] = {}
        self._feeds: set[str] = set()
        self._finished = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        return spider

    # ---- the site's hosts
    def allowed(self, url: str) -> bool:
        host = host_of(url)
        if site_host(host) in self._site_hosts:
            return True
        # hosts a mode adds on purpose (web.archive.org for SOURCE=wayback), exactly
        return host in set(self.allowed_domains) - self._site_hosts

    def _key(self, url: str) -> str:
        """One key per page whatever the scheme or `www.`: the frontier's and the seen set's."""
        p = urlsplit(url)
        return urlunsplit(("https", site_host(p.hostname or ""), p.path or "/", p.query, ""))

    def _on_site(self, url: str) -> str:
        """The URL with the host spelt as the start URL spells it (`www.` or not)."""
        p = urlsplit(url)
        netloc = self._netloc.get(site_host(p.hostname or ""))
        if netloc and p.netloc != netloc and not p.port:
            url = urlunsplit((p.scheme, netloc, p.path, p.query, ""))
        return url

    def _skip(self, reason: str, url: str, stat: str | None = None):
        """Count a URL the spider discovered and will not fetch (once per URL and reason)."""
        seen = self._not_followed.setdefault(reason, set())
        if url in seen:
            return
        seen.add(url)
        self.crawler.stats.inc_value(stat or f"discovery/{reason}")
        if reason == "offsite_links":
            host = host_of(url)
            self._offsite_hosts[host] = self._offsite_hosts.get(host, 0) + 1
        logger.debug("Not followed (%s): %s", reason, url)

    def _feed_request(self, url: str):
        """A feed, once (every page of a site announces the same feed)."""
        if url in self._feeds:
            return None
        self._feeds.add(url)
        return scrapy.Request(url, callback=self.parse_feed, errback=self.errback)

    def _classify(self, raw_url: str, source: str = "page") -> tuple[str | None, str | None]:
        """(url, None) for a URL worth fetching, (None, reason) for one counted and left."""
        url = canonical_url(raw_url)
        if not url.startswith(("http://", "https://")):
            return None, None
        if not self.allowed(url):
            self._skip("offsite_links", url)
            return None, "offsite"
        collapsed = first_page_collapsed(url)
        if collapsed != url:
            self._skip("pager_first_page", url)
            url = canonical_url(collapsed)
        url = self._on_site(url)
        if SKIP_EXT.search(url):
            self._skip("not_followed_file", url)
            return None, "file"
        if is_print_link(url):
            self._skip("print_links", url)
            return None, "print"
        if NON_ARTICLE_PATH.search(urlsplit(url).path + "?"):
            if _FEED_PATH.search(urlsplit(url).path) and source == "page":
                return url, "feed"
            self._skip("not_followed_excluded", url)
            return None, "excluded"
        return url, None

    # ---- start
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
            self._requested.add(self._key(canonical_url(first_page_collapsed(url))))
            self.pages_fetched += 1
            yield scrapy.Request(url, callback=self.parse_page, errback=self.errback,
                                 cb_kwargs={"listing": True, "depth": 0})

    # ---- sitemaps and feeds
    def parse_robots(self, response):
        for line in response.text.splitlines() if hasattr(response, "text") else ():
            if line.lower().startswith("sitemap:"):
                url = line.split(":", 1)[1].strip()
                if self.allowed(url):
                    yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.errback)
                else:
                    self._skip("offsite_links", canonical_url(url))

    def parse_sitemap(self, response):
        if response.status >= 400 or not response.body:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":  # sitemap.xml.gz served as a file (application/x-gzip), not as an encoding
            import gzip
            import zlib

            try:
                body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, self.settings.getint("DOWNLOAD_MAXSIZE") or 2**26)
                self.crawler.stats.inc_value("discovery/sitemap_gzip")
            except (zlib.error, gzip.BadGzipFile) as e:
                self.crawler.stats.inc_value("discovery/sitemap_unreadable")
                logger.warning("Sitemap is gzip that cannot be read (%s): %s", e, response.url)
                return
            text = body.decode("utf-8", "replace")
        else:
            text = response.text if hasattr(response, "text") else body.decode("utf-8", "replace")
        if "<urlset" not in text[:5000] and "<sitemapindex" not in text[:5000]:
            self.crawler.stats.inc_value("discovery/sitemap_unreadable")
            logger.warning("Not a sitemap (no <urlset> or <sitemapindex>): %s", response.url)
            return
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()
        for loc in sel.xpath("//sitemap/loc/text()").getall():
            if self.allowed(loc.strip()):
                yield scrapy.Request(loc.strip(), callback=self.parse_sitemap, errback=self.errback)
            else:
                self._skip("offsite_links", canonical_url(loc.strip()))
        for node in sel.xpath("//url"):
            loc = (node.xpath("loc/text()").get() or "").strip()
            if loc:
                self.crawler.stats.inc_value("discovery/sitemap_urls")
                # lastmod is when the page last changed: a page changed before `since` was
                # published before it too (the converse does not hold: no pruning by `until`)
                yield from self._candidate(loc, source="sitemap",
                                           modified=local_date(node.xpath("lastmod/text()").get()))

    def parse_feed(self, response):
        if not hasattr(response, "text"):
            self.crawler.stats.inc_value("skipped/not_html")
            logger.info("Feed is not text (%s): %s", response.headers.get(b"Content-Type"), response.url)
            return
        head = response.body[:600].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        is_xml = head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head
        if not is_xml:  # an "RSS" page listing the site's feeds (common on .gov.vn)
            for href in response.css("a[href]::attr(href)").getall():
                url = canonical_url(response.urljoin(href.strip()))
                if not re.search(r"\.rss$|\.xml$|/rss/|/feed/?$", urlsplit(url).path, re.I):
                    continue
                if not self.allowed(url):
                    self._skip("offsite_links", url)
                elif (req := self._feed_request(url)) is not None:
                    yield req
            return
        sel = Selector(text=response.text, type="xml")
        sel.remove_namespaces()
        items = [(n.xpath("link/text()").get(), n.xpath("pubDate/text()").get() or n.xpath("date/text()").get())
                 for n in sel.xpath("//item")]
        items += [(n.xpath("link[not(@rel) or @rel='alternate']/@href").get() or n.xpath("link/@href").get(),
                   n.xpath("published/text()").get()) for n in sel.xpath("//entry")]
        for link, published in items:
            link = (link or "").strip()
            if link:
                self.crawler.stats.inc_value("discovery/feed_urls")
                yield from self._candidate(link, source="feed", published=local_date(published))

    def _candidate(self, url, source, modified=None, published=None):
        """A URL a sitemap or feed names: an article candidate, fetched at once."""
        url, _ = self._classify(url, source=source)
        if url is None:
            return
        key = self._key(url)
        if key in self._requested:
            return
        if self.since and ((modified and modified < self.since) or (published and published < self.since)):
            self._skip("not_followed_before_since", url)
            self._requested.add(key)  # pruned: a listing linking it later will not fetch it either
            return
        if self.until and published and published > self.until:
            self._skip("not_followed_after_until", url)
            self._requested.add(key)
            return
        shape = url_shape(url)
        if shape not in self.learned and urlsplit(url).path.strip("/"):
            self.learned.add(shape)
            self._learned_rx.append(re.compile(shape))
        self._requested.add(key)
        self._forget_pending(key)
        if self._exported(url):
            return
        self._note_article_dir(url)
        yield scrapy.Request(url, callback=self.parse_page, errback=self.errback, priority=10,
                             cb_kwargs={"listing": False, "listing_date": published or modified, "depth": 1})

    def _exported(self, url: str) -> bool:
        """An article an earlier run exported (INCREMENTAL state, without RECRAWL): not fetched
        again (`incremental/skipped_seen`), as the site spiders skip it on their listings."""
        if self.state is None or canonical_url(url) not in self.state:
            return False
        self.crawler.stats.inc_value("incremental/skipped_seen")
        logger.debug("Already exported (incremental state), not fetched: %s", url)
        return True

    # ---- pages
    def looks_like_article(self, url: str) -> bool:
        path = urlsplit(url).path
        if NON_ARTICLE_PATH.search(path) or SKIP_EXT.search(url) or is_print_link(url):
            return False
        full = path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
        return any(rx.search(full) for rx in self._known) or any(rx.match(path) for rx in self._learned_rx)

    def parse_page(self, response, listing: bool = False, listing_date=None, depth: int = 0, kind: str = "page"):
        stats = self.crawler.stats
        if self.unusable(response, "page", not_html_level=logging.INFO):
            return
        if depth == 0 and listing:
            # the start page answered under the other spelling of the host (host -> www.host):
            # links are written the way the site serves them, not redirected page by page
            final = urlsplit(response.url)
            if site_host(final.hostname or "") in self._netloc and not final.port:
                self._netloc[site_host(final.hostname)] = final.netloc
        broken = self.not_an_article(response, check_redirect=False)
        if broken:  # a soft 404, a login form, a page cut off: not an article, nothing to follow
            stats.inc_value(f"skipped/{broken}")
            logger.warning("Not an article (%s): %s", broken.replace("_", " "), response.url)
            return
        ex, platform, page = extract_any(response.text, response.url,
                                         expect_article=self.looks_like_article(response.url))
        reason = page.reason if page is not None else "unknown"
        if ex is not None and not self.looks_like_article(response.url):
            # a page reached through the navigation whose own markup says it is a listing
            # (a category page with long excerpts would otherwise become a record)
            declared = declared_listing(response)
            if declared:
                ex, reason = None, declared
        if ex is None:
            stats.inc_value("pages/listing")
            stats.inc_value("skipped/not_article")
            stats.inc_value(f"skipped/not_article/{reason}")
            logger.info("Not an article (%s), following its links: %s", reason, response.url)
            yield from self._follow(response, depth, from_article=False)
            return
        stats.inc_value("pages/article")
        stats.inc_value(f"platform/{platform}")
        stats.inc_value(f"extract/path_{ex.path}")
        self._note_article_dir(response.url)
        yield from self._emit(response, ex, platform, listing_date)
        # an article's links are followed too (a listing judged an article must not end the
        # walk); a start page or a pager page keeps a listing's standing
        yield from self._follow(response, depth, from_article=not (listing or kind == "pager"))

    def _note_article_dir(self, url: str):
        path = urlsplit(url).path
        if "/" in path.strip("/"):
            self._article_dirs.add(path.rsplit("/", 1)[0].rstrip("/"))

    def _follow(self, response, depth: int, from_article: bool):
        for href in response.css('link[rel="alternate"][type*="rss"]::attr(href), link[rel="alternate"][type*="atom"]::attr(href)').getall():
            url = canonical_url(response.urljoin(href.strip()))
            if not self.allowed(url):
                self._skip("offsite_links", url)
            elif (req := self._feed_request(url)) is not None:
                yield req
        found = 0
        links = [(a, a.attrib.get("href", "")) for a in response.css("a[href], area[href]")]
        links += [(None, h) for h in response.css('link[rel="next"]::attr(href)').getall()]
        for a, href in links:
            href = (href or "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "tel:", "#", "data:", "sms:", "zalo:")):
                continue
            url, reason = self._classify(response.urljoin(href))
            if reason == "feed":
                if (req := self._feed_request(url)) is not None:
                    yield req
                continue
            if url is None:
                continue
            key = self._key(url)
            if key in self._requested:
                if self.looks_like_article(url):
                    found += 1
                continue
            if self.looks_like_article(url):
                found += 1
                if self._exported(url):
                    self._requested.add(key)
                    self._forget_pending(key)
                    continue
                if not from_article:
                    self._requested.add(key)
                    self._forget_pending(key)
                    self._note_article_dir(url)
                    self.crawler.stats.inc_value("discovery/article_links")
                    yield scrapy.Request(url, callback=self.parse_page, errback=self.errback, priority=10,
                                         cb_kwargs={"listing": False, "depth": depth + 1},
                                         meta={"listing_url": response.url})
                    continue
                self._push(url, depth + 1, 1, "article", response.url)
                continue
            score, is_pager = self._listing_score(a, url, from_article)
            self._push(url, depth + 1, score, "pager" if is_pager else "page", response.url)
        if not found and not from_article:
            # a menu page without articles is normal here: counted, not a layout warning
            self.crawler.stats.inc_value("discovery/pages_without_article_links")
            logger.info("No article links on %s", response.url)

    def _listing_score(self, a, url: str, from_article: bool) -> tuple[int, bool]:
        """How likely a link leads to a listing: orders the frontier within one distance."""
        text = " ".join(" ".join(a.css("::text").getall()).split()) if a is not None else ""
        rel = (a.attrib.get("rel") or "").lower() if a is not None else "next"
        in_nav = in_pager = False
        if a is not None:
            el = a.root
            for _ in range(8):
                el = el.getparent()
                if el is None or not isinstance(el.tag, str):
                    break
                marks = f"{el.get('class') or ''} {el.get('id') or ''}"
                if el.tag == "nav" or _NAV_MARK.search(marks):
                    in_nav = True
                if _PAGER_MARK.search(marks):
                    in_pager = True
        is_pager = "next" in rel or in_pager or bool(PAGER_HINT.search(url)) or bool(text and PAGER_TEXT.match(text))
        path = urlsplit(url).path
        score = 0
        if is_pager:
            score += 8
        if text and _MORE_TEXT.match(text):
            score += 7
        if in_nav:
            score += 3
        if path.rstrip("/") in self._article_dirs:
            score += 3
        if _LISTING_WORDS.search(path):
            score += 2
        if _UNLIKELY_WORDS.search(path):
            score -= 4
        if from_article:
            score -= 1
        return score, is_pager

    # ---- the frontier (breadth-first, likely listings first, max_pages)
    def _push(self, url: str, depth: int, score: int, kind: str, via: str):
        key = self._key(url)
        old = self._pending.get(key)
        if old is not None:
            if (depth, -score) >= (old.depth, -old.score):
                return
            old.seq = -1  # superseded: its heap row is skipped
        entry = _Entry(url, depth, score, next(self._seq), kind, via)
        self._pending[key] = entry
        heapq.heappush(self._frontier, (depth, -score, entry.seq, key))

    def _forget_pending(self, key: str):
        entry = self._pending.pop(key, None)
        if entry is not None:
            entry.seq = -1

    def _budget_left(self) -> int:
        if not self.max_pages:  # 0: no limit
            return 10**9
        return max(0, self.max_pages - self.pages_fetched)

    def _next_wave(self) -> list:
        """The pending pages of the nearest distance, likely listings first, within the budget."""
        left = self._budget_left()
        out = []
        wave_depth = None
        while self._frontier and left > 0:
            depth, _neg, seq, key = self._frontier[0]
            entry = self._pending.get(key)
            if entry is None or entry.seq != seq:
                heapq.heappop(self._frontier)
                continue
            if wave_depth is not None and depth != wave_depth:
                break
            wave_depth = depth
            heapq.heappop(self._frontier)
            del self._pending[key]
            self._requested.add(key)
            self.pages_fetched += 1
            left -= 1
            out.append(scrapy.Request(entry.url, callback=self.parse_page, errback=self.errback,
                                      priority=max(0, entry.score),
                                      cb_kwargs={"listing": False, "depth": entry.depth, "kind": entry.kind},
                                      meta={"discovered_on": entry.via}))
        return out

    def _on_idle(self, spider=None):
        if self.settings.get("SOURCE", "live") == "wayback":
            return
        wave = self._next_wave()
        if wave:
            logger.debug("Discovery: %d pages at distance %s (%d of max_pages=%s used)",
                         len(wave), wave[0].cb_kwargs["depth"], self.pages_fetched, self.max_pages)
            for req in wave:
                self.crawler.engine.crawl(req)
            raise DontCloseSpider
        self._finish()

    def _finish(self):
        """Count what the budget left and write the discovery summary (once)."""
        if self._finished or self.settings.get("SOURCE", "live") == "wayback":
            return
        self._finished = True
        stats = self.crawler.stats
        left = sorted(self._pending.values(), key=lambda e: (e.depth, -e.score, e.seq))
        stats.set_value("discovery/pages_fetched", self.pages_fetched)
        if left:
            stats.set_value("discovery/not_followed_budget", len(left))
            logger.warning(
                "Discovery budget reached (max_pages=%s): %d on-host pages not fetched (%d article links "
                "seen only on article pages), e.g. %s; raise -a max_pages=N to follow them",
                self.max_pages, len(left), sum(1 for e in left if e.kind == "article"),
                ", ".join(e.url for e in left[:5]))
        parts = [f"{_REASONS.get(k, k)} {len(v)}" for k, v in sorted(self._not_followed.items()) if v]
        hosts = ", ".join(sorted(self._offsite_hosts, key=lambda h: (-self._offsite_hosts[h], h))[:8])
        logger.info("Discovery of %s: %d pages fetched to discover (max_pages=%s), %d not fetched for the "
                    "budget; not fetched by reason: %s%s", self.start_urls[0], self.pages_fetched,
                    self.max_pages or "unlimited", len(left), "; ".join(parts) or "none",
                    f" (off-host: {hosts})" if hosts else "")

    def closed(self, reason):
        self._finish()

    # ---- records
    def _emit(self, response, ex, platform, listing_date):
        from ..items import Article

        stats = self.crawler.stats
        for k, v in ex.counters.items():
            stats.inc_value(k, v)
        for note in ex.notes:
            logger.info("%s: %s", note, response.url)
        if ex.path == "fallback":
            logger.warning("Fallback extraction (no layout found the body): %s", response.url)
        f = ex.fields
        published = (f.get("datePublished") or "")[:10]
        if self.since and published and published < self.since:
            stats.inc_value("skipped/before_since")
            logger.info("Before since=%s (%s): %s", self.since, published, response.url)
            return
        if self.until and published and published > self.until:
            stats.inc_value("skipped/after_until")
            logger.info("After until=%s (%s): %s", self.until, published, response.url)
            return
        self.check_future_date(f, response.url)
        item = Article(**f)
        item["url"] = canonical_url(response.url)
        item["source"] = self.source_info()
        item["crawl"] = {
            "fetchedAt": (response.meta.get("replay_warc") or response.meta.get("warc_record") or {}).get("warcDate")
            or _http_date(response) or _now(),
            "status": response.status, "runId": self.run_id,
            "extraction": ex.path, "layout": ex.layout, "platform": platform,
        }
        warc = response.meta.get("warc_record") or response.meta.get("replay_warc")
        if warc:
            item["crawl"].update({k: v for k, v in warc.items() if k in ("warcFile", "warcRecordId", "warcPayloadDigest")})
        yield item

    def parse_listing(self, response, page: int = 1):  # wayback/start_urls compatibility
        yield from self.parse_page(response, listing=True)


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
