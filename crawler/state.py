"""Persistent crawl state: which articles were exported, with a content hash for change detection.

One small SQLite file per spider under STATE_DIR (default OUTPUT_DIR/state). WAL journal, so a
run killed with SIGKILL leaves a consistent file. What a run learns is kept in memory and written
in one short transaction when its output is complete (see `crawler.pipelines.DedupPipeline` and
`crawler.commands.crawlall`): a run holds no SQLite lock while it crawls, so another process on
the same state (`scrapy crawl X -s INCREMENTAL=1` beside `scrapy crawlall`) is never locked out
for long; a writer that finds the file locked waits for it (busy timeout, `STATE_LOCK_TIMEOUT`,
default 60 s) instead of failing at once.

A state file SQLite cannot read (`file is not a database`, `database disk image is malformed`) is
never fatal: it is renamed `<name>.sqlite.corrupt-<UTC time>` (with its -wal/-shm), a WARNING
says so, and the spider starts from an empty state (a first run: its articles are exported again).

The same file holds the journal of output files (`files`: part, final, status), which makes
"state committed" and "file renamed into place" one step for a run killed in between:
`pending` (state committed with the row, the .part not yet renamed: the next run renames it),
`renamed` (crawlall: renamed, not yet listed by a run manifest: the next run lists it), `done`.
A .part file is held under an flock by the process writing it, so recovery never touches the
output of a run that is still going.
"""
from __future__ import annotations

import fcntl
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
                if table in ("seen", "alias", "files"):
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


DEFAULT_LOCK_TIMEOUT = 60.0  # seconds a writer waits for a state file another process holds
JOURNAL_SCHEMA = "CREATE TABLE IF NOT EXISTS files (part TEXT PRIMARY KEY, final TEXT, status TEXT)"


