import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SITES = ("dongnai_mattran", "hongngu_thanhuy", "huyenuy", "liemhai", "baobackan")


class CrawlResult:
    def __init__(self, returncode, records, stats, log):
        self.returncode, self.records, self.stats, self.log = returncode, records, stats, log


def run_scrapy(args, tmp_path, timeout=300, env=None):
    """Run a `scrapy` command from the project root in a fresh process (Twisted cannot restart)."""
    e = dict(os.environ)
    e.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=e)
    return proc


def crawl(spider, tmp_path, *extra, replay=str(FIXTURES), timeout=300):
    out = tmp_path / f"{spider}.jsonl"
    stats_path = tmp_path / f"{spider}.stats.json"
    args = ["crawl", spider, "-O", str(out), "-s", f"STATS_JSON={stats_path}", "-s", "LOG_LEVEL=INFO"]
    if replay:
        args += ["-s", f"REPLAY={replay}"]
    args += list(extra)
    proc = run_scrapy(args, tmp_path, timeout)
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
    stats = json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {}
    return CrawlResult(proc.returncode, records, stats, proc.stderr)


def crawl_many(spiders, tmp_path, *extra, replay=str(FIXTURES), timeout=300):
    """Several replay crawls at once (one process each), results by spider name."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {s: pool.submit(crawl, s, tmp_path, *extra, replay=replay, timeout=timeout) for s in spiders}
        return {s: f.result() for s, f in futures.items()}


@pytest.fixture(scope="session")
def site_crawls(tmp_path_factory):
    """One replay crawl per site spider, shared by the tests that read its records."""
    tmp = tmp_path_factory.mktemp("crawls")
    return crawl_many([s for s in SITES if (FIXTURES / s / "index.json").exists()], tmp)
