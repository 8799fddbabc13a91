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
