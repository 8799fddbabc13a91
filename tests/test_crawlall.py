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
