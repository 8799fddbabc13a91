"""`python -m crawler.bench`: how fast we are, on this machine, in one process.

1. extraction: our extraction of every fixture article vs `trafilatura.extract` on the same HTML
   (the baseline, run in the same process): median time per page for each, and the ratio;
2. a replay crawl through the full Scrapy engine and our pipelines over a generated snapshot of
   N article pages (default 5,000) made from the five sites' article templates: pages per second
   and the process's peak RSS;
3. the incremental state at 1,000,000 remembered articles: lookup and insert cost per article.

The last line is `BENCH extraction_speedup=<x> replay_pages_per_s=<n> peak_rss_mb=<m>`.
Options: --pages N (replay size), --state-size N, --repeat N (extraction rounds).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .urls import canonical_url

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SITES = ("dongnai_mattran", "hongngu_thanhuy", "huyenuy", "liemhai", "baobackan")


def fixture_articles():
    """(spider name, url, html) for every article page with an expected record."""
    out = []
    for site in SITES:
        folder = FIXTURES / site
        index = json.loads((folder / "index.json").read_text("utf-8"))
        files = {canonical_url(p["url"]): folder / p["file"] for p in index["pages"] if p.get("file")}
        for exp in sorted((folder / "expected").glob("*.json")):
            url = canonical_url(json.loads(exp.read_text("utf-8"))["url"])
            out.append((site, url, files[url].read_bytes().decode("utf-8")))
    return out


def _spider_classes():
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    return {s: loader.load(s) for s in SITES}


def bench_extraction(repeat: int = 5):
    import trafilatura
    from parsel import Selector

    from .extract.article import extract_article

    classes = _spider_classes()
    pages = fixture_articles()
    ours_t, theirs_t = [], []
    for _ in range(repeat):
        for site, url, html in pages:
            t0 = time.perf_counter()
            extract_article(Selector(text=html, type="html", base_url=url), url, classes[site].layouts)
            ours_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            trafilatura.extract(html, url=url)
            theirs_t.append(time.perf_counter() - t0)
    ours_med, theirs_med = statistics.median(ours_t), statistics.median(theirs_t)
    return {"pages": len(pages), "ours_ms": ours_med * 1000, "trafilatura_ms": theirs_med * 1000,
            "speedup": theirs_med / ours_med}


def make_snapshot(folder: Path, n: int) -> dict[str, list[str]]:
    """n article pages in the sites' templates: the fixture articles with numbered variations."""
    pages = fixture_articles()
    per_site: dict[str, list[str]] = {s: [] for s in SITES}
    index: dict[str, list] = {s: [] for s in SITES}
    for i in range(n):
        site, url, html = pages[i % len(pages)]
        # a distinct article: its own ID (the longest number in the URL), in every form of the URL
        # the page carries (canonical and og:url may spell the host differently, with a port), and
        # slightly different text
        ids = sorted(re.finditer(r"\d+", url), key=lambda m: len(m.group()))
        if ids:
            m = ids[-1]
            variant_url = f"{url[:m.end()]}{i:06d}{url[m.end():]}"
        else:
            variant_url = url + ("&" if "?" in url else "?") + f"bench={i}"
        split = re.match(r"^[a-z]+://[^/]+", url)
        tail, variant_tail = url[split.end():], variant_url[split.end():]
        body = html
        for a, b in ((tail, variant_tail), (tail.replace("&", "&amp;"), variant_tail.replace("&", "&amp;"))):
            body = body.replace(a, b)
        body = body.replace("</p>", f" (bản {i})</p>", 3)
        f = folder / site / "pages" / f"a{i}.html"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(body, "utf-8")
        index[site].append({"url": variant_url, "file": f"pages/a{i}.html"})
        per_site[site].append(variant_url)
    for site in SITES:
        (folder / site / "index.json").write_text(json.dumps({"spider": site, "pages": index[site]}), "utf-8")
    return per_site


