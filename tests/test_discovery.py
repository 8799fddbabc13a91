"""The `portal` spider's discovery on an unseen site (tests/fixtures/portal_yenthe: no sitemap, an
RSS feed of the 3 newest, two categories reached only from the menu, numbered `?page=N` pagers, a
commune sub-portal on a subdomain, print links), crawled through the real Scrapy engine; and the
pure pieces of discovery (print links, page-1 pagers, hosts, sitemap/feed dates)."""
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import FIXTURES, crawl
from crawler.platforms.discovery import (DiscoverySpider, declared_listing, first_page_collapsed,
                                         is_print_link, local_date)
from crawler.urls import canonical_url

YENTHE = FIXTURES / "portal_yenthe"


class Spider(DiscoverySpider):
    name = "discovery_test"


HOST = "mttq-yenthe.example"
START = f"https://{HOST}/"
CAT_A = f"https://{HOST}/tin-tuc/hoat-dong-mat-tran"
CAT_B = f"https://{HOST}/tin-tuc/cong-tac-dan-toc-ton-giao"
DEBUG = ("-s", "LOG_LEVEL=DEBUG")
_FETCHED = re.compile(r"(?:Crawled \(\d+\) <GET (\S+)>|Redirecting \(\d+\) to <GET \S+> from <GET (\S+)>)")


def requested(log: str) -> list[str]:
    """Every URL the downloader fetched (Scrapy's DEBUG 'Crawled'/'Redirecting' lines), repeats kept."""
    return [m.group(1) or m.group(2) for m in _FETCHED.finditer(log)]


def expected_articles() -> dict:
    exp = (json.loads(p.read_text("utf-8")) for p in (YENTHE / "expected").glob("*.json"))
    return {canonical_url(e["url"]): e for e in exp}


def long_articles() -> dict:
    """Articles of >= 500 characters of text: exported whatever the short-article heuristics say."""
    return {u: e for u, e in expected_articles().items() if sum(len(p) for p in e["paragraphs"]) >= 500}


def _crawl(tmp, *extra):
    tmp.mkdir(parents=True, exist_ok=True)
    return crawl("portal", tmp, "-a", f"url={START}", *DEBUG, *extra, replay=str(YENTHE))


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """The snapshot crawled from / four ways (in parallel, one process each)."""
    tmp = tmp_path_factory.mktemp("discovery")
    runs = {"home": (), "budget": ("-a", "max_pages=1"), "budget3": ("-a", "max_pages=3"),
            "since": ("-a", "since=2023-09-25"),
            "until": ("-a", "until=2023-09-30")}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(_crawl, tmp / k, *args) for k, args in runs.items()}
        out = {k: f.result() for k, f in futures.items()}
    for name, res in out.items():
        assert res.returncode == 0 and "Traceback" not in res.log, (name, res.log[-3000:])
    return out


# ---------------------------------------------------------------- the crawl from the home page
def test_every_on_host_article_is_requested(crawls):
    res = crawls["home"]
    got = {canonical_url(u) for u in requested(res.log)}
    missing = set(expected_articles()) - got
    assert len(expected_articles()) == 11 and not missing, sorted(missing)
    # the categories were reached from the menu and "Xem tất cả", not only the home page's links
    assert {CAT_A, CAT_B, f"https://{HOST}/tin-tuc"} <= got
    # the dead link of category A page 2 was tried and its 404 logged with the URL
    dead = f"https://{HOST}/tin-tuc/hoi-thi-tuyen-truyen-vien-gioi-cap-huyen-12315.html"
    assert dead in got and f"HTTP 404: {dead}" in res.log


def test_long_articles_are_exported_and_nothing_else_of_another_host(crawls):
    res = crawls["home"]
    got = {r["url"]: r for r in res.records}
    for url, exp in long_articles().items():
        assert url in got, (url, sorted(got))
        assert got[url]["headline"] == exp["headline"]
        for p in exp["paragraphs"]:
            assert " ".join(p.split()) in got[url]["articleBody"]
        assert got[url]["source"]["spider"] == "portal"
    assert len(long_articles()) >= 4
    for url in got:
        assert urlsplit(url).hostname == HOST, url
        assert not is_print_link(url) and "page=" not in url, url
    assert len(got) == len(res.records)  # no article exported twice


