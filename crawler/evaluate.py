"""`python -m crawler.evaluate DIR`: score extraction over a folder of pages, ours beside trafilatura.

Each `NAME.html` has a `NAME.json` beside it: `url`, `headline`, `paragraphs`, optional
`datePublished`, `boilerplate` (strings that must not appear in the body), optional
`"article": false` for pages that are not articles (listing, home page: they must yield nothing).

Prints per page and overall: token precision, recall and F1 of articleBody against the paragraphs,
boilerplate leaks, date correctness; `--json` prints the same as JSON.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter:
    import unicodedata

    return Counter(_TOKEN.findall(unicodedata.normalize("NFC", text or "").lower()))


def prf(predicted: str, expected: str) -> tuple[float, float, float]:
    p, e = tokens(predicted), tokens(expected)
    overlap = sum((p & e).values())
    precision = overlap / sum(p.values()) if p else (1.0 if not e else 0.0)
    recall = overlap / sum(e.values()) if e else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def leaks(body: str, boilerplate) -> list[str]:
    import unicodedata

    b = unicodedata.normalize("NFC", body or "")
    return [s for s in boilerplate or () if s and s in b]


def ours(html: str, url: str):
    from .extract.generic import extract_any

    ex, platform, kind = extract_any(html, url)
    if ex is None:
        return None, None, platform
    return ex.fields.get("articleBody") or "", ex.fields.get("datePublished"), platform


def theirs(html: str, url: str):
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if not doc:
        return None, None
    body = doc.text if hasattr(doc, "text") else doc.get("text")
    date = doc.date if hasattr(doc, "date") else doc.get("date")
    return body or None, date


def evaluate(folder: Path) -> dict:
    pages = []
    for html_path in sorted(folder.glob("*.html")):
        meta_path = html_path.with_suffix(".json")
        if not meta_path.exists():
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        from .extract.__main__ import decode_html

        html = decode_html(html_path.read_bytes())  # as the crawler decodes: BOM, <meta charset>, detection
        url = meta["url"]
        is_article = meta.get("article", True)
        row = {"page": html_path.stem, "article": is_article, "platform": meta.get("platform")}
        o_body, o_date, detected = ours(html, url)
        t_body, t_date = theirs(html, url)
        row["detected"] = detected
        if not is_article:
            row["ours"] = {"yielded": o_body is not None}
            row["trafilatura"] = {"yielded": bool(t_body)}
        else:
            expected = "\n\n".join(meta["paragraphs"])
            exp_date = meta.get("datePublished")
            for label, body, date in (("ours", o_body, o_date), ("trafilatura", t_body, t_date)):
                p, r, f = prf(body or "", expected)
                row[label] = {
                    "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                    "leaks": leaks(body or "", meta.get("boilerplate")),
                    "date_ok": None if not exp_date else bool(date) and str(date)[:10] == exp_date[:10],
                    "yielded": body is not None,
                }
                if label == "ours" and exp_date and date:
                    row[label]["datetime_ok"] = date == exp_date
        pages.append(row)
    summary = {}
    for label in ("ours", "trafilatura"):
        arts = [p[label] for p in pages if p["article"]]
        non = [p[label] for p in pages if not p["article"]]
        dated = [a for a in arts if a["date_ok"] is not None]
        summary[label] = {
            "pages": len(arts),
            "precision": round(sum(a["precision"] for a in arts) / len(arts), 4) if arts else 0,
            "recall": round(sum(a["recall"] for a in arts) / len(arts), 4) if arts else 0,
            "f1": round(sum(a["f1"] for a in arts) / len(arts), 4) if arts else 0,
            "leaks": sum(len(a["leaks"]) for a in arts),
            "dates_correct": f"{sum(1 for a in dated if a['date_ok'])}/{len(dated)}",
            "non_articles_yielded": sum(1 for n in non if n["yielded"]),
            "non_articles": len(non),
        }
    return {"pages": pages, "summary": summary}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    res = evaluate(args.folder)
    if args.json:
        json.dump(res, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print(f"{'page':34} {'platform':14} | {'ours P/R/F1':20} leaks date | {'trafilatura P/R/F1':20} leaks date")
    for p in res["pages"]:
        if not p["article"]:
            print(f"{p['page'][:34]:34} {str(p['platform'])[:14]:14} | not an article: ours yielded={p['ours']['yielded']}"
                  f"  trafilatura yielded={p['trafilatura']['yielded']}")
            continue
        o, t = p["ours"], p["trafilatura"]
        fmt = lambda x: f"{x['precision']:.2f}/{x['recall']:.2f}/{x['f1']:.3f}"  # noqa: E731
        print(f"{p['page'][:34]:34} {str(p['platform'])[:14]:14} | {fmt(o):20} {len(o['leaks']):5} {str(o['date_ok']):5}"
              f"| {fmt(t):20} {len(t['leaks']):5} {str(t['date_ok']):5}")
    for label, s in res["summary"].items():
        print(f"OVERALL {label:12} P={s['precision']:.3f} R={s['recall']:.3f} F1={s['f1']:.3f} leaks={s['leaks']} "
              f"dates={s['dates_correct']} non-articles yielded={s['non_articles_yielded']}/{s['non_articles']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
