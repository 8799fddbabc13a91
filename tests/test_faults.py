"""Hostile input and network faults: nothing a site serves may crash the crawl, lose good
articles, or vanish without a trace.

Every case runs a real crawl (`scrapy crawl faults`, a subprocess: Twisted reactors cannot be
restarted) through the real Scrapy engine and the project's settings, middlewares and pipelines,
against a server on 127.0.0.1 started by the test. The spider (tests/fault_spiders/faults.py)
is a newspaper-CMS spider whose listing page links to ONE good article plus the faulty URL(s).
Each case checks:

1. the good article is exported (the -O JSONL);
2. a log line names the faulty URL and a reason;
3. a stats counter by reason exists (final stats via -s STATS_JSON);
4. nothing went unhandled: no "Traceback" in the log, no spider exception, the crawl finished.

Pages that are faulty but still usable (wrong Content-Type, legacy or undeclared encoding,
mojibake, NFD, unclosed tags, an expired certificate accepted) must be exported with the right
text AND leave their log line and counter (crawler.middlewares.ContentCheckMiddleware).

The crawls of the selected tests run concurrently (one process each) when the module starts;
each test then checks its own crawl; a crawl's log, stats and items stay in the test's temporary
folder (faults*/<case>/crawl.log, stats.json, items.jsonl). Nothing here talks to any address
but 127.0.0.1: proxies are disabled and the off-site case resolves every host name to 127.0.0.1
(tests/fault_spiders/resolver.py).
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import unicodedata
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent

# ----------------------------------------------------------------------------- page content

GOOD_PATH = "/tin-tuc/hoi-nghi-tong-ket-cong-tac-mat-tran-post1001.html"
GOOD_TITLE = "Ủy ban Mặt trận Tổ quốc xã tổ chức hội nghị tổng kết công tác năm 2023"
GOOD_PARAS = [
    "Sáng ngày 5/3, Ủy ban Mặt trận Tổ quốc Việt Nam xã đã tổ chức hội nghị tổng kết công tác "
    "Mặt trận năm 2023, triển khai nhiệm vụ năm 2024.",
    "Hội nghị đã đánh giá kết quả cuộc vận động “Toàn dân đoàn kết xây dựng nông thôn mới, đô thị "
    "văn minh”, biểu dương 12 tập thể và 25 cá nhân tiêu biểu.",
    "Phát biểu chỉ đạo, đồng chí Bí thư Đảng ủy xã đề nghị Mặt trận tiếp tục phát huy vai trò giám "
    "sát và phản biện xã hội, chăm lo đời sống nhân dân.",
]
# Text of the faulty articles that are expected to be exported (encodings, Unicode forms, …)
FAULT_TITLE = "Mặt trận Tổ quốc huyện trao nhà Đại đoàn kết cho hộ nghèo ở thôn Nà Đứng"
FAULT_PARAS = [
    "Chiều 12/4, Ủy ban Mặt trận Tổ quốc huyện phối hợp với Ủy ban nhân dân xã trao nhà Đại đoàn "
    "kết cho gia đình ông Hoàng Văn Được, hộ nghèo ở thôn Nà Đứng.",
    "Ngôi nhà được xây dựng với tổng kinh phí hơn 80 triệu đồng, trong đó Quỹ “Vì người nghèo” hỗ "
    "trợ 50 triệu đồng, phần còn lại do họ hàng và bà con lối xóm giúp đỡ ngày công.",
]


def article_html(title: str, paras: list[str], *, charset: str | None = "utf-8", date="2024-03-05T08:30:00+07:00"):
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return f"""<!DOCTYPE html>
<html lang="vi"><head>{meta}
<title>{title} - Cổng thông tin điện tử</title>
<link rel="stylesheet" href="/css/site.css"></head>
<body><div class="header"><a href="/">Trang chủ</a> | <a href="/tin-tuc/">Tin tức</a></div>
<div class="article">
<h1 class="cms-title">{title}</h1>
<div class="article__meta"><time datetime="{date}">05/03/2024 08:30</time></div>
<div class="cms-body">
{body}
</div>
</div>
<div class="footer">Bản quyền thuộc Ủy ban nhân dân xã. Địa chỉ: thôn Nà Đứng.</div>
</body></html>
"""


def listing_html(paths: list[str], *, layout="story") -> str:
    if layout == "story":
        items = "\n".join(
            f'<div class="story"><h3 class="story__title"><a href="{p}">Bài viết số {i}</a></h3>'
            f"<time>05/03/2024</time></div>"
            for i, p in enumerate(paths, 1)
        )
    else:  # a redesigned listing the spider's selectors no longer match
        items = "\n".join(f'<li class="news-item-v2"><a class="n-link" href="{p}">Bài viết số {i}</a></li>'
                          for i, p in enumerate(paths, 1))
        items = f'<ul class="news-list-v2">{items}</ul>'
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Tin tức</title></head>
<body><h2>Tin tức - Sự kiện</h2>
{items}
</body></html>"""


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def to_cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258: base letters (â ê ô ă ơ ư đ) precomposed, tones combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in d if m in _TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(m for m in d if m not in _TONE_MARKS))
        out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (the way a broken CMS stores them): 'Mặt' -> 'Máº·t'."""
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    return text.encode("utf-8").decode("sloppy-windows-1252")


def make_png() -> bytes:
    raw = b"\x00" + b"\xff\x00\x00" * 4
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] "
       b"/Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

# ----------------------------------------------------------------------------- the test server


@dataclass
class Hit:
    t: float
    method: str
    path: str
    host: str


Handler = Callable[["socket.socket", "FaultServer"], None]


def _send(conn, status: int, headers: list[tuple[str, str]], body: bytes, *, length=True, reason=None):
    reason = reason or {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 410: "Gone",
                        500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Status")
    head = [f"HTTP/1.1 {status} {reason}"]
    head += [f"{k}: {v}" for k, v in headers]
    if length:
        head.append(f"Content-Length: {len(body)}")
    head.append("Connection: close")
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def respond(body: bytes | str = b"", status=200, ctype: str | None = "text/html; charset=utf-8",
            headers: list[tuple[str, str]] | None = None, length=True) -> Handler:
    data = body.encode("utf-8") if isinstance(body, str) else body
    hdrs = ([("Content-Type", ctype)] if ctype else []) + list(headers or [])

    def handler(conn, server):
        _send(conn, status, hdrs, data, length=length)
    return handler


def redirect(location: str, status=302) -> Handler:
    return respond(b"", status=status, ctype="text/html", headers=[("Location", location)])


def reset() -> Handler:
    """Read the request, then close with a TCP RST (SO_LINGER 0)."""
    def handler(conn, server):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    return handler


def stall(seconds=15.0) -> Handler:
    """Accept and read the request, then answer nothing."""
    def handler(conn, server):
        server.stop.wait(seconds)
    return handler


def drip(body: bytes, every=0.25) -> Handler:
    """Headers at once (correct Content-Length), then the body one byte at a time."""
    def handler(conn, server):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        for i in range(len(body)):
            if server.stop.wait(every):
                return
            conn.sendall(body[i:i + 1])
    return handler


def truncated(body: bytes, claimed: int) -> Handler:
    """Content-Length larger than what is sent, then the connection closes."""
    def handler(conn, server):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     + f"Content-Length: {claimed}\r\nConnection: close\r\n\r\n".encode() + body)
    return handler


class FaultServer:
    """A raw HTTP/1.1 server on 127.0.0.1 (optionally TLS) answering each path with a handler."""

    ROBOTS = "User-agent: *\nAllow: /\n"

    def __init__(self, routes: dict[str, Handler] | None = None, tls: ssl.SSLContext | None = None):
        self.routes: dict[str, Handler] = {"/robots.txt": respond(self.ROBOTS, ctype="text/plain")}
        self.routes.update(routes or {})
        self.tls = tls
        self.hits: list[Hit] = []
        self.stop = threading.Event()
        outer = self

        class _H(socketserver.BaseRequestHandler):
            def handle(self):
                outer._handle(self.request)

        class _S(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._srv = _S(("127.0.0.1", 0), _H)
        self.port = self._srv.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self._srv.shutdown()
        self._srv.server_close()

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]

    def _handle(self, conn):
        try:
            conn.settimeout(10)
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            host = next((h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("host:")), "")
            self.hits.append(Hit(time.monotonic(), method, target, host))
            handler = self.routes.get(target) or self.routes.get(target.split("?", 1)[0])
            if handler is None:
                handler = respond("<html><body>Không tìm thấy trang</body></html>", status=404)
            handler(conn, self)
        except (OSError, ssl.SSLError, ValueError):
            pass  # client went away, TLS refused by the client, garbage request: not our concern
        finally:
            try:
                conn.close()
            except OSError:
                pass


def expired_cert_context(tmp: Path) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 that expired yesterday."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND xa Thu Nghiem")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "expired.crt", tmp / "expired.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


# ----------------------------------------------------------------------------- running a crawl

BASE_SETTINGS = {
    "SPIDER_MODULES": "tests.fault_spiders",
    "LOG_LEVEL": "INFO",
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "10",
    "HTTPPROXY_ENABLED": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "PROGRESS_INTERVAL": "600",
}
STALL_TIMEOUT = 2  # DOWNLOAD_TIMEOUT for the stall / drip cases


@dataclass
class Crawl:
    returncode: int
    records: list[dict]
    stats: dict
    log: str
    servers: dict[str, FaultServer] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)  # role -> URL (good, faulty, …)
    seconds: float = 0.0

    def record(self, url: str) -> dict | None:
        return next((r for r in self.records if r["url"] == url), None)


@dataclass
class Case:
    """How to build a case's servers: `setup(tmp)` returns (servers, start URLs, role URLs, settings)."""

    setup: Callable[[Path], tuple[dict[str, FaultServer], list[str], dict[str, str], dict[str, str]]]
    timeout: float = 90


