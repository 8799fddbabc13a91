"""Downloader middlewares: Retry-After for 429/503, no redirects off the site's hosts, and a
trace (log line with the URL + stats counter) for every response the crawl cannot use as is:
redirect loops, bodies over DOWNLOAD_MAXSIZE, wrong or missing Content-Type, undeclared or legacy
encodings, mojibake, decomposed Unicode, unclosed HTML, unreachable robots.txt."""
from __future__ import annotations

import logging
import re
import time
import unicodedata
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom
from w3lib.url import safe_url_string

from .urls import canonical_url

logger = logging.getLogger(__name__)


class RetryAfterMiddleware:
    """Honour `Retry-After` on 429/503: requests to that host wait until the time it asked for.

    Must sit above RetryMiddleware (550) in DOWNLOADER_MIDDLEWARES so that it sees the response
    before the retry is scheduled. The host's download slot is held (not re-timed): every
    request to it, the retry included, waits in `process_request` until the asked time, then
    the host is crawled at its usual pace again (AutoThrottle and DOWNLOAD_DELAY untouched).
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", 300)
        self.hold_until: dict[str, float] = {}  # download slot -> monotonic time

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _slot(self, request) -> str:
        return request.meta.get("download_slot") or self.crawler.engine.downloader.get_slot_key(request)

    async def process_request(self, request):
        until = self.hold_until.get(self._slot(request))
        if until is None:
            return None
        left = until - time.monotonic()
        if left > 0:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater
            from scrapy.utils.defer import maybe_deferred_to_future

            await maybe_deferred_to_future(deferLater(reactor, left, lambda: None))
        return None

    def process_response(self, request, response):
        if response.status in (429, 503):
            raw = response.headers.get(b"Retry-After")
            wait = _retry_after_seconds(raw.decode("latin-1")) if raw else None
            if wait is not None:
                wait = min(wait, self.max_wait)
                slot_key = self._slot(request)
                self.hold_until[slot_key] = max(self.hold_until.get(slot_key, 0), time.monotonic() + wait)
                self.crawler.stats.inc_value("retry_after/honoured")
                logger.info("HTTP %s with Retry-After %.0fs: holding %s before retrying %s", response.status, wait,
                            slot_key, request.url)
        return response


class CrawlDelayMiddleware:
    """robots.txt `Crawl-delay:` honoured: requests to that host are spaced by the delay it asks
    (for our User-Agent, else `*`), up to CRAWL_DELAY_MAX seconds; `robotstxt/crawl_delay` and an
    INFO line per host. ROBOTSTXT_CRAWL_DELAY=False turns it off. Scrapy itself ignores the
    directive; DOWNLOAD_DELAY and AutoThrottle still apply on top."""

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.enabled = s.getbool("ROBOTSTXT_OBEY") and s.getbool("ROBOTSTXT_CRAWL_DELAY", True)
        self.max_delay = s.getfloat("CRAWL_DELAY_MAX", 60)
        self.user_agent = s.get("USER_AGENT") or "*"
        self.delay: dict[str, float] = {}  # netloc -> seconds
        self.next_at: dict[str, float] = {}  # netloc -> monotonic time of the next allowed request

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        if not self.enabled or _is_robots_fetch(request):
            return None
        netloc = request.url.split("/", 3)[2] if "://" in request.url else ""
        delay = self.delay.get(netloc)
        if not delay:
            return None
        now = time.monotonic()
        at = max(now, self.next_at.get(netloc, 0.0))
        self.next_at[netloc] = at + delay
        if at > now:
            from scrapy.utils.defer import maybe_deferred_to_future
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            await maybe_deferred_to_future(deferLater(reactor, at - now, lambda: None))
        return None

    def process_response(self, request, response):
        if not self.enabled or not _is_robots_fetch(request) or response.status != 200:
            return response
        try:
            from protego import Protego

            rp = Protego.parse(response.body.decode("utf-8", "replace"))
            delay = rp.crawl_delay(self.user_agent)
        except Exception:  # an unreadable robots.txt: Scrapy's own middleware reports it
            return response
        if delay:
            netloc = request.url.split("/", 3)[2]
            delay = min(float(delay), self.max_delay)
            self.delay[netloc] = delay
            self.crawler.stats.set_value("robotstxt/crawl_delay", delay)
            logger.info("robots.txt of %s asks Crawl-delay: %s s; requests to it are spaced so", netloc, delay)
        return response


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _is_robots_fetch(request) -> bool:
    """The robots.txt request RobotsTxtMiddleware makes itself (not a spider's own request)."""
    return request.callback is NO_CALLBACK and request.url.endswith("/robots.txt")


def _redirect_target(request, response) -> str | None:
    """The URL RedirectMiddleware would follow for this response, or None (not a redirect it
    handles: status, no Location, dont_redirect, handle_httpstatus_*)."""
    if response.status not in (301, 302, 303, 307, 308) or b"Location" not in response.headers:
        return None
    meta = request.meta
    if meta.get("dont_redirect") or meta.get("handle_httpstatus_all") \
            or response.status in meta.get("handle_httpstatus_list", ()):
        return None
    raw = response.headers[b"Location"]
    location = safe_url_string(raw)
    if raw.startswith(b"//"):
        location = request.url.split(":", 1)[0] + "://" + location.lstrip("/")
    target = urljoin(request.url, location)
    return target if target.startswith(("http://", "https://")) else None


class OffsiteRedirectMiddleware:
    """Redirects that leave the spider's hosts are not followed (stat `skipped/offsite_redirect`).

    Checked on the 3xx response (this middleware sits just above RedirectMiddleware, 600): a
    redirected request would otherwise be dropped silently by Scrapy's OffsiteMiddleware when it
    is scheduled (DEBUG line, no errback), and never reach `process_request` below.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        target = _redirect_target(request, response)
        if target is None or request.meta.get("allow_offsite"):
            return response
        allowed = getattr(self.crawler.spider, "allowed", None)
        if allowed and not allowed(target):
            self.crawler.stats.inc_value("skipped/offsite_redirect")
            logger.warning("Redirect off the site not followed: %s (from %s, HTTP %s)", target,
                           (request.meta.get("redirect_urls") or [request.url])[0], response.status)
            raise IgnoreRequest(f"offsite redirect: {request.url} -> {target}")
        return response

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


class RedirectGuardMiddleware:
    """Redirect loops and endless redirect chains end with a trace, not silently.

    Above RedirectMiddleware (600): a redirect back to a URL of the same chain would be dropped
    by the duplicate filter without a word (DEBUG at most, no errback); a chain longer than
    REDIRECT_MAX_TIMES reaches the errback only as a bare IgnoreRequest("max redirections
    reached"). Here both are refused with a WARNING naming the URLs of the chain and the stats
    `skipped/redirect_loop` / `skipped/too_many_redirects`; the request's errback runs.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        target = _redirect_target(request, response)
        if target is None:
            return response
        chain = list(request.meta.get("redirect_urls") or []) + [request.url]
        first = chain[0]
        stats = self.crawler.stats
        seen = [canonical_url(u) for u in chain]
        if canonical_url(target) in seen and b"Set-Cookie" in response.headers and seen.count(canonical_url(target)) < 2:
            # a cookie check ("302 to myself with Set-Cookie", ASP.NET's AspxAutoDetectCookieSupport
            # hop): the cookie jar has the cookie now; the second request gets the page
            stats.inc_value("redirect/cookie_check")
            logger.info("Redirect back to %s with a cookie set (cookie check): followed once", target)
            meta = dict(request.meta)
            meta["redirect_urls"] = chain
            meta["redirect_times"] = meta.get("redirect_times", 0) + 1
            meta["redirect_ttl"] = meta.get("redirect_ttl", self.max_times) - 1
            meta["redirect_reasons"] = list(meta.get("redirect_reasons") or []) + [response.status]
            return request.replace(url=target, meta=meta, dont_filter=True, method="GET" if response.status in (301, 302, 303) else request.method,
                                   body=b"" if response.status in (301, 302, 303) else request.body)
        if canonical_url(target) in seen:
            stats.inc_value("skipped/redirect_loop")
            logger.warning("Redirect loop not followed: %s", " -> ".join(chain + [target]))
            raise IgnoreRequest(f"redirect loop: {' -> '.join(chain + [target])}")
        ttl = request.meta.get("redirect_ttl", self.max_times)
        if len(chain) > self.max_times or ttl <= 0:
            stats.inc_value("skipped/too_many_redirects")
            logger.warning("Too many redirects (%d, REDIRECT_MAX_TIMES=%d) from %s; last: %s -> %s",
                           len(chain), self.max_times, first, request.url, target)
            raise IgnoreRequest(f"too many redirects: {first}")
        return response


class SizeLimitCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, plus:
    - the stat `skipped/too_large` when a compressed body inflates beyond DOWNLOAD_MAXSIZE (a
      gzip bomb); Scrapy logs the URL and sizes;
    - a body that says `Content-Encoding: gzip|deflate|br` but is plain HTML (servers and proxies
      that lie): kept as it is, `encoding/bad_content_encoding` and a WARNING;
    - gzip bytes under an encoding name Scrapy does not know: inflated, `encoding/unknown_content_encoding`."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as e:
            if "DOWNLOAD_MAXSIZE" in str(e) and self.stats is not None:
                self.stats.inc_value("skipped/too_large")
            raise
        except Exception as e:  # BadGzipFile, zlib.error, brotli.error: not compressed as it says
            if request.method == "HEAD" or not _sniff_html(response.body):
                raise
            enc = (response.headers.get(b"Content-Encoding") or b"").decode("latin-1")
            if self.stats is not None:
                self.stats.inc_value("encoding/bad_content_encoding")
            logger.warning("Content-Encoding %s but the body is plain HTML (%s); read as it is: %s", enc,
                           type(e).__name__, response.url)
            headers = response.headers.copy()
            headers.pop(b"Content-Encoding", None)
            return response.replace(headers=headers)


class UnknownEncodingMiddleware:
    """gzip bytes left compressed because their Content-Encoding has a name Scrapy does not know
    (x-gzip-custom, …): inflated, `encoding/unknown_content_encoding`. Below decompression (590)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        body = response.body
        if not body.startswith(b"\x1f\x8b") or not response.headers.get(b"Content-Encoding"):
            return response
        import zlib

        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = d.decompress(body, self.maxsize + 1)
        except zlib.error:
            return response
        if len(out) > self.maxsize or not _sniff_html(out):
            return response
        enc = response.headers.get(b"Content-Encoding").decode("latin-1")
        self.crawler.stats.inc_value("encoding/unknown_content_encoding")
        logger.warning("Content-Encoding %r unknown; the body is gzip and was inflated: %s", enc, response.url)
        headers = response.headers.copy()
        headers.pop(b"Content-Encoding", None)
        return HtmlResponse(url=response.url, status=response.status, headers=headers, body=out,
                            request=response.request, flags=response.flags, certificate=response.certificate,
                            ip_address=response.ip_address, protocol=response.protocol)


class MetaRefreshGuardMiddleware:
    """A <meta http-equiv="refresh"> that leaves the site or loops: a WARNING naming both URLs and
    `skipped/offsite_redirect` / `skipped/redirect_loop`, not a silent drop by the offsite or
    duplicate filters. Between decompression (590) and MetaRefreshMiddleware (580)."""

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.enabled = s.getbool("METAREFRESH_ENABLED", True)
        self.maxdelay = s.getint("METAREFRESH_MAXDELAY", 100)
        self.ignore_tags = s.getlist("METAREFRESH_IGNORE_TAGS")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if not self.enabled or not isinstance(response, HtmlResponse) or request.meta.get("dont_redirect") \
                or _is_robots_fetch(request):
            return response
        from scrapy.utils.response import get_meta_refresh

        try:
            interval, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
        except Exception:  # an undecodable page: MetaRefreshMiddleware will not follow it either
            return response
        if not url or interval is None or interval >= self.maxdelay:
            return response
        stats = self.crawler.stats
        chain = list(request.meta.get("redirect_urls") or []) + [request.url]
        allowed = getattr(self.crawler.spider, "allowed", None)
        if allowed and not request.meta.get("allow_offsite") and not allowed(url):
            stats.inc_value("skipped/offsite_redirect")
            logger.warning("Meta refresh off the site not followed: %s (from %s)", url, chain[0])
            raise IgnoreRequest(f"offsite meta refresh: {request.url} -> {url}")
        if canonical_url(url) in {canonical_url(u) for u in chain}:
            stats.inc_value("skipped/redirect_loop")
            logger.warning("Meta refresh loop not followed: %s", " -> ".join(chain + [url]))
            raise IgnoreRequest(f"meta refresh loop: {request.url} -> {url}")
        return response


_VOID = "area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr"
_START_TAG = re.compile(r"<(?!(?:%s)\b)[a-zA-Z][a-zA-Z0-9]*" % _VOID, re.I)
_END_TAG = re.compile(r"</[a-zA-Z]")
_TEXT_NODE = re.compile(r">([^<>]+)<")
_ATTR_VALUE = re.compile(r'=(["\'])([^"\'<>]*)\1')
_COMBINING = re.compile("[A-Za-z\u00c0-\u01b0][\u0300-\u036f]")
_HTML_MIMES = ("text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml")


def _sniff_html(body: bytes) -> bool:
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head or b"\x00" in head[:512]:
        return False
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<title")) \
        or b"<html" in head or b"<body" in head


class ContentCheckMiddleware:
    """What a page really is, whatever its headers say; every anomaly is a stat and a log line.

    Sits below HttpCompressionMiddleware (590) so it sees the decompressed body; only 2xx answers
    to the spider's requests are looked at (not robots.txt, not redirects or error pages).

    - Content-Type missing (`content_type/missing`) or not HTML while the body is HTML
      (`content_type/mismatch`, e.g. application/octet-stream): treated as HTML. A non-HTML
      Content-Type (PDF, image…) with a non-HTML body is never parsed as HTML, even when Scrapy
      guessed HtmlResponse from a `.html` URL: the spider skips it (`skipped/not_html`).
    - No charset in Content-Type, <meta> or BOM: `encoding/undeclared`, with the encoding
      detected; a legacy code page (windows-1258 …): `encoding/<codec>`.
    - UTF-8 read as Windows-1252 somewhere upstream (mojibake, "Máº·t tráº­n"): repaired with
      ftfy text node by text node before parsing, `encoding/mojibake_repaired`.
    - Decomposed (NFD) Unicode: `text/nfd` (records are NFC: NormalizePipeline).
    - Unclosed HTML (`html/unclosed_tags`), no </body> or </html> (`html/unterminated`: maybe cut
      off): parsed with lxml's recovery, counted.
    - Downloads cancelled over DOWNLOAD_MAXSIZE: `skipped/too_large`.
    - An expired or self-signed TLS certificate accepted because certificates are not verified
      (DOWNLOAD_VERIFY_CERTIFICATES=False): `tls/certificate_expired`, `tls/certificate_self_signed`,
      once per host.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.verify = crawler.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        self._cert_checked: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _check_certificate(self, response):
        """Once per host: an expired or self-signed certificate that was accepted (certificates
        are not verified by default) is a WARNING with the first URL and `tls/certificate_*`."""
        netloc = response.url.split("/", 3)[2]
        if self.verify or response.certificate is None or netloc in self._cert_checked:
            return
        self._cert_checked.add(netloc)
        try:
            x509 = response.certificate.original
            problems = []
            if x509.has_expired():
                problems.append(("expired", "expired " + x509.get_notAfter().decode("ascii")))
            if x509.get_issuer() == x509.get_subject():
                problems.append(("self_signed", "self-signed"))
        except Exception as e:  # a certificate we cannot read is not a reason to lose the page
            logger.debug("Could not read the TLS certificate of %s: %r", netloc, e)
            return
        for key, text in problems:
            self._note(f"tls/certificate_{key}", "TLS certificate of %s %s; crawled anyway "
                       "(DOWNLOAD_VERIFY_CERTIFICATES=False): %s", netloc, text, response.url,
                       level=logging.WARNING)

    def _note(self, key: str, msg: str, *args, level=logging.INFO):
        self.crawler.stats.inc_value(key)
        logger.log(level, msg, *args)

    def process_exception(self, request, exception):
        # In Scrapy's HTTP handlers a download is cancelled only when the body (announced or
        # received) exceeds DOWNLOAD_MAXSIZE; Scrapy's own warning gives the sizes.
        if isinstance(exception, DownloadCancelledError):
            maxsize = request.meta.get("download_maxsize", self.maxsize)
            self._note("skipped/too_large", "Response over DOWNLOAD_MAXSIZE (%s B) not downloaded: %s",
                       maxsize, request.url, level=logging.WARNING)
        return None

    def process_response(self, request, response):
        if _is_robots_fetch(request):
            return response
        if response.url.startswith("https:"):
            self._check_certificate(response)
        if not 200 <= response.status < 300 or not response.body:
            return response
        url = response.url
        ctype_raw = response.headers.get(b"Content-Type")
        ctype = ctype_raw.decode("latin-1").strip() if ctype_raw else ""
        mime = ctype.split(";", 1)[0].strip().lower()
        is_html = _sniff_html(response.body)
        if not ctype:
            self._note("content_type/missing", "No Content-Type header (body %s): %s",
                       "is HTML" if is_html else "is not HTML", url)
        elif mime not in _HTML_MIMES and is_html:
            self._note("content_type/mismatch", "Content-Type %s but the body is HTML; parsed as HTML: %s",
                       ctype, url)
        if is_html and not isinstance(response, HtmlResponse):
            response = response.replace(cls=HtmlResponse)
        elif not is_html and isinstance(response, HtmlResponse) and mime not in _HTML_MIMES:
            # Scrapy chose HtmlResponse from the URL's .html: the headers and body say otherwise
            cls = TextResponse if mime.startswith("text/") else Response
            return cls(**{a: getattr(response, a) for a in Response.attributes})
        if not isinstance(response, HtmlResponse):
            return response
        return self._check_text(response)

    def _check_text(self, response):
        url = response.url
        declared = (read_bom(response.body)[0] or http_content_type_encoding(
            (response.headers.get(b"Content-Type") or b"").decode("latin-1"))
            or html_body_declared_encoding(response.body))
        text = response.text
        enc = response.encoding
        redo = _misdeclared(response.body, text, enc)
        if redo:
            self._note("encoding/misdeclared", "Declared %s but the bytes are %s; decoded as %s: %s", enc, redo, redo,
                       url, level=logging.WARNING)
            response = response.replace(encoding=redo)
            text, enc = response.text, response.encoding
            declared = redo
        if not declared:
            self._note("encoding/undeclared", "No charset declared (Content-Type, <meta>, BOM); decoded as "
                       "detected %s: %s", enc, url)
        if enc not in ("utf-8", "ascii") and not enc.startswith("utf-"):
            self._note(f"encoding/{enc}", "Page encoded in %s (legacy code page), decoded: %s", enc, url)
        from .extract.text import _MOJIBAKE_HINT

        if _MOJIBAKE_HINT.search(text):
            fixed, n = _repair_mojibake(text)
            if n:
                self._note("encoding/mojibake_repaired", "Mojibake (UTF-8 read as Windows-1252) in %d text "
                           "segment(s), repaired before parsing: %s", n, url)
                response = response.replace(body=fixed.encode("utf-8"), encoding="utf-8")
                text = fixed
        if enc.startswith("utf") and _COMBINING.search(text) and not unicodedata.is_normalized("NFC", text):
            self._note("text/nfd", "Decomposed (NFD) Unicode text; exported as NFC: %s", url)
        if text.count("<") > 1500:
            depth = _max_depth(text)
            if depth > _MAX_DEPTH:
                flat = _flatten(text)
                self._note("html/too_deep", "HTML nested %d levels deep (the parser stops at about 2,000): "
                           "wrapper tags without attributes collapsed (%d levels left): %s", depth, _max_depth(flat), url,
                           level=logging.WARNING)
                response = response.replace(body=flat.encode("utf-8"), encoding="utf-8")
                text = flat
        sample = text[:1_000_000]
        starts, ends = len(_START_TAG.findall(sample)), len(_END_TAG.findall(sample))
        if starts >= 10 and ends < starts / 4:
            self._note("html/unclosed_tags", "HTML with unclosed tags (%d start tags, %d end tags); parsed "
                       "with recovery: %s", starts, ends, url)
        tail = text[-4096:].lower()
        if "</html" not in tail and "</body" not in tail:
            self._note("html/unterminated", "HTML ends without </body> or </html> (cut off?): %s", url)
        return response


_VIET = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


_SINGLE_BYTE = ("cp1252", "windows-1252", "latin-1", "latin1", "iso-8859-1", "iso8859-1", "koi8-r", "cp1251",
                "windows-1251", "iso-8859-2", "cp1250", "iso-8859-15", "cp850", "ascii")


_VIET_ONLY = re.compile("[ăđơưĂĐƠƯ\u1ea0-\u1ef9]")


def _vietnamese_only(text: str) -> int:
    return len(_VIET_ONLY.findall(unicodedata.normalize("NFC", text)))


def _misdeclared(body: bytes, text: str, enc: str) -> str | None:
    """The encoding the bytes really are in when the declared one does not decode them: UTF-8
    declared over Windows-1258 bytes (U+FFFD everywhere), UTF-16 declared over 8-bit text, a
    Western or Cyrillic code page declared over UTF-8 or Windows-1258 Vietnamese."""
    enc = (enc or "").lower().replace("_", "-")
    suspicious = False
    if enc.startswith(("utf-16", "utf-32")):
        suspicious = b"\x00" not in body[:4096]
    elif text.count("\ufffd") >= 3 and b"\xef\xbf\xbd" not in body:
        suspicious = True
    elif enc in _SINGLE_BYTE and re.search(rb"[\x80-\xff]", body):
        try:  # multi-byte UTF-8 sequences do not happen by chance in a single-byte text
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
        if enc not in ("koi8-r", "cp1251", "windows-1251"):
            as_1258 = body.decode("cp1258", errors="replace")
            # letters only Vietnamese has (ă đ ơ ư and the precomposed tones): a Western code page
            # cannot produce them, Windows-1258 bytes read as Vietnamese do
            if _vietnamese_only(as_1258) >= 20 and _vietnamese_only(text) * 10 < _vietnamese_only(as_1258):
                return "cp1258"  # Vietnamese written in Windows-1258 under a Western label
        return None
    if not suspicious:
        return None
    for cand in ("utf-8", "cp1258", "cp1252"):
        if cand == enc:
            continue
        try:
            decoded = body.decode(cand)
        except UnicodeDecodeError:
            continue
        if cand == "cp1252" and not _VIET.search(decoded):
            continue
        return cand
    return None


_MAX_DEPTH = 1500  # libxml2 stops building the tree at 2,048 levels (XML_PARSE_HUGE) and drops the rest
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_VOID_TAGS = frozenset(_VOID.split("|"))
_BARE_RUN = re.compile(r"(?:<(div|span|font|b|i|em|strong|u|center|section)>\s*){2,}", re.I)
_BARE_CLOSE_RUN = re.compile(r"(?:</(div|span|font|b|i|em|strong|u|center|section)>\s*){2,}", re.I)


def _max_depth(text: str) -> int:
    depth = best = 0
    for m in _TAG_TOKEN.finditer(text):
        name = m.group(2).lower()
        if name in _VOID_TAGS or m.group(3).rstrip().endswith("/"):
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            best = max(best, depth)
    return best


def _flatten(text: str) -> str:
    """Runs of the same wrapper tag without attributes, opening or closing, become one: generated
    markup nested thousands of levels deep keeps its text and its structure around the runs."""
    def one(m):
        return m.group(0)[: m.group(0).index(">") + 1]
    text = _BARE_RUN.sub(one, text)
    return _BARE_CLOSE_RUN.sub(one, text)


def _repair_mojibake(text: str) -> tuple[str, int]:
    """ftfy's encoding repair on each text node and attribute value carrying the signature."""
    import ftfy

    from .extract.text import _MOJIBAKE_HINT

    count = 0

    def fix(segment: str) -> str:
        nonlocal count
        if not _MOJIBAKE_HINT.search(segment):
            return segment
        fixed = ftfy.fix_encoding(segment)
        if fixed != segment:
            count += 1
        return fixed

    text = _TEXT_NODE.sub(lambda m: ">" + fix(m.group(1)) + "<", text)
    text = _ATTR_VALUE.sub(lambda m: "=" + m.group(1) + fix(m.group(2)) + m.group(1), text)
    return text, count


class RobotsTxtErrorMiddleware:
    """A robots.txt that cannot be fetched (TLS refused, reset, timeout…) is a WARNING with the
    URL and the reason and the stat `robotstxt/unavailable/<exception>`, not an ERROR with a
    traceback. As with Scrapy, the host is then crawled as if robots.txt allowed everything.

    Below RetryMiddleware (550), so it only sees the failure once retries are exhausted.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_exception(self, request, exception):
        if not _is_robots_fetch(request) or isinstance(exception, IgnoreRequest):
            return None
        name = type(exception).__name__
        self.crawler.stats.inc_value(f"robotstxt/unavailable/{name}")
        logger.warning("robots.txt unavailable (%s: %s): %s; crawling the host as if it allowed everything",
                       name, exception, request.url)
        raise IgnoreRequest(f"robots.txt unavailable ({name}): {request.url}")