def test_the_crawl_stays_on_the_start_host(crawls):
    res = crawls["home"]
    hosts = {urlsplit(u).hostname for u in requested(res.log)}
    assert hosts == {HOST}, hosts  # not the commune sub-portal, not www., not the newspaper
    assert res.stats.get("discovery/offsite_links", 0) >= 3
    summary = next(line for line in res.log.splitlines() if "Discovery of https://mttq-yenthe.example/" in line)
    assert "xadongtam.mttq-yenthe.example" in summary and "baobacgiang.example" in summary
    assert not any("xadongtam" in r["url"] for r in res.records)


def test_pagination_is_followed_to_its_end_and_page_1_is_fetched_once(crawls):
    res = crawls["home"]
    urls = requested(res.log)
    for page in (f"{CAT_A}?page=2", f"{CAT_A}?page=3", f"{CAT_B}?page=2"):
        assert page in urls, page
    assert not [u for u in urls if "page=1" in u]
    assert urls.count(CAT_A) == 1 and urls.count(CAT_B) == 1
    assert res.stats.get("discovery/pager_first_page", 0) >= 2  # counted, not fetched


def test_print_links_are_never_fetched(crawls):
    res = crawls["home"]
    urls = requested(res.log)
    assert f"https://{HOST}/tin-tuc/in/12333" not in urls  # the snapshot serves it: a crawl that followed it would show
    assert not [u for u in urls if is_print_link(u)]
    assert res.stats.get("discovery/print_links", 0) >= 11  # one "Bản in" per on-host article


def test_everything_not_fetched_is_counted_by_reason(crawls):
    st = crawls["home"].stats
    assert st.get("discovery/not_followed_excluded", 0) >= 1  # /lien-he
    assert st.get("discovery/pages_fetched", 0) >= 6 and st.get("discovery/not_followed_budget", 0) == 0
    assert st.get("discovery/feed_urls", 0) == 3
    assert st.get("skipped/not_article", 0) >= 6  # home, /tin-tuc, five category pages


def test_budget_counter_when_max_pages_is_1(crawls):
    res = crawls["budget"]
    urls = requested(res.log)
    assert CAT_A not in urls and CAT_B not in urls
    assert res.stats.get("discovery/pages_fetched") == 1
    assert res.stats.get("discovery/not_followed_budget", 0) > 0
    lines = [line for line in res.log.splitlines() if "Discovery budget reached (max_pages=1)" in line]
    assert len(lines) == 1 and CAT_A in lines[0]
    # the home page's own article links are not part of the budget
    home = {u for u, e in expected_articles().items() if u.rsplit("-", 1)[-1] in ("12360.html", "12355.html", "12349.html", "12352.html")}
    assert home <= {canonical_url(u) for u in urls}


def test_a_small_budget_goes_to_the_likely_listings(crawls):
    """Home + 2 pages: the two categories (menu and "Xem tất cả") before the about page, the
    document list and the photo gallery of the same menu."""
    res = crawls["budget3"]
    urls = requested(res.log)
    assert res.stats.get("discovery/pages_fetched") == 3
    assert CAT_A in urls and CAT_B in urls
    assert not {f"https://{HOST}/{p}" for p in ("gioi-thieu", "van-ban", "thu-vien-anh")} & set(urls)
    assert res.stats.get("discovery/not_followed_budget", 0) > 0


def test_since_filters_exported_records(crawls):
    res = crawls["since"]
    assert res.records
    for r in res.records:
        assert r["datePublished"] is None or r["datePublished"][:10] >= "2023-09-25", r["url"]
    got = {r["url"] for r in res.records}
    assert {u for u, e in long_articles().items() if e["datePublished"][:10] >= "2023-09-25"} <= got
    assert res.stats.get("skipped/before_since", 0) >= 1


def test_until_filters_exported_records(crawls):
    res = crawls["until"]
    assert res.records
    for r in res.records:
        assert r["datePublished"] is None or r["datePublished"][:10] <= "2023-09-30", r["url"]
    got = {r["url"] for r in res.records}
    early = {u for u, e in long_articles().items() if e["datePublished"][:10] <= "2023-09-30"}
    late = {u for u, e in long_articles().items() if e["datePublished"][:10] > "2023-09-30"}
    assert early and early <= got and not (late & got)
    assert res.stats.get("skipped/after_until", 0) >= len(late)
    assert any("After until=2023-09-30" in line for line in res.log.splitlines())