def run_case(case: Case, tmp: Path) -> Crawl:
    tmp.mkdir(parents=True, exist_ok=True)
    servers, starts, urls, settings = case.setup(tmp)
    out, stats_path = tmp / "items.jsonl", tmp / "stats.json"
    args = [sys.executable, "-m", "scrapy", "crawl", "faults", "-a", "start=" + ",".join(starts),
            "-O", str(out), "-s", f"STATS_JSON={stats_path}", "-s", f"OUTPUT_DIR={tmp / 'output'}"]
    for k, v in {**BASE_SETTINGS, **settings}.items():
        args += ["-s", f"{k}={v}"]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    for s in servers.values():
        s.__enter__()
    t0 = time.monotonic()
    try:
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=case.timeout, env=env)
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)
    seconds = time.monotonic() - t0
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()] if out.exists() else []
    stats = json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {}
    (tmp / "crawl.log").write_text(proc.stderr, "utf-8")
    return Crawl(proc.returncode, records, stats, proc.stderr, servers, urls, seconds)


def simple_case(faulty: dict[str, Handler] | Callable[[FaultServer, Path], dict[str, Handler]], *,
                settings: dict[str, str] | None = None, listed: list[str] | None = None,
                extra_listing: str | None = None, timeout=90) -> Case:
    """One server: /list.html links to the good article and to every faulty path."""

    def setup(tmp):
        srv = FaultServer()
        routes = faulty(srv, tmp) if callable(faulty) else faulty
        srv.routes.update(routes)
        links = [GOOD_PATH] + (listed if listed is not None else list(routes))
        srv.routes["/list.html"] = respond(listing_html(links))
        srv.routes[GOOD_PATH] = respond(article_html(GOOD_TITLE, GOOD_PARAS))
        starts = [srv.url("/list.html")]
        if extra_listing is not None:
            srv.routes["/list2.html"] = respond(extra_listing)
            starts.append(srv.url("/list2.html"))
        urls = {"good": srv.url(GOOD_PATH), **{p: srv.url(p) for p in routes}}
        return {"main": srv}, starts, urls, dict(settings or {})

    return Case(setup, timeout)


