"""Regression pages: article pages of the five sites' platforms that the snapshots do not hold
(other templates' variants, bylines, captions, tables, related-news blocks, date phrasings), each
with the record a careful reader expects (tests/fixtures/FORMAT.md, plus `spider`). Every bug
found on such a page is pinned here, as trafilatura keeps its regression pages.

`python -m pytest tests/test_regressions.py -q` prints, for a failing page, every field that differs.
"""
import json
import unicodedata
from pathlib import Path

import pytest

from crawler.extract.__main__ import decode_html, record_for

HERE = Path(__file__).resolve().parent / "regressions"
PAGES = sorted(HERE.glob("*/*.json"))


def norm(s):
    return unicodedata.normalize("NFC", " ".join(s.split())) if isinstance(s, str) else s


def differences(exp: dict, rec: dict) -> list[str]:
    out = []
    if rec.get("article") is False:
        return [f"not extracted: {rec.get('reason')}"]
    if norm(rec.get("headline")) != norm(exp["headline"]):
        out.append(f"headline: {rec.get('headline')!r} != {exp['headline']!r}")
    if rec.get("datePublished") != exp.get("datePublished"):
        out.append(f"datePublished: {rec.get('datePublished')!r} (raw {rec.get('datePublishedRaw')!r}, "
                   f"{rec.get('datePublishedSource')}) != {exp.get('datePublished')!r}")
    if "datePublishedRaw" in exp and rec.get("datePublishedRaw") != exp["datePublishedRaw"]:
        out.append(f"datePublishedRaw: {rec.get('datePublishedRaw')!r} != {exp['datePublishedRaw']!r}")
    names = [a["name"] for a in rec.get("authors") or []]
    if names != exp.get("authors", []):
        out.append(f"authors: {names} != {exp.get('authors', [])}")
    if "description" in exp and norm(rec.get("description")) != norm(exp["description"]):
        out.append(f"description: {rec.get('description')!r} != {exp['description']!r}")
    got = [norm(p) for p in (rec.get("articleBody") or "").split("\n\n") if p]
    want = [norm(p) for p in exp["paragraphs"]]
    if got != want:
        missing = [p for p in want if p not in got]
        extra = [p for p in got if p not in want]
        out.append(f"articleBody: {len(got)} paragraphs, expected {len(want)}; missing {missing[:5]}; "
                   f"unexpected {extra[:5]}" + ("; order differs" if not missing and not extra else ""))
    captions = [norm(i["caption"]) for i in rec.get("images") or [] if i.get("caption")]
    if "captions" in exp and captions != [norm(c) for c in exp["captions"]]:
        out.append(f"captions: {captions} != {exp['captions']}")
    if "imageUrls" in exp and [i["url"] for i in rec.get("images") or []] != exp["imageUrls"]:
        out.append(f"images: {[i['url'] for i in rec.get('images') or []]} != {exp['imageUrls']}")
    if "videos" in exp and [(v["url"], norm(v["caption"])) for v in rec.get("videos") or []] != \
            [(v["url"], norm(v["caption"])) for v in exp["videos"]]:
        out.append(f"videos: {rec.get('videos')} != {exp['videos']}")
    if "attachments" in exp:
        atts = [(a["url"], norm(a["text"])) for a in rec.get("attachments") or []]
        if atts != [(a["url"], norm(a["text"])) for a in exp["attachments"]]:
            out.append(f"attachments: {atts} != {exp['attachments']}")
    body = rec.get("articleBody") or ""
    for chrome in exp.get("absent", []):
        if chrome.strip() and chrome in body:
            out.append(f"chrome in the body: {chrome!r}")
    for c in captions:
        if c in body.split("\n\n"):
            out.append(f"caption also in the body: {c!r}")
    return out


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.name}/{p.stem}" for p in PAGES])
def test_regression_page(page):
    exp = json.loads(page.read_text("utf-8"))
    spider = exp.get("spider") or page.parent.name
    html = decode_html(page.with_suffix(".html").read_bytes())
    rec = record_for(html, exp["url"], spider=spider)
    diffs = differences(exp, rec)
    assert not diffs, "\n".join(diffs)


def test_there_are_regression_pages_for_every_site():
    assert {p.parent.name for p in PAGES} >= {"dongnai_mattran", "hongngu_thanhuy", "huyenuy", "liemhai", "baobackan"}
