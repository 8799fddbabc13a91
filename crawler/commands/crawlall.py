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
- A state file SQLite cannot read is moved aside (`<spider>.sqlite.corrupt-<time>`, a WARNING in
  crawl.log) and that spider runs as a first run; the other spiders are not affected.
- `-s WARC_OUTPUT=crawl.warc.gz`: each spider records to its own file, `crawl-<spider>.warc.gz`
  (rotated `crawl-<spider>-00001.warc.gz`, …); a folder is shared (file names carry the spider).

Exit codes (the highest-priority one wins: 3, then 4):
  0 all spiders finished, health ok;
  2 usage error: unknown spider, nothing to run (no spider matches --spiders/--tag, or none has a
    snapshot under REPLAY), a REPLAY path that does not exist; no run is made;
  3 a spider failed: it did not finish (finish_reason other than "finished"), or it crashed:
    a callback or start() raised (`spider_exceptions/*`), an item pipeline raised
    (`item_errors/*`), or a response could not be recorded to WARC (`warc/errors`); the reason is
    an ERROR line in crawl.log and `failure` in the manifest;
  4 a spider looks broken (yielded nothing where it used to, or its fallback/drop rate jumped:
    the site's layout probably changed);
  5 another run holds the lock.
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
SETTINGS_PRIORITY_CRAWLALL = 50  # above "cmdline" (40)


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


def quarantine_corrupt_state(state_dir: Path, spider_names) -> list[str]:
    """Move aside every state file SQLite cannot read (see crawler.state), before anything opens
    it, so that spider runs as a first run instead of crashing the whole run. Returns what was done."""
    from ..state import quarantine, unreadable

    actions = []
    for name in spider_names:
        state_file = state_dir / f"{name}.sqlite"
        error = unreadable(state_file)
        if error is None:
            continue
        moved = quarantine(state_file, error)
        msg = (f"state of {name} is unreadable ({error}): moved aside to {moved}; "
               f"{name} runs as a first run (its articles are exported again)")
        logger.warning("crawlall: %s", msg)
        actions.append(msg)
    return actions


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
        notes: list[tuple[int, str]] = []  # logged once crawl.log is open (and to stderr)
        asked = []
        if opts.spiders:
            wanted = [s.strip() for s in opts.spiders.split(",") if s.strip()]
            unknown = sorted({s for s in wanted if s not in names})
            if unknown:
                raise UsageError(f"unknown spider(s): {', '.join(unknown)}")
            names = list(dict.fromkeys(wanted))  # each spider once, in the order given
            twice = sorted({s for s in wanted if wanted.count(s) > 1})
            if twice:
                notes.append((logging.WARNING, f"crawlall: --spiders names {', '.join(twice)} more than once: "
                                               "each spider runs once"))
            asked.append(f"--spiders {opts.spiders}")
        if opts.tag:
            names = [n for n in names if set(opts.tag) & set(getattr(loader.load(n), "tags", ()))]
            asked.append(" ".join(f"--tag {t}" for t in opts.tag))
        skipped = [n for n in names if getattr(loader.load(n), "crawlall_skip", False)]
        names = [n for n in names if n not in skipped]
        if not names:
            why = f" (not run by crawlall: {', '.join(skipped)})" if skipped else ""
            raise UsageError(f"nothing to run: no spider matches {' '.join(asked) or 'the project'}{why}")
        not_run: dict[str, str] = {}
        for n in skipped if opts.spiders else ():  # named, but not a site spider crawlall runs
            not_run[n] = "not run by crawlall (crawlall_skip)"
            notes.append((logging.WARNING, f"crawlall: {n} is not run by crawlall (crawlall_skip): left out"))
        replay = settings.get("REPLAY")
        if replay:
            if not Path(replay).exists():
                raise UsageError(f"REPLAY path does not exist: {replay}")
            if Path(replay).is_dir():
                from ..archive.replay import Snapshot

                source = settings.get("SOURCE", "live")
                warcs = any(p.name.endswith((".warc", ".warc.gz")) for p in Path(replay).iterdir())
                keep = []
                for n in names:
                    cls = loader.load(n)
                    alias = Path(getattr(cls, "snapshot", "") or "").name or None
                    has = Snapshot.folder_for(Path(replay), n, alias) is not None or (
                        source == "wayback" and (Path(replay) / "wayback" / n / "index.json").exists()) or warcs
                    if has:
                        keep.append(n)
                    else:
                        not_run[n] = f"no snapshot in REPLAY={replay}"
                        notes.append((logging.WARNING, f"crawlall: no snapshot for {n} in REPLAY={replay}: not run"))
                if not keep:
                    raise UsageError(f"nothing to run: no snapshot for {', '.join(names)} in REPLAY={replay} "
                                     f"(expected {replay}/<spider>/index.json, {replay}/index.json or WARC files)")
                names = keep
        if opts.list:
            print("\n".join(names))
            return

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
            self.exitcode = self._run_locked(CrawlerProcess, names, settings, out_dir, state_dir, run_id, run_dir,
                                             notes=notes, not_run=not_run)
        finally:
            lock.release()

    def _run_locked(self, CrawlerProcess, names, settings, out_dir, state_dir, run_id, run_dir,
                    notes=(), not_run=None):
        run_dir.mkdir(parents=True, exist_ok=True)
        log_path = run_dir / "crawl.log"
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        handler.setLevel(logging.INFO)
        logging.getLogger().addHandler(handler)
        started = time.time()
        process = CrawlerProcess(settings)  # installs the stderr log handler: notes reach both
        for level, msg in notes:
            logger.log(level, msg)
        recovered = quarantine_corrupt_state(state_dir, names)
        recovered += recover(out_dir, state_dir, names)

        crawlers = {}
        parts = {}
        warc = settings.get("WARC_OUTPUT")
        for name in names:
            part = out_dir / name / f"{run_id}.jsonl.part"
            part.parent.mkdir(parents=True, exist_ok=True)
            # above the command line's own priority (40): CrawlerProcess.crawl() merges the
            # process settings (-s …) into each crawler again, so these would otherwise be undone
            forced = {
                "FEEDS": {str(part): {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
                "STATE_DIR": str(state_dir),
                "STATE_COMMIT_EXTERNAL": True,
                "RUN_ID": run_id,
                "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "crawler.extensions.Progress": 500,
                               "crawler.extensions.ItemErrorCount": 501},
            }
            if warc:
                forced["WARC_OUTPUT"] = warc_output_for(warc, name)
                logger.info("crawlall: %s records WARC to %s", name, forced["WARC_OUTPUT"])
            crawler = process.create_crawler(process.spider_loader.load(name))
            crawler.settings.set("INCREMENTAL", True, priority="cmdline")
            for k, v in forced.items():
                crawler.settings.set(k, v, priority=SETTINGS_PRIORITY_CRAWLALL)
            crawlers[name] = crawler
            parts[name] = part
            logger.info("crawlall: starting %s", name)
            process.crawl(crawler)
        process.start()

        manifest = {"runId": run_id, "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
                    "finished": _now(), "durationSeconds": round(time.time() - started, 2),
                    "recovered": recovered, "notRun": dict(not_run or {}), "spiders": {}}
        any_failed = any_broken = False
        health_path = state_dir / "health.json"
        health = _read_health(health_path)
        for name, crawler in crawlers.items():
            stats = crawler.stats.get_stats()
            part = parts[name]
            final = part.with_name(part.name[: -len(".part")])
            store = getattr(crawler, "state_store", None)
            finish_reason = stats.get("finish_reason", "unknown")
            failure = spider_failure(stats, finish_reason, part.exists())
            output = None
            if part.exists() and finish_reason == "finished":
                # a spider that finished but crashed on some pages keeps what it exported: the
                # pages whose callback raised were not remembered, so the next run tries them again
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
            if failure:
                any_failed = True
                entry["health"] = "failed"
                entry["failure"] = failure
                logger.error("crawlall: %s failed: %s", name, failure)
            elif verdict:
                any_broken = True
                logger.warning("crawlall: %s looks broken: %s", name, verdict)
            if not failure:
                health[name] = {"articlesSeen": entry["articlesSeen"], "fallbackRate": entry["fallbackRate"],
                                "dropRate": entry["dropRate"], "at": _now()}
            manifest["spiders"][name] = entry
            logger.info("crawlall: finished %s: %s new, %s changed, %s unchanged/skipped, %s pages, health %s",
                        name, entry["articlesNew"], entry["articlesChanged"], entry["articlesSkipped"],
                        entry["pagesFetched"], entry["health"])
        exit_code = EXIT_SPIDER_FAILED if any_failed else EXIT_LAYOUT_CHANGED if any_broken else EXIT_OK
        manifest["exitCode"] = exit_code
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = health_path.with_name(health_path.name + ".tmp")
        tmp.write_text(json.dumps(health, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, health_path)
        tmp = run_dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, run_dir / "manifest.json")
        logger.info("crawlall: manifest %s, exit code %d", run_dir / "manifest.json", exit_code)
        logging.getLogger().removeHandler(handler)
        handler.close()
        return exit_code


def warc_output_for(warc: str, spider: str) -> str:
    """Each spider of a crawlall run records to its own WARC: `crawl.warc.gz` -> `crawl-<spider>.warc.gz`
    (rotated and never-overwrite serials follow: `crawl-<spider>-00001.warc.gz`). A folder is shared:
    its file names already carry the spider."""
    path = Path(warc)
    for ext in (".warc.gz", ".warc"):
        if path.name.endswith(ext) and not path.is_dir():
            return str(path.with_name(f"{path.name[: -len(ext)]}-{spider}{ext}"))
    return warc


def spider_failure(stats: dict, finish_reason: str, part_exists: bool = True) -> str | None:
    """Why a spider counts as failed (exit 3), or None. The rule, in order:
    - it did not finish: finish_reason is not "finished" (shutdown, killed, closespider_*, …);
    - a callback or start() raised: spider_exceptions/count > 0 (Scrapy logs the traceback);
    - an item pipeline raised: item_errors/count > 0 (crawler.extensions.ItemErrorCount);
    - a response could not be recorded to WARC: warc/errors > 0 (crawler.archive.warc logs it);
    - errors were logged and the spider wrote no output file at all.
    Scrapy's log_count/ERROR is not used on its own: it counts every ERROR line of the process,
    so under crawlall one spider's traceback would count against all of them."""
    if finish_reason != "finished":
        return f"did not finish (finish reason: {finish_reason})"

    def by_type(prefix):
        return ", ".join(f"{k[len(prefix):]}: {v}" for k, v in sorted(stats.items())
                         if k.startswith(prefix) and k != prefix + "count")

    n = stats.get("spider_exceptions/count", 0) or sum(
        v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    if n:
        return (f"crashed: {n} exception(s) raised in spider callbacks ({by_type('spider_exceptions/')}); "
                "the pages they were handling were not fully processed (tracebacks above in crawl.log)")
    n = stats.get("item_errors/count", 0)
    if n:
        return f"crashed: {n} item(s) raised in an item pipeline ({by_type('item_errors/')}); they were not exported"
    n = stats.get("warc/errors", 0)
    if n:
        return f"{n} response(s) could not be recorded to WARC (WARC: could not record … in crawl.log)"
    if stats.get("log_count/ERROR", 0) > 0 and not part_exists:
        return "errors were logged and no output file was written"
    return None


def _read_health(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
        if isinstance(data, dict):
            return data
        raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as e:
        moved = path.with_name(f"{path.name}.corrupt-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}")
        os.replace(path, moved)
        logger.warning("crawlall: %s is unreadable (%s): moved aside to %s; health checks start afresh", path, e, moved)
        return {}


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
        "warcFiles": list(stats.get("warc/output") or []),
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