# ----------------------------------------------------------------------------- the cases

P = "/tin-tuc/{}-post{}.html".format
OFFSITE_HOST = "cong-thong-tin-khac.invalid"

NOT_CLOSED = (
    '<html lang="vi"><head><meta charset="utf-8"><meta property="og:title" content="{t}">'
    "<body><div class=header><a href=/>Trang chủ"
    '<div class="article"><div class="cms-body"><p>{p0}<p>{p1}'
    + "<div><span><font color=#333><b>" * 300
    + "<p>Hết."
)


CASES: dict[str, Case] = {
    "http_404": simple_case({P("khong-ton-tai", 2): respond("<html><body>Không tìm thấy</body></html>", status=404)}),
    "http_410": simple_case({P("da-go-bo", 3): respond("<html><body>Đã gỡ bỏ</body></html>", status=410)}),
    "http_500": simple_case({P("loi-may-chu", 4): respond("<html><body>Lỗi máy chủ</body></html>", status=500)}),
    "http_503_retry_after": simple_case(
        {P("bao-tri", 5): respond("<html><body>Bảo trì</body></html>", status=503, headers=[("Retry-After", "2")])}),
    "connection_reset": simple_case({P("ket-noi-bi-ngat", 6): reset()}),
    "stall": simple_case({P("may-chu-treo", 8): stall()}, settings={"DOWNLOAD_TIMEOUT": str(STALL_TIMEOUT)}),
    "slow_drip": simple_case({P("nho-giot", 9): drip(article_html(FAULT_TITLE, FAULT_PARAS).encode())},
                             settings={"DOWNLOAD_TIMEOUT": str(STALL_TIMEOUT)}),
    "redirect_loop": simple_case({P("vong-lap-a", 10): redirect(P("vong-lap-b", 11)),
                                  P("vong-lap-b", 11): redirect(P("vong-lap-a", 10))},
                                 listed=[P("vong-lap-a", 10)]),
    "redirect_endless": simple_case(lambda srv, tmp: {P("chuyen-mai", 12): _endless_redirect(P("chuyen-mai", 12))}),
    "truncated_body": simple_case(
        {P("cat-cut", 13): truncated(article_html(FAULT_TITLE, FAULT_PARAS).encode()[:600], claimed=5000)}),
    "octet_stream_html": simple_case(
        {P("sai-kieu-noi-dung", 14): respond(article_html(FAULT_TITLE, FAULT_PARAS), ctype="application/octet-stream")}),
    "missing_content_type": simple_case(
        {P("thieu-kieu-noi-dung", 15): respond(article_html(FAULT_TITLE, FAULT_PARAS), ctype=None)}),
    "pdf_instead_of_html": simple_case({P("van-ban", 16): respond(PDF, ctype="application/pdf")}),
    "image_instead_of_html": simple_case({P("hinh-anh", 17): respond(make_png(), ctype="image/png")}),
    "gzip_bomb": simple_case(
        {P("bom-nen", 18): respond(gzip.compress(b"<html><body>" + b" " * 30_000_000, 9),
                                   headers=[("Content-Encoding", "gzip")])},
        settings={"DOWNLOAD_MAXSIZE": "1000000"}),
    "oversize_declared": simple_case(
        {P("qua-lon", 19): respond(article_html(FAULT_TITLE, FAULT_PARAS * 8000))},
        settings={"DOWNLOAD_MAXSIZE": "1000000"}),
    "oversize_streamed": simple_case(
        {P("qua-lon-khong-do-dai", 20): respond(article_html(FAULT_TITLE, FAULT_PARAS * 8000), length=False)},
        settings={"DOWNLOAD_MAXSIZE": "1000000"}),
    "tags_never_closed": simple_case(
        {P("the-khong-dong", 21): respond(NOT_CLOSED.format(t=FAULT_TITLE, p0=FAULT_PARAS[0], p1=FAULT_PARAS[1]))}),
    "cp1258_declared": simple_case(
        {P("ma-1258", 22): respond(to_cp1258(article_html(FAULT_TITLE, FAULT_PARAS, charset="windows-1258")),
                                   ctype="text/html")}),
    "cp1258_undeclared": simple_case(
        {P("ma-1258-khong-khai-bao", 23): respond(to_cp1258(article_html(FAULT_TITLE, FAULT_PARAS, charset=None)),
                                                  ctype="text/html")}),
    "mojibake": simple_case(
        {P("loi-phong", 24): respond(article_html(mojibake(FAULT_TITLE), [mojibake(p) for p in FAULT_PARAS]))}),
    "nfd_text": simple_case(
        {P("to-hop", 25): respond(unicodedata.normalize("NFD", article_html(FAULT_TITLE, FAULT_PARAS)))}),
    "empty_200": simple_case({P("trang-trong", 26): respond(b"")}),
    "no_title": simple_case(
        {P("khong-tieu-de", 27): respond(article_html("", FAULT_PARAS).replace("<title> - Cổng thông tin điện tử</title>", ""))}),
    "no_body": simple_case(
        {P("khong-noi-dung", 28): respond(article_html(FAULT_TITLE, []).replace('<div class="cms-body">', '<div class="cms-body-empty">'))}),
    "listing_layout_changed": simple_case(
        {}, extra_listing=listing_html([P("bai-moi", 29)], layout="changed")),
    "robots_disallow": simple_case(
        {"/robots.txt": respond("User-agent: *\nDisallow: /noi-bo/\n", ctype="text/plain"),
         "/noi-bo/tai-lieu-mat-post30.html": respond(article_html(FAULT_TITLE, FAULT_PARAS))},
        listed=["/noi-bo/tai-lieu-mat-post30.html"]),
}


