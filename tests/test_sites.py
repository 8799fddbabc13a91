"""Every site spider crawled through the real engine on its snapshot (`-s REPLAY=tests/fixtures`),
compared with the expected record of each article, in the Fundus manner: stored page, expected
output."""
import json
import unicodedata

import pytest

from conftest import FIXTURES, SITES

SEED_CHROME = [
    "Chưa có thông tin", "Nội dung bản tin", "asp:Label", "Đăng ngày", "In nội dung", "Về đầu",
    "Xuất bản thông tin", "null", "Chi tiết bài viết", "A- A A+", "Tăng tương phản", "Tác giả:",
    "Tin liên quan", "anh tin bai", "Thống kê truy cập", "Đang online", "0:00 / 0:00", "ảnh 1", "Xem thêm",
]
SEED_DATES = {
    "dongnai_mattran": "2023-11-04T11:18:00+07:00",
    "hongngu_thanhuy": "2022-12-21",
    "liemhai": "2023-07-06",
    "baobackan": "2023-03-24",
}


def expected_records(site):
    folder = FIXTURES / site / "expected"
    return {json.loads(p.read_text("utf-8"))["url"]: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}


def norm(s):
    return " ".join(unicodedata.normalize("NFC", s).split())


@pytest.mark.parametrize("site", SITES)
def test_crawl_emits_every_article_of_the_snapshot(site, site_crawls):
    res = site_crawls[site]
    assert res.returncode == 0, res.log[-3000:]
    assert "Traceback" not in res.log
    expected = expected_records(site)
    assert len(expected) >= 3
    got = {r["url"] for r in res.records}
    from crawler.urls import canonical_url
    assert {canonical_url(u) for u in expected} == got
    assert res.stats.get("extract/fallback", 0) == 0, "site selectors must find every body"
    assert res.stats.get("pages/listing", 0) >= 2, "the crawl walks at least two listing pages"


@pytest.mark.parametrize("site", SITES)
def test_records_match_expected(site, site_crawls):
    from crawler.urls import canonical_url

    records = {r["url"]: r for r in site_crawls[site].records}
    for url, exp in expected_records(site).items():
        rec = records[canonical_url(url)]
        assert rec["headline"] == exp["headline"]
        body = rec["articleBody"]
        paragraphs = body.split("\n\n")
        assert [norm(p) for p in paragraphs] == [norm(p) for p in exp["paragraphs"]], url
        assert rec["datePublished"] == exp["datePublished"], url
        assert [a["name"] for a in rec["authors"]] == exp.get("authors", []), url
        captions = [i["caption"] for i in rec["images"] if i["caption"]]
        assert captions == [norm(c) for c in exp.get("captions", [])], url
        for c in captions:
            assert c not in body
        assert [(a["url"], a["text"]) for a in rec["attachments"]] == [
            (a["url"], norm(a["text"])) for a in exp.get("attachments", [])], url
        for chrome in exp.get("absent", []):
            assert chrome not in body, (url, chrome)
        if "description" in exp:  # null included: a teaser excerpt is not a lead
            assert (norm(rec["description"]) if rec["description"] else None) == \
                (norm(exp["description"]) if exp["description"] else None), url


@pytest.mark.parametrize("site", SITES)
def test_records_are_nfc_and_validate(site, site_crawls):
    from crawler.items import schema_validator

    for rec in site_crawls[site].records:
        errors = list(schema_validator().iter_errors(rec))
        assert not errors, errors[0].message
        for key in ("headline", "articleBody", "description"):
            if rec.get(key):
                assert unicodedata.is_normalized("NFC", rec[key])


@pytest.mark.parametrize("site", SITES)
def test_source_fills_levels_and_provinces(site, site_crawls):
    expected = {
        "dongnai_mattran": ("tỉnh", "Đồng Nai", "Đồng Nai"),
        "hongngu_thanhuy": ("huyện", "Đồng Tháp", "Đồng Tháp"),
        "liemhai": ("xã", "Nam Định", "Ninh Bình"),
        "baobackan": ("tỉnh", "Bắc Kạn", "Thái Nguyên"),
    }
    for rec in site_crawls[site].records:
        src = rec["source"]
        assert src["spider"] == site and src["organisation"]
        if site in expected:
            assert (src["level"], src["province"], src["provinceNow"]) == expected[site]


def test_jsonl_is_utf8_unescaped(site_crawls, tmp_path):
    res = site_crawls["baobackan"]
    assert res.records
    from conftest import crawl
    raw = (tmp_path / "x").with_suffix(".jsonl")
    r = crawl("baobackan", tmp_path)
    text = (tmp_path / "baobackan.jsonl").read_bytes().decode("utf-8")
    assert "\\u" not in text and "Bắc Kạn" in text


def test_max_pages_and_since_limit_the_walk(tmp_path):
    from conftest import crawl

    full = {r["url"] for r in crawl("baobackan", tmp_path).records}
    (tmp_path / "b").mkdir()
    one = crawl("baobackan", tmp_path / "b", "-a", "max_pages=1")
    assert one.stats.get("pages/listing") == 1 and 0 < len(one.records) < len(full)
    (tmp_path / "c").mkdir()
    recent = crawl("baobackan", tmp_path / "c", "-a", "since=2023-03-20")
    assert recent.records and all(r["datePublished"] >= "2023-03-20" for r in recent.records)
    assert len(recent.records) < len(full)


def test_site_argument_retargets_a_portal_family_spider():
    from spiders.huyenuy import HuyenUySpider

    s = HuyenUySpider(site="https://huyenuy-khac.example.vn/")
    assert all(u.startswith("https://huyenuy-khac.example.vn/") for u in s.start_urls)
    # the new host and its www. twin (one site), nothing of the snapshot's host
    assert s.allowed_domains == ["huyenuy-khac.example.vn", "www.huyenuy-khac.example.vn"]
    assert s.allowed("https://huyenuy-khac.example.vn/tin-tuc/a-1.html")
    assert s.allowed("https://www.huyenuy-khac.example.vn/tin-tuc/a-1.html")
    assert not s.allowed("https://www.huyenuy.example/tin-tuc/a-1.html")
    assert not s.allowed("https://xa.huyenuy-khac.example.vn/tin-tuc/a-1.html")  # a subdomain is another site


def test_vietnamese_host_names_are_crawled_in_punycode():
    from spiders.huyenuy import HuyenUySpider

    s = HuyenUySpider(site="https://huyệnủy.vn/")
    assert "xn--huyny-371b7i.vn" in s.allowed_domains  # what Scrapy's offsite filter compares
    assert s.allowed("https://huyệnủy.vn/tin-tuc/a-1.html") and s.allowed("https://xn--huyny-371b7i.vn/tin-tuc/a-1.html")