# ---------------------------------------------------------------- links of article pages
_PROSE = ("Ban Thường trực Ủy ban MTTQ Việt Nam xã tổ chức hội nghị sơ kết công tác Mặt trận, đánh giá kết quả "
          "thực hiện các cuộc vận động và phong trào thi đua yêu nước trong năm, đồng thời đề ra nhiệm vụ trọng tâm "
          "cho thời gian tới với sự tham gia của đông đảo cán bộ, hội viên và nhân dân trên địa bàn. ")


def _page(title, body, og="website"):
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:type" content="{og}"></head><body><div class="menu"><a href="/">Trang chủ</a></div>'
            f'<div class="main">{body}</div><div class="footer">© Ủy ban MTTQ xã</div></body></html>')


def _article(n, extra_links=""):
    paras = "".join(f"<p>{_PROSE}Nội dung {n}, đoạn {i}.</p>" for i in range(5))
    return _page(f"Bài {n}", f'<h1>Hội nghị sơ kết số {n}</h1><div class="date">Ngày 12/09/2023</div>'
                             f'<div class="content">{paras}</div>{extra_links}', og="article")


def _write_snapshot(snap: Path, host: str, pages: dict, extra=()):
    (snap / "pages").mkdir(parents=True, exist_ok=True)
    index = list(extra)
    for i, (path, html) in enumerate(pages.items()):
        (snap / "pages" / f"p{i}.html").write_text(html, "utf-8")
        index.append({"url": host + path, "file": f"pages/p{i}.html"})
    (snap / "index.json").write_text(json.dumps({"spider": "portal", "pages": index}), "utf-8")


def test_links_of_article_pages_are_followed(tmp_path):
    """home -> article 101 -> (only there) a category -> article 202: an article page is no dead end."""
    snap = tmp_path / "snap"
    host = "https://mini-portal.example"
    pages = {
        "/": _page("Trang chủ", '<h3><a href="/tin/hoi-nghi-101.html">Hội nghị 101</a></h3>'),
        "/tin/hoi-nghi-101.html": _article(101, '<div class="tags">Chuyên mục: <a href="/chuyen-muc/so-ket">Sơ kết</a></div>'),
        "/chuyen-muc/so-ket": _page("Sơ kết", '<h3><a href="/tin/hoi-nghi-202.html">Hội nghị 202</a></h3>'
                                              '<h3><a href="/tin/hoi-nghi-101.html">Hội nghị 101</a></h3>'),
        "/tin/hoi-nghi-202.html": _article(202),
    }
    _write_snapshot(snap, host, pages)
    res = crawl("portal", tmp_path, "-a", f"url={host}/", *DEBUG, replay=str(snap))
    assert res.returncode == 0 and "Traceback" not in res.log, res.log[-3000:]
    urls = requested(res.log)
    assert f"{host}/chuyen-muc/so-ket" in urls and f"{host}/tin/hoi-nghi-202.html" in urls
    assert {r["url"] for r in res.records} >= {f"{host}/tin/hoi-nghi-101.html", f"{host}/tin/hoi-nghi-202.html"}


def test_a_start_page_served_under_www_sets_the_spelling(tmp_path):
    """https://host/ answers 301 -> https://www.host/: the site's links are then requested on
    www.host directly (one redirect for the crawl, not one per page), and nothing leaves the site."""
    snap = tmp_path / "snap"
    pages = {
        "/": _page("Trang chủ", '<div class="menu"><a href="/chuyen-muc/tin">Tin tức</a></div>'
                                '<h3><a href="/tin/hoi-nghi-101.html">Hội nghị 101</a></h3>'),
        "/chuyen-muc/tin": _page("Tin tức", '<h3><a href="/tin/hoi-nghi-202.html">Hội nghị 202</a></h3>'
                                            '<h3><a href="https://xa.www-portal.example/tin/x-303.html">Xã</a></h3>'),
        "/tin/hoi-nghi-101.html": _article(101),
        "/tin/hoi-nghi-202.html": _article(202),
    }
    _write_snapshot(snap, "https://www.www-portal.example", pages,
                    [{"url": "https://www-portal.example/", "status": 301,
                      "headers": {"Location": "https://www.www-portal.example/"}}])
    res = crawl("portal", tmp_path, "-a", "url=https://www-portal.example/", *DEBUG, replay=str(snap))
    assert res.returncode == 0 and "Traceback" not in res.log, res.log[-3000:]
    urls = requested(res.log)
    bare = {urlsplit(u).path for u in urls if urlsplit(u).hostname == "www-portal.example"}
    assert bare <= {"/", "/robots.txt", "/sitemap.xml"}, urls  # what was asked before the redirect was seen
    assert {urlsplit(u).hostname for u in urls} == {"www-portal.example", "www.www-portal.example"}
    assert "https://www.www-portal.example/chuyen-muc/tin" in urls
    assert {r["url"] for r in res.records} >= {"https://www.www-portal.example/tin/hoi-nghi-101.html",
                                               "https://www.www-portal.example/tin/hoi-nghi-202.html"}
    assert res.stats.get("discovery/offsite_links", 0) == 1


