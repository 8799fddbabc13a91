"""WARC recording: every request and response of a crawl, written with warcio.

`-s WARC_OUTPUT=PATH` enables `WarcRecorderMiddleware` (a downloader middleware placed next to
the download handler, so it records the body as the server sent it, before decompression).
PATH is a file name (`crawl.warc.gz`; rotated files get `-00001`, `-00002`, … before the
extension) or a folder (files named `<spider>-<UTC time>-<serial>.warc.gz`). An existing file is
never overwritten: when the name is taken (an earlier crawl, a rotated file, another process) the
next free serial is used (`crawl-00003.warc.gz` after `crawl-00002.warc.gz`), the file is created
exclusively (O_EXCL), the name actually written is logged, and records name that file
(`crawl.warcFile`). `scrapy crawlall` gives each spider its own file name
(`<stem>-<spider>.warc.gz`, see crawler.commands.crawlall). Records are
gzip-per-record WARC/1.1 (`-s WARC_VERSION=1.0` for older tools): one `warcinfo` per file, then
a `request` and a `response` record per fetch, linked by `WARC-Concurrent-To`, with
`WARC-Payload-Digest` and `WARC-IP-Address` where the connection reported one.

The response record's id, file and digest are put into `request.meta["warc_record"]`, so every
Article record names the exact bytes it came from (`crawl.warcRecordId`).

Replaying a WARC while recording a new one (`-s REPLAY=old.warc.gz -s WARC_OUTPUT=new.warc.gz`):
the new records carry the original records' WARC-Date (the time the bytes were captured, which is
what WARC-Date means), so a record's `crawl.fetchedAt` (the original date, as on any WARC replay)
is the WARC-Date of the record its `warcRecordId` names.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from .. import __version__

logger = logging.getLogger(__name__)

_HOP_BY_HOP = {b"transfer-encoding", b"connection", b"keep-alive"}


_W3C_DATE = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?)?)?)?"
                       r"(Z|[+-]\d\d:\d\d)?", re.I)


def fetched_at(warc_date: str | None) -> str | None:
    """A WARC-Date (`2024-05-01T03:04:05Z`; W3C-ISO8601, fractions and reduced precision allowed)
    in the form every record's `crawl.fetchedAt` uses: ISO 8601 UTC to the second,
    `2024-05-01T03:04:05+00:00` (what the live crawl writes). None if unreadable."""
    m = _W3C_DATE.fullmatch((warc_date or "").strip())
    if not m:
        return None
    y, mo, d, h, mi, sec, tz = m.groups()
    try:
        dt = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(sec or 0),
                      tzinfo=timezone.utc)
    except ValueError:
        return None
    if tz and tz.upper() != "Z":
        sign = 1 if tz[0] == "+" else -1
        dt -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    return dt.isoformat(timespec="seconds")


class WarcRecorderMiddleware:
    def __init__(self, crawler, target: str):
        from warcio.warcwriter import WARCWriter  # noqa: F401  (fail early if missing)

        self.crawler = crawler
        self.target = Path(target)
        s = crawler.settings
        self.max_size = s.getint("WARC_MAX_SIZE", 1024**3)
        self.version = "WARC/1.0" if str(s.get("WARC_VERSION", "1.1")) == "1.0" else "WARC/1.1"
        self.serial = 0  # the next serial to try
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
    def _is_file_target(self) -> bool:
        return self.target.name.endswith((".warc.gz", ".warc")) and not self.target.is_dir()

    def _split(self) -> tuple[str, str]:
        name = self.target.name
        ext = ".warc.gz" if name.endswith(".warc.gz") else ".warc"
        return name[: -len(ext)], ext

    def _candidates(self):
        """File names to try, in order; the first that can be created exclusively is used."""
        if self._is_file_target():
            stem, ext = self._split()
            # serial 0 is the name itself; start after every file already there with this stem,
            # so files sort in the order they were written and an older crawl's are never touched
            rx = re.compile(re.escape(stem) + r"(?:-(\d{5,}))?" + re.escape(ext))
            taken = [int(m.group(1) or 0) for p in self.target.parent.iterdir() if (m := rx.fullmatch(p.name))]
            serial = max([self.serial] + [t + 1 for t in taken])
            while True:
                yield serial, self.target if serial == 0 else self.target.with_name(f"{stem}-{serial:05d}{ext}")
                serial += 1
        spider = self.crawler.spider.name if self.crawler.spider else "crawl"
        ts = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        serial = max(self.serial, 1)
        while True:
            yield serial, self.target / f"{spider}-{ts}-{serial:05d}.warc.gz"
            serial += 1

    def _next_path(self):
        """Create the next WARC file exclusively, never an existing one: (path, open file)."""
        folder = self.target.parent if self._is_file_target() else self.target
        folder.mkdir(parents=True, exist_ok=True)
        for serial, path in self._candidates():
            try:
                fh = open(path, "xb")  # O_EXCL: also safe against another process on the same name
            except FileExistsError:
                continue
            self.serial = serial + 1
            return path, fh

    def _open(self):
        from warcio.warcwriter import WARCWriter

        path, self.fh = self._next_path()
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
        if len(self.files) == 1 and path != self.target and self._is_file_target():
            logger.warning("WARC: %s exists and is never overwritten: writing %s", self.target, path)
        else:
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
        fetched = datetime.now(timezone.utc).replace(microsecond=0)
        # A response replayed from a WARC (REPLAY=old.warc.gz) is re-recorded with the original
        # record's WARC-Date: WARC-Date is when the bytes were captured (WARC 1.1, 5.4), and they
        # were captured then, not now; crawl.fetchedAt (that same date) and the record it names
        # then agree
        original = fetched_at((request.meta.get("replay_warc") or {}).get("warcDate"))
        if original:
            fetched = datetime.fromisoformat(original)
        now = fetched.strftime("%Y-%m-%dT%H:%M:%SZ")  # WARC-Date (W3C form the WARC spec asks for)
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
            "warcDate": fetched.isoformat(timespec="seconds"),  # the crawl.fetchedAt form
        }
        self.crawler.stats.inc_value("warc/records", 2)

    def close(self, spider=None):
        if self.fh is not None:
            self.fh.close()
            self.fh = None
            self.crawler.stats.set_value("warc/output", self.files)
