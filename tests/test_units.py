"""Unit tests of helpers: provinces, URL canonicalisation, state, dedup pipeline, replay lookups."""
import json
from collections import Counter

import pytest

from crawler.provinces import MERGED_INTO, province_now
from crawler.urls import canonical_url


def test_merged_provinces_exist_in_the_package():
    from vietnam_provinces import Province

    names = {p.name for p in Province.iter_all()}
    assert set(MERGED_INTO.values()) == names  # all 34, no typo
    assert len(set(MERGED_INTO)) >= 63


@pytest.mark.parametrize("old,new", [("Bắc Kạn", "Thái Nguyên"), ("Nam Định", "Ninh Bình"), ("Đồng Tháp", "Đồng Tháp"),
                                     ("Tiền Giang", "Đồng Tháp"), ("Đồng Nai", "Đồng Nai"), ("Bình Phước", "Đồng Nai"),
                                     ("Tỉnh Hà Giang", "Tuyên Quang")])
def test_province_now(old, new):
    assert province_now(old)[0] == new


def test_canonical_url_drops_tracking_session_and_redirect_params():
    a = canonical_url("https://A.gov.vn/tin/-/asset_publisher/x/content/bai?redirect=%2Ftin&utm_source=fb#top")
    assert a == "https://a.gov.vn/tin/-/asset_publisher/x/content/bai"
    assert canonical_url("https://h.vn/Pages/a.aspx?TopicID=3&NewsID=1") == canonical_url("https://h.vn/Pages/a.aspx?NewsID=1&TopicID=3")
    assert canonical_url("https://h.vn/a;jsessionid=ABC?id=1") == "https://h.vn/a?id=1"


class _Stats(Counter):
    def inc_value(self, k, v=1):
        self[k] += v

    def set_value(self, k, v):
        self[k] = v


class _Signals:
    def connect(self, *a, **k):
        pass


class _Crawler:
    def __init__(self, **settings):
        from scrapy.settings import Settings

        self.settings = Settings(settings)
        self.stats = _Stats()
        self.signals = _Signals()


def _item(url, body="Thân bài.", headline="Tiêu đề"):
    from crawler.items import Article

    return Article(url=url, headline=headline, articleBody=body, datePublished=None)


def test_dedup_within_a_run_by_canonical_url():
    from scrapy.exceptions import DropItem

    from crawler.pipelines import DedupPipeline

    c = _Crawler()
    p = DedupPipeline(c)
    p.process_item(_item("https://h.vn/a?id=1&utm_source=x"))
    with pytest.raises(DropItem):
        p.process_item(_item("https://h.vn/a?id=1"))
    assert c.stats["dropped/duplicate"] == 1


def test_dedup_http_https_and_www_are_one_article():
    from scrapy.exceptions import DropItem

    from crawler.pipelines import DedupPipeline

    c = _Crawler()
    p = DedupPipeline(c)
    p.process_item(_item("http://h.vn/tin-tuc/a-post1.html"))
    for spelling in ("https://h.vn/tin-tuc/a-post1.html", "https://www.h.vn/tin-tuc/a-post1.html"):
        with pytest.raises(DropItem):
            p.process_item(_item(spelling))
    p.process_item(_item("https://h.vn/tin-tuc/b-post2.html"))  # another article
    assert c.stats["dropped/duplicate"] == 2


def test_incremental_state_new_unchanged_changed(tmp_path):
    from scrapy.exceptions import DropItem

    from crawler.pipelines import DedupPipeline

    class Spider:
        name = "s"

    def run(body):
        c = _Crawler(INCREMENTAL=True, STATE_DIR=str(tmp_path))
        p = DedupPipeline(c)
        p.open_state(Spider())
        out = None
        try:
            out = p.process_item(_item("https://h.vn/a", body))
        except DropItem:
            pass
        p.commit()
        p.spider_closed(Spider(), "finished")
        return c.stats, out

    stats, out = run("một")
    assert stats["incremental/new"] == 1 and out["revision"] == 1
    stats, out = run("một")
    assert out is None and stats["dropped/unchanged"] == 1
    stats, out = run("hai")
    assert stats["incremental/changed"] == 1 and out["revision"] == 2


def test_state_not_committed_is_forgotten(tmp_path):
    from crawler.state import StateStore

    s = StateStore(tmp_path / "x.sqlite", commit_every=10**9)
    s.put("k", "h", 1)
    s.close(commit=False)
    assert "k" not in StateStore(tmp_path / "x.sqlite")


def test_replay_snapshot_index_and_lookup(tmp_path):
    from crawler.archive.replay import Snapshot, replay_key

    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "p.html").write_text("<p>x</p>")
    (tmp_path / "s" / "index.json").write_text(json.dumps({"pages": [
        {"url": "https://h.vn/a?b=2&a=1", "file": "p.html"},
        {"url": "https://h.vn/old", "status": 301, "headers": {"Location": "https://h.vn/new"}}]}))
    snap = Snapshot.load(tmp_path, "s")
    assert replay_key("https://h.vn/a?a=1&b=2#x") in snap.entries
    assert snap.entries[replay_key("https://h.vn/old")]["status"] == 301
    with pytest.raises(FileNotFoundError):
        Snapshot.load(tmp_path / "nothing", "s")
