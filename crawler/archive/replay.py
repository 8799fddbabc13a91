"""Replay: answer every request from a snapshot folder or a WARC instead of the network.

`-s REPLAY=PATH` installs `ReplayDownloadHandler` for http and https (see `crawler.addons`).
PATH may be:
- a fixture folder with `index.json` (see tests/fixtures/FORMAT.md);
- a folder holding a sub-folder named after the running spider (so `-s REPLAY=tests/fixtures`
  works for every spider); with `-s SOURCE=wayback`, `wayback/<spider>/` is read as well;
- a WARC file (`.warc`, `.warc.gz`) or a folder of them: every `response` record is served.

A URL that is not in the snapshot is answered 404, with a log line and the stat `replay/miss`;
replay never opens a network connection.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from crawler.urls import canonical_url

from .warc import fetched_at

logger = logging.getLogger(__name__)

DEFAULT_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def replay_key(url: str) -> str:
    return canonical_url(url)


class Snapshot:
    """URL -> (status, headers, body or file path, provenance) loaded from folders and WARCs."""

    def __init__(self):
        self.entries: dict[str, dict] = {}

    def __len__(self):
        return len(self.entries)

    def add_folder(self, folder: Path):
        index = folder / "index.json"
        data = json.loads(index.read_text("utf-8"))
        pages = data["pages"] if isinstance(data, dict) else data
        for p in pages:
            entry = {
                "status": int(p.get("status", 200)),
                "headers": p.get("headers") or (DEFAULT_HEADERS if p.get("file") else {}),
                "file": (folder / p["file"]) if p.get("file") else None,
                "body": p.get("body", "").encode("utf-8") if "body" in p else None,
                "url": p["url"],
            }
            self.entries[replay_key(p["url"])] = entry

    def add_warc(self, path: Path):
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type != "response":
                    continue
                url = rec.rec_headers.get_header("WARC-Target-URI")
                if not url or rec.http_headers is None:
                    continue
                status = int(rec.http_headers.get_statuscode() or 200)
                headers = {}
                for k, v in rec.http_headers.headers:
                    if k.lower() in ("transfer-encoding",):
                        continue
                    headers.setdefault(k, v)
                body = rec.raw_stream.read()  # payload as sent (still content-encoded)
                self.entries[replay_key(url)] = {
                    "status": status,
                    "headers": headers,
                    "file": None,
                    "body": body,
                    "url": url,
                    "warc": {
                        "warcFile": path.name,
                        "warcRecordId": (rec.rec_headers.get_header("WARC-Record-ID") or "").strip("<>"),
                        "warcPayloadDigest": rec.rec_headers.get_header("WARC-Payload-Digest"),
                        # crawl.fetchedAt on replay: this record's WARC-Date, in the one
                        # fetchedAt form (ISO 8601 UTC, `+00:00`), as the recording crawl wrote it
                        "warcDate": fetched_at(rec.rec_headers.get_header("WARC-Date")),
                    },
                }

    @staticmethod
    def folder_for(path: Path, spider_name: str | None, alias: str | None = None) -> Path | None:
        """The snapshot folder of a spider inside PATH: PATH/<name>, PATH/<alias>, or PATH itself."""
        for name in (spider_name, alias):
            if name and (path / name / "index.json").exists():
                return path / name
        if (path / "index.json").exists():
            return path
        return None

    @classmethod
    def load(cls, path: str | Path, spider_name: str | None, source: str = "live", alias: str | None = None) -> "Snapshot":
        path = Path(path)
        snap = cls()
        if not path.exists():
            raise FileNotFoundError(f"REPLAY path does not exist: {path}")
        if path.is_file():
            snap.add_warc(path)
            return snap
        folders = []
        if source == "wayback" and spider_name and (path / "wayback" / spider_name / "index.json").exists():
            folders.append(path / "wayback" / spider_name)
        own = cls.folder_for(path, spider_name, alias)
        if own is not None:
            folders.append(own)
        for f in folders:
            snap.add_folder(f)
        if not folders:
            warcs = sorted(p for p in path.iterdir() if p.name.endswith((".warc", ".warc.gz")))
            for w in warcs:
                snap.add_warc(w)
            if not warcs:
                raise FileNotFoundError(
                    f"REPLAY={path}: no index.json, no '{spider_name}/index.json' and no WARC files"
                )
        return snap


class ReplayDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(self, crawler):
        super().__init__(crawler)
        self.path = crawler.settings.get("REPLAY")
        self.source = crawler.settings.get("SOURCE", "live")
        self.delay = crawler.settings.getfloat("REPLAY_DELAY", 0.0)  # seconds per answer (demos, tests)
        self._snapshot: Snapshot | None = None

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            spider = self.crawler.spider
            alias = Path(getattr(spider, "snapshot", "") or "").name or None
            self._snapshot = Snapshot.load(self.path, spider.name if spider else None, self.source, alias)
            logger.info("Replay: %d URLs from %s", len(self._snapshot), self.path)
            self.crawler.stats.set_value("replay/urls_in_snapshot", len(self._snapshot))
        return self._snapshot

    async def download_request(self, request):
        stats = self.crawler.stats
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        entry = self.snapshot.entries.get(replay_key(request.url))
        if entry is None:
            stats.inc_value("replay/miss")
            level = logging.DEBUG if request.url.endswith("/robots.txt") else logging.WARNING
            logger.log(level, "Replay: not in snapshot, answering 404: %s", request.url)
            return responsetypes.from_args(url=request.url)(
                url=request.url, status=404, body=b"", request=request, flags=["replay", "replay-miss"]
            )
        stats.inc_value("replay/hit")
        body = entry["body"]
        if body is None and entry["file"] is not None:
            body = entry["file"].read_bytes()
        body = body or b""
        headers = Headers(entry["headers"])
        if "warc" in entry:
            request.meta["replay_warc"] = entry["warc"]
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(
            url=request.url, status=entry["status"], headers=headers, body=body,
            request=request, flags=["replay"],
        )

    async def close(self):
        self._snapshot = None