def bench_state(size: int):
    from .state import StateStore

    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(Path(tmp) / "bench.sqlite", commit_every=10**12)
        t0 = time.perf_counter()
        store.db.execute("BEGIN")  # the store writes in autocommit mode; one transaction for the fill
        store.db.executemany(
            "INSERT INTO seen(key, hash, revision, first_seen, last_seen) VALUES (?,?,1,0,0)",
            ((f"https://host.vn/tin-tuc/bai-{i}.html", f"{i:032x}") for i in range(size)),
        )
        store.db.execute("COMMIT")
        fill = time.perf_counter() - t0
        k = 20000
        t0 = time.perf_counter()
        found = 0
        for i in range(0, size, max(1, size // k)):
            # the check a listing makes before fetching (the URL or one of its aliases)
            found += f"https://host.vn/tin-tuc/bai-{i}.html" in store
        lookup = (time.perf_counter() - t0) / k
        assert found == k, found
        t0 = time.perf_counter()
        for i in range(k):
            store.put(f"https://host.vn/tin-moi/bai-{i}.html", "0" * 32, 1)
        store.commit()
        insert = (time.perf_counter() - t0) / k
        store.close()
    return {"size": size, "fill_s": fill, "lookup_us": lookup * 1e6, "insert_us": insert * 1e6}


def bench_replay(n: int):
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    urls = make_snapshot(tmp, n)
    settings = get_project_settings()
    settings.setdict({"REPLAY": str(tmp), "LOG_LEVEL": "ERROR", "FEEDS": {str(tmp / "out-%(name)s.jsonl"): {"format": "jsonlines"}},
                      "ROBOTSTXT_OBEY": False, "CONCURRENT_REQUESTS": 32, "HTTPCACHE_ENABLED": False}, priority="cmdline")
    process = CrawlerProcess(settings)
    classes = _spider_classes()
    crawlers = []
    for site, site_urls in urls.items():
        base = classes[site]

        async def start(self, _urls=site_urls):
            for u in _urls:
                yield scrapy.Request(u, callback=self.parse_article)

        bench_cls = type(f"Bench_{site}", (base,), {"start": start})
        crawler = process.create_crawler(bench_cls)
        crawlers.append(crawler)
        process.crawl(crawler)
    t0 = time.perf_counter()
    process.start()
    elapsed = time.perf_counter() - t0
    items = sum(c.stats.get_value("item_scraped_count", 0) for c in crawlers)
    pages = sum(c.stats.get_value("response_received_count", 0) for c in crawlers)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return {"pages": pages, "items": items, "seconds": elapsed, "pages_per_s": pages / elapsed,
            "peak_rss_mb": peak_kb / 1024, "snapshot": str(tmp)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.bench")
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--state-size", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    ex = bench_extraction(args.repeat)
    print(f"extraction: {ex['pages']} fixture articles x {args.repeat}: ours median {ex['ours_ms']:.2f} ms/page, "
          f"trafilatura.extract median {ex['trafilatura_ms']:.2f} ms/page, speedup x{ex['speedup']:.2f}", flush=True)
    st = bench_state(args.state_size)
    print(f"state: {st['size']:,} remembered articles (filled in {st['fill_s']:.1f}s): lookup {st['lookup_us']:.1f} us, "
          f"insert {st['insert_us']:.1f} us per article", flush=True)
    rp = bench_replay(args.pages)
    print(f"replay: {rp['pages']} pages, {rp['items']} articles exported in {rp['seconds']:.1f}s: "
          f"{rp['pages_per_s']:.0f} pages/s, peak RSS {rp['peak_rss_mb']:.0f} MB", flush=True)
    if rp["items"] != rp["pages"]:
        print(f"WARNING: {rp['pages'] - rp['items']} of {rp['pages']} generated articles were not exported", flush=True)
    print(f"BENCH extraction_speedup={ex['speedup']:.2f} replay_pages_per_s={rp['pages_per_s']:.0f} "
          f"peak_rss_mb={rp['peak_rss_mb']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
