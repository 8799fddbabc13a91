"""WARC recording, re-extraction by replaying the WARC, and Internet Archive (Wayback) crawls
over recorded CDX answers and captures."""
import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, crawl


def key(rec):
    return (rec["url"], rec["headline"], rec["articleBody"], rec["datePublished"])


def test_warc_recording_and_replay_reproduce_the_articles(tmp_path):
    warc = tmp_path / "x.warc.gz"
    (tmp_path / "a").mkdir()
    a = crawl("baobackan", tmp_path / "a", "-s", f"WARC_OUTPUT={warc}")
    assert a.returncode == 0 and a.records
    check = subprocess.run([sys.executable, "-m", "warcio", "check", str(warc)], capture_output=True, text=True)
    if check.returncode != 0 and "No module named warcio.__main__" in check.stderr:
        check = subprocess.run(["warcio", "check", str(warc)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    from warcio.archiveiterator import ArchiveIterator

    ids, types = {}, []
    with open(warc, "rb") as fh:
        for rec in ArchiveIterator(fh):
            types.append(rec.rec_type)
            if rec.rec_type == "response":
                ids[rec.rec_headers.get_header("WARC-Record-ID").strip("<>")] = rec.rec_headers.get_header("WARC-Target-URI")
                assert rec.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
            if rec.rec_type == "request":
                assert rec.rec_headers.get_header("WARC-Concurrent-To")
            if rec.rec_type == "warcinfo":
                assert b"vn-public-news-crawler" in rec.content_stream().read()
    assert types[0] == "warcinfo" and "request" in types
    for r in a.records:
        assert r["crawl"]["warcRecordId"].startswith("urn:uuid:")
        assert r["crawl"]["warcRecordId"] in ids and r["crawl"]["warcFile"] == "x.warc.gz"
    (tmp_path / "b").mkdir()
    b = crawl("baobackan", tmp_path / "b", replay=str(warc))
    assert b.returncode == 0
    assert sorted(map(key, a.records)) == sorted(map(key, b.records))
    # re-extracted records still point at the original bytes
    assert {r["crawl"]["warcRecordId"] for r in b.records} == {r["crawl"]["warcRecordId"] for r in a.records}


def test_warc_rotation_by_size(tmp_path):
    warc = tmp_path / "r.warc.gz"
    res = crawl("liemhai", tmp_path, "-s", f"WARC_OUTPUT={warc}", "-s", "WARC_MAX_SIZE=4000")
    assert res.returncode == 0
    files = sorted(tmp_path.glob("r*.warc.gz"))
    assert len(files) >= 2
    assert {r["crawl"]["warcFile"] for r in res.records} <= {f.name for f in files}


@pytest.mark.parametrize("site", ["baobackan", "hongngu_thanhuy", "huyenuy"])
def test_wayback_source_yields_articles_with_capture_provenance(site, tmp_path):
    folder = FIXTURES / "wayback" / site
    assert (folder / "index.json").exists()
    res = crawl(site, tmp_path, "-s", "SOURCE=wayback")
    assert res.returncode == 0, res.log[-2000:]
    assert "Traceback" not in res.log
    assert len(res.records) >= 2
    expected_dir = FIXTURES / site / "expected"
    heads = {json.loads(p.read_text("utf-8"))["headline"] for p in expected_dir.glob("*.json")}
    heads |= {json.loads(p.read_text("utf-8"))["headline"] for p in (folder / "expected").glob("*.json")}
    for r in res.records:
        c = r["crawl"]
        assert c["archiveSource"] == "wayback"
        assert c["archiveCaptureUrl"].startswith("https://web.archive.org/web/") and "id_/" in c["archiveCaptureUrl"]
        assert c["archiveCaptureTime"].endswith("Z")
        assert "web.archive.org" not in r["url"]
        assert r["headline"] in heads
    assert res.stats.get("wayback/skipped_not_article", 0) + res.stats.get("wayback/skipped_not_html_200", 0) >= 1


def test_layout_version_chosen_by_capture_date(tmp_path):
    """hongngu_thanhuy ran Liferay 6.2 until 2020: a 2019 capture is read with that layout."""
    exp = json.loads((FIXTURES / "wayback" / "hongngu_thanhuy" / "expected" / "capture-2019.json").read_text("utf-8"))
    res = crawl("hongngu_thanhuy", tmp_path, "-s", "SOURCE=wayback")
    old = [r for r in res.records if r["headline"] == exp["headline"]]
    assert len(old) == 1
    rec = old[0]
    assert rec["crawl"]["layout"] == exp["layout"]
    assert rec["datePublished"] == exp["datePublished"]
    assert rec["articleBody"].split("\n\n") == exp["paragraphs"]
    assert [a["name"] for a in rec["authors"]] == exp["authors"]
    new = [r for r in res.records if r["headline"] != exp["headline"]]
    assert new and all(r["crawl"]["layout"] == "liferay_asset_publisher" for r in new)


# ---------------------------------------------------------------- WARC files are never overwritten
def warc_response_ids(folder):
    """{WARC-Record-ID of every response record: the file holding it}, over every WARC in folder."""
    from warcio.archiveiterator import ArchiveIterator

    ids = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response":
                    ids[rec.rec_headers.get_header("WARC-Record-ID").strip("<>")] = path.name
    return ids


def warcio_check(path):
    return subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", str(path)],
                          capture_output=True, text=True)


def test_a_second_crawl_never_overwrites_an_earlier_warc(tmp_path):
    """Two crawls with the same WARC_OUTPUT (rotated): the second writes the next free serials, the
    first crawl's files are untouched, and both crawls' records point at the file holding them."""
    import hashlib

    folder = tmp_path / "warc"
    warc = folder / "r.warc.gz"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = crawl("liemhai", tmp_path / "a", "-s", f"WARC_OUTPUT={warc}", "-s", "WARC_MAX_SIZE=4000")
    assert a.returncode == 0 and a.records
    first = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert len(first) >= 2 and "r.warc.gz" in first
    b = crawl("liemhai", tmp_path / "b", "-s", f"WARC_OUTPUT={warc}", "-s", "WARC_MAX_SIZE=4000")
    assert b.returncode == 0 and b.records
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.name in first} == first
    second = sorted(set(p.name for p in folder.iterdir()) - set(first))
    assert second and {r["crawl"]["warcFile"] for r in b.records} <= set(second)
    serials = sorted(int(n[len("r-"):-len(".warc.gz")]) for n in first if n != "r.warc.gz")
    assert second[0] == f"r-{serials[-1] + 1:05d}.warc.gz", "the next free serial"
    assert f"r.warc.gz exists and is never overwritten: writing {folder / second[0]}" in b.log
    ids = warc_response_ids(folder)
    for r in a.records + b.records:
        assert ids.get(r["crawl"]["warcRecordId"]) == r["crawl"]["warcFile"], r["url"]
    for p in folder.iterdir():
        check = warcio_check(p)
        assert check.returncode == 0, check.stdout + check.stderr