# ---------------------------------------------------------------- pure pieces
@pytest.mark.parametrize("url", [
    "https://h.example/tin-tuc/in/12333", "https://h.example/print/12333", "https://h.example/ban-in/tin-12333.html",
    "https://h.example/tin-tuc/abc-123.html?print=1", "https://h.example/index.php?option=com_content&id=5&tmpl=component&print=1",
    "https://h.example/news/view.aspx?id=5&view=print", "https://h.example/in-bai/123",
])
def test_print_links(url):
    assert is_print_link(url)


@pytest.mark.parametrize("url", [
    "https://h.example/tin-tuc/in-dam-dau-an-mat-tran-12333.html", "https://h.example/tin-tuc/abc-123.html",
    "https://h.example/printing/abc", "https://h.example/tin-tuc?page=2",
])
def test_not_print_links(url):
    assert not is_print_link(url)


def test_page_1_pager_is_the_page_without_it():
    assert first_page_collapsed("https://h.example/tin-tuc/a?page=1") == "https://h.example/tin-tuc/a"
    assert first_page_collapsed("https://h.example/c/tin-tuc/page/1/") == "https://h.example/c/tin-tuc/"
    assert first_page_collapsed("https://h.example/list.aspx?cat=3&PageIndex=1") == "https://h.example/list.aspx?cat=3"
    assert first_page_collapsed("https://h.example/tin-tuc/a?page=2") == "https://h.example/tin-tuc/a?page=2"
    assert first_page_collapsed("https://h.example/?p=1") == "https://h.example/?p=1"  # WordPress post 1


def test_allowed_hosts_are_the_start_host_with_or_without_www():
    sp = Spider(url="https://mttq-yenthe.example/")
    assert sp.allowed("https://mttq-yenthe.example/a") and sp.allowed("http://www.mttq-yenthe.example/a")
    assert not sp.allowed("https://xadongtam.mttq-yenthe.example/a")
    assert not sp.allowed("https://mttq-yenthe.example.evil.example/a")
    sp2 = Spider(url="https://www.mttq-yenthe.example/")
    assert sp2.allowed("https://mttq-yenthe.example/a") and not sp2.allowed("https://x.www.mttq-yenthe.example/")


def test_local_dates_of_sitemaps_and_feeds():
    assert local_date("2024-03-14T20:12:40+00:00") == "2024-03-15"  # UTC evening is the next day in Hà Nội
    assert local_date("2024-03-15") == "2024-03-15"
    assert local_date("10 Oct 2023 08:15:00 +0700") == "2023-10-10"
    assert local_date("Tue, 10 Oct 2023 23:30:00 GMT") == "2023-10-11"
    assert local_date("") is None and local_date("soon") is None


def _spider(**kwargs):
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(Spider, {"LOG_LEVEL": "ERROR"})
    crawler.spider = Spider.from_crawler(crawler, url="https://h.example/", **kwargs)
    crawler.stats.open_spider()
    return crawler.spider


