"""liemhai, with a callback that raises on one article, and an item pipeline that raises on one
item: a crawl that finishes but lost pages, which crawlall must count as failed (exit 3)."""
from crawler.settings import ITEM_PIPELINES
from spiders.liemhai import LiemHaiSpider

CRASH_ON = "-2395.html"


class CallbackCrashSpider(LiemHaiSpider):
    name = "liemhai_callback_crash"
    snapshot = "tests/fixtures/liemhai"
    crawlall_skip = False

    def parse_article(self, response, *args, **kwargs):
        if response.url.endswith(CRASH_ON):
            raise RuntimeError(f"test crash in a callback: {response.url}")
        yield from super().parse_article(response, *args, **kwargs)


class RaisingPipeline:
    def process_item(self, item):
        if item["url"].endswith(CRASH_ON):
            raise KeyError("test crash in an item pipeline")
        return item


class PipelineCrashSpider(LiemHaiSpider):
    name = "liemhai_pipeline_crash"
    snapshot = "tests/fixtures/liemhai"
    custom_settings = {"ITEM_PIPELINES": {**ITEM_PIPELINES, "tests.crawlall_spiders.crash.RaisingPipeline": 150}}
