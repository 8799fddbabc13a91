"""Any page, any platform: detect the platform, refuse non-articles, extract with the best layout.

`extract_any(html, url)` is what the `portal` spider, the registry spiders without a site module,
`python -m crawler.extract` and `python -m crawler.evaluate` use.
"""
from __future__ import annotations

from collections import Counter
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsel import Selector

from .article import Extraction, extract_article
from .dates import jsonld_nodes
from .text import normalize_space
from ..urls import is_home_url

_NOISE = "header, footer, nav, aside, form, script, style, noscript, .menu, .sidebar, #sidebar, .footer, .header"
_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle"}


_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# "Trang không tồn tại" (page does not exist), "Không tìm thấy trang" (page not found), "Bài viết
# không tồn tại hoặc đã bị xóa" (article missing or deleted), "Lỗi 404", "Không có dữ liệu" (no data)
_SOFT_404 = re.compile(r"\b404\b|không\s+tồn\s+tại|không\s+tìm\s+thấy|đã\s+bị\s+(?:xóa|xoá|gỡ)|page\s+not\s+found|not\s+found|"
                       r"trang\s+lỗi|lỗi\s+truy\s+cập|error\s+page|không\s+có\s+(?:bài\s+viết|dữ\s+liệu|nội\s+dung|tin)", re.I)
_SOFT_404_HEADING = re.compile(r"<h[12][^>]*>\s*(?:<[^>]+>\s*)*(?:404\b|lỗi\s+404|trang\s+không\s+tồn\s+tại|không\s+tìm\s+thấy|"
                               r"(?:bài\s+viết|nội\s+dung|tin\s+bài|trang)\s+(?:không\s+tồn\s+tại|đã\s+bị\s+(?:xóa|xoá|gỡ))|"
                               r"không\s+có\s+(?:bài\s+viết|dữ\s+liệu|nội\s+dung)|page\s+not\s+found)", re.I)
# "Đăng nhập" (log in), "Đăng nhập hệ thống"
_LOGIN = re.compile(r"đăng\s+nhập|login|sign\s+in", re.I)


def error_page_kind(html: str, size: int | None = None) -> str | None:
    """`soft_404` for a page (served 200) that says the article does not exist, `login_page` for
    a login form; None for anything else. Reads the <title> and the first headings."""
    head = html[:30000]
    title = _TITLE_TAG.search(head)
    title_text = " ".join(title.group(1).split()) if title else ""
    small = (size if size is not None else len(html)) < 60000
    if _SOFT_404.search(title_text) or (small and _SOFT_404_HEADING.search(head)):
        return "soft_404"
    if _LOGIN.search(title_text) and re.search(r"type=[\"']?password", head, re.I):
        return "login_page"
    return None


@dataclass
class PageKind:
    is_article: bool
    reason: str
    prose_chars: int = 0
    links_in_main: int = 0
    main: object = None  # the element holding the densest prose: the generic path's body


def _jsonld_types(sel) -> set[str]:
    out = set()
    for node in jsonld_nodes(sel):
        t = node.get("@type")
        out.update(x.lower() for x in (t if isinstance(t, list) else [t]) if isinstance(x, str))
    return out


_BLOCKS = frozenset("p div td li article section blockquote dd main center".split())  # <font> is inline
_SKIP_KIND = frozenset("script style noscript header footer nav aside select option button marquee".split())


def _prose_clusters(body):
    """Text grouped by its nearest block element, then blocks grouped by their parent.

    Returns {parent element: (prose chars, links, heading links)} over blocks of >= 40 chars whose
    text is mostly not link text: one dense cluster is an article body; listings and home pages
    spread short summaries over many item containers, or are mostly links."""
    block_text: dict = {}
    block_links: dict = {}
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in _SKIP_KIND or any(isinstance(a.tag, str) and a.tag.lower() in _SKIP_KIND for a in el.iterancestors()):
            continue
        in_link = tag == "a" or any(a.tag == "a" for a in el.iterancestors())
        for text, owner in ((el.text, el), (el.tail, el.getparent())):
            if not text or owner is None or not text.strip():
                continue
            blk = owner
            while blk is not None and not (isinstance(blk.tag, str) and blk.tag.lower() in _BLOCKS):
                blk = blk.getparent()
            if blk is None:
                continue
            n = len(text.strip())
            block_text[blk] = block_text.get(blk, 0) + n
            link = in_link if owner is el else any(a.tag == "a" for a in owner.iterancestors()) or owner.tag == "a"
            if link:
                block_links[blk] = block_links.get(blk, 0) + n
    clusters: dict = {}
    for blk, n in block_text.items():
        if n < 40 or block_links.get(blk, 0) > 0.5 * n:
            continue
        parent = blk.getparent() if blk.getparent() is not None else blk
        if parent.tag == "details" and parent.getparent() is not None:
            # a disclosure box's answer (a FAQ of <details>) counts with the text around it
            parent = parent.getparent()
        c = clusters.setdefault(parent, [0, 0, 0, 0])
        prose = n - block_links.get(blk, 0)
        c[0] += prose
        c[3] += 1  # blocks of prose

    for parent, c in clusters.items():
        c[1] = len(parent.findall(".//a[@href]"))
        c[2] = len(parent.xpath(".//h2/a|.//h3/a|.//h4/a|.//h5/a"))
    return clusters


