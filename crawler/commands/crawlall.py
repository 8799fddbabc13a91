"""`scrapy crawlall`: every site spider (or those named/tagged) in one process, for cron.

- Incremental by default (state under STATE_DIR, default OUTPUT_DIR/state); `-s RECRAWL=1`
  fetches and compares everything again.
- Each spider writes OUTPUT_DIR/<spider>/<run id>.jsonl.part; when the spider has closed, the
  state is committed together with a "pending" row for the file, the file is renamed to .jsonl,
  and the row marked done. A run killed at any point leaves either no committed state for its
  articles (the .part is discarded by the next run, which exports them again) or a committed state
  whose file the next run completes (renames). So no article is lost and none is duplicated across
  finalised files, and readers never see a half-written .jsonl.
- A run manifest (OUTPUT_DIR/runs/<run id>/manifest.json) and a log file beside it.
- One run at a time: an flock on OUTPUT_DIR/.crawlall.lock; a lock file left by a killed run
  (its process is gone) is taken over with a warning.

Exit codes: 0 all well; 3 a spider failed; 4 a spider looks broken (yielded nothing where it used
to, or its fallback/drop rate jumped: the site's layout probably changed); 5 another run holds the
lock; 2 usage error.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

logger = logging.getLogger("crawler.crawlall")

EXIT_OK, EXIT_USAGE, EXIT_SPIDER_FAILED, EXIT_LAYOUT_CHANGED, EXIT_LOCKED = 0, 2, 3, 4, 5


class LockHeld(Exception):
    pass


class RunLock:
    def __init__(self, path: Path):
        self.path = path
        self.fh = None

    def acquire(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip()
            self.fh.close()
            raise LockHeld(holder or "unknown")
        self.fh.seek(0)
        previous = self.fh.read().strip()
        if previous:
            try:
                pid = int(json.loads(previous).get("pid"))
                alive = _pid_alive(pid)
            except (ValueError, TypeError, AttributeError):
                pid, alive = None, False
            if not alive:
                logger.warning("Taking over the lock left by a run that is gone (pid %s): %s", pid, self.path)
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(json.dumps({"pid": os.getpid(), "started": _now()}))
        self.fh.flush()

    def release(self):
        if self.fh:
            self.fh.seek(0)
            self.fh.truncate()
            self.fh.flush()
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _sha256_lines(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as fh:
        for line in fh:
            h.update(line)
            n += 1
    return h.hexdigest(), n


# ------------------------------------------------------------------ file journal (in the state DB)
def _journal(state_file: Path) -> sqlite3.Connection:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(state_file), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS files (part TEXT PRIMARY KEY, final TEXT, status TEXT)")
    return db


def recover(out_dir: Path, state_dir: Path, spider_names) -> list[str]:
    """Finish what a killed run left: rename committed .part files, discard uncommitted ones."""
    actions = []
    for name in spider_names:
        state_file = state_dir / f"{name}.sqlite"
        pending = {}
        if state_file.exists():
            db = _journal(state_file)
            for part, final, status in db.execute("SELECT part, final, status FROM files WHERE status='pending'"):
                pending[part] = final
                if Path(part).exists():
                    os.replace(part, final)
                    actions.append(f"completed {final}")
                db.execute("UPDATE files SET status='done' WHERE part=?", (part,))
            db.close()
        folder = out_dir / name
        if folder.is_dir():
            for part in folder.glob("*.jsonl.part"):
                if str(part) in pending:
                    continue
                part.unlink()
                actions.append(f"discarded unfinished {part}")
    for a in actions:
        logger.warning("Recovery after an interrupted run: %s", a)
    return actions


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": True}

    def syntax(self):
        return "[options]"

    def short_desc(self):
        return "Run every site spider (or --spiders/--tag) incrementally, for cron"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--spiders", default="", help="comma-separated spider names")
        parser.add_argument("--tag", action="append", default=[], help="only spiders with this tag (repeatable)")
        parser.add_argument("--list", action="store_true", help="list the spiders that would run and exit")

    def run(self, args, opts):
        from scrapy.crawler import CrawlerProcess
        from scrapy.spiderloader import get_spider_loader

        settings = self.settings
        loader = get_spider_loader(settings)
        names = sorted(loader.list())
        if opts.spiders:
            wanted = [s.strip() for s in opts.spiders.split(",") if s.strip()]
            unknown = [s for s in wanted if s not in names]
            if unknown:
                raise UsageError(f"unknown spider(s): {', '.join(unknown)}")
            names = wanted
        if opts.tag:
            names = [n for n in names if set(opts.tag) & set(getattr(loader.load(n), "tags", ()))]
        names = [n for n in names if not getattr(loader.load(n), "crawlall_skip", False)]
        if opts.list:
            print("\n".join(names))
            return
        if not names:
            raise UsageError("no spider matches")
        replay = settings.get("REPLAY")
        if replay and Path(replay).is_dir():
            from ..archive.replay import Snapshot

            source = settings.get("SOURCE", "live")
            keep = []
            for n in names:
                cls = loader.load(n)
                alias = Path(getattr(cls, "snapshot", "") or "").name or None
                has = Snapshot.folder_for(Path(replay), n, alias) is not None or (
                    source == "wayback" and (Path(replay) / "wayback" / n / "index.json").exists())
                if has:
                    keep.append(n)
                else:
                    logger.warning("crawlall: no snapshot for %s in REPLAY=%s: not run", n, replay)
            names = keep

        out_dir = Path(settings.get("OUTPUT_DIR") or "output")
        state_dir = Path(settings.get("STATE_DIR") or out_dir / "state")
        run_id = settings.get("RUN_ID") or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        run_dir = out_dir / "runs" / run_id
        lock = RunLock(out_dir / ".crawlall.lock")
        try:
            lock.acquire()
        except LockHeld as e:
            sys.stderr.write(f"crawlall: another run holds the lock {lock.path} ({e}); exiting\n")
            self.exitcode = EXIT_LOCKED
            return
        try:
            self.exitcode = self._run_locked(CrawlerProcess, names, settings, out_dir, state_dir, run_id, run_dir)
        finally:
            lock.release()

    def _run_locked(self, CrawlerProcess, names, settings, out_dir, state_dir, run_id, run_dir):
        run_dir.mkdir(parents=True, exist_ok=True)
        log_path = run_dir / "crawl.log"
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        handler.setLevel(logging.INFO)
        logging.getLogger().addHandler(handler)
        recovered = recover(out_dir, state_dir, names)

        started = time.time()
        process = CrawlerProcess(settings)
        crawlers = {}
        parts = {}
        for name in names:
            part = out_dir / name / f"{run_id}.jsonl.part"
            part.parent.mkdir(parents=True, exist_ok=True)
            overrides = {
                "FEEDS": {str(part): {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
                "INCREMENTAL": True,
                "STATE_DIR": str(state_dir),
                "STATE_COMMIT_EXTERNAL": True,
                "RUN_ID": run_id,
                "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "crawler.extensions.Progress": 500},
            }
            crawler = process.create_crawler(process.spider_loader.load(name))
            for k, v in overrides.items():
                crawler.settings.set(k, v, priority="cmdline")
            crawlers[name] = crawler
            parts[name] = part
            logger.info("crawlall: starting %s", name)
            process.crawl(crawler)
        process.start()

        manifest = {"runId": run_id, "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
                    "finished": _now(), "durationSeconds": round(time.time() - started, 2),
                    "recovered": recovered, "spiders": {}}
        exit_code = EXIT_OK
        health_path = state_dir / "health.json"
        health = json.loads(health_path.read_text("utf-8")) if health_path.exists() else {}
        for name, crawler in crawlers.items():
            stats = crawler.stats.get_stats()
            part = parts[name]
            final = part.with_name(part.name[: -len(".part")])
            store = getattr(crawler, "state_store", None)
            finish_reason = stats.get("finish_reason", "unknown")
            failed = finish_reason != "finished" or stats.get("log_count/ERROR", 0) > 0 and not part.exists()
            output = None
            if part.exists() and finish_reason == "finished":
                state_file = state_dir / f"{name}.sqlite"
                # 1) state + pending row committed in one transaction
                if store is not None:
                    store.db.execute("CREATE TABLE IF NOT EXISTS files (part TEXT PRIMARY KEY, final TEXT, status TEXT)")
                    store.db.execute("INSERT OR REPLACE INTO files VALUES (?,?, 'pending')", (str(part), str(final)))
                    store.close(commit=True)
                # 2) the file becomes visible  3) the journal row is done
                with open(part, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(part, final)
                db = _journal(state_file)
                db.execute("UPDATE files SET status='done' WHERE part=?", (str(part),))
                db.close()
                digest, lines = _sha256_lines(final)
                output = {"file": str(final), "lines": lines, "sha256": digest}
            else:
                if store is not None:
                    store.close(commit=False)
                if part.exists():
                    part.unlink()
            entry = _spider_summary(stats, output, finish_reason)
            verdict = _health_verdict(health.get(name), entry)
            entry["health"] = verdict or "ok"
            if failed:
                exit_code = max(exit_code, EXIT_SPIDER_FAILED) if exit_code != EXIT_LAYOUT_CHANGED else exit_code
                entry["health"] = "failed"
            elif verdict:
                logger.warning("crawlall: %s looks broken: %s", name, verdict)
                if exit_code == EXIT_OK:
                    exit_code = EXIT_LAYOUT_CHANGED
            if not failed:
                health[name] = {"articlesSeen": entry["articlesSeen"], "fallbackRate": entry["fallbackRate"],
                                "dropRate": entry["dropRate"], "at": _now()}
            manifest["spiders"][name] = entry
            logger.info("crawlall: finished %s: %s new, %s changed, %s unchanged/skipped, %s pages, health %s",
                        name, entry["articlesNew"], entry["articlesChanged"], entry["articlesSkipped"],
                        entry["pagesFetched"], entry["health"])
        manifest["exitCode"] = exit_code
        state_dir.mkdir(parents=True, exist_ok=True)
        health_path.write_text(json.dumps(health, ensure_ascii=False, indent=1), "utf-8")
        tmp = run_dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, run_dir / "manifest.json")
        logger.info("crawlall: manifest %s, exit code %d", run_dir / "manifest.json", exit_code)
        logging.getLogger().removeHandler(handler)
        handler.close()
        return exit_code


def _spider_summary(stats: dict, output, finish_reason) -> dict:
    drops = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("dropped/")}
    errors = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("errors/")}
    errors.update({k: v for k, v in stats.items() if k.startswith("spider_exceptions/")})
    skipped = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("skipped/")}
    new = stats.get("incremental/new", 0)
    changed = stats.get("incremental/changed", 0)
    unchanged = drops.get("unchanged", 0) + stats.get("incremental/skipped_seen", 0)
    pages_article = stats.get("pages/article", 0)
    seen = stats.get("item_scraped_count", 0) + unchanged + drops.get("duplicate", 0)
    real_drops = sum(v for k, v in drops.items() if k not in ("unchanged", "duplicate"))
    return {
        "finishReason": finish_reason,
        "pagesFetched": stats.get("response_received_count", 0),
        "articlePages": pages_article,
        "articlesNew": new,
        "articlesChanged": changed,
        "articlesSkipped": unchanged,
        "articlesSeen": seen,
        "drops": drops,
        "skipped": skipped,
        "fallbackExtractions": stats.get("extract/fallback", 0),
        "fallbackRate": round(stats.get("extract/fallback", 0) / pages_article, 3) if pages_article else 0.0,
        "dropRate": round(real_drops / pages_article, 3) if pages_article else 0.0,
        "errors": errors,
        "durationSeconds": round(stats.get("elapsed_time_seconds", 0), 2),
        "output": output,
    }


def _health_verdict(previous: dict | None, now: dict) -> str | None:
    if not previous:
        return None
    if previous.get("articlesSeen", 0) > 0 and now["articlesSeen"] == 0:
        return "yielded no articles (the previous run saw %d)" % previous["articlesSeen"]
    if now["fallbackRate"] >= previous.get("fallbackRate", 0) + 0.3:
        return "fallback extraction rate jumped from %.0f%% to %.0f%%" % (100 * previous.get("fallbackRate", 0), 100 * now["fallbackRate"])
    if now["dropRate"] >= previous.get("dropRate", 0) + 0.3:
        return "drop rate jumped from %.0f%% to %.0f%%" % (100 * previous.get("dropRate", 0), 100 * now["dropRate"])
    return None
