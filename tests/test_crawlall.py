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