def _endless_redirect(path):
    """/x?n=1 -> /x?n=2 -> … : a redirect chain that never ends (each URL new, so no duplicate)."""
    def handler(conn, server):
        n = sum(1 for h in server.hits if h.path.split("?")[0] == path)
        _send(conn, 302, [("Location", f"{path}?n={n}"), ("Content-Type", "text/html")], b"")
    return handler


def _offsite_case() -> Case:
    def setup(tmp):
        other = FaultServer({"/bai-viet-post7.html": respond(article_html(FAULT_TITLE, FAULT_PARAS))})
        main = FaultServer()
        faulty = P("chuyen-huong-ra-ngoai", 7)
        main.routes.update({
            "/list.html": respond(listing_html([GOOD_PATH, faulty])),
            GOOD_PATH: respond(article_html(GOOD_TITLE, GOOD_PARAS)),
            faulty: redirect(f"http://{OFFSITE_HOST}:{other.port}/bai-viet-post7.html"),
        })
        urls = {"good": main.url(GOOD_PATH), "faulty": main.url(faulty),
                "target": f"http://{OFFSITE_HOST}:{other.port}/bai-viet-post7.html"}
        settings = {"TWISTED_DNS_RESOLVER": "tests.fault_spiders.resolver.LoopbackResolver"}
        return {"main": main, "offsite": other}, [main.url("/list.html")], urls, settings
    return Case(setup)