# ---------------------------------------------------------------- fetchedAt: one form, WARC-Date on replay
def test_fetched_at_has_one_form_and_is_the_warc_date_on_replay(tmp_path):
    import re
    from datetime import datetime

    from warcio.archiveiterator import ArchiveIterator

    form = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
    warc = tmp_path / "f.warc.gz"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = crawl("baobackan", tmp_path / "a", "-s", f"WARC_OUTPUT={warc}")
    assert a.returncode == 0 and a.records
    dates = {}
    with open(warc, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                dates[rec.rec_headers.get_header("WARC-Record-ID").strip("<>")] = rec.rec_headers.get_header("WARC-Date")
    b = crawl("baobackan", tmp_path / "b", replay=str(warc))
    assert b.returncode == 0 and len(b.records) == len(a.records)
    for r in a.records + b.records:
        assert form.fullmatch(r["crawl"]["fetchedAt"]), r["crawl"]["fetchedAt"]
    for r in b.records:
        warc_date = datetime.strptime(dates[r["crawl"]["warcRecordId"]], "%Y-%m-%dT%H:%M:%SZ")
        assert r["crawl"]["fetchedAt"] == warc_date.strftime("%Y-%m-%dT%H:%M:%S+00:00")


# ---------------------------------------------------------------- Wayback: redirects, bad CDX rows
POST59315 = "https://baobackan.vn/uy-ban-mttq-tinh-bac-kan-trien-khai-nhiem-vu-cong-tac-quy-ii2023-post59315.html"


def wayback_variant(tmp_path, change):
    import shutil

    folder = tmp_path / "snap" / "wayback" / "baobackan"
    shutil.copytree(FIXTURES / "wayback" / "baobackan", folder)
    index = json.loads((folder / "index.json").read_text("utf-8"))
    change(folder, index["pages"])
    (folder / "index.json").write_text(json.dumps(index), "utf-8")
    return tmp_path / "snap"


def test_wayback_capture_redirected_to_another_capture_names_the_one_served(tmp_path):
    """web.archive.org answers a timestamp it does not hold with a 302 to the nearest capture: the
    record names the capture actually read (time and URL), not the one asked for."""
    asked = f"https://web.archive.org/web/20230325083012id_/{POST59315}"
    served = f"https://web.archive.org/web/20230401000000id_/{POST59315}"

    def redirect(folder, pages):
        page = next(p for p in pages if p["url"] == asked)
        pages.append(dict(page, url=served, headers=dict(page["headers"], **{"Memento-Datetime": "Sat, 01 Apr 2023 00:00:00 GMT"})))
        page.pop("file")
        page.update(status=302, headers={"Location": served})

    res = crawl("baobackan", tmp_path, "-s", "SOURCE=wayback", replay=str(wayback_variant(tmp_path, redirect)))
    assert res.returncode == 0, res.log[-2000:]
    rec = next(r for r in res.records if r["url"] == POST59315)
    assert rec["crawl"]["archiveCaptureTime"] == "2023-04-01T00:00:00Z"
    assert rec["crawl"]["archiveCaptureUrl"] == served
    other = next(r for r in res.records if r["url"] != POST59315)
    assert other["crawl"]["archiveCaptureTime"] == "2023-03-29T02:15:44Z"
    assert res.stats.get("wayback/capture_redirected") == 1


def test_wayback_cdx_row_with_a_malformed_timestamp_is_skipped_not_fatal(tmp_path):
    def bad_row(folder, pages):
        cdx = json.loads((folder / "pages" / "cdx.json").read_text("utf-8"))
        cdx.insert(1, ["2023-03-25", "https://baobackan.vn/bai-loi-dau-thoi-gian-post1.html", "200", "text/html", "X" * 32])
        (folder / "pages" / "cdx.json").write_text(json.dumps(cdx), "utf-8")

    res = crawl("baobackan", tmp_path, "-s", "SOURCE=wayback", replay=str(wayback_variant(tmp_path, bad_row)))
    assert res.returncode == 0
    assert "Traceback" not in res.log and not res.stats.get("spider_exceptions/count")
    assert res.stats.get("wayback/bad_row") == 1
    assert "Wayback CDX row skipped" in res.log and "2023-03-25" in res.log
    assert len(res.records) == 2, "every other capture is still crawled"


# ---------------------------------------------------------------- Wayback: paged CDX, host spellings
def test_wayback_one_capture_per_url_is_chosen_over_every_cdx_page(tmp_path):
    """WAYBACK_PAGE_SIZE pages the CDX listing: the newest capture of a URL is the newest of all
    pages, not of the page it happens to be on (a 2024 capture on page 2 beats a 2023 one on page 1)."""
    from crawler.archive.wayback import cdx_url

    old = f"https://web.archive.org/web/20230325083012id_/{POST59315}"
    new = f"https://web.archive.org/web/20240101000000id_/{POST59315}"

    def paged(folder, pages):
        cdx = json.loads((folder / "pages" / "cdx.json").read_text("utf-8"))
        header, rows = cdx[0], [r for r in cdx[1:] if "post59" in r[1]]
        row59315 = next(r for r in rows if "post59315" in r[1])
        page1 = [header, *rows, [], ["RESUME1"]]
        page2 = [header, ["20240101000000", *row59315[1:]]]
        (folder / "pages" / "cdx-1.json").write_text(json.dumps(page1), "utf-8")
        (folder / "pages" / "cdx-2.json").write_text(json.dumps(page2), "utf-8")
        cdx_page = next(p for p in pages if p["url"].startswith("https://web.archive.org/cdx/"))
        pages.append(dict(cdx_page, url=cdx_url("baobackan.vn/*", page_size=2), file="pages/cdx-1.json"))
        pages.append(dict(cdx_page, url=cdx_url("baobackan.vn/*", page_size=2, resume_key="RESUME1"),
                          file="pages/cdx-2.json"))
        capture = next(p for p in pages if p["url"] == old)
        pages.append(dict(capture, url=new, headers=dict(capture["headers"], **{"Memento-Datetime": "Mon, 01 Jan 2024 00:00:00 GMT"})))

    res = crawl("baobackan", tmp_path, "-s", "SOURCE=wayback", "-s", "WAYBACK_PAGE_SIZE=2",
                replay=str(wayback_variant(tmp_path, paged)))
    assert res.returncode == 0, res.log[-2000:]
    recs = [r for r in res.records if r["url"] == POST59315]
    assert len(recs) == 1 and recs[0]["crawl"]["archiveCaptureTime"] == "2024-01-01T00:00:00Z"
    assert recs[0]["crawl"]["archiveCaptureUrl"] == new
    assert len(res.records) == 2 and not res.stats.get("dropped/duplicate")
    assert res.stats.get("wayback/captures_requested") == 2, "the older capture is never fetched"


def test_wayback_capture_filed_under_the_host_without_www_is_the_same_site(tmp_path):
    """The archive files a capture under the spelling its crawler used: http://host/a is
    http://www.host/a. It is crawled, named with the site's spelling; a capture of another site is
    skipped with a counter and a log line naming it."""
    import shutil

    folder = tmp_path / "snap" / "wayback" / "huyenuy"
    shutil.copytree(FIXTURES / "wayback" / "huyenuy", folder)
    index = json.loads((folder / "index.json").read_text("utf-8"))
    for p in index["pages"]:
        p["url"] = p["url"].replace("id_/http://www.huyenuy.example/", "id_/http://huyenuy.example/")
    (folder / "index.json").write_text(json.dumps(index), "utf-8")
    cdx = json.loads((folder / "pages" / "cdx.json").read_text("utf-8"))
    for row in cdx[1:]:
        row[1] = row[1].replace("http://www.huyenuy.example/", "http://huyenuy.example/")
    other = "http://tinhuy.example/tin-tuc/bai-cua-trang-khac-1400.html"
    cdx.append(["20230415080000", other, "200", "text/html", "OTHERDIGEST"])
    (folder / "pages" / "cdx.json").write_text(json.dumps(cdx), "utf-8")

    res = crawl("huyenuy", tmp_path, "-s", "SOURCE=wayback", replay=str(tmp_path / "snap"))
    assert res.returncode == 0, res.log[-2000:]
    urls = sorted(r["url"] for r in res.records)
    assert len(urls) == 2 and all(u.startswith("https://www.huyenuy.example/tin-tuc/") for u in urls), urls
    rec = next(r for r in res.records if r["url"].endswith("-1288.html"))
    assert rec["crawl"]["archiveCaptureUrl"].endswith("id_/http://huyenuy.example/tin-tuc/huyen-uy-so-ket-cong-tac-quy-i-1288.html")
    assert res.stats.get("wayback/skipped_offsite") == 1
    assert "capture of another site skipped" in res.log and other in res.log


# ---------------------------------------------------------------- replaying a WARC while recording one
def test_replaying_a_warc_while_recording_a_new_one_keeps_fetched_at_and_warc_date_together(tmp_path):
    """-s REPLAY=a.warc.gz -s WARC_OUTPUT=b.warc.gz: each record names its response record in
    b.warc.gz, and that record's WARC-Date is the record's fetchedAt: the original capture time
    (the bytes were captured then), carried over from a.warc.gz."""
    import time
    from datetime import datetime

    from warcio.archiveiterator import ArchiveIterator

    def responses(path):
        out = {}
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type in ("response", "request"):
                    out.setdefault(rec.rec_type, {})[rec.rec_headers.get_header("WARC-Target-URI")] = (
                        rec.rec_headers.get_header("WARC-Record-ID").strip("<>"), rec.rec_headers.get_header("WARC-Date"))
        return out

    a_warc, b_warc = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = crawl("liemhai", tmp_path / "a", "-s", f"WARC_OUTPUT={a_warc}")
    assert a.returncode == 0 and a.records
    time.sleep(1.1)  # the second crawl's clock is at least a second later
    b = crawl("liemhai", tmp_path / "b", "-s", f"WARC_OUTPUT={b_warc}", replay=str(a_warc))
    assert b.returncode == 0 and len(b.records) == len(a.records)
    assert warcio_check(b_warc).returncode == 0
    in_a, in_b = responses(a_warc), responses(b_warc)
    by_id = {rid: date for rid, date in in_b["response"].values()}
    fetched_a = {r["url"]: r["crawl"]["fetchedAt"] for r in a.records}
    for r in b.records:
        c = r["crawl"]
        assert c["warcFile"] == "b.warc.gz" and c["warcRecordId"] in by_id
        warc_date = datetime.strptime(by_id[c["warcRecordId"]], "%Y-%m-%dT%H:%M:%SZ")
        assert c["fetchedAt"] == warc_date.strftime("%Y-%m-%dT%H:%M:%S+00:00"), r["url"]
        assert c["fetchedAt"] == fetched_a[r["url"]], "the original capture time"
    for uri, (_rid, date) in in_b["response"].items():
        assert date == in_a["response"][uri][1]
        assert in_b["request"][uri][1] == date
