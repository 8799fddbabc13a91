"""Persistent crawl state: which articles were exported, with a content hash for change detection.

One small SQLite file per spider under STATE_DIR (default OUTPUT_DIR/state). WAL journal, so a
run killed with SIGKILL leaves a consistent file; writes are committed in small batches and at
close, and an article is only marked exported once its feed line has been written (see
`crawler.pipelines.DedupPipeline` and `crawler.commands.crawlall`).
"""
from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path


def content_hash(item) -> str:
    h = hashlib.sha256()
    for k in ("headline", "articleBody", "datePublished"):
        h.update((item.get(k) or "").encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


class StateStore:
    def __init__(self, path: str | Path, commit_every: int = 200):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, hash TEXT, revision INTEGER,"
            " first_seen REAL, last_seen REAL)"
        )
        self.commit_every = commit_every
        self._pending = 0
        self.db.execute("BEGIN")

    def get(self, key: str):
        row = self.db.execute("SELECT hash, revision FROM seen WHERE key=?", (key,)).fetchone()
        return row

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def put(self, key: str, digest: str, revision: int):
        now = time.time()
        self.db.execute(
            "INSERT INTO seen(key, hash, revision, first_seen, last_seen) VALUES (?,?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET hash=excluded.hash, revision=excluded.revision,"
            " last_seen=excluded.last_seen",
            (key, digest, revision, now, now),
        )
        self._pending += 1
        if self._pending >= self.commit_every:
            self.commit()

    def commit(self):
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")
        self._pending = 0

    def rollback(self):
        self.db.execute("ROLLBACK")
        self.db.execute("BEGIN")
        self._pending = 0

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]

    def close(self, commit: bool = True):
        if commit:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
        self.db.close()


def state_path(settings, spider_name: str) -> Path:
    base = settings.get("STATE_DIR") or str(Path(settings.get("OUTPUT_DIR") or "output") / "state")
    return Path(base) / f"{spider_name}.sqlite"