def _tls_case(verify: bool) -> Case:
    def setup(tmp):
        tls = FaultServer(tls=expired_cert_context(tmp))
        faulty = P("chung-chi-het-han", 31)
        tls.routes[faulty] = respond(article_html(FAULT_TITLE, FAULT_PARAS))
        main = FaultServer()
        main.routes.update({
            "/list.html": respond(listing_html([GOOD_PATH, tls.url(faulty)])),
            GOOD_PATH: respond(article_html(GOOD_TITLE, GOOD_PARAS)),
        })
        urls = {"good": main.url(GOOD_PATH), "faulty": tls.url(faulty)}
        return ({"main": main, "tls": tls}, [main.url("/list.html")], urls,
                {"DOWNLOAD_VERIFY_CERTIFICATES": str(verify)})
    return Case(setup)


CASES["redirect_offsite"] = _offsite_case()
CASES["tls_expired_not_verified"] = _tls_case(False)
CASES["tls_expired_verified"] = _tls_case(True)


# ----------------------------------------------------------------------------- fixtures, helpers


@pytest.fixture(scope="module")
def crawls(request, tmp_path_factory):
    """Run the crawls of the selected tests concurrently; `crawls[name]` waits for one."""
    names = []
    for item in request.session.items:
        if item.module is not None and item.module.__name__ == __name__:
            name = item.originalname.removeprefix("test_")
            if name in CASES and name not in names:
                names.append(name)
    base = tmp_path_factory.mktemp("faults")
    pool = ThreadPoolExecutor(max_workers=4)
    futures = {n: pool.submit(run_case, CASES[n], base / n) for n in names}

    class _Results:
        def __getitem__(self, name):
            return futures[name].result()

    yield _Results()
    pool.shutdown(wait=True)


LOG_LINE = re.compile(r"^\S+ \S+ \[[^\]]+\] (DEBUG|INFO|WARNING|ERROR|CRITICAL): (.*)$")


def log_lines(c: Crawl, min_level="INFO") -> list[str]:
    order = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    out = []
    for line in c.log.splitlines():
        m = LOG_LINE.match(line)
        if m and order.index(m.group(1)) >= order.index(min_level):
            out.append(line)
    return out


def assert_logged(c: Crawl, url: str, reason: str, min_level="INFO"):
    """(2) a log line (INFO or above) names `url` and matches the `reason` regex."""
    rx = re.compile(reason, re.I)
    hits = [line for line in log_lines(c, min_level) if url in line and rx.search(line)]
    assert hits, (f"no {min_level}+ log line names {url} with a reason matching /{reason}/; lines naming it:\n"
                  + "\n".join(line for line in c.log.splitlines() if url in line))


def assert_stat(c: Crawl, key: str, at_least=1):
    """(3) a stats counter by reason."""
    assert c.stats.get(key, 0) >= at_least, (
        f"stat {key!r} missing or < {at_least}; reason-like stats: "
        + json.dumps({k: v for k, v in c.stats.items() if k.split("/")[0] in (
            "skipped", "errors", "dropped", "listing", "extract", "robotstxt", "offsite", "retry",
            "text", "encoding", "content_type", "html", "downloader", "retry_after")}, indent=1, ensure_ascii=False))


def assert_no_crash(c: Crawl):
    """(4) no unhandled exception: no traceback, no spider exception, a clean finish."""
    assert "Traceback" not in c.log, c.log[c.log.index("Traceback") - 2000:][:6000]
    assert not [k for k in c.stats if k.startswith("spider_exceptions")], c.stats
    assert c.stats.get("finish_reason") == "finished", (c.returncode, c.log[-3000:])
    assert c.returncode == 0, c.log[-3000:]


def assert_good(c: Crawl):
    """(1) the good article is exported, whole."""
    rec = c.record(c.urls["good"])
    assert rec is not None, (f"good article {c.urls['good']} not exported; exported: {[r['url'] for r in c.records]}\n"
                             + "\n".join(log_lines(c, "WARNING")))
    assert rec["headline"] == GOOD_TITLE
    assert rec["articleBody"] == "\n\n".join(GOOD_PARAS)
    assert rec["datePublished"].startswith("2024-03-05T08:30")


def assert_fault_exported(c: Crawl, url: str):
    rec = c.record(url)
    assert rec is not None, f"{url} not exported; exported: {[r['url'] for r in c.records]}"
    assert rec["headline"] == FAULT_TITLE, rec["headline"]
    assert rec["articleBody"] == "\n\n".join(FAULT_PARAS), rec["articleBody"]
    return rec


