"""`python -m crawler.extract FILE.html --url URL`: the Article record the crawler would make.

No network. `-` reads standard input. `--platform NAME` forces a platform, `--spider NAME` uses a
site spider's layouts. Prints one JSON object (or, for a page that is not an article, a JSON
object with "article": false and the reason) and the extraction counters on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys


def record_for(html: str, url: str, platform: str | None = None, spider: str | None = None) -> dict:
    from .generic import extract_any

    layouts = None
    if spider:
        from scrapy.spiderloader import SpiderLoader
        from scrapy.utils.project import get_project_settings

        cls = SpiderLoader.from_settings(get_project_settings()).load(spider)
        layouts = cls.layouts
        platform = platform or cls.platform
    ex, plat, kind = extract_any(html, url, platform=platform, layouts=layouts,
                                 check_article=spider is None)
    if ex is None:
        return {"article": False, "url": url, "platform": plat, "reason": kind.reason if kind else "unknown"}
    rec = dict(ex.fields)
    rec["crawl"] = {"extraction": ex.path, "layout": ex.layout, "platform": plat}
    rec["_counters"] = dict(ex.counters)
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.extract", description=__doc__.splitlines()[0])
    ap.add_argument("file", help="HTML file, or - for standard input")
    ap.add_argument("--url", required=True, help="the URL the page was fetched from")
    ap.add_argument("--platform", help="force a platform (liferay, aspnet, wordpress, …)")
    ap.add_argument("--spider", help="use this site spider's layouts")
    ap.add_argument("--encoding", default=None, help="decode the file with this encoding (default: detect)")
    args = ap.parse_args(argv)
    raw = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()
    html = decode_html(raw, args.encoding)
    rec = record_for(html, args.url, args.platform, args.spider)
    counters = rec.pop("_counters", {})
    json.dump(rec, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    if counters:
        sys.stderr.write(" ".join(f"{k}={v}" for k, v in sorted(counters.items())) + "\n")
    return 0


def decode_html(raw: bytes, encoding: str | None = None) -> str:
    """Bytes to text the way Scrapy's HtmlResponse does (BOM, <meta charset>, then detection)."""
    from scrapy.http import HtmlResponse

    headers = {"Content-Type": f"text/html; charset={encoding}"} if encoding else {}
    return HtmlResponse(url="file:///x", body=raw, headers=headers).text


if __name__ == "__main__":
    sys.exit(main())