_READMORE = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' readmore ') or contains(@class, 'read-more')"
    " or starts-with(normalize-space(.), 'Đọc thêm') or starts-with(normalize-space(.), 'Xem tiếp')"
    " or starts-with(normalize-space(.), 'Read more') or ../@class='readmore']")
_HEADING_LINKS = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6][.//a[@href]][not(ancestor::aside or ancestor::nav or ancestor::header"
    " or ancestor::footer)]")


def _widen(main, clusters: dict, links: int):
    """An article split over sibling text boxes of one template (Google Sites tiles, page-builder
    columns): other prose clusters whose container has the same tag and class join it, through
    their lowest common ancestor, unless that ancestor brings in a mass of links."""
    cls = main.get("class")
    if not cls and main.tag not in ("section", "div"):
        return main
    # boxes of one template: the same tag and class; classless <section>s (an <article> built of
    # sections) count as one template too
    same = [p for p, c in clusters.items() if p is not main and c[0] >= 80 and p.tag == main.tag and p.get("class") == cls
            and (cls or any(a.tag in ("article", "main") for a in p.iterancestors()))]
    if not same:
        return main
    mine = [main] + list(main.iterancestors())
    best = main
    for other in same:
        theirs = set(other.iterancestors())
        lca = next((a for a in mine if a in theirs), None)
        if lca is None or lca.tag in ("body", "html"):
            continue  # a box elsewhere on the page (footer, sidebar) with the same class
        if len(lca.findall(".//a[@href]")) > links + 15 or len(_HEADING_LINKS(lca)) >= 3:
            continue
        if mine.index(lca) > mine.index(best):
            best = lca
    return best


_TEASER_LINKS = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    ".//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5]//a[@href] | .//a[@href][contains(@class, 'title')]"
    " | .//a[@href][.//img]")
_IMAGE_HREF = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp)(?:$|\?)", re.I)


def _is_teaser(parent, n_blocks: int, chars: int = 0) -> bool:
    """A listing's item: one or two blocks of excerpt beside a headline or thumbnail link to
    another page. An article body holds its text, not a link to it; an old CMS printing a whole
    story in one or two <br>-separated blocks beside its topic's icon (PHP-Nuke) is no excerpt:
    past a few hundred characters only a headline link with words makes one a teaser."""
    if n_blocks > 2:
        return False
    for a in _TEASER_LINKS(parent):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")) and not _IMAGE_HREF.search(href):
            if chars > 700 and not normalize_space(a.text_content()):
                continue
            return True
    return False


def _enclosing_prose(parent, clusters: dict) -> int:
    """Prose of the clusters just around the main one (a lead or summary block in the parent or
    grandparent container): a short article is its lead plus a few paragraphs."""
    extra = 0
    anc = parent.getparent()
    for _ in range(2):
        if anc is None or anc.tag in ("body", "html"):
            break
        if anc in clusters:
            extra += clusters[anc][0]
        anc = anc.getparent()
    return extra


