"""Incremental crawls (`scrapy crawl X -s INCREMENTAL=1`, the default feed, discovery spiders)
through the real engine, offline on the snapshots: what is remembered, when it is committed, and
what a killed or failed run leaves."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, ROOT, crawl

_FETCHED = re.compile(r"Crawled \(\d+\) <GET (\S+)>")
LIEMHAI = "https://liemhai.trucninh.namdinh.gov.vn"


def scrapy(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# ---------------------------------------------------------------- a failed feed commits nothing
def test_a_failed_feed_commits_no_state_logs_it_and_exits_non_zero(tmp_path):
    """-O into a folder that is a file: every item fails to be written. The articles must not be
    remembered (else they are lost: the next run skips them), an ERROR says so, exit code 1."""
    state = tmp_path / "state"
    (tmp_path / "afile").write_text("a file, not a folder\n")
    bad = crawl("liemhai", tmp_path, "-s", "INCREMENTAL=1", "-s", f"STATE_DIR={state}",
                "-O", str(tmp_path / "afile" / "x.jsonl"))
    assert bad.returncode == 1, bad.log[-3000:]
    assert bad.stats.get("feedexport/failed_count/FileFeedStorage") == 1
    assert "Incremental state NOT committed: a feed failed" in bad.log
    assert "crawl: a feed failed" in bad.log
    (tmp_path / "ok").mkdir()
    good = crawl("liemhai", tmp_path / "ok", "-s", "INCREMENTAL=1", "-s", f"STATE_DIR={state}")
    assert good.returncode == 0, good.log[-3000:]
    assert len(good.records) == 4, "the articles of the failed run are exported by the next"
    assert good.stats.get("incremental/new") == 4


# ---------------------------------------------------------------- discovery spiders skip what was exported
def test_a_discovery_spider_does_not_fetch_exported_articles_again(tmp_path):
    """`portal` (and registry entries with platform = "auto"): a second incremental run finds the
    same article links in the sitemap, feed and listings, and fetches none of them again."""
    snap = FIXTURES / "portal_yenthe"
    state = tmp_path / "state"

    def run(n):
        (tmp_path / n).mkdir()
        return crawl("portal", tmp_path / n, "-a", "url=https://mttq-yenthe.example/", "-s", "LOG_LEVEL=DEBUG",
                     "-s", "INCREMENTAL=1", "-s", f"STATE_DIR={state}", replay=str(snap))

    first = run("1")
    assert first.returncode == 0 and len(first.records) >= 5, first.log[-3000:]
    exported = {r["url"] for r in first.records}
    second = run("2")
    assert second.returncode == 0, second.log[-3000:]
    assert second.records == []
    refetched = exported & set(_FETCHED.findall(second.log))
    assert not refetched, f"fetched again: {sorted(refetched)}"
    assert not second.stats.get("dropped/unchanged")
    assert second.stats.get("incremental/skipped_seen", 0) >= len(exported)


# ---------------------------------------------------------------- rel=canonical other than the listed URL
def test_an_article_whose_canonical_differs_from_its_listed_url_is_not_fetched_again(tmp_path):
    """The state's key is the canonical URL; listings link the URL the article was fetched under:
    that URL is remembered too, so the next run does not fetch it again."""
    snap = tmp_path / "snap"
    shutil.copytree(FIXTURES / "liemhai", snap / "liemhai")
    page = snap / "liemhai" / "pages" / "tin-2402.html"
    html = page.read_text("utf-8")
    canonical = f"{LIEMHAI}/tin-tuc-su-kien/ten-moi-cua-bai-2402.html"
    page.write_text(html.replace("<head>", f'<head><link rel="canonical" href="{canonical}">', 1), "utf-8")
    state = tmp_path / "state"
    runs = []
    for n in ("1", "2"):
        (tmp_path / n).mkdir()
        runs.append(crawl("liemhai", tmp_path / n, "-s", "INCREMENTAL=1", "-s", f"STATE_DIR={state}",
                          "-s", "INCREMENTAL_STOP_AFTER_SEEN=0", "-s", "LOG_LEVEL=DEBUG", replay=str(snap)))
    first, second = runs
    assert first.returncode == 0 and len(first.records) == 4
    rec = next(r for r in first.records if r.get("canonicalUrl") == canonical)
    assert rec["url"].endswith("-2402.html") and rec["url"] != canonical
    assert second.returncode == 0 and second.records == []
    assert rec["url"] not in _FETCHED.findall(second.log), "the listed URL of an exported article is known"
    assert not second.stats.get("dropped/unchanged")
    assert second.stats.get("incremental/skipped_seen") == 4


# ---------------------------------------------------------------- a killed plain `scrapy crawl`
def test_a_killed_incremental_crawl_leaves_no_finished_looking_file_and_the_next_run_cleans_up(tmp_path):
    """`scrapy crawl liemhai -s INCREMENTAL=1` (default feed OUTPUT_DIR/liemhai/<time>.jsonl) killed
    mid-run: it leaves only a .part; the next run removes it (a WARNING), exports every article once,
    and finalises its own file: the .jsonl files hold each article exactly once."""
    out = tmp_path / "out"
    args = [sys.executable, "-m", "scrapy", "crawl", "liemhai", "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}",
            "-s", "INCREMENTAL=1", "-s", "REPLAY_DELAY=0.5", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "LOG_LEVEL=DEBUG"]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    folder = out / "liemhai"
    scraped = 0
    for line in p.stderr:  # killed once two articles have been exported (Scrapy's "Scraped from")
        scraped += "Scraped from" in line
        if scraped == 2:
            break
    time.sleep(0.3)  # their feed lines are being written; two more articles to fetch (0.5 s each)
    assert p.poll() is None, "the crawl finished before it could be killed: raise REPLAY_DELAY"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    p.stderr.close()
    assert not list(folder.glob("*.jsonl")), "a killed run leaves no file that looks finished"
    left = list(folder.glob("*.jsonl.part"))
    assert len(left) == 1
    r = scrapy("crawl", "liemhai", "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}", "-s", "INCREMENTAL=1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"Removed {left[0]}: an unfinished feed left by an interrupted run" in r.stderr
    assert not list(folder.glob("*.part"))
    files = list(folder.glob("*.jsonl"))
    assert len(files) == 1
    urls = [rec["url"] for rec in lines(files[0])]
    assert len(urls) == 4 and len(set(urls)) == 4
    # and a third run exports nothing new, into a complete (empty) file
    r = scrapy("crawl", "liemhai", "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}", "-s", "INCREMENTAL=1")
    assert r.returncode == 0
    assert sum(len(lines(f)) for f in folder.glob("*.jsonl")) == 4 and not list(folder.glob("*.part"))


def test_a_run_in_the_same_second_as_another_never_takes_its_feed(tmp_path):
    """The default feed is named by the second the run started (%(time)s): a run started in a
    second whose file exists writes `<time>-1.jsonl` and leaves the other run's file as it was."""
    from datetime import datetime, timedelta, timezone

    out = tmp_path / "out"
    folder = out / "liemhai"
    folder.mkdir(parents=True)
    now = datetime.now(tz=timezone.utc).replace(microsecond=0)
    taken = []
    for s in range(0, 90):  # every second the run below may start in
        f = folder / ((now + timedelta(seconds=s)).isoformat().replace(":", "-") + ".jsonl")
        f.write_text('{"url": "https://other.run/"}\n', encoding="utf-8")
        taken.append(f)
    r = scrapy("crawl", "liemhai", "-s", f"REPLAY={FIXTURES}", "-s", f"OUTPUT_DIR={out}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert all(f.read_text("utf-8") == '{"url": "https://other.run/"}\n' for f in taken)
    new = sorted(set(folder.glob("*.jsonl")) - set(taken))
    assert len(new) == 1 and new[0].stem.endswith("-1"), new
    assert len(lines(new[0])) == 4 and "a run started in the same second" in r.stderr
