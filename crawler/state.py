"""Persistent crawl state: which articles were exported, with a content hash for change detection.

One small SQLite file per spider under STATE_DIR (default OUTPUT_DIR/state). WAL journal, so a
run killed with SIGKILL leaves a consistent file; writes are committed in small batches and at
close, and an article is only marked exported once its feed line has been written (see
`crawler.pipelines.DedupPipeline` and `crawler.commands.crawlall`).

A state file SQLite cannot read (`file is not a database`, `database disk image is malformed`) is
never fatal: it is renamed `<name>.sqlite.corrupt-<UTC time>` (with its -wal/-shm), a WARNING
says so, and the spider starts from an empty state (a first run: its articles are exported again).
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

logger = logging.getLogger(__name__)


def unreadable(path: str | Path) -> str | None:
    """Why SQLite cannot read the state file at path, or None (also when it does not exist, or is
    only locked). A cheap check: the header and the schema, and one row of each table, not every
    page, so a state of a million articles costs nothing at start-up."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(str(path), timeout=5)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                if table in ("seen", "files"):
                    db.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
        finally:
            db.close()
    except sqlite3.OperationalError:  # locked, cannot open, …: not the file's content
        return None
    except sqlite3.DatabaseError as e:  # not a database, malformed
        return f"{type(e).__name__}: {e}"
    return None


def quarantine(path: str | Path, reason: str) -> Path:
    """Move an unreadable state file aside (with its -wal and -shm): `<name>.corrupt-<UTC time>`."""
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    moved = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        f = path.with_name(path.name + suffix)
        if f.exists():
            os.replace(f, f.with_name(f"{f.name}.corrupt-{stamp}"))
    logger.warning("State file %s is unreadable (%s): moved aside to %s; starting from an empty state "
                   "(a first run: its articles are exported again)", path, reason, moved)
    return moved


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
        reason = unreadable(self.path)
        if reason:
            quarantine(self.path, reason)
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