def only_good_exported(c: Crawl):
    assert [r["url"] for r in c.records] == [c.urls["good"]], [r["url"] for r in c.records]


def fault_url(c: Crawl, path: str) -> str:
    return c.urls[path]


# ----------------------------------------------------------------------------- HTTP errors


def test_http_404(crawls):
    c = crawls["http_404"]
    url = fault_url(c, P("khong-ton-tai", 2))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"\b404\b", "WARNING")
    assert_stat(c, "skipped/http_404")
    assert_no_crash(c)


def test_http_410(crawls):
    c = crawls["http_410"]
    url = fault_url(c, P("da-go-bo", 3))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"\b410\b", "WARNING")
    assert_stat(c, "skipped/http_410")
    assert_no_crash(c)


def test_http_500(crawls):
    c = crawls["http_500"]
    path = P("loi-may-chu", 4)
    url = fault_url(c, path)
    assert_good(c)
    only_good_exported(c)
    assert c.servers["main"].paths().count(path) == 2  # RETRY_TIMES=1: one retry, then given up
    assert_logged(c, url, r"\b500\b", "WARNING")
    assert_stat(c, "skipped/http_500")
    assert_stat(c, "retry/reason_count/500 Internal Server Error")
    assert_no_crash(c)


def test_http_503_retry_after(crawls):
    c = crawls["http_503_retry_after"]
    path = P("bao-tri", 5)
    url = fault_url(c, path)
    assert_good(c)
    only_good_exported(c)
    hits = [h for h in c.servers["main"].hits if h.path == path]
    assert len(hits) == 2, [h.path for h in c.servers["main"].hits]
    # Retry-After: 2 is honoured BEFORE the retry: the second request comes 2 s after the first
    gap = hits[1].t - hits[0].t
    assert gap >= 2.0 - 0.05, f"retried after {gap:.2f}s despite Retry-After: 2"
    assert_stat(c, "retry_after/honoured")
    assert_logged(c, url, r"\b503\b", "WARNING")
    assert_stat(c, "skipped/http_503")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- network faults


def test_connection_reset(crawls):
    c = crawls["connection_reset"]
    path = P("ket-noi-bi-ngat", 6)
    url = fault_url(c, path)
    assert_good(c)
    only_good_exported(c)
    assert c.servers["main"].paths().count(path) == 2  # retried once
    assert_logged(c, url, r"ConnectionLost|connection.*lost|reset", "WARNING")
    # Scrapy 2.19 wraps Twisted's ConnectionLost/ResponseNeverReceived in DownloadFailedError
    assert_stat(c, _one_of(c, "errors/DownloadFailedError", "errors/ResponseNeverReceived", "errors/ConnectionLost"))
    assert_no_crash(c)


def test_stall(crawls):
    c = crawls["stall"]
    path = P("may-chu-treo", 8)
    url = fault_url(c, path)
    assert_good(c)
    only_good_exported(c)
    assert c.servers["main"].paths().count(path) == 2
    assert_logged(c, url, r"timeout|took longer than", "WARNING")
    assert_stat(c, _one_of(c, "errors/DownloadTimeoutError", "errors/TimeoutError"))
    assert_no_crash(c)


def test_slow_drip(crawls):
    c = crawls["slow_drip"]
    path = P("nho-giot", 9)
    url = fault_url(c, path)
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"timeout|took longer than", "WARNING")
    assert_stat(c, _one_of(c, "errors/DownloadTimeoutError", "errors/TimeoutError"))
    assert_no_crash(c)


def _one_of(c: Crawl, *keys: str) -> str:
    return next((k for k in keys if k in c.stats), keys[0])


def test_truncated_body(crawls):
    c = crawls["truncated_body"]
    path = P("cat-cut", 13)
    url = fault_url(c, path)
    assert_good(c)
    only_good_exported(c)  # a partial page is not an article: never exported half
    assert_logged(c, url, r"data ?loss|truncat|partial", "WARNING")
    assert_stat(c, "errors/ResponseDataLossError")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- redirects


def test_redirect_loop(crawls):
    c = crawls["redirect_loop"]
    a = fault_url(c, P("vong-lap-a", 10))
    assert_good(c)
    only_good_exported(c)
    paths = c.servers["main"].paths()
    assert paths.count(P("vong-lap-a", 10)) == 1 and paths.count(P("vong-lap-b", 11)) == 1, paths  # cut at once
    assert_logged(c, a, r"redirect.*loop|loop.*redirect", "WARNING")
    assert_stat(c, "skipped/redirect_loop")
    assert_no_crash(c)


