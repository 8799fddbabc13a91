"""WARC recording: every request and response of a crawl, written with warcio.

`-s WARC_OUTPUT=PATH` enables `WarcRecorderMiddleware` (a downloader middleware placed next to
the download handler, so it records the body as the server sent it, before decompression).
PATH is a file name (`crawl.warc.gz`; rotated files get `-00001`, `-00002`, … before the
extension) or a folder (files named `<spider>-<UTC time>-<serial>.warc.gz`). Records are
gzip-per-record WARC/1.1 (`-s WARC_VERSION=1.0` for older tools): one `warcinfo` per file, then
a `request` and a `response` record per fetch, linked by `WARC-Concurrent-To`, with
`WARC-Payload-Digest` and `WARC-IP-Address` where the connection reported one.

The response record's id, file and digest are put into `request.meta["warc_record"]`, so every
Article record names the exact bytes it came from (`crawl.warcRecordId`).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from .. import __version__

logger = logging.getLogger(__name__)

_HOP_BY_HOP = {b"transfer-encoding", b"connection", b"keep-alive"}


class WarcRecorderMiddleware:
    def __init__(self, crawler, target: str):
        from warcio.warcwriter import WARCWriter  # noqa: F401  (fail early if missing)

        self.crawler = crawler
        self.target = Path(target)
        s = crawler.settings
        self.max_size = s.getint("WARC_MAX_SIZE", 1024**3)
        self.version = "WARC/1.0" if str(s.get("WARC_VERSION", "1.1")) == "1.0" else "WARC/1.1"
        self.serial = 0
        self.fh = None
        self.writer = None
        self.current_name = None
        self.files: list[str] = []
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        target = crawler.settings.get("WARC_OUTPUT")
        if not target:
            raise NotConfigured  # no message: Scrapy logs a warning for messages
        return cls(crawler, target)

    # ------------------------------------------------------------------ files
    def _next_path(self) -> Path:
        self.serial += 1
        name_ok = self.target.name.endswith((".warc.gz", ".warc"))
        if name_ok and not self.target.is_dir():
            if self.serial == 1:
                return self.target
            stem = self.target.name[: -len(".warc.gz")] if self.target.name.endswith(".gz") else self.target.name[:-5]
            ext = ".warc.gz" if self.target.name.endswith(".gz") else ".warc"
            return self.target.with_name(f"{stem}-{self.serial - 1:05d}{ext}")
        spider = self.crawler.spider.name if self.crawler.spider else "crawl"
        ts = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        return self.target / f"{spider}-{ts}-{self.serial:05d}.warc.gz"

    def _open(self):
        from warcio.warcwriter import WARCWriter

        path = self._next_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "wb")
        self.current_name = path.name
        self.files.append(str(path))
        self.writer = WARCWriter(self.fh, gzip=path.name.endswith(".gz"), warc_version=self.version)
        spider = self.crawler.spider.name if self.crawler.spider else ""
        info = {
            "software": f"vn-public-news-crawler/{__version__} (Scrapy)",
            "format": f"WARC File Format {self.version.split('/')[1]}",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": spider,
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": self.crawler.settings.get("USER_AGENT", ""),
        }
        self.writer.write_record(self.writer.create_warcinfo_record(path.name, info))
        logger.info("WARC: writing %s", path)
        self.crawler.stats.inc_value("warc/files")

    def _ensure_file(self):
        if self.fh is None or self.fh.tell() >= self.max_size:
            if self.fh is not None:
                self.fh.close()
            self._open()

    # ------------------------------------------------------------------ records
    def process_response(self, request, response):
        try:
            self._record(request, response)
        except Exception as e:  # recording must never break the crawl
            self.crawler.stats.inc_value("warc/errors")
            logger.error("WARC: could not record %s: %s", request.url, e)
        return response

    def _record(self, request, response):
        from warcio.statusandheaders import StatusAndHeaders

        self._ensure_file()
        w = self.writer
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        # response
        body = response.body or b""
        headers = []
        for k, vs in response.headers.items():
            if k.lower() in _HOP_BY_HOP or k.lower() == b"content-length":
                continue
            for v in vs:
                headers.append((k.decode("latin-1"), v.decode("latin-1")))
        headers.append(("Content-Length", str(len(body))))
        from http.client import responses as reasons

        status_line = f"{response.status} {reasons.get(response.status, 'Unknown')}"
        http_headers = StatusAndHeaders(status_line, headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": now}
        ip = getattr(response, "ip_address", None)
        if ip is not None:
            warc_headers["WARC-IP-Address"] = str(ip)
        resp_rec = w.create_warc_record(
            response.url, "response", payload=BytesIO(body), length=len(body),
            http_headers=http_headers, warc_headers_dict=warc_headers,
        )
        w.ensure_digest(resp_rec, block=True, payload=True)
        resp_id = resp_rec.rec_headers.get_header("WARC-Record-ID")
        record_uri = resp_id.strip("<>")
        # request
        path = request.url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        req_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
        host = request.url.split("://", 1)[-1].split("/", 1)[0]
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", host))
        req_http = StatusAndHeaders(f"{request.method} {path} HTTP/1.1", req_headers, is_http_request=True)
        req_body = request.body or b""
        req_rec = w.create_warc_record(
            request.url, "request", payload=BytesIO(req_body), length=len(req_body),
            http_headers=req_http, warc_headers_dict={"WARC-Date": now, "WARC-Concurrent-To": resp_id},
        )
        w.write_record(resp_rec)
        w.write_record(req_rec)
        self.fh.flush()
        request.meta["warc_record"] = {
            "warcFile": self.current_name,
            "warcRecordId": record_uri,
            "warcPayloadDigest": resp_rec.rec_headers.get_header("WARC-Payload-Digest"),
            "warcDate": now,
        }
        self.crawler.stats.inc_value("warc/records", 2)

    def close(self, spider=None):
        if self.fh is not None:
            self.fh.close()
            self.fh = None
            self.crawler.stats.set_value("warc/output", self.files)
