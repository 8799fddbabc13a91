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


_SLIDER_PAGE = """<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">
<title>Hội thi duyên dáng áo dài – Hội LHPN</title><meta property="og:type" content="article">
<meta property="article:published_time" content="2023-10-20T08:32:51+07:00"></head><body>
<header><nav><a href="/">Trang chủ</a> <a href="/category/hoat-dong-hoi/">Hoạt động Hội</a></nav></header>
<article class="post"><h1 class="entry-title">Hội thi duyên dáng áo dài</h1><div class="entry-content">
<p>Sáng ngày 19/10, Hội Liên hiệp Phụ nữ huyện Chợ Gạo tổ chức hội thi duyên dáng áo dài với sự tham gia của mười ba đội thi đến từ các xã, thị trấn trong huyện.</p>
<p>Hội thi nhằm tôn vinh vẻ đẹp của người phụ nữ Việt Nam, góp phần giữ gìn và phát huy giá trị truyền thống của chiếc áo dài trong đời sống hằng ngày của hội viên.</p>
<p>Kết thúc hội thi, Ban tổ chức trao giải nhất cho đội thị trấn Chợ Gạo, giải nhì cho đội xã Long Bình Điền và giải ba cho đội xã Song Bình.</p>
<rs-module-wrap id="rev_slider_3_1_wrapper" style="visibility:hidden"><rs-module id="rev_slider_3_1"><rs-slides>
<rs-slide data-key="rs-11"><img src="/wp-content/plugins/revslider/public/assets/assets/dummy.png" data-lazyload="/up/hoi-thi-1.jpg" class="rev-slidebg rs-lazyload">
<rs-layer data-type="text">Phần thi chào hỏi của đội thị trấn Chợ Gạo</rs-layer></rs-slide>
<rs-slide data-key="rs-12"><img src="/wp-content/plugins/revslider/public/assets/assets/dummy.png" data-lazyload="/up/hoi-thi-2.jpg" class="rev-slidebg rs-lazyload">
<rs-layer data-type="text">Trình diễn áo dài lấy cảm hứng từ trái thanh long</rs-layer></rs-slide></rs-slides></rs-module></rs-module-wrap>
<div class="rev_slider_wrapper"><div class="rev_slider"><ul><li><img src="/up/a.jpg"><div class="tp-caption">Các đội thi chụp ảnh lưu niệm</div></li></ul></div></div>
</div></article><footer>© Hội LHPN huyện Chợ Gạo</footer></body></html>"""


def test_slider_gallery_is_dropped_and_the_text_decides_the_language():
    from crawler.extract.generic import extract_any

    ex, platform, kind = extract_any(_SLIDER_PAGE, "https://hoiphunu.example.vn/hoi-thi-duyen-dang-ao-dai/")
    body = ex.fields["articleBody"]
    assert body.startswith("Sáng ngày 19/10") and body.endswith("giải ba cho đội xã Song Bình.")
    assert "thanh long" not in body and "lưu niệm" not in body
    assert ex.counters["boilerplate/slider"] >= 2
    assert ex.fields["inLanguage"] == "vi"


def test_an_english_page_stays_english():
    from crawler.extract.generic import extract_any

    page = _SLIDER_PAGE.split("<p>")[0] + "".join(
        f"<p>The provincial Women's Union held its annual conference on traditional dress, paragraph {i}, "
        "with thirteen teams from the communes and the town taking part in the contest.</p>" for i in range(4)) \
        + "</div></article></body></html>"
    ex, _, _ = extract_any(page, "https://hoiphunu.example.vn/en/contest/")
    assert ex.fields["inLanguage"] == "en"


@pytest.mark.parametrize("line,is_date", [
    ("Ngày đăng: 04/12/2023 08:40 | Chuyên mục: Tin kinh tế", True),
    ("Đăng ngày: 04-11-2023 11:18 • Lượt xem: 1.254", True),
    ("Chuyên mục: Tin kinh tế | Hôm nay trời đẹp", False),
    ("04/12/2023 | Hội nghị tổng kết công tác năm của huyện diễn ra sôi nổi", False),
])
def test_a_date_beside_labelled_metadata_is_a_date_line(line, is_date):
    from crawler.extract.article import _is_date_line

    assert _is_date_line(line) is is_date