def test_redirect_endless(crawls):
    c = crawls["redirect_endless"]
    path = P("chuyen-mai", 12)
    assert_good(c)
    only_good_exported(c)
    hits = [p for p in c.servers["main"].paths() if p.startswith(path)]
    assert len(hits) == 11, hits  # the first request and REDIRECT_MAX_TIMES (10) redirects, then no more
    assert_logged(c, c.urls[path], r"too many redirects", "WARNING")
    assert_stat(c, "skipped/too_many_redirects")
    assert_no_crash(c)


def test_redirect_offsite(crawls):
    c = crawls["redirect_offsite"]
    assert_good(c)
    only_good_exported(c)
    assert c.servers["offsite"].hits == [], [h.path for h in c.servers["offsite"].hits]  # not even robots.txt
    assert_logged(c, c.urls["target"], r"off.?site|not followed", "WARNING")
    assert_logged(c, c.urls["faulty"], r"off.?site|not followed", "WARNING")
    assert_stat(c, "skipped/offsite_redirect")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- content types


def test_octet_stream_html(crawls):
    """HTML served as application/octet-stream is still an article: extracted, and counted."""
    c = crawls["octet_stream_html"]
    url = fault_url(c, P("sai-kieu-noi-dung", 14))
    assert_good(c)
    assert_fault_exported(c, url)
    assert_logged(c, url, r"content.?type|octet-stream")
    assert_stat(c, "content_type/mismatch")
    assert_no_crash(c)


def test_missing_content_type(crawls):
    c = crawls["missing_content_type"]
    url = fault_url(c, P("thieu-kieu-noi-dung", 15))
    assert_good(c)
    assert_fault_exported(c, url)
    assert_logged(c, url, r"content.?type")
    assert_stat(c, "content_type/missing")
    assert_no_crash(c)


def test_pdf_instead_of_html(crawls):
    c = crawls["pdf_instead_of_html"]
    url = fault_url(c, P("van-ban", 16))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"not HTML.*application/pdf", "WARNING")
    assert_stat(c, "skipped/not_html")
    assert_no_crash(c)


def test_image_instead_of_html(crawls):
    c = crawls["image_instead_of_html"]
    url = fault_url(c, P("hinh-anh", 17))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"not HTML.*image/png", "WARNING")
    assert_stat(c, "skipped/not_html")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- sizes


def test_gzip_bomb(crawls):
    c = crawls["gzip_bomb"]
    url = fault_url(c, P("bom-nen", 18))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"max(imum)? ?size|too large|larger than", "WARNING")
    assert_stat(c, "skipped/too_large")
    assert_no_crash(c)


def test_oversize_declared(crawls):
    c = crawls["oversize_declared"]
    url = fault_url(c, P("qua-lon", 19))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"max(imum)? ?size|too large|larger than", "WARNING")
    assert_stat(c, "skipped/too_large")
    assert_no_crash(c)


def test_oversize_streamed(crawls):
    c = crawls["oversize_streamed"]
    url = fault_url(c, P("qua-lon-khong-do-dai", 20))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"max(imum)? ?size|too large|larger than", "WARNING")
    assert_stat(c, "skipped/too_large")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- broken HTML, text


def test_tags_never_closed(crawls):
    """No closing tag anywhere and 1200 levels of nesting: the text still comes out."""
    c = crawls["tags_never_closed"]
    url = fault_url(c, P("the-khong-dong", 21))
    assert_good(c)
    rec = c.record(url)
    assert rec is not None, [r["url"] for r in c.records]
    assert rec["headline"] == FAULT_TITLE
    assert rec["articleBody"].startswith("\n\n".join(FAULT_PARAS))
    assert_logged(c, url, r"unclosed|not closed|unterminated|never clos")
    assert_stat(c, "html/unclosed_tags")
    assert_no_crash(c)


def test_cp1258_declared(crawls):
    c = crawls["cp1258_declared"]
    url = fault_url(c, P("ma-1258", 22))
    assert_good(c)
    assert_fault_exported(c, url)
    assert_logged(c, url, r"1258")
    assert_stat(c, "encoding/cp1258")
    assert_no_crash(c)


def test_cp1258_undeclared(crawls):
    """No charset anywhere: must not crash and must be counted and logged; the crawler
    recognises the Vietnamese code page, so the text comes out right too."""
    c = crawls["cp1258_undeclared"]
    url = fault_url(c, P("ma-1258-khong-khai-bao", 23))
    assert_good(c)
    assert_logged(c, url, r"charset|encoding|1258")
    assert_stat(c, "encoding/undeclared")
    assert_no_crash(c)
    assert_fault_exported(c, url)
    assert_stat(c, "encoding/cp1258")


