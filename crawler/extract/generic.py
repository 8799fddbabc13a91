"""Any page, any platform: detect the platform, refuse non-articles, extract with the best layout.

`extract_any(html, url)` is what the `portal` spider, the registry spiders without a site module,
`python -m crawler.extract` and `python -m crawler.evaluate` use.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from parsel import Selector

from .article import Extraction, extract_article
from .dates import jsonld_nodes
from .text import normalize_space

_NOISE = "header, footer, nav, aside, form, script, style, noscript, .menu, .sidebar, #sidebar, .footer, .header"
_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle"}


@dataclass
class PageKind:
    is_article: bool
    reason: str
    prose_chars: int = 0
    links_in_main: int = 0


def _jsonld_types(sel) -> set[str]:
    out = set()
    for node in jsonld_nodes(sel):
        t = node.get("@type")
        out.update(x.lower() for x in (t if isinstance(t, list) else [t]) if isinstance(x, str))
    return out


def page_kind(sel: Selector) -> PageKind:
    """Article or not: a page with one dense cluster of prose is an article; a page of many links
    with short summaries (listing, category, tag, search, home page) is not."""
    body = sel.css("body")
    if not body:
        return PageKind(False, "no_body")
    # prose clusters: paragraphs (not inside links) grouped by their parent element
    clusters: Counter = Counter()
    links_by_parent: dict = {}
    for p in body.xpath(".//p[not(ancestor::a)] | .//div[not(*) and string-length(normalize-space(.))>80]"):
        if p.xpath(f"ancestor::*[self::header or self::footer or self::nav or self::aside]"):
            continue
        text = normalize_space(p.xpath("string()").get() or "")
        link_text = normalize_space(" ".join(p.xpath(".//a//text()").getall()))
        if len(text) < 40 or len(link_text) > 0.5 * len(text):
            continue
        parent = p.xpath("..")[0]
        key = id(parent.root)
        clusters[key] += len(text)
        if key not in links_by_parent:
            links_by_parent[key] = (parent, len(parent.xpath(".//a[@href]")), len(parent.xpath(".//h2/a|.//h3/a|.//h4/a")))
    types = _jsonld_types(sel)
    og_type = (sel.css('meta[property="og:type"]::attr(content)').get() or "").lower()
    if not clusters:
        return PageKind(False, "no_prose")
    key, chars = clusters.most_common(1)[0]
    _, n_links, n_heading_links = links_by_parent[key]
    declared_article = og_type == "article" or bool(types & _ARTICLE_TYPES)
    declared_listing = og_type in ("website",) or bool(types & {"collectionpage", "itemlist", "webpage", "website"}) and not declared_article
    if n_heading_links >= 4:
        return PageKind(False, "listing_items", chars, n_links)
    if chars >= 400 and (declared_article or n_links < 15):
        return PageKind(True, "prose", chars, n_links)
    if chars >= 250 and declared_article:
        return PageKind(True, "declared_article", chars, n_links)
    return PageKind(False, "listing" if declared_listing else "little_prose", chars, n_links)


def layouts_for(platform: str):
    from ..platforms import PLATFORM_LAYOUTS

    return PLATFORM_LAYOUTS.get(platform, ())


def extract_any(html: str, url: str, *, platform: str | None = None, layouts=None,
                check_article: bool = True) -> tuple[Extraction | None, str, PageKind | None]:
    """Returns (extraction or None, platform, page kind). None when the page is not an article."""
    from ..platforms.detect import detect_platform

    sel = Selector(text=html, type="html", base_url=url)
    platform = platform or detect_platform(html, url)
    kind = page_kind(sel) if check_article else None
    if kind is not None and not kind.is_article:
        return None, platform, kind
    lays = tuple(layouts) if layouts else layouts_for(platform)
    ex = extract_article(sel, url, lays)
    if not lays:
        ex.path = "generic"
        ex.counters.pop("extract/fallback", None)
        ex.counters["extract/generic"] += 1
        ex.notes = [n for n in ex.notes if "fallback" not in n]
    return ex, platform, kind
