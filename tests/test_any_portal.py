"""Any portal: platform detection, not-an-article refusal, the extract CLI, the evaluator, the
`portal` spider on an unseen site, and the registry."""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, crawl, run_scrapy

EVAL = ROOT / "tests" / "evaluation"
UNSEEN = FIXTURES / "portal_unseen"


@pytest.fixture(scope="module")
def evaluation():
    from crawler.evaluate import evaluate

    return evaluate(EVAL)


def test_evaluation_folder_is_big_enough():
    pages = [p for p in EVAL.glob("*.html") if p.with_suffix(".json").exists()]
    arts = [p for p in pages if json.loads(p.with_suffix(".json").read_text("utf-8")).get("article", True)]
    assert len(arts) >= 12 and len(pages) > len(arts)


def test_our_extraction_beats_trafilatura(evaluation):
    ours, theirs = evaluation["summary"]["ours"], evaluation["summary"]["trafilatura"]
    assert ours["f1"] >= 0.97, json.dumps([(p["page"], p["ours"]) for p in evaluation["pages"] if p["article"]], ensure_ascii=False)
    assert ours["leaks"] == 0, [(p["page"], p["ours"]["leaks"]) for p in evaluation["pages"] if p["article"] and p["ours"]["leaks"]]
    assert ours["f1"] > theirs["f1"]
    assert ours["leaks"] < theirs["leaks"]


def test_listing_pages_yield_nothing(evaluation):
    non = [p for p in evaluation["pages"] if not p["article"]]
    assert non and not any(p["ours"]["yielded"] for p in non)


def test_dates_on_evaluation_pages(evaluation):
    dated = [p for p in evaluation["pages"] if p["article"] and p["ours"]["date_ok"] is not None]
    assert dated and all(p["ours"]["date_ok"] for p in dated), [p["page"] for p in dated if not p["ours"]["date_ok"]]


def test_extract_cli_file_and_stdin():
    page = sorted(p for p in EVAL.glob("*.html") if json.loads(p.with_suffix(".json").read_text("utf-8")).get("article", True))[0]
    meta = json.loads(page.with_suffix(".json").read_text("utf-8"))
    out = subprocess.run([sys.executable, "-m", "crawler.extract", str(page), "--url", meta["url"]], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    rec = json.loads(out.stdout)
    assert rec["headline"] and rec["articleBody"] and rec["crawl"]["platform"]
    out2 = subprocess.run([sys.executable, "-m", "crawler.extract", "-", "--url", meta["url"]], cwd=ROOT,
                          input=page.read_text("utf-8"), capture_output=True, text=True, check=True)
    assert json.loads(out2.stdout)["articleBody"] == rec["articleBody"]


def test_extract_cli_refuses_a_listing_page():
    page = next(p for p in EVAL.glob("*.html") if json.loads(p.with_suffix(".json").read_text("utf-8")).get("article", True) is False)
    meta = json.loads(page.with_suffix(".json").read_text("utf-8"))
    out = subprocess.run([sys.executable, "-m", "crawler.extract", str(page), "--url", meta["url"]], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["article"] is False


def test_portal_spider_crawls_an_unseen_site(tmp_path):
    res = crawl("portal", tmp_path, "-a", "url=https://mttq-xa-anhoa.example/", "-a", "level=xã",
                "-a", "province=Đồng Tháp", replay=str(UNSEEN))
    assert res.returncode == 0 and "Traceback" not in res.log, res.log[-3000:]
    expected = {json.loads(p.read_text("utf-8"))["url"]: json.loads(p.read_text("utf-8")) for p in (UNSEEN / "expected").glob("*.json")}
    got = {r["url"]: r for r in res.records}
    from crawler.urls import canonical_url
    assert {canonical_url(u) for u in expected} == set(got)
    for url, exp in expected.items():
        rec = got[canonical_url(url)]
        assert rec["headline"] == exp["headline"]
        assert rec["crawl"]["platform"] == "wordpress"
        for p in exp["paragraphs"]:
            assert " ".join(p.split()) in rec["articleBody"]
    assert res.stats.get("skipped/not_article", 0) >= 1
    assert res.stats.get("discovery/sitemap_urls", 0) >= 1 and res.stats.get("discovery/feed_urls", 0) >= 1


def _registry():
    return tomllib.loads((ROOT / "spiders" / "registry.toml").read_text("utf-8"))["site"]


def test_every_registry_entry_is_a_listed_spider():
    out = run_scrapy(["list"], None)
    names = set(out.stdout.split())
    for entry in _registry():
        assert entry["name"] in names
    assert "several spiders with the same name" not in out.stderr


@pytest.mark.parametrize("entry", [e for e in _registry() if e.get("snapshot")], ids=lambda e: e["name"])
def test_registry_entries_with_a_snapshot_crawl_it(entry, tmp_path):
    res = crawl(entry["name"], tmp_path, replay=str(ROOT / entry["snapshot"]))
    assert res.returncode == 0 and res.records, res.log[-2000:]
    from crawler.items import schema_validator
    for rec in res.records:
        assert not list(schema_validator().iter_errors(rec))
        assert rec["source"]["spider"] == entry["name"]


def test_a_whole_story_beside_its_topic_icon_is_no_teaser():
    """PHP-Nuke prints a story as one <font class="content"> block of <br> lines beside a linked
    topic icon: the one-or-two-block teaser rule must not take it for a listing item."""
    from crawler.evaluate import prf
    from crawler.extract.generic import extract_any

    page = ROOT / "tests" / "evaluation-open" / "phpnuke8-ncr-pgd-huongtra.html"
    meta = json.loads(page.with_suffix(".json").read_text("utf-8"))
    ex, _, kind = extract_any(page.read_bytes().decode("utf-8"), meta["url"])
    assert kind.is_article and ex is not None
    assert prf(ex.fields["articleBody"], "\n\n".join(meta["paragraphs"]))[2] >= 0.95