def test_mojibake(crawls):
    c = crawls["mojibake"]
    url = fault_url(c, P("loi-phong", 24))
    assert_good(c)
    assert_fault_exported(c, url)
    # repaired before parsing (whole page) or block by block during extraction: either is counted
    assert_stat(c, _one_of(c, "encoding/mojibake_repaired", "text/mojibake_repaired"))
    assert_logged(c, url, r"mojibake")
    assert_no_crash(c)


def test_nfd_text(crawls):
    c = crawls["nfd_text"]
    url = fault_url(c, P("to-hop", 25))
    assert_good(c)
    rec = assert_fault_exported(c, url)
    assert all(unicodedata.is_normalized("NFC", v) for v in (rec["headline"], rec["articleBody"]))
    assert_logged(c, url, r"NFD|decomposed")
    assert_stat(c, "text/nfd")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- empty and partial pages


def test_empty_200(crawls):
    c = crawls["empty_200"]
    url = fault_url(c, P("trang-trong", 26))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"empty", "WARNING")
    assert_stat(c, "skipped/empty_page")
    assert_no_crash(c)


def test_no_title(crawls):
    c = crawls["no_title"]
    url = fault_url(c, P("khong-tieu-de", 27))
    assert_good(c)
    only_good_exported(c)
    assert_logged(c, url, r"no_headline", "WARNING")
    assert_stat(c, "dropped/no_headline")
    assert_no_crash(c)


def test_no_body(crawls):
    """No body: dropped with a reason, or extracted by the counted fallback."""
    c = crawls["no_body"]
    url = fault_url(c, P("khong-noi-dung", 28))
    assert_good(c)
    assert_stat(c, "extract/fallback")
    assert_logged(c, url, r"fallback", "WARNING")
    rec = c.record(url)
    if rec is None:
        assert_logged(c, url, r"empty_body", "WARNING")
        assert_stat(c, "dropped/empty_body")
    else:  # what the fallback found must not be page chrome
        assert "Bản quyền" not in rec["articleBody"] and "Trang chủ" not in rec["articleBody"], rec["articleBody"]
    assert_no_crash(c)


def test_listing_layout_changed(crawls):
    c = crawls["listing_layout_changed"]
    assert_good(c)
    only_good_exported(c)
    url2 = c.servers["main"].url("/list2.html")
    assert_logged(c, url2, r"no article links", "WARNING")
    assert_stat(c, "listing/no_links")
    assert P("bai-moi", 29) not in c.servers["main"].paths()
    assert_no_crash(c)


def test_robots_disallow(crawls):
    c = crawls["robots_disallow"]
    path = "/noi-bo/tai-lieu-mat-post30.html"
    url = c.urls[path]
    assert_good(c)
    only_good_exported(c)
    assert path not in c.servers["main"].paths()
    assert_logged(c, url, r"robots", "WARNING")
    assert_stat(c, "robotstxt/forbidden")
    assert_stat(c, "robotstxt/request_count")
    assert_no_crash(c)


# ----------------------------------------------------------------------------- TLS


def test_tls_expired_not_verified(crawls):
    """Default (DOWNLOAD_VERIFY_CERTIFICATES=False): an expired certificate is crawled."""
    c = crawls["tls_expired_not_verified"]
    url = c.urls["faulty"]
    assert_good(c)
    assert_fault_exported(c, url)
    assert P("chung-chi-het-han", 31) in c.servers["tls"].paths()
    # crawled, but not silently: the archive must know the page came over an invalid certificate
    assert_logged(c, url, r"certificate.*expired", "WARNING")
    assert_stat(c, "tls/certificate_expired")
    assert_stat(c, "tls/certificate_self_signed")
    assert_no_crash(c)


def test_tls_expired_verified(crawls):
    """-s DOWNLOAD_VERIFY_CERTIFICATES=True: the expired certificate is refused, with a reason."""
    c = crawls["tls_expired_verified"]
    url = c.urls["faulty"]
    assert_good(c)
    only_good_exported(c)
    assert P("chung-chi-het-han", 31) not in c.servers["tls"].paths()  # no HTTP request got through TLS
    assert_logged(c, url, r"certificate verify failed", "WARNING")
    errs = [k for k in c.stats if k.startswith("errors/")]
    assert errs, c.stats  # errors/<exception type> (DownloadFailedError in Scrapy 2.19)
    assert_stat(c, errs[0])
    assert_stat(c, "robotstxt/unavailable/" + errs[0].split("/", 1)[1])  # robots.txt too: logged, no traceback
    assert_no_crash(c)


def test_whole_file_is_fast(crawls):
    """Keep the suite quick: no single crawl may take long."""
    slow = {}
    for name in CASES:
        try:
            c = crawls[name]
        except KeyError:
            continue
        if c.seconds > 30:
            slow[name] = round(c.seconds, 1)
    assert not slow, slow
