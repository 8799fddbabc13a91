"""Settings that depend on other settings, applied once the command line is known.

Scrapy add-ons run after `-s` options are merged, so `-s REPLAY=…`, `-s OUTPUT_DIR=…` and
`-s SOURCE=wayback` can switch components here instead of in every command.
"""
from __future__ import annotations

from pathlib import Path


def _default(settings, key, value):
    """Set unless the user chose the value (command line or spider): add-ons run below 'project'."""
    if settings.getpriority(key) is None or settings.getpriority(key) <= 20:
        settings.set(key, value, priority="project")


def _offline_public_suffix_list():
    """Scrapy's cookie middleware asks tldextract for the Public Suffix List, which downloads it on
    first use (and logs tracebacks where there is no network): use the list bundled with
    tldextract instead, so a crawl, replay above all, never opens a connection for it."""
    try:
        from scrapy.downloadermiddlewares import cookies
        from tldextract import TLDExtract
    except ImportError:  # pragma: no cover
        return
    cookies._split_domain = TLDExtract(cache_dir=None, suffix_list_urls=(), include_psl_private_domains=True)


class ProjectAddon:
    def update_settings(self, settings):
        _offline_public_suffix_list()
        replay = settings.get("REPLAY")
        if replay:
            handler = "crawler.archive.replay.ReplayDownloadHandler"
            settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="cmdline")
            # replay answers instantly: politeness delays only slow tests and re-extraction down
            _default(settings, "AUTOTHROTTLE_ENABLED", False)
            _default(settings, "DOWNLOAD_DELAY", 0)
            _default(settings, "CONCURRENT_REQUESTS_PER_DOMAIN", 16)
            _default(settings, "RETRY_ENABLED", False)
        if settings.get("SOURCE", "live") == "wayback" and not replay:
            # the Internet Archive asks for gentle clients: one request at a time, slow start
            _default(settings, "CONCURRENT_REQUESTS_PER_DOMAIN", settings.getint("WAYBACK_CONCURRENCY", 1))
            _default(settings, "AUTOTHROTTLE_START_DELAY", settings.getfloat("WAYBACK_DELAY", 2.0))
            _default(settings, "DOWNLOAD_DELAY", settings.getfloat("WAYBACK_DELAY", 2.0))
        # Scrapy's feed exporter, counting every failed feed and writing atomic feeds
        # (crawler.extensions.FeedExporter)
        extensions = settings["EXTENSIONS"]
        extensions.set("scrapy.extensions.feedexport.FeedExporter", None, priority="addon")
        extensions.set("crawler.extensions.FeedExporter", 0, priority="addon")
        if not settings.getdict("FEEDS") and settings.getbool("DEFAULT_FEED_ENABLED", True):
            # the default feed is atomic: written as <time>.jsonl.part, renamed to <time>.jsonl
            # when complete (with the incremental state's commit); a file chosen with -O/-o is
            # written as Scrapy writes it
            out = Path(settings.get("OUTPUT_DIR") or "output")
            settings.set(
                "FEEDS",
                {str(out / "%(name)s" / "%(time)s.jsonl"): {"format": "jsonlines", "encoding": "utf8", "atomic": True}},
                priority="addon",
            )
