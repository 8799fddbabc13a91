"""`scrapy crawlall`: every site spider (or those named/tagged) in one process, for cron.

- Incremental by default (state under STATE_DIR, default OUTPUT_DIR/state); `-s RECRAWL=1`
  fetches and compares everything again.
- Each spider writes OUTPUT_DIR/<spider>/<run id>.jsonl.part (held under an flock, so no other
  run's recovery removes it); when the spider has closed, the state is committed together with a
  "pending" row for the file, the file is renamed to .jsonl, the row marked "renamed", and "done"
  once the run's manifest lists the file. A run killed at any point leaves either no committed
  state for its articles (the .part is discarded by the next run, which exports them again) or a
  committed state whose file the next run completes (renames); files finalised by a run killed
  before its manifest are listed by the next run's manifest (`recoveredFiles`). So no article is
  lost, none is duplicated across finalised files, every finalised file is in a manifest, and
  readers never see a half-written .jsonl.
- The state is written in one short transaction at the end (a spider holds no SQLite lock while it
  crawls); a state file locked by another process (`scrapy crawl X -s INCREMENTAL=1` on the same
  STATE_DIR) is waited for, up to STATE_LOCK_TIMEOUT (60 s). A spider whose finalisation fails
  anyway fails alone (exit 3); the others are finalised and the manifest is always written.
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
  3 a spider failed: it did not finish (finish_reason other than "finished"), its output feed
    failed (`feedexport/failed_count/*`), its finalisation failed (state commit, rename), or it
    crashed: a callback or start() raised (`spider_exceptions/*`), an item pipeline raised
    (`item_errors/*`), or a response could not be recorded to WARC (`warc/errors`); the reason is
    an ERROR line in crawl.log and `failure` in the manifest;
  4 a spider looks broken: compared with its last ok run, it yielded nothing where it used to, or
    its fallback/drop rate jumped (the site's layout probably changed); with no ok run to compare
    with, it read no page or exported no article (a start page that answers 404, robots.txt
    disallowing everything, an off-site start URL);
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

from ..extensions import feed_failures
from ..state import DEFAULT_LOCK_TIMEOUT, JOURNAL_SCHEMA, connect, hold, lock_timeout, recover_folder

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
_LOCK_TIMEOUT = [DEFAULT_LOCK_TIMEOUT]  # STATE_LOCK_TIMEOUT of the running command


def _journal(state_file: Path) -> sqlite3.Connection:
    """The state file's journal of output files, waiting up to STATE_LOCK_TIMEOUT s for a lock."""
    state_file.parent.mkdir(parents=True, exist_ok=True)
    db = connect(state_file, _LOCK_TIMEOUT[0])
    db.execute(JOURNAL_SCHEMA)
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


def recover(out_dir: Path, state_dir: Path, spider_names, timeout: float = DEFAULT_LOCK_TIMEOUT,
            files: list | None = None) -> list[str]:
    """Finish what a killed run left: rename committed .part files, discard uncommitted ones (not
    those a live process holds), and find the files a killed run finalised but no manifest lists
    (journal rows `renamed`). Those are appended to `files` (dicts for the manifest's
    `recoveredFiles`: spider, runId, file, lines, sha256). Returns what was done, as messages."""
    actions = []
    for name in spider_names:
        state_file = state_dir / f"{name}.sqlite"
        done, completed = recover_folder(out_dir / name, state_file if state_file.exists() else None, timeout,
                                          journal=lambda p: _journal(p), replace=os.replace)
        actions += done
        if not state_file.exists():
            continue
        try:
            db = _journal(state_file)
            try:
                for part, final in db.execute("SELECT part, final FROM files WHERE status='renamed'").fetchall():
                    if Path(final).exists():
                        if not _listed_by_manifest(out_dir, final):
                            digest, lines = _sha256_lines(Path(final))
                            entry = {"spider": name, "runId": Path(final).name[: -len(".jsonl")], "file": final,
                                     "lines": lines, "sha256": digest}
                            if files is not None:
                                files.append(entry)
                            if final not in completed:  # else "completed …" says it
                                actions.append(f"listed {final}: finalised by run {entry['runId']}, which was "
                                               "interrupted before its manifest")
                    db.execute("UPDATE files SET status='done' WHERE part=?", (part,))
            finally:
                db.close()
        except sqlite3.Error as e:
            actions.append(f"journal of {state_file} unreadable ({type(e).__name__}: {e}): "
                           "its finalised files are listed by a later run")
    for a in actions:
        logger.warning("Recovery after an interrupted run: %s", a)
    return actions


