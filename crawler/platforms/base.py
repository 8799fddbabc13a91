"""The base spider every site spider stands on: listing pages -> article links -> next page.

A platform module (aspnet.py, liferay.py, …) subclasses `PortalSpider` with the platform's
listing selectors and article `Layout`s; a site module only states site facts (name, hosts,
start URLs, organisation, level, province) and the few rules where it differs.

Spider arguments (`-a`): since=YYYY-MM-DD, until=YYYY-MM-DD, max_pages=N (listing pages per start
URL), site=URL (point a portal-family spider at another host).
"""
from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.http import HtmlResponse, TextResponse

from ..extract import dates as D
from ..extract.article import Layout, extract_article
from ..extract.generic import error_page_kind
from ..items import Article
from ..provinces import province_now
from ..urls import ascii_host, canonical_url, host_of, is_home_url, same_site

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml")


class PortalSpider(scrapy.Spider):
    # --- site facts (set by site modules)
    site_name: str = ""
    organisation: str = ""
    level: str = ""  # tỉnh | huyện | xã
    province: str = ""  # province at publication (pre-2025 name)
    district: str | None = None
    homepage: str = ""
    platform: str = "generic"
    tags: tuple[str, ...] = ()  # for `scrapy crawlall --tag`
    # --- navigation (set by platform modules, refined by sites)
    listing_items: tuple[str, ...] = ()  # CSS for the main list's article links (a elements)
    next_page: tuple[str, ...] = ()  # CSS for the pager's next link (a elements)
    pager_links: tuple[str, ...] = ()  # CSS for all numbered pager links (fallback to next_page)
    listing_date: str | None = None  # CSS, relative to an item's container, for its date
    article_url_pattern: str | None = None  # regex an article URL must match
    layouts: tuple[Layout, ...] = ()
    # --- wayback (see crawler.archive.wayback)
    wayback_url_patterns: tuple[str, ...] = ()  # CDX url= queries, e.g. "baobackan.vn/*"

    custom_settings: dict = {}

    def __init__(self, *args, since=None, until=None, max_pages=None, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.since = _parse_limit(since, "since")
        self.until = _parse_limit(until, "until")
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.state = None  # set by DedupPipeline in incremental mode
        if site:
            self._retarget(site)
        if not getattr(self, "allowed_domains", None):
            self.allowed_domains = sorted({host_of(u) for u in self.start_urls})
        # Scrapy's offsite filter compares the wire form of hosts: a Vietnamese host name
        # ("huyệnủy.vn") goes out in punycode, and www.host and host are the same site
        self.allowed_domains = sorted({h for d in self.allowed_domains for h in _www_twins(ascii_host(d))})
        self._seen_run = 0
        self._listed: dict[str, set[str]] = {}  # article URLs listed, per walk from a start URL
        self._listing_seen: set[str] = set()  # listing pages read this run
        self._article_pattern = re.compile(self.article_url_pattern) if self.article_url_pattern else None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.get("SOURCE", "live") == "wayback":
            spider.allowed_domains = list(spider.allowed_domains) + ["web.archive.org"]
        return spider

    def _retarget(self, site: str):
        """`-a site=URL`: same portal family, another host; start paths are kept."""
        site = site if "://" in site else "https://" + site
        new = urlsplit(site)
        self.start_urls = [
            urlsplit(u)._replace(scheme=new.scheme, netloc=new.netloc).geturl() for u in self.start_urls
        ]
        self.homepage = f"{new.scheme}://{new.netloc}/"
        self.allowed_domains = [new.hostname]

    # ------------------------------------------------------------------ crawl flow
    async def start(self):
        source = self.settings.get("SOURCE", "live")
        if source == "wayback":
            from ..archive.wayback import wayback_start_requests

            for req in wayback_start_requests(self):
                yield req
            return
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_listing, cb_kwargs={"page": 1},
                                 errback=self.errback)

    def _is_html(self, response) -> bool:
        """HTML by its Content-Type when one is given; by the response class (Scrapy sniffs the
        body) only when none is (ContentCheckMiddleware already re-typed mislabelled bodies)."""
        if not isinstance(response, TextResponse):
            return False
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if any(t in ctype for t in HTML_TYPES):
            return True
        return isinstance(response, HtmlResponse)

    def parse_listing(self, response, page: int = 1):
        stats = self.crawler.stats
        if not self._is_html(response):
            stats.inc_value("skipped/not_html")
            logger.warning("Listing is not HTML (%s): %s", response.headers.get(b"Content-Type"), response.url)
            return
        stats.inc_value("pages/listing")
        links = self.article_links(response)
        if not links:
            stats.inc_value("listing/no_links")
            logger.warning("Listing page yielded no article links (layout changed?): %s", response.url)
        seen_in_row = 0
        stop_after = self.settings.getint("INCREMENTAL_STOP_AFTER_SEEN", 0)
        older = 0
        for url, listing_date in links:
            if listing_date and self.since and listing_date[:10] < self.since:
                older += 1
                continue
            if self.state is not None and canonical_url(url) in self.state:
                stats.inc_value("incremental/skipped_seen")
                seen_in_row += 1
                continue
            seen_in_row = 0
            yield scrapy.Request(url, callback=self.parse_article, errback=self.errback,
                                 cb_kwargs={"listing_date": listing_date},
                                 meta={"listing_url": response.url})
        if older and older == len(links):
            logger.info("All items on %s are older than since=%s: stopping pagination", response.url, self.since)
            return
        if stop_after and self.state is not None and links and seen_in_row >= min(stop_after, len(links)):
            stats.inc_value("incremental/listing_stopped")
            logger.info("Listing %s: %d already-seen articles in a row: stopping", response.url, seen_in_row)
            return
        chain = response.meta.get("listing_chain") or canonical_url(response.url)
        listed = self._listed.setdefault(chain, set())
        if links and all(url in listed for url, _ in links):
            # a pager that never ends (CMSs that answer any ?page=N with the last page)
            stats.inc_value("listing/no_new_links")
            logger.warning("Listing %s repeats only articles already listed: pagination stops", response.url)
            return
        listed.update(url for url, _ in links)
        self._listing_seen.add(canonical_url(response.url))
        if self.max_pages is not None and page >= self.max_pages:
            return
        nxt = self.next_page_url(response, page)
        if nxt and nxt in self._listing_seen:
            stats.inc_value("listing/pager_cycle")
            logger.warning("Pager of %s leads back to %s, already read: pagination stops", response.url, nxt)
            return
        if nxt:
            yield scrapy.Request(nxt, callback=self.parse_listing, cb_kwargs={"page": page + 1},
                                 errback=self.errback, meta={"listing_chain": chain})

    def article_links(self, response) -> list[tuple[str, str | None]]:
        """Links of the main list: the first `listing_items` selector that finds any wins, so a
        precise selector (the main column's list) shadows broader fallbacks (sidebars use the same
        item markup on many CMSs)."""
        out, seen, raw_seen = [], set(), set()
        stats = self.crawler.stats
        limit = self.settings.getint("LISTING_MAX_LINKS", 5000)
        bad = not_article = 0
        for q in self.listing_items:
            if out:
                break
            for a in response.css(q):
                href = a.attrib.get("href") if hasattr(a, "attrib") else None
                if not href:
                    href = a.css("::attr(href)").get()
                if not href or href.strip().lower().startswith(("javascript:", "#", "mailto:", "tel:")):
                    continue
                href = href.strip()
                if href in raw_seen:
                    continue
                raw_seen.add(href)
                if len(out) >= limit:
                    stats.inc_value("listing/links_over_limit")
                    continue
                url = self.safe_url(response, href)
                if url is None:
                    bad += 1
                    continue
                if not self.allowed(url) or url in seen:
                    continue
                if self._article_pattern and not self.is_article_url(url):
                    stats.inc_value("listing/link_not_article")
                    not_article += 1
                    continue
                seen.add(url)
                out.append((url, self._item_date(a)))
        if not_article:
            logger.debug("Listing %s: %d link(s) not of the site's article shape, not followed", response.url, not_article)
        if bad:
            stats.inc_value("listing/bad_href", bad)
            logger.warning("Listing %s: %d link(s) with a malformed URL skipped", response.url, bad)
        if len(out) >= limit and stats.get_value("listing/links_over_limit"):
            logger.warning("Listing %s: more than LISTING_MAX_LINKS=%d article links; the rest not followed",
                           response.url, limit)
        return out

    def is_article_url(self, url: str) -> bool:
        """The site's article shape, also for a link decorated with a query or a trailing slash
        ("…-post123.html?utm=x", "…-post123.html/")."""
        if self._article_pattern is None:
            return True
        if self._article_pattern.search(url):
            return True
        bare = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        return bool(self._article_pattern.search(bare))

    @staticmethod
    def safe_url(response, href: str) -> str | None:
        """The canonical absolute URL of a link, or None when it cannot be one (http://[::1,
        a port out of range, a scheme that is not http)."""
        try:
            url = canonical_url(response.urljoin(href))
            parts = urlsplit(url)
            parts.port  # raises on a bad port
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return url

    def _item_date(self, a) -> str | None:
        """The date printed with a listing item: looked for in the item's container, never in
        the list around it (another item's date) or the page (the header's clock)."""
        if not self.listing_date:
            return None
        href = a.attrib.get("href") if hasattr(a, "attrib") else None
        for anc in a.xpath("ancestor::*[position()<=4]")[::-1]:
            if anc.root.tag in ("body", "html") or len({h for h in anc.xpath(".//a/@href").getall() if h != href}) > 2:
                break  # the list (or the page), not this item
            t = anc.css(self.listing_date)
            if t:
                text = " ".join(t.css("::text").getall()) or t.attrib.get("datetime", "")
                pd = D.parse_date(text, source="listing")
                if pd and pd.value:
                    return pd.value.isoformat()
                return None
        return None

    def next_page_url(self, response, page: int) -> str | None:
        here = canonical_url(response.url)
        for q in self.next_page:
            found = response.css(q)
            href = (found.attrib.get("href") or "").strip() if found else ""
            if href and not href.lower().startswith(("javascript:", "#")):
                url = self.safe_url(response, href)
                if url and self.allowed(url) and url != here:
                    return url
        for q in self.pager_links:  # numbered pager: the link whose text is page+1
            for a in response.css(q):
                if "".join(a.css("::text").getall()).strip() != str(page + 1):
                    continue
                href = (a.attrib.get("href") or "").strip()
                if not href or href.lower().startswith(("javascript:", "#")):
                    # ASP.NET postback pagers (__doPostBack) cannot be followed with GET requests
                    self.crawler.stats.inc_value("listing/pager_postback")
                    logger.warning("Pager link to page %d is a postback, not a URL; pagination stops: %s",
                                   page + 1, response.url)
                    return None
                url = self.safe_url(response, href)
                if url and self.allowed(url) and url != here:
                    return url
        return None

    def allowed(self, url: str) -> bool:
        host = host_of(url)
        return any(same_site(host, d) for d in self.allowed_domains)

    # ------------------------------------------------------------------ articles
    def unusable(self, response, what: str = "article", not_html_level=logging.WARNING) -> bool:
        """An error status, a body that is not HTML, an empty page: counted, logged, True."""
        stats = self.crawler.stats
        if response.status >= 400:
            stats.inc_value(f"skipped/http_{response.status}")
            first = (response.request.meta.get("redirect_urls") or [None])[0] if response.request is not None else None
            logger.warning("HTTP %s for %s %s%s", response.status, what, response.url,
                           f" (linked as {first}, redirected)" if first and first != response.url else "")
            return True
        if not self._is_html(response):
            stats.inc_value("skipped/not_html")
            logger.log(not_html_level, "%s is not HTML (%s): %s", what.capitalize(),
                       response.headers.get(b"Content-Type"), response.url)
            return True
        if not response.body.strip():
            stats.inc_value("skipped/empty_page")
            logger.warning("Empty page: %s", response.url)
            return True
        return False

    def parse_article(self, response, listing_date: str | None = None, capture=None):
        stats = self.crawler.stats
        if self.unusable(response):
            return
        reason = self.not_an_article(response, capture)
        if reason:
            requested = (response.request.meta.get("redirect_urls") or [response.request.url])[0] if response.request else response.url
            stats.inc_value(f"skipped/{reason}")
            logger.warning("Not an article (%s): %s%s", reason.replace("_", " "), requested,
                           f" (answered by {response.url})" if requested != response.url else "")
            return
        frame = None if capture or response.meta.get("frame_of") else self.article_frame(response)
        if frame:
            # a frameset (or a page that is one same-site frame): the article is the frame's page
            stats.inc_value("pages/frame_followed")
            logger.info("Article %s is a frame of %s: following the frame", response.url, frame)
            yield scrapy.Request(frame, callback=self.parse_article, errback=self.errback,
                                 cb_kwargs={"listing_date": listing_date},
                                 meta={"frame_of": response.url, "listing_url": response.meta.get("listing_url")})
            return
        stats.inc_value("pages/article")
        url = capture["original"] if capture else (response.meta.get("frame_of") or response.url)
        capture_date = capture["timestamp_iso"] if capture else None
        ex = extract_article(response.selector, url, self.layouts, listing_date=listing_date,
                             capture_date=capture_date)
        for k, v in ex.counters.items():
            stats.inc_value(k, v)
        for note in ex.notes:
            logger.info("%s: %s", note, url)
        if ex.path == "fallback":
            logger.warning("Fallback extraction (site selectors found no body): %s", url)
        f = ex.fields
        if self.since and f.get("datePublished") and f["datePublished"][:10] < self.since:
            stats.inc_value("skipped/before_since")
            return
        if self.until and f.get("datePublished") and f["datePublished"][:10] > self.until:
            stats.inc_value("skipped/after_until")
            return
        self.check_future_date(f, url, capture_date)
        item = Article(**f)
        item["url"] = canonical_url(url)
        item["source"] = self.source_info()
        crawl = {
            "fetchedAt": (response.meta.get("replay_warc") or response.meta.get("warc_record") or {}).get("warcDate")
            or _http_date(response)
            or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "status": response.status,
            "runId": self.run_id,
            "extraction": ex.path,
            "layout": ex.layout,
            "platform": self.platform,
        }
        warc = response.meta.get("warc_record") or response.meta.get("replay_warc")
        if warc:
            crawl.update({k: v for k, v in warc.items() if k in ("warcFile", "warcRecordId", "warcPayloadDigest")})
        if capture:
            crawl["archiveCaptureUrl"] = capture["capture_url"]
            crawl["archiveCaptureTime"] = capture["timestamp_iso"]
            crawl["archiveSource"] = "wayback"
        item["crawl"] = crawl
        nxt = None if capture else self.article_next_page(response, [response.url])
        if nxt:
            stats.inc_value("pages/article_continued")
            logger.info("Article %s goes on at %s: reading its next page", url, nxt)
            yield scrapy.Request(nxt, callback=self.parse_article_page, errback=self.article_page_failed,
                                 cb_kwargs={"item": item, "pages": [response.url]}, meta={"article_item": item})
            return
        yield item

    # ------------------------------------------------------------------ articles over several pages
    _PAGE_PARAM = re.compile(r"^(?:page|p|trang|pg|paged|pageindex|pagenum|start)$", re.I)

    def article_next_page(self, response, seen: list[str]) -> str | None:
        """The next page of a paginated article: a link (rel=next, or a pager link) to the same
        path with a page number one higher (?page=2, ?trang=2, /2, -2.html), never a listing."""
        from urllib.parse import parse_qsl

        here = urlsplit(canonical_url(response.url))
        here_q = dict(parse_qsl(here.query))
        current = next((int(v) for k, v in here_q.items() if self._PAGE_PARAM.match(k) and v.isdigit()), 1)
        root = response.selector.root
        hrefs = list(_REL_NEXT(root))
        page_rx = re.compile(r"[?&](?:page|p|trang|pg|paged)=%d\b" % (current + 1), re.I)
        hrefs += [h for h in _ALL_HREFS(root) if "=" in h and page_rx.search(h)]
        for href in hrefs:
            url = self.safe_url(response, href.strip())
            if not url or url in seen or not self.allowed(url):
                continue
            cand = urlsplit(url)
            if cand.path != here.path:
                continue
            q = dict(parse_qsl(cand.query))
            pages = [int(v) for k, v in q.items() if self._PAGE_PARAM.match(k) and v.isdigit()]
            others = {k: v for k, v in q.items() if not self._PAGE_PARAM.match(k)}
            if pages == [current + 1] and others == {k: v for k, v in here_q.items() if not self._PAGE_PARAM.match(k)}:
                return url
        return None

    def parse_article_page(self, response, item, pages):
        """A later page of a paginated article: its paragraphs, pictures and files join the record."""
        stats = self.crawler.stats
        pages = pages + [response.url]
        if response.status < 400 and self._is_html(response):
            ex = extract_article(response.selector, item["url"], self.layouts)
            more = (ex.fields.get("articleBody") or "").split("\n\n")
            have = (item.get("articleBody") or "").split("\n\n")
            new = [p for p in more if p and p not in have]
            if new:
                item["articleBody"] = "\n\n".join([p for p in have if p] + new)
            for key in ("images", "videos", "attachments"):
                known = {x["url"] for x in item.get(key) or []}
                item[key] = list(item.get(key) or []) + [x for x in ex.fields.get(key) or [] if x["url"] not in known]
            stats.inc_value("pages/article_page")
            nxt = self.article_next_page(response, pages) if len(pages) < 50 else None
            if nxt:
                yield scrapy.Request(nxt, callback=self.parse_article_page, errback=self.article_page_failed,
                                     cb_kwargs={"item": item, "pages": pages}, meta={"article_item": item})
                return
        else:
            stats.inc_value("extract/article_page_failed")
            logger.warning("Page %d of article %s could not be read (HTTP %s): exported with the pages read",
                           len(pages), item["url"], response.status)
        yield item

    def article_page_failed(self, failure):
        """A later page failed to download: the pages read are exported, the failure logged."""
        item = failure.request.meta.get("article_item")
        self.errback(failure)
        if item is not None:
            self.crawler.stats.inc_value("extract/article_page_failed")
            logger.warning("A page of article %s failed (%s): exported with the pages read", item["url"],
                           failure.getErrorMessage())
            yield item

    def article_frame(self, response) -> str | None:
        """The page a frameset (or a lone same-site iframe with no text around it) shows."""
        root = response.selector.root
        frames = []
        if root.find(".//frameset") is not None:
            nav = re.compile(r"menu|nav|top|header|banner|left|footer|dau|tieu-?de|logo", re.I)
            main = re.compile(r"main|content|noi-?dung|chinh|body|center|detail|chi-?tiet", re.I)
            for f in root.iter("frame"):
                if not f.get("src"):
                    continue
                label = " ".join(filter(None, (f.get("name"), f.get("id"), f.get("src"))))
                frames.append((2 if main.search(label) else 0 if nav.search(label) else 1, f.get("src")))
            # the content frame first: named so, else any frame that is not the menu or the banner
            frames = [src for rank, src in sorted(frames, key=lambda x: -x[0]) if rank > 0]
        if not frames:
            iframes = [f.get("src") for f in root.iter("iframe") if f.get("src")]
            if len(iframes) != 1:
                return None
            body = root.find("body")
            text = "".join(t for t in (body.itertext() if body is not None else ()) if t.strip())
            if any(c.isalpha() for c in text.replace(" ", "")[:2000]):  # text around it: an ordinary page
                return None
            frames = iframes
        for src in frames:
            url = self.safe_url(response, src.strip())
            if url and self.allowed(url) and url != canonical_url(response.url) and not re.search(
                    r"youtube|vimeo|facebook|player|video|map", url, re.I):
                return url
        return None

    def check_future_date(self, fields: dict, url: str, capture_date: str | None = None):
        """A publication date after the fetch (or the capture) is a typo: null, raw kept, counted."""
        if fields.get("datePublished") and _in_future(fields["datePublished"], capture_date):
            self.crawler.stats.inc_value("date/in_future")
            logger.warning("Date %r is in the future; datePublished left empty (raw kept): %s",
                           fields.get("datePublishedRaw") or fields["datePublished"], url)
            fields["datePublished"] = None
            fields["datePublishedSource"] = None

    def not_an_article(self, response, capture=None, check_redirect=True) -> str | None:
        """Why a page answered for an article link is not one, or None:
        - redirected_not_article: the request was redirected to a URL that is not of the site's
          article shape (a deleted article sent to the home page or to a login page);
        - soft_404: a 200 page that says the article does not exist;
        - login_page: a login form instead of the article;
        - truncated: the body stops in the middle of the markup (a short Content-Length)."""
        redirected = bool(response.request is not None and response.request.meta.get("redirect_urls"))
        if redirected and not capture and check_redirect:
            final = canonical_url(response.url)
            if (self._article_pattern and not self._article_pattern.search(final)) or is_home_url(final):
                return "redirected_not_article"
        reason = error_page_kind(response.text if hasattr(response, "text") else "", len(response.body))
        if reason:
            return reason
        tail = response.body[-2048:].rstrip()
        low = tail.lower()
        if tail and b"</html" not in low and b"</body" not in low:
            # cut inside a tag, or inside a UTF-8 character: the server stopped mid-page
            if tail.rfind(b"<") > tail.rfind(b">"):
                return "truncated"
            if (getattr(response, "encoding", "") or "").lower().replace("_", "-") in ("utf-8", "utf8"):
                try:
                    tail[-8:].decode("utf-8")
                except UnicodeDecodeError as e:
                    if e.reason.startswith("unexpected end"):
                        return "truncated"
        return None

    def errback(self, failure):
        stats = self.crawler.stats
        req = failure.request
        reason = failure.type.__name__ if failure.type else "error"
        from scrapy.spidermiddlewares.httperror import HttpError

        if failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value(f"skipped/http_{status}")
            first = (req.meta.get("redirect_urls") or [None])[0]
            logger.warning("HTTP %s: %s%s", status, req.url, f" (linked as {first}, redirected)" if first and first != req.url else "")
            return
        from scrapy.exceptions import IgnoreRequest

        if failure.check(IgnoreRequest):
            # robots.txt, off-site, redirect loops, size limits: the middleware that refused the
            # request has already counted and logged it under its own reason
            msg = failure.getErrorMessage()
            if "robots.txt" in msg:  # counted by Scrapy as robotstxt/forbidden, logged only at DEBUG
                logger.warning("Not fetched, forbidden by robots.txt: %s", req.url)
            else:
                logger.debug("Request not made (%s): %s", msg, req.url)
            return
        stats.inc_value(f"errors/{reason}")
        message = failure.getErrorMessage() or (type(failure.value).__doc__ or "").strip().splitlines()[0:1]
        if isinstance(message, list):
            message = message[0] if message else "no detail"
        first = (req.meta.get("redirect_urls") or [None])[0]
        logger.warning("Request failed (%s: %s): %s%s", reason, message, req.url,
                       f" (linked as {first}, redirected)" if first and first != req.url else "")

    # ------------------------------------------------------------------ provenance
    @property
    def run_id(self) -> str:
        rid = self.settings.get("RUN_ID")
        if not rid:
            if not hasattr(self, "_run_id"):
                self._run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
            rid = self._run_id
        return rid

    def source_info(self) -> dict:
        now, code = province_now(self.province) if self.province else (None, None)
        return {
            "spider": self.name,
            "siteName": self.site_name or host_of(self.homepage or self.start_urls[0]),
            "organisation": self.organisation or self.site_name or host_of(self.homepage or self.start_urls[0]),
            "level": self.level or None,
            "province": self.province or None,
            "provinceNow": now,
            "provinceCodeNow": code,
            "district": self.district,
            "platform": self.platform,
            "homepage": self.homepage or (self.start_urls[0] if self.start_urls else ""),
        }


_REL_NEXT = etree.XPath("//link[@rel='next']/@href | //a[@rel='next']/@href", smart_strings=False)
_ALL_HREFS = etree.XPath("//a/@href", smart_strings=False)


def _www_twins(host: str) -> tuple[str, str]:
    bare = host.removeprefix("www.")
    return bare, "www." + bare


def _in_future(iso: str, capture_date: str | None = None) -> bool:
    """Later than two days after the fetch (or the archive capture): a typo, never a publication."""
    from datetime import timedelta

    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return False
    ref = datetime.now(timezone.utc)
    if capture_date:
        try:
            ref = datetime.fromisoformat(capture_date.replace("Z", "+00:00"))
        except ValueError:
            pass
    return value > ref + timedelta(days=2)


def _http_date(response) -> str | None:
    raw = response.headers.get(b"Date")
    if not raw:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(raw.decode("latin-1")).astimezone(timezone.utc).isoformat(timespec="seconds")
    except (TypeError, ValueError):
        return None


def _parse_limit(value, name):
    if value in (None, ""):
        return None
    pd = D.parse_date(str(value))
    if pd is None or pd.value is None:
        raise ValueError(f"-a {name}={value!r}: expected a date such as 2023-01-01")
    return pd.value.date().isoformat()
