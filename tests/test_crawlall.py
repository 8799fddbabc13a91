"""`scrapy crawlall` as cron runs it, offline on the snapshots."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, ROOT, SITES


def crawlall(out, *extra, timeout=300):
    return subprocess.run([sys.executable, "-m", "scrapy", "crawlall", "--spiders", ",".join(SITES),
                           "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def finalized(out: Path):
    return sorted(out.glob("*/*.jsonl"))


def article_urls(out: Path) -> list[str]:
    urls = []
    for f in finalized(out):
        for line in f.read_text("utf-8").splitlines():
            urls.append(json.loads(line)["url"])
    return urls


def test_first_run_second_run_and_manifest(tmp_path):
    out = tmp_path / "out"
    r1 = crawlall(out)
    assert r1.returncode == 0, r1.stderr[-3000:]
    files = finalized(out)
    assert {f.parent.name for f in files} == set(SITES)
    for f in files:
        assert f.read_text("utf-8").strip(), f"empty output {f}"
    assert not list(out.glob("*/*.part"))
    manifests = sorted(out.glob("runs/*/manifest.json"))
    assert len(manifests) == 1
    m = json.loads(manifests[0].read_text("utf-8"))
    for site in SITES:
        e = m["spiders"][site]
        assert e["articlesNew"] >= 3 and e["pagesFetched"] > 0
        assert e["output"]["lines"] == e["articlesNew"]
        assert len(e["output"]["sha256"]) == 64
        assert "drops" in e and "errors" in e and "durationSeconds" in e
    assert (manifests[0].parent / "crawl.log").read_text("utf-8").count("crawlall: finished") == len(SITES)
    first = article_urls(out)

    r2 = crawlall(out)
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert article_urls(out) == first or sorted(article_urls(out)) == sorted(first), "a second run writes no new records"
    m2 = json.loads(sorted(out.glob("runs/*/manifest.json"))[-1].read_text("utf-8"))
    assert all(e["articlesNew"] == 0 and e["articlesSkipped"] >= 1 for e in m2["spiders"].values())


def test_lock_held_exits_non_zero(tmp_path):
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".crawlall.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fh.write(json.dumps({"pid": os.getpid()}))
        fh.flush()
        r = crawlall(out)
    assert r.returncode == 5
    assert "another run holds the lock" in r.stderr


def test_stale_lock_is_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".crawlall.lock").write_text(json.dumps({"pid": 999999, "started": "x"}))
    r = crawlall(out)
    assert r.returncode == 0
    assert "Taking over the lock" in r.stderr


def test_sigkill_halfway_then_normal_run_equals_one_clean_run(tmp_path):
    clean = tmp_path / "clean"
    assert crawlall(clean).returncode == 0
    expected = sorted(article_urls(clean))

    out = tmp_path / "killed"
    # slow replay so that the kill lands mid-run
    p = subprocess.Popen([sys.executable, "-m", "scrapy", "crawlall", "--spiders", ",".join(SITES),
                          "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}", "-s", "REPLAY_DELAY=1.0",
                          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
                         cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob("*/*.part")):
        time.sleep(0.05)
    time.sleep(0.3)  # the first spiders are writing their first lines; the others are mid-crawl
    assert p.poll() is None, "the run finished before it could be killed: raise REPLAY_DELAY"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    r = crawlall(out)
    assert r.returncode == 0, r.stderr[-3000:]
    got = article_urls(out)
    assert len(got) == len(set(got)), "no article duplicated across finalized files"
    assert sorted(got) == expected, "no article lost"
    for f in finalized(out):
        for line in f.read_text("utf-8").splitlines():
            json.loads(line)  # no torn line


def test_recovery_completes_a_committed_file_and_discards_an_uncommitted_one(tmp_path):
    """The two states a kill can leave: state committed but file not yet renamed (complete it),
    and file unfinished with its state uncommitted (discard it; its articles are exported again)."""
    from crawler.commands.crawlall import _journal, recover

    out, state = tmp_path / "out", tmp_path / "out" / "state"
    (out / "a").mkdir(parents=True)
    (out / "b").mkdir(parents=True)
    committed = out / "a" / "run1.jsonl.part"
    committed.write_text('{"url": "https://h.vn/1"}\n')
    db = _journal(state / "a.sqlite")
    db.execute("INSERT INTO files VALUES (?,?, 'pending')", (str(committed), str(out / "a" / "run1.jsonl")))
    db.close()
    orphan = out / "b" / "run1.jsonl.part"
    orphan.write_text('{"url": "https://h.vn/2"}\n{"url": "https://h.vn/')
    actions = recover(out, state, ["a", "b"])
    assert (out / "a" / "run1.jsonl").read_text() == '{"url": "https://h.vn/1"}\n'
    assert not committed.exists() and not orphan.exists()
    assert len(actions) == 2
    db = _journal(state / "a.sqlite")
    assert db.execute("SELECT status FROM files").fetchone()[0] == "done"


def test_layout_change_exits_4(tmp_path):
    """A site that yielded articles and now yields none (its listing markup changed) -> exit 4."""
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(FIXTURES / "baobackan", snap / "baobackan")
    out = tmp_path / "out"
    run = lambda: subprocess.run([sys.executable, "-m", "scrapy", "crawlall", "--spiders", "baobackan", "-s", f"REPLAY={snap}",  # noqa: E731
                                  "-s", f"OUTPUT_DIR={out}", "-s", "RECRAWL=1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run().returncode == 0
    for page in (snap / "baobackan" / "pages").glob("chinh-tri-*.html"):
        page.write_text(page.read_text("utf-8").replace("story", "card").replace("cms-link", "card-link"), "utf-8")
    r = run()
    assert r.returncode == 4, r.stderr[-2000:]
    assert "looks broken" in r.stderr
    m = json.loads(sorted(out.glob("runs/*/manifest.json"))[-1].read_text("utf-8"))
    assert m["exitCode"] == 4 and m["spiders"]["baobackan"]["health"].startswith("yielded no articles")


def test_recrawl_reexports_a_changed_article_with_its_revision(tmp_path):
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(FIXTURES / "liemhai", snap / "liemhai")
    out = tmp_path / "out"
    run = lambda *extra: subprocess.run([sys.executable, "-m", "scrapy", "crawlall", "--spiders", "liemhai",  # noqa: E731
                                         "-s", f"REPLAY={snap}", "-s", f"OUTPUT_DIR={out}", *extra],
                                        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run().returncode == 0
    first = {json.loads(l)["url"]: json.loads(l) for f in finalized(out) for l in f.read_text("utf-8").splitlines()}
    page = sorted((snap / "liemhai" / "pages").glob("tin-2*.html"))[0]
    html = page.read_text("utf-8")
    i = html.index("<p", html.index("noidung"))
    page.write_text(html[:i] + "<p>Đoạn văn mới được bổ sung sau khi đăng.</p>" + html[i:], "utf-8")
    r = run("-s", "RECRAWL=1")
    assert r.returncode == 0, r.stderr[-2000:]
    newest = sorted(out.glob("liemhai/*.jsonl"))[-1]
    changed = [json.loads(l) for l in newest.read_text("utf-8").splitlines()]
    assert len(changed) == 1 and changed[0]["revision"] == 2
    assert "Đoạn văn mới được bổ sung sau khi đăng." in changed[0]["articleBody"]
    assert changed[0]["url"] in first


# ---------------------------------------------------------------- failures, misconfigurations
def crawlall_cmd(out, *args, replay=FIXTURES, timeout=120):
    return subprocess.run([sys.executable, "-m", "scrapy", "crawlall", *args, "-s", f"REPLAY={replay}",
                           "-s", f"OUTPUT_DIR={out}"], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def last_manifest(out: Path) -> tuple[dict, str]:
    path = sorted(out.glob("runs/*/manifest.json"))[-1]
    return json.loads(path.read_text("utf-8")), (path.parent / "crawl.log").read_text("utf-8")


def test_a_spider_that_crashes_fails_the_run_with_exit_3(tmp_path):
    """A callback that raises (spider_exceptions/*) or an item pipeline that raises (item_errors/*)
    makes the spider failed: exit 3, health "failed" with the reason, an ERROR line in crawl.log.
    The spiders that did not crash are ok, and what the crashed ones exported is kept."""
    out = tmp_path / "out"
    r = crawlall_cmd(out, "--spiders", "liemhai_callback_crash,liemhai_pipeline_crash,baobackan",
                     "-s", "SPIDER_MODULES=spiders,tests.crawlall_spiders")
    assert r.returncode == 3, r.stderr[-3000:]
    m, log = last_manifest(out)
    assert m["exitCode"] == 3
    cb, pl, ok = (m["spiders"][n] for n in ("liemhai_callback_crash", "liemhai_pipeline_crash", "baobackan"))
    assert cb["health"] == "failed" and "RuntimeError" in cb["failure"]
    assert cb["errors"].get("spider_exceptions/RuntimeError") == 1
    assert pl["health"] == "failed" and "item pipeline" in pl["failure"] and "KeyError" in pl["failure"]
    assert ok["health"] == "ok" and "failure" not in ok
    assert "crawlall: liemhai_callback_crash failed: crashed" in log
    assert "crawlall: liemhai_pipeline_crash failed: crashed" in log
    assert "Traceback" in log and "test crash in a callback" in log
    # the three other articles of each crashed spider were exported and finalised
    assert cb["output"]["lines"] == 3 and pl["output"]["lines"] == 3
    assert not list(out.glob("*/*.part"))


def test_warc_output_under_crawlall_one_valid_file_per_spider(tmp_path):
    """-s WARC_OUTPUT=c.warc.gz under crawlall: each spider records to c-<spider>.warc.gz (they used
    to open the same file at once), each passes `warcio check`, and every record names the file
    that holds its response record."""
    from warcio.archiveiterator import ArchiveIterator

    out, warc = tmp_path / "out", tmp_path / "warc" / "c.warc.gz"
    spiders = ("liemhai", "baobackan", "huyenuy")
    r = crawlall_cmd(out, "--spiders", ",".join(spiders), "-s", f"WARC_OUTPUT={warc}")
    assert r.returncode == 0, r.stderr[-3000:]
    m, _ = last_manifest(out)
    assert sorted(p.name for p in warc.parent.iterdir()) == sorted(f"c-{s}.warc.gz" for s in spiders)
    for s in spiders:
        path = warc.parent / f"c-{s}.warc.gz"
        check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        ids = set()
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "warcinfo":
                    assert f"isPartOf: {s}".encode() in rec.content_stream().read()
                if rec.rec_type == "response":
                    ids.add(rec.rec_headers.get_header("WARC-Record-ID").strip("<>"))
        records = [json.loads(l) for f in (out / s).glob("*.jsonl") for l in f.read_text("utf-8").splitlines()]
        assert records
        for rec in records:
            assert rec["crawl"]["warcFile"] == path.name and rec["crawl"]["warcRecordId"] in ids
        assert m["spiders"][s]["warcFiles"] == [str(path)]


def test_corrupt_state_file_is_moved_aside_and_the_spider_runs_as_a_first_run(tmp_path):
    out = tmp_path / "out"
    assert crawlall_cmd(out, "--spiders", "liemhai,baobackan").returncode == 0
    (out / "state" / "liemhai.sqlite").write_text("garbage\n")
    r = crawlall_cmd(out, "--spiders", "liemhai,baobackan")
    assert r.returncode == 0, r.stderr[-3000:]
    moved = list((out / "state").glob("liemhai.sqlite.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_text() == "garbage\n"
    m, log = last_manifest(out)
    assert "WARNING: crawlall: state of liemhai is unreadable" in log
    assert m["spiders"]["liemhai"]["articlesNew"] == 4, "a first run again"
    assert m["spiders"]["baobackan"]["articlesNew"] == 0 and m["spiders"]["baobackan"]["articlesSkipped"] >= 1
    assert any("liemhai" in a for a in m["recovered"])
    assert crawlall_cmd(out, "--spiders", "liemhai").returncode == 0, "the new state file is sound"


def test_corrupt_state_file_under_scrapy_crawl_incremental_is_moved_aside_too(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "liemhai.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    out = tmp_path / "x.jsonl"
    r = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "liemhai", "-s", f"REPLAY={FIXTURES}",
                        "-s", "INCREMENTAL=1", "-s", f"STATE_DIR={state}", "-O", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "is unreadable" in r.stderr and len(list(state.glob("liemhai.sqlite.corrupt-*"))) == 1
    assert len(out.read_text("utf-8").splitlines()) == 4


def test_a_spider_named_twice_runs_once(tmp_path):
    out = tmp_path / "out"
    r = crawlall_cmd(out, "--spiders", "liemhai,liemhai")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "more than once" in r.stderr
    m, _ = last_manifest(out)
    assert list(m["spiders"]) == ["liemhai"] and m["spiders"]["liemhai"]["articlesNew"] == 4
    assert len(finalized(out)) == 1 and not list(out.glob("*/*.part"))


def test_nothing_to_run_and_a_missing_replay_path_are_usage_errors(tmp_path):
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(FIXTURES / "liemhai", snap / "liemhai")
    out = tmp_path / "out"
    no_snapshot = crawlall_cmd(out, "--spiders", "baobackan", replay=snap)
    assert no_snapshot.returncode == 2 and "nothing to run: no snapshot for baobackan" in no_snapshot.stderr
    missing = crawlall_cmd(out, "--spiders", "liemhai", replay=tmp_path / "nonexistent")
    assert missing.returncode == 2 and "REPLAY path does not exist" in missing.stderr
    no_match = crawlall_cmd(out, "--tag", "nomatch", "--list")
    assert no_match.returncode == 2 and "no spider matches --tag nomatch" in no_match.stderr
    assert not out.exists(), "a usage error makes no run"
    # one spider with a snapshot among several: the others are skipped, named in the manifest
    partial = crawlall_cmd(out, "--spiders", "liemhai,baobackan", replay=snap)
    assert partial.returncode == 0, partial.stderr[-3000:]
    m, log = last_manifest(out)
    assert list(m["spiders"]) == ["liemhai"] and "baobackan" in m["notRun"]
    assert "no snapshot for baobackan" in log


# ---------------------------------------------------------------- health on a first run
def test_a_spider_that_never_produced_anything_looks_broken_from_its_first_run(tmp_path):
    """No earlier successful run to compare with: a spider that read no page (its start page
    answers 404, robots.txt disallows everything) or exported no article looks broken (exit 4),
    with the reason in crawl.log and the manifest, and stays so on the next run. An incremental
    second run that finds nothing new is ok."""
    import shutil

    snap = tmp_path / "snap"
    for s in ("liemhai", "baobackan", "hongngu_thanhuy", "huyenuy"):
        shutil.copytree(FIXTURES / s, snap / s)

    def edit_index(spider, keep):
        path = snap / spider / "index.json"
        index = json.loads(path.read_text("utf-8"))
        index["pages"] = [p for p in index["pages"] if keep(p["url"])]
        path.write_text(json.dumps(index), "utf-8")

    edit_index("liemhai", lambda u: not u.endswith("/tin-tuc-su-kien.html"))  # the start page: 404
    (snap / "baobackan" / "pages" / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    edit_index("hongngu_thanhuy", lambda u: "/content/" not in u)  # listings fine, every article 404
    out = tmp_path / "out"
    spiders = "liemhai,baobackan,hongngu_thanhuy,huyenuy"
    for run in (1, 2):
        r = crawlall_cmd(out, "--spiders", spiders, replay=snap)
        assert r.returncode == 4, (run, r.stderr[-3000:])
        m, log = last_manifest(out)
        assert m["exitCode"] == 4
        h = {n: e["health"] for n, e in m["spiders"].items()}
        assert h["liemhai"].startswith("read no page") and "skipped/http_404" in h["liemhai"], h
        assert h["baobackan"].startswith("read no page") and "robotstxt/forbidden" in h["baobackan"], h
        assert h["hongngu_thanhuy"].startswith("exported no article") and "skipped/http_404" in h["hongngu_thanhuy"], h
        assert h["huyenuy"] == "ok", h
        for n in ("liemhai", "baobackan", "hongngu_thanhuy"):
            assert f"crawlall: {n} looks broken: {h[n]}" in log
        assert m["spiders"]["huyenuy"]["articlesNew"] == (4 if run == 1 else 0)
    assert m["spiders"]["huyenuy"]["articlesSkipped"] >= 1


# ---------------------------------------------------------------- another process on the same state
def test_a_state_file_locked_by_another_process_is_waited_for_and_a_finalisation_failure_fails_only_its_spider(tmp_path):
    """`scrapy crawl X -s INCREMENTAL=1` on the same STATE_DIR holds the state's write lock while it
    commits: crawlall waits for it (busy timeout) instead of crashing. When the lock is not released
    within STATE_LOCK_TIMEOUT, only that spider fails (exit 3, its output discarded, nothing
    committed); the other spiders are finalised and the manifest is written."""
    import sqlite3

    out = tmp_path / "out"
    assert crawlall_cmd(out, "--spiders", "liemhai,baobackan").returncode == 0
    state_file = out / "state" / "liemhai.sqlite"
    runs = out / "runs"

    def lock():
        db = sqlite3.connect(str(state_file), isolation_level=None)
        db.execute("BEGIN IMMEDIATE")  # what a committing writer holds
        return db

    # 1) held for 7 s from the moment the run starts: crawlall waits and finishes normally
    before = set(runs.iterdir())
    p = subprocess.Popen([sys.executable, "-m", "scrapy", "crawlall", "--spiders", "liemhai,baobackan",
                          "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not set(runs.iterdir()) - before:
        time.sleep(0.02)
    db = lock()
    time.sleep(7)
    db.execute("ROLLBACK")
    db.close()
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err[-3000:]
    assert "database is locked" not in err
    m, _ = last_manifest(out)
    assert m["exitCode"] == 0 and all(e["health"] == "ok" for e in m["spiders"].values())

    # 2) held for the whole run, STATE_LOCK_TIMEOUT=1: liemhai fails, baobackan is finalised
    db = lock()
    try:
        r = crawlall_cmd(out, "--spiders", "liemhai,baobackan", "-s", "STATE_LOCK_TIMEOUT=1")
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert r.returncode == 3, r.stderr[-3000:]
    m, log = last_manifest(out)
    assert m["exitCode"] == 3
    lh, bk = m["spiders"]["liemhai"], m["spiders"]["baobackan"]
    assert lh["health"] == "failed" and "database is locked" in lh["failure"] and lh["output"] is None
    assert "state was not committed" in lh["failure"]
    assert bk["health"] == "ok" and bk["output"] and Path(bk["output"]["file"]).exists()
    assert "crawlall: liemhai failed:" in log
    assert not list(out.glob("*/*.part"))
    assert not (out / "liemhai" / f"{m['runId']}.jsonl").exists()


# ---------------------------------------------------------------- killed after the renames, before the manifest
KILL_AFTER_RENAMES = """
import os, signal, sys
sys.path.insert(0, os.getcwd())
import crawler.commands.crawlall as C
n_parts, count, real = int(sys.argv[1]), [0], os.replace
def replace(a, b, *args, **kw):
    real(a, b, *args, **kw)
    if str(a).endswith(".jsonl.part"):
        count[0] += 1
        if count[0] == n_parts:  # every file renamed, the manifest not yet written
            os.kill(os.getpid(), signal.SIGKILL)
C.os.replace = replace
from scrapy.cmdline import execute
sys.argv = ["scrapy", "crawlall", *sys.argv[2:]]
execute()
"""


def test_files_finalised_by_a_run_killed_before_its_manifest_are_listed_by_the_next_run(tmp_path):
    """Killed after renaming its files but before writing its manifest: the next run lists them
    (`recoveredFiles`, with the killed run's id, lines and sha256), so a reader of manifests sees
    every finalised file, and lists them once."""
    from crawler.commands.crawlall import _sha256_lines

    out = tmp_path / "out"
    script = tmp_path / "kill_after_renames.py"
    script.write_text(KILL_AFTER_RENAMES)
    args = ["--spiders", "liemhai,baobackan", "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}"]
    killed = subprocess.run([sys.executable, str(script), "2", *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not list(out.glob("runs/*/manifest.json")) and len(finalized(out)) == 2
    for _ in (1, 2):
        r = crawlall_cmd(out, "--spiders", "liemhai,baobackan")
        assert r.returncode == 0, r.stderr[-3000:]
    manifests = [json.loads(p.read_text("utf-8")) for p in sorted(out.glob("runs/*/manifest.json"))]
    assert len(manifests) == 2
    listed = []
    for m in manifests:
        listed += [e["output"]["file"] for e in m["spiders"].values() if e["output"]]
        listed += [f["file"] for f in m["recoveredFiles"]]
    assert sorted(listed) == sorted(map(str, finalized(out))), "every finalised file is listed, once"
    rec = manifests[0]["recoveredFiles"]
    assert {f["spider"] for f in rec} == {"liemhai", "baobackan"} and manifests[1]["recoveredFiles"] == []
    for f in rec:
        digest, n = _sha256_lines(Path(f["file"]))
        assert f["sha256"] == digest and f["lines"] == n > 0
        assert f["runId"] == Path(f["file"]).name[: -len(".jsonl")] and f["runId"] != manifests[0]["runId"]