def lock_timeout(settings) -> float:
    return settings.getfloat("STATE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT) if settings is not None else DEFAULT_LOCK_TIMEOUT


def connect(path: str | Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> sqlite3.Connection:
    """A connection in autocommit mode that waits up to `timeout` seconds for a lock (busy timeout)."""
    db = sqlite3.connect(str(path), isolation_level=None, timeout=timeout, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    db.execute("PRAGMA journal_mode=WAL")
    return db


class StateStore:
    """The exported articles of one spider. `put()` and `alias()` are kept in memory until
    `commit()` (or `close(commit=True)`), which writes them, with optional journal rows for output
    files, in one transaction; `close(commit=False)` forgets them. Lookups see both."""

    def __init__(self, path: str | Path, commit_every: int = 200, timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        reason = unreadable(self.path)
        if reason:
            quarantine(self.path, reason)
        self.timeout = timeout
        self.db = connect(self.path, timeout)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, hash TEXT, revision INTEGER,"
            " first_seen REAL, last_seen REAL)"
        )
        # other URLs of an exported article (the URL it was listed and fetched under when its
        # rel=canonical names another): an article listed under one of them is known too
        self.db.execute("CREATE TABLE IF NOT EXISTS alias (alias TEXT PRIMARY KEY, key TEXT)")
        self.db.execute(JOURNAL_SCHEMA)
        self.commit_every = commit_every
        self._puts: dict[str, tuple[str, int, float]] = {}
        self._aliases: dict[str, str] = {}

    @property
    def _pending(self) -> int:
        return len(self._puts)

    def get(self, key: str):
        if key in self._puts:
            digest, revision, _ = self._puts[key]
            return (digest, revision)
        return self.db.execute("SELECT hash, revision FROM seen WHERE key=?", (key,)).fetchone()

    def __contains__(self, key: str) -> bool:
        if key in self._puts or key in self._aliases:
            return True
        return self.db.execute("SELECT 1 FROM seen WHERE key=? UNION ALL SELECT 1 FROM alias WHERE alias=? LIMIT 1",
                               (key, key)).fetchone() is not None

    def put(self, key: str, digest: str, revision: int, aliases=()):
        self._puts[key] = (digest, revision, time.time())
        for a in aliases:
            self.alias(a, key)
        if len(self._puts) >= self.commit_every:
            self.commit()

    def alias(self, alias: str, key: str):
        if alias and alias != key:
            self._aliases[alias] = key

    def commit(self, files=(), status: str = "pending"):
        """Write what this run learnt, and a journal row (part, final, status) per output file, in
        one transaction. Waits up to the busy timeout for the lock; on failure nothing is written
        (and what was learnt is kept, so a later commit can try again) and the error is raised."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO seen(key, hash, revision, first_seen, last_seen) VALUES (?,?,?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET hash=excluded.hash, revision=excluded.revision,"
                " last_seen=excluded.last_seen",
                ((k, d, r, t, t) for k, (d, r, t) in self._puts.items()))
            db.executemany("INSERT OR REPLACE INTO alias(alias, key) VALUES (?,?)", self._aliases.items())
            db.executemany("INSERT OR REPLACE INTO files(part, final, status) VALUES (?,?,?)",
                           ((str(p), str(f), status) for p, f in files))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._puts.clear()
        self._aliases.clear()

    def rollback(self):
        self._puts.clear()
        self._aliases.clear()

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]

    def close(self, commit: bool = True, files=()):
        try:
            if commit:
                self.commit(files)
            else:
                self.rollback()
        finally:
            self.db.close()


# ------------------------------------------------------------------ output files (.part -> final)
def hold(path: str | Path):
    """Create (if need be) and flock the .part file a run writes: recovery leaves it alone while
    the returned file object is open (the lock goes with the process, so a killed run's is free)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "ab")
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def in_use(path: str | Path) -> bool:
    """A live process holds this .part (see `hold`)."""
    try:
        with open(path, "rb") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
    except FileNotFoundError:
        return False
    return False


def fsync_replace(part: str | Path, final: str | Path):
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(part, final)


def recover_folder(folder: Path, state_file: Path | None, timeout: float = DEFAULT_LOCK_TIMEOUT,
                   journal=None, replace=None):
    """Finish what an interrupted run left in one spider's output folder:
    - a journal row `pending` (the state was committed with it): its .part is renamed into place;
    - any other `*.jsonl.part` nobody holds (an unfinished file whose articles were never
      committed) is removed: the articles in it are exported again.
    Returns (actions, completed): messages, and the final paths completed from `pending` rows.
    If the journal cannot be read, nothing is removed (a committed .part must never be lost)."""
    journal = journal or (lambda p: _journal(p, timeout))
    replace = replace or os.replace
    actions, completed, pending = [], [], set()
    if state_file is not None and Path(state_file).exists():
        try:
            db = journal(Path(state_file))
            try:
                rows = db.execute("SELECT part, final FROM files WHERE status='pending'").fetchall()
                for part, final in rows:
                    pending.add(part)
                    if in_use(part):
                        continue  # its run is finalising it right now
                    if Path(part).exists():
                        replace(part, final)
                        actions.append(f"completed {final}")
                    if Path(final).exists():
                        completed.append(final)
                    db.execute("UPDATE files SET status='renamed' WHERE part=? AND status='pending'", (part,))
            finally:
                db.close()
        except sqlite3.Error as e:
            msg = f"journal of {state_file} unreadable ({type(e).__name__}: {e}): unfinished files in {folder} left as they are"
            logger.warning("Recovery: %s", msg)
            return [msg], []
    if Path(folder).is_dir():
        for part in sorted(Path(folder).glob("*.jsonl.part")):
            if str(part) in pending or in_use(part):
                continue
            part.unlink()
            actions.append(f"discarded unfinished {part}")
    return actions, completed


def _journal(state_file: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> sqlite3.Connection:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    db = connect(state_file, timeout)
    db.execute(JOURNAL_SCHEMA)
    return db


def state_path(settings, spider_name: str) -> Path:
    base = settings.get("STATE_DIR") or str(Path(settings.get("OUTPUT_DIR") or "output") / "state")
    return Path(base) / f"{spider_name}.sqlite"