def _listed_by_manifest(out_dir: Path, final: str) -> bool:
    """The manifest of the run that wrote `final` (OUTPUT_DIR/runs/<run id>/) lists it."""
    path = out_dir / "runs" / Path(final).name[: -len(".jsonl")] / "manifest.json"
    try:
        m = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    listed = {(e.get("output") or {}).get("file") for e in (m.get("spiders") or {}).values()}
    listed |= {f.get("file") for f in m.get("recoveredFiles") or ()}
    return final in listed


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
        timeout = lock_timeout(settings)
        _LOCK_TIMEOUT[0] = timeout
        recovered_files: list[dict] = []
        recovered = quarantine_corrupt_state(state_dir, names)
        recovered += recover(out_dir, state_dir, names, timeout, files=recovered_files)

        crawlers = {}
        parts = {}
        held = {}
        warc = settings.get("WARC_OUTPUT")
        for name in names:
            part = out_dir / name / f"{run_id}.jsonl.part"
            part.parent.mkdir(parents=True, exist_ok=True)
            held[name] = hold(part)  # an flock: no other run's recovery removes it while this run writes it
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
                    "recovered": recovered, "recoveredFiles": recovered_files, "notRun": dict(not_run or {}),
                    "spiders": {}}
        any_failed = any_broken = False
        health_path = state_dir / "health.json"
        health = _read_health(health_path)
        finalised = {}  # name -> part: journal rows to mark done once the manifest lists the files
        for name, crawler in crawlers.items():
            stats = crawler.stats.get_stats()
            part = parts[name]
            final = part.with_name(part.name[: -len(".part")])
            state_file = state_dir / f"{name}.sqlite"
            store = getattr(crawler, "state_store", None)
            finish_reason = stats.get("finish_reason", "unknown")
            failure = spider_failure(stats, finish_reason, part.exists())
            output = None
            try:
                if part.exists() and finish_reason == "finished" and not feed_failures(stats):
                    # a spider that finished but crashed on some pages keeps what it exported: the
                    # pages whose callback raised were not remembered, so the next run tries them again
                    output = self._finalise(name, part, final, store, state_file, timeout)
                    finalised[name] = part
                else:
                    if store is not None:
                        store.close(commit=False)
                    if part.exists():
                        part.unlink()
            except Exception as e:  # noqa: BLE001 - one spider's finalisation must not abort the others'
                logger.error("crawlall: finalising %s failed", name, exc_info=True)
                committed = getattr(e, "committed", False)
                why = (f"its output could not be finalised ({type(e).__name__}: {e})")
                why += ("; its state was committed: the next run completes the file" if committed else
                        "; its state was not committed: the output was discarded and the next run exports "
                        "its articles again")
                failure = f"{failure}; {why}" if failure else why
                if not committed and part.exists():
                    try:
                        part.unlink()
                    except OSError:
                        pass
            finally:
                fh = held.pop(name, None)
                if fh is not None:
                    fh.close()
            entry = _spider_summary(stats, output, finish_reason)
            verdict = _health_verdict(health.get(name), entry, stats)
            entry["health"] = verdict or "ok"
            if failure:
                any_failed = True
                entry["health"] = "failed"
                entry["failure"] = failure
                logger.error("crawlall: %s failed: %s", name, failure)
            elif verdict:
                any_broken = True
                logger.warning("crawlall: %s looks broken: %s", name, verdict)
            else:
                # the baseline of the next health check: the last run that was ok (a broken run
                # is not one, so a spider stays flagged until it is repaired)
                health[name] = {"articlesSeen": entry["articlesSeen"], "pagesRead": entry["pagesRead"],
                                "fallbackRate": entry["fallbackRate"], "dropRate": entry["dropRate"], "at": _now()}
            manifest["spiders"][name] = entry
            logger.info("crawlall: finished %s: %s new, %s changed, %s unchanged/skipped, %s pages, health %s",
                        name, entry["articlesNew"], entry["articlesChanged"], entry["articlesSkipped"],
                        entry["pagesFetched"], entry["health"])
        exit_code = EXIT_SPIDER_FAILED if any_failed else EXIT_LAYOUT_CHANGED if any_broken else EXIT_OK
        manifest["exitCode"] = exit_code
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            tmp = health_path.with_name(health_path.name + ".tmp")
            tmp.write_text(json.dumps(health, ensure_ascii=False, indent=1), "utf-8")
            os.replace(tmp, health_path)
        except OSError as e:
            logger.error("crawlall: could not write %s (%s): the next health check compares with the one before", health_path, e)
        tmp = run_dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, run_dir / "manifest.json")
        # the manifest lists the files: their journal rows are done (a run killed before this
        # point leaves them `renamed`, and the next run lists them in its recoveredFiles)
        for name, part in finalised.items():
            try:
                db = _journal(state_dir / f"{name}.sqlite")
                try:
                    db.execute("UPDATE files SET status='done' WHERE part=?", (str(part),))
                finally:
                    db.close()
            except sqlite3.Error as e:
                logger.warning("crawlall: journal of %s not updated (%s): the next run checks %s against this "
                               "manifest", name, e, part.with_name(part.name[: -len(".part")]))
        logger.info("crawlall: manifest %s, exit code %d", run_dir / "manifest.json", exit_code)
        logging.getLogger().removeHandler(handler)
        handler.close()
        return exit_code

    @staticmethod
    def _finalise(name, part: Path, final: Path, store, state_file: Path, timeout: float) -> dict:
        """1) the state and a `pending` journal row in one transaction, 2) the file becomes visible,
        3) the row is `renamed` (and `done` once the manifest lists the file). An exception raised
        after 1) has `committed = True`: the next run completes the rename."""
        if store is not None:
            store.close(commit=True, files=[(str(part), str(final))])
        else:
            db = _journal(state_file)
            try:
                db.execute("INSERT OR REPLACE INTO files VALUES (?,?, 'pending')", (str(part), str(final)))
            finally:
                db.close()
        try:
            with open(part, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(part, final)
            db = _journal(state_file)
            try:
                db.execute("UPDATE files SET status='renamed' WHERE part=?", (str(part),))
            finally:
                db.close()
            digest, lines = _sha256_lines(final)
        except Exception as e:
            e.committed = True
            raise
        return {"file": str(final), "lines": lines, "sha256": digest}


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
    - it did not finish: finish_reason is not "finished" (shutdown, killed, closespider_*,
      state_unavailable: its incremental state could not be opened, …);
    - its output feed failed (`feedexport/failed_count/*`, see crawler.extensions.FeedExporter);
    - a callback or start() raised: spider_exceptions/count > 0 (Scrapy logs the traceback);
    - an item pipeline raised: item_errors/count > 0 (crawler.extensions.ItemErrorCount);
    - a response could not be recorded to WARC: warc/errors > 0 (crawler.archive.warc logs it);
    - errors were logged and the spider wrote no output file at all.
    Scrapy's log_count/ERROR is not used on its own: it counts every ERROR line of the process,
    so under crawlall one spider's traceback would count against all of them."""
    if finish_reason == "state_unavailable":
        return ("did not run: its incremental state could not be opened (locked by another process past "
                "STATE_LOCK_TIMEOUT, or unreadable; see crawl.log)")
    if finish_reason != "finished":
        return f"did not finish (finish reason: {finish_reason})"
    failed = feed_failures(stats)
    if failed:
        return ("its output file could not be written (" + ", ".join(f"{k}: {v}" for k, v in sorted(failed.items()))
                + "): the output was discarded and its state not committed; the next run exports its articles again")

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
        # pages the spider could read (listings, articles): robots.txt, error answers and pages
        # that are not HTML are fetched but not read
        "pagesRead": stats.get("pages/listing", 0) + pages_article,
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


_WHY_KEYS = ("skipped/", "errors/", "dropped/", "robotstxt/forbidden", "offsite/filtered", "replay/miss",
             "listing/no_links", "downloader/exception_type_count/")


def _why_nothing(stats: dict | None) -> str:
    """The counters that say why a spider read or exported nothing (404s, robots.txt, off-site, …)."""
    if not stats:
        return ""
    found = [f"{k}: {v}" for k, v in sorted(stats.items())
             if any(k.startswith(w) for w in _WHY_KEYS) and not k.startswith("skipped/not_article/")
             and isinstance(v, (int, float)) and v]
    return f" ({', '.join(found[:8])})" if found else ""


def _health_verdict(previous: dict | None, now: dict, stats: dict | None = None) -> str | None:
    """Why a spider looks broken (exit 4), or None. Compared with the last run that was ok; with
    none (a first run, or every earlier run was broken or failed), a spider that read no page or
    exported no article looks broken: a start page that answers 404, a robots.txt that disallows
    everything, a start URL filtered as off-site. Pages and articles *seen* count, not new ones,
    so an incremental run that finds nothing new is ok."""
    if not previous:
        if now.get("pagesRead", 0) == 0:
            return ("read no page: none of the %d response(s) was a listing or an article%s; no earlier "
                    "successful run to compare with" % (now.get("pagesFetched", 0), _why_nothing(stats)))
        if now["articlesSeen"] == 0:
            return ("exported no article: %d page(s) read, no article%s; no earlier successful run to "
                    "compare with" % (now["pagesRead"], _why_nothing(stats)))
        return None
    if previous.get("articlesSeen", 0) > 0 and now["articlesSeen"] == 0:
        return "yielded no articles (the previous run saw %d)%s" % (previous["articlesSeen"], _why_nothing(stats))
    if now["fallbackRate"] >= previous.get("fallbackRate", 0) + 0.3:
        return "fallback extraction rate jumped from %.0f%% to %.0f%%" % (100 * previous.get("fallbackRate", 0), 100 * now["fallbackRate"])
    if now["dropRate"] >= previous.get("dropRate", 0) + 0.3:
        return "drop rate jumped from %.0f%% to %.0f%%" % (100 * previous.get("dropRate", 0), 100 * now["dropRate"])
    return None