def test_sitemap_lastmod_and_feed_dates_prune_before_fetching():
    from scrapy.http import XmlResponse

    sp = _spider(since="2024-01-01", until="2024-02-29")
    sitemap = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               b'<url><loc>https://h.example/tin/old-1001.html</loc><lastmod>2023-12-31T10:00:00+07:00</lastmod></url>'
               b'<url><loc>https://h.example/tin/new-1002.html</loc><lastmod>2024-03-20T10:00:00+07:00</lastmod></url>'
               b'<url><loc>https://sub.h.example/tin/x-1003.html</loc></url></urlset>')
    reqs = list(sp.parse_sitemap(XmlResponse("https://h.example/sitemap.xml", body=sitemap)))
    # modified before since: published before it too; modified after until says nothing of publication
    assert [r.url for r in reqs] == ["https://h.example/tin/new-1002.html"]
    assert reqs[0].cb_kwargs["listing_date"] == "2024-03-20"
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel>'
            b'<item><link>https://h.example/tin/a-2001.html</link><pubDate>Sat, 02 Mar 2024 08:00:00 +0700</pubDate></item>'
            b'<item><link>https://h.example/tin/b-2002.html</link><pubDate>Thu, 15 Feb 2024 08:00:00 +0700</pubDate></item>'
            b'<item><link>https://h.example/tin/b-2002.html?print=1</link></item></channel></rss>')
    reqs = list(sp.parse_feed(XmlResponse("https://h.example/rss", body=feed)))
    assert [r.url for r in reqs] == ["https://h.example/tin/b-2002.html"]
    st = sp.crawler.stats
    assert st.get_value("discovery/not_followed_before_since") == 1
    assert st.get_value("discovery/not_followed_after_until") == 1
    assert st.get_value("discovery/offsite_links") == 1 and st.get_value("discovery/print_links") == 1


def test_a_page_that_declares_itself_a_listing():
    from scrapy.http import HtmlResponse

    wp = (FIXTURES / "portal_unseen" / "pages" / "chuyen-muc-tin-tuc-1.html").read_bytes()
    assert declared_listing(HtmlResponse("https://mttq-xa-anhoa.example/chuyen-muc/tin-tuc/", body=wp)) is not None
    art = next((FIXTURES / "portal_unseen" / "pages").glob("post-*.html")).read_bytes()
    assert declared_listing(HtmlResponse("https://mttq-xa-anhoa.example/2024/01/22/x/", body=art)) is None
    nxt = b'<html><head><link rel="next" href="/tin-tuc/a?page=3"></head><body></body></html>'
    assert declared_listing(HtmlResponse("https://h.example/tin-tuc/a?page=2", body=nxt)) == "declared_pagination"
    post = b'<html><head><link rel="next" href="/2024/01/23/other-post/"></head><body></body></html>'
    assert declared_listing(HtmlResponse("https://h.example/2024/01/22/post/", body=post)) is None


def test_an_html_rss_page_leads_to_its_feeds():
    from scrapy.http import HtmlResponse

    sp = _spider()
    page = (b'<html><body><h1>RSS</h1><ul><li><a href="/rss/tin-tuc.rss">Tin t\xe1\xbb\xa9c</a></li>'
            b'<li><a href="https://other.example/rss/x.rss">x</a></li><li><a href="/gioi-thieu">Gi\xe1\xbb\x9bi thi\xe1\xbb\x87u</a></li>'
            b'</ul></body></html>')
    reqs = list(sp.parse_feed(HtmlResponse("https://h.example/rss", body=page, encoding="utf-8")))
    assert [r.url for r in reqs] == ["https://h.example/rss/tin-tuc.rss"]
    assert sp.crawler.stats.get_value("discovery/offsite_links") == 1


# ---------------------------------------------------------------- a second unseen site
KRONGBONG = FIXTURES / "portal_krongbong"


def test_gzip_sub_sitemaps_query_string_articles_and_a_soft_404(tmp_path):
    """tests/fixtures/portal_krongbong (see its NOTES.md): a sitemap index naming gzip'd
    sub-sitemaps served as files, article URLs `ChiTietTin.aspx?MaTin=<id>`, two articles reachable
    only through the sitemaps, short notices, a deleted article answering 200 with its "not found"
    page, CamelCase about/contact/gallery pages. Every article is exported, nothing else."""
    from test_regressions import differences

    res = crawl("portal", tmp_path, "-a", "url=https://ubnd-krongbong.example/", replay=str(KRONGBONG))
    assert res.returncode == 0 and "Traceback" not in res.log, res.log[-3000:]
    expected = {canonical_url(e["url"]): e for e in
                (json.loads(p.read_text("utf-8")) for p in (KRONGBONG / "expected").glob("*.json"))}
    got = {r["url"]: r for r in res.records}
    assert set(got) == set(expected), (sorted(set(got) - set(expected)), sorted(set(expected) - set(got)))
    for url, exp in expected.items():
        diffs = [d for d in differences(exp, got[url]) if not d.startswith(("authors", "captions", "description"))]
        assert not diffs, (url, diffs)
    assert res.stats.get("discovery/sitemap_gzip") == 3
    assert res.stats.get("skipped/not_article/soft_404") == 1