def page_kind(sel: Selector, expect_article: bool = False) -> PageKind:
    """Article or not: a page with one dense cluster of prose is an article; a page of many links
    with short summaries (listing, category, tag, search, home page) is not."""
    body = sel.root.find("body") if hasattr(sel.root, "find") else None
    if body is None:
        return PageKind(False, "no_body")
    clusters = _prose_clusters(body)
    types = _jsonld_types(sel)
    og_type = (sel.css('meta[property="og:type"]::attr(content)').get() or "").lower()
    if not clusters:
        return PageKind(False, "no_prose")
    parent, (chars, n_links, n_heading_links, n_blocks) = max(clusters.items(), key=lambda kv: kv[1][0])
    if _is_teaser(parent, n_blocks, chars):
        return PageKind(False, "listing_teaser", chars, n_links)
    # the same excerpt box three times or more (a theme's loop of posts), one or two blocks each
    cls = parent.get("class")
    if cls and n_blocks <= 2 and sum(1 for p, c in clusters.items()
                                     if p.tag == parent.tag and p.get("class") == cls and c[3] <= 2) >= 3:
        return PageKind(False, "listing_excerpts", chars, n_links)
    parent = _widen(parent, clusters, n_links)
    # JSON-LD names the page's kind more reliably than og:type (themes print og:type=article on
    # category pages)
    jsonld_listing = bool(types & {"collectionpage", "itemlist", "searchresultspage"}) and not types & _ARTICLE_TYPES
    # og:type video.* is a video story: an article whose subject is its player
    declared_article = ((og_type == "article" or og_type.startswith("video")) and not jsonld_listing) \
        or bool(types & _ARTICLE_TYPES) or bool(types & {"videoobject"} and not jsonld_listing)
    for anc in (parent, *parent.iterancestors()):
        look = ((anc.get("class") or "") + " " + (anc.get("id") or "")).lower() if isinstance(anc.tag, str) else ""
        if re.search(r"\b(?:com-contact|view-contact|contact-page|lien-?he)\b|(?:^|[\s_-])contact(?:[\s_-]|$)", look):
            return PageKind(False, "contact_page", chars, n_links)
        if re.search(r"\b(?:error-(?:page|desc|content|404)|page-404|not-?found|notfound)\b", look):
            return PageKind(False, "soft_404", chars, n_links)
    declared_listing = og_type == "website" or jsonld_listing
    if n_heading_links >= 4 and chars < 250 * n_heading_links:
        return PageKind(False, "listing_items", chars, n_links)
    # many "read more" links, or many headline links in the page's content: a blog/category layout
    # whose first item shows a long intro (Joomla "leading" items, WordPress excerpts); a page
    # that declares itself an article and has a body of several paragraphs keeps its related-posts
    # grid ("Xem thêm" cards) without becoming a listing
    readmore = len(_READMORE(body))
    heading_links = len(_HEADING_LINKS(body))
    strong_article = declared_article and chars >= 400 and n_blocks >= 3
    if (readmore >= 3 and not strong_article) or (not declared_article and (heading_links >= 5 and chars < 1200 or heading_links >= 3 and chars < 600)):
        return PageKind(False, "listing_items", chars, n_links)
    total = chars + _enclosing_prose(parent, clusters)
    if total >= 400 and (declared_article or n_links < 15) and (chars >= 150 or declared_article):
        return PageKind(True, "prose", chars, n_links, parent)
    if chars >= 250 and declared_article:
        return PageKind(True, "declared_article", chars, n_links, parent)
    if expect_article and total >= 200 and n_blocks >= 2 and n_links < 15 and not declared_listing:
        # a short notice at a URL of the site's article shape (sapo and two paragraphs)
        return PageKind(True, "short_article", chars, n_links, parent)
    return PageKind(False, "listing" if declared_listing else "little_prose", chars, n_links)


# pages about the site, not news: Giới thiệu (about), Liên hệ (contact), Sơ đồ (site map), Thư viện
# ảnh (gallery), Hỏi đáp (Q&A), search, login; written with dashes or in CamelCase (GioiThieu.aspx)
_UTILITY_PATH = re.compile(r"(?:^|/)(?:gioi-?thieu|lien-?he|contact(?:-?us)?|about(?:-?us)?|so-?do-?(?:site|trang|cong)|sitemap|"
                           r"thu-?vien-?(?:anh|video)|album|hoi-?dap|faq|tim-?kiem|search|dang-?nhap|login|"
                           r"rss|feeds?|khao-?sat|binh-?chon|tham-?do(?:-?y-?kien)?|poll|survey|"
                           r"thu-?tuc-?hanh-?chinh|tthc)(?:[./?]|$)", re.I)


def layouts_for(platform: str):
    from ..platforms import PLATFORM_LAYOUTS

    return PLATFORM_LAYOUTS.get(platform, ())


def extract_any(html: str, url: str, *, platform: str | None = None, layouts=None, expect_article: bool = False,
                check_article: bool = True) -> tuple[Extraction | None, str, PageKind | None]:
    """Returns (extraction or None, platform, page kind). None when the page is not an article."""
    from ..platforms.detect import detect_platform

    sel = Selector(text=html, type="html", base_url=url)
    platform = platform or detect_platform(html, url)
    kind = page_kind(sel, expect_article) if check_article else None
    if check_article and kind is not None and kind.is_article:
        why = error_page_kind(html) or ("utility_page" if _UTILITY_PATH.search(urlsplit(url).path) else None)
        if why:
            kind = PageKind(False, why, kind.prose_chars, kind.links_in_main)
    if check_article and is_home_url(url):
        kind = PageKind(False, "home_page", kind.prose_chars, kind.links_in_main)
    if kind is not None and not kind.is_article:
        return None, platform, kind
    lays = tuple(layouts) if layouts else layouts_for(platform)
    if kind is None and not lays:
        kind = page_kind(sel)
    ex = extract_article(sel, url, lays, body_hint=kind.main if kind is not None else None)
    if not lays:
        ex.path = "generic"
        ex.counters.pop("extract/fallback", None)
        ex.counters["extract/generic"] += 1
        ex.notes = [n for n in ex.notes if "fallback" not in n]
    return ex, platform, kind
