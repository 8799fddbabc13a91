"""From one HTML page to the fields of an Article record. Pure: needs only HTML and a URL.

Order: the layout's (site/platform) selectors first; trafilatura only when they find no body,
counted as `extract/fallback`. Every anomaly becomes a counter in `Extraction.counters` and, where
a person should look, a line in `Extraction.notes`; the spider turns them into stats and logs.
"""
from __future__ import annotations

import copy
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from parsel import Selector

from . import dates as D
from .boilerplate import SHARED_RULES, apply_rules, compile_site_rules
from ..urls import canonical_url
from .text import block_texts, clean_blocks, element_text, fix_unicode, normalize_space

DOC_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf", "zip", "rar", "7z")
_DOC_LINK = re.compile(r"\.(?:%s)(?:$|[?#])" % "|".join(DOC_EXTENSIONS), re.I)
_CAPTION_CLASS = re.compile(r"caption|chu-?thich|chuthich|image[-_]?desc|img[-_]?desc|desc[-_]?img|note[-_]?img|photo[-_]?desc|pcaption|expnote|fig[-_]?cap", re.I)
# Author lines: Tác giả (author), Tin, ảnh (text and photos), Bài và ảnh, Nguồn (source), Theo (per)
_AUTHOR_LABEL = re.compile(
    r"^(?:tác\s+giả|người\s+viết|tin(?:\s*[,&và]+\s*|\s+và\s+)ảnh|bài(?:\s*[,&và]+\s*|\s+và\s+)ảnh|tin\s+bài|bài|tin|ảnh|phóng\s+viên|pv|ctv|nhóm\s+pv)\s*:\s*(.+)$",
    re.I,
)
_NAME_WORD = r"[A-ZĐÀ-ỸÂĂÊÔƠƯÁÉÍÓÚÝ][a-zđà-ỹ]+"
_NAME = re.compile(r"^[-–—\s]*((?:%s)(?:\s+%s){1,4})\s*(\((?:[^()]{2,120})\))?\s*\.?$" % (_NAME_WORD, _NAME_WORD))
_ORG_WORDS = r"(?:Phòng|Ban|Hội|Trung tâm|Văn phòng|UBND|Ủy ban|Uỷ ban|Trường|Đài|Báo|Tổ|Sở|Cục|Chi cục|Đoàn|Công an|Bệnh viện|Trạm|MTTQ|Huyện|Xã|Thị trấn|Phường)"
_NAME_UNIT = re.compile(r"^[-–—\s]*((?:%s)(?:\s+%s){1,4})\s*[-–—]\s*(%s\b.{2,100})$" % (_NAME_WORD, _NAME_WORD, _ORG_WORDS))
_NAME_TOKEN_SPLIT = re.compile(r"\s*(?:,|;|\s-\s|\s–\s|\bvà\b)\s*")
_AUTHOR_TEXT_XPATH = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//body//text()[contains(., 'Tác giả') or contains(., ', ảnh') or contains(., 'và ảnh')]", smart_strings=False)
_JUNK_ALT = re.compile(r"^(?:anh\s+tin\s+bai|ảnh\s+tin\s+bài|image|img|photo|ảnh|hình|picture|\d+|.+\sảnh\s+\d+)$", re.I)


@dataclass
class Layout:
    """Where one template keeps each field. Lists of CSS selectors, tried in order.

    A site can hold several Layouts (versions, as Fundus versions its parsers): the first whose
    `matches` selector finds something on the page, and whose date window fits, is used.
    """

    name: str = "generic"
    matches: str | None = None
    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    boilerplate: tuple = ()
    title_suffix: str | None = None  # regex stripped from <title>, e.g. r"\s*[-|]\s*Báo Bắc Kạn.*$"
    body_pick: str = "first"  # first | largest: which of several body matches (CMS modules) is the article
    valid_until: str | None = None  # ISO date: the layout was replaced after this (capture date)
    valid_from: str | None = None

    def rules(self):
        got = _RULES_CACHE.get(id(self))
        if got is None or got[0] is not self or got[1] != self.boilerplate:
            got = _RULES_CACHE[id(self)] = (self, self.boilerplate, compile_site_rules(self.boilerplate) + SHARED_RULES)
        return got[2]


_RULES_CACHE: dict = {}  # id(layout) -> (layout, its boilerplate, compiled rules): layouts live for the process


@dataclass
class Extraction:
    fields: dict
    counters: Counter = field(default_factory=Counter)
    notes: list = field(default_factory=list)
    layout: str = "generic"
    path: str = "layout"  # layout | fallback


@lru_cache(maxsize=4096)
def _xpath_of(css: str):
    """CSS (with parsel's ::text / ::attr() pseudo-elements) compiled once to an lxml XPath."""
    from lxml import etree
    from parsel.csstranslator import HTMLTranslator

    return etree.XPath(HTMLTranslator().css_to_xpath(css), smart_strings=False)


_SIMPLE_STEP = re.compile(r"^([a-zA-Z][\w-]*)?((?:\.[\w-]+)*)(?:\[(id|class)\$='([^']+)'\])?$")
_INDEXES: dict = {}  # id(tree root) -> (root, index); cleared at the start of every extraction
_WITH_CLASS = __import__("lxml.etree", fromlist=["XPath"]).XPath("descendant-or-self::*[@class]")


@lru_cache(maxsize=4096)
def _simple_steps(query: str):
    """'.a h1.b', "span[id$='_lblTitle']": descendant steps of tag/classes/id-suffix, or None."""
    if any(c in query for c in ",>+~:*\"") or not query.strip():
        return None
    steps = []
    for part in query.split():
        m = _SIMPLE_STEP.match(part)
        if not m or not (m.group(1) or m.group(2) or m.group(3)):
            return None
        classes = tuple(c for c in (m.group(2) or "").split(".") if c)
        steps.append((m.group(1).lower() if m.group(1) else None, classes, m.group(3), m.group(4)))
    return tuple(steps)


def _index(root):
    """class -> elements, tag -> elements, in document order: one pass per tree."""
    got = _INDEXES.get(id(root))
    idx = got[1] if got is not None and got[0] is root else None
    if idx is None:
        by_class = defaultdict(list)
        for el in _WITH_CLASS(root):  # only elements that have a class: fewer proxies to build
            for c in el.get("class").split():
                by_class[c].append(el)
        idx = (dict(by_class), {})  # tags are indexed on first use
        _INDEXES[id(root)] = (root, idx)  # the root is kept alive, so its id cannot be reused
    return idx


def _step_ok(el, step) -> bool:
    tag, classes, attr, suffix = step
    if tag and el.tag != tag:
        return False
    if classes:
        have = (el.get("class") or "").split()
        if any(c not in have for c in classes):
            return False
    if attr and not (el.get(attr) or "").endswith(suffix):
        return False
    return True


def css_all(root, query: str) -> list:
    """lxml results (elements or strings) of a CSS query.

    Simple descendant selectors (tags, classes, `[id$=…]`: what layouts use) are answered from a
    per-tree index of classes and tags; anything else goes through parsel's CSS-to-XPath
    translation, compiled once."""
    if root is None or isinstance(root, str):
        return []
    steps = _simple_steps(query)
    if steps is None:
        return _xpath_of(query)(root)
    by_class, by_tag = _index(root)
    last = steps[-1]
    if last[1]:
        cands = by_class.get(last[1][0], ())
    elif last[0]:
        cands = by_tag.get(last[0])
        if cands is None:
            cands = by_tag[last[0]] = list(root.iter(last[0]))
    else:
        cands = [el for el in root.iter() if isinstance(el.tag, str)]
    out = []
    for el in cands:
        if not _step_ok(el, last):
            continue
        need = len(steps) - 2
        if need >= 0:
            for anc in el.iterancestors():
                if _step_ok(anc, steps[need]):
                    need -= 1
                    if need < 0:
                        break
                if anc is root:
                    break
            if need >= 0:
                continue
        out.append(el)
    return out


_XP = __import__("lxml.etree", fromlist=["XPath"]).XPath
# page-level values read straight from the tree (no selector wrappers): the first in document order
_BASE_HREF = _XP("//base/@href", smart_strings=False)
_META_DESCRIPTION = _XP("//meta[@name='description']/@content | //meta[@property='og:description']/@content", smart_strings=False)
_META_SECTION = _XP("//meta[@property='article:section']/@content", smart_strings=False)
_CANONICAL = _XP("//link[@rel='canonical']/@href", smart_strings=False)
_OG_URL = _XP("//meta[@property='og:url']/@content", smart_strings=False)
_HTML_LANG = _XP("/html/@lang", smart_strings=False)


def _first_value(root, xpath) -> str | None:
    if root is None or isinstance(root, str):
        return None
    found = xpath(root)
    return found[0] if found else None


class _Hit:
    __slots__ = ("root",)

    def __init__(self, root):
        self.root = root


def _first(sel, queries) -> _Hit | None:
    root = sel.root if hasattr(sel, "root") else sel
    for q in queries:
        found = css_all(root, q)
        if found:
            return _Hit(found[0])
    return None


def _text_of(s: Selector | None) -> str:
    if s is None:
        return ""
    if isinstance(s.root, str):
        return normalize_space(s.root)
    return element_text(s.root)


def choose_layout(sel: Selector, layouts, capture_date: str | None = None) -> Layout | None:
    for lay in layouts:
        if capture_date and lay.valid_until and capture_date[:10] > lay.valid_until:
            continue
        if capture_date and lay.valid_from and capture_date[:10] < lay.valid_from:
            continue
        if lay.matches is None or css_all(sel.root, lay.matches):
            return lay
    return None


def _img_src(img, base: str) -> str | None:
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        v = img.get(attr)
        if v and not v.startswith("data:"):
            return urljoin(base, v.strip())
    return None


def _is_caption_candidate(el) -> bool:
    """A short paragraph right after an image whose text is all italic, or marked as a caption."""
    cls = (el.get("class") or "") + " " + (el.get("id") or "")
    if _CAPTION_CLASS.search(cls):
        return True
    if el.tag == "figcaption":
        return True
    if el.tag not in ("p", "div", "span", "em", "i", "td"):
        return False
    text = normalize_space(el.text_content())
    if not text or len(text) > 400:
        return False
    style = (el.get("style") or "").lower()
    if "italic" in style:
        return True
    # all of its text inside <em>/<i> (possibly nested in <span>/<strong>)
    italic_els = [x for x in el.iter() if isinstance(x.tag, str) and (
        x.tag in ("em", "i") or "italic" in (x.get("style") or "").lower())]
    outer = [x for x in italic_els if not any(a in italic_els for a in x.iterancestors())]
    italic = "".join(normalize_space(x.text_content()) for x in outer)
    return len(italic.replace(" ", "")) >= 0.9 * len(text.replace(" ", ""))


def _prev_element_has_img(el, holders=None) -> bool:
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    if prev is None:
        parent = el.getparent()
        return parent is not None and parent.tag in ("figure",)
    if prev.tag == "img":
        return True
    if prev.tag in ("p", "div", "figure", "a", "span", "center", "table") and (
            prev in holders if holders is not None else prev.find(".//img") is not None):
        return not normalize_space(prev.text_content())  # an image-only block
    return False


def _follows_img_in_block(el) -> bool:
    """An italic run that comes after an image in the same block and is all the block's text."""
    block = el.getparent()
    while block is not None and block.tag in ("span", "strong", "b", "font", "a"):
        block = block.getparent()
    if block is None or block.tag not in ("p", "div", "td", "center", "figure") or block.find(".//img") is None:
        return False
    order = list(block.iter())
    imgs = [i for i in order if i.tag == "img"]
    if not imgs or order.index(imgs[0]) > order.index(el):
        return False
    text = normalize_space(block.text_content())
    mine = normalize_space(el.text_content())
    return bool(mine) and len(mine) <= 400 and len(mine.replace(" ", "")) >= 0.9 * len(text.replace(" ", ""))


def _collect_images(body, base: str, layout: Layout, counters: Counter):
    """Images of the body with their captions; returns (images, caption elements to skip)."""
    caption_els = []
    for q in layout.captions:
        caption_els.extend(el for el in css_all(body, q) if not isinstance(el, str))
    chosen = set(caption_els)
    # elements that hold an image (the image and its ancestors up to the body): the image
    # heuristics below ask "is there an image in here?" of many blocks
    holders: set = set()
    for img in body.iter("img"):
        holders.add(img)
        for anc in img.iterancestors():
            if anc in holders:
                break
            holders.add(anc)
            if anc is body:
                break
    has_img = bool(holders)
    for el in body.iter():
        if not isinstance(el.tag, str) or el in chosen:
            continue
        n_before = len(caption_els)
        if el.tag == "figcaption" or (
            el.tag in ("p", "div", "td", "span", "em", "i")
            and _CAPTION_CLASS.search((el.get("class") or "") + " " + (el.get("id") or ""))
        ):
            caption_els.append(el)
        elif not has_img:
            continue  # the other heuristics all start from an image
        elif el.tag in ("td", "tr"):
            # layout tables of the form [image][caption]
            table = next((a for a in el.iterancestors("table")), None)
            if (
                el.tag == "td"
                and table is not None
                and len(table.findall(".//img")) == 1
                and el.find(".//img") is None
                and len(table.findall(".//td")) <= 3
                and normalize_space(el.text_content())
            ):
                caption_els.append(el)
        elif el.tag in ("p", "div", "em", "i") and _prev_element_has_img(el, holders) and _is_caption_candidate(el):
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        elif el.tag in ("em", "i") and _follows_img_in_block(el):
            # <p><img …><br><em>caption</em></p>: the image and its caption share one block
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        if len(caption_els) > n_before:
            chosen.add(caption_els[-1])
    # picture grids: a row of image cells over a row of caption cells, matched by column
    column_caption: dict = {}
    for tr in (body.iter("tr") if has_img else ()):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if len(cells) < 2 or not all(c.find(".//img") is not None for c in cells):
            continue
        nxt = tr.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is None or nxt.tag != "tr":
            continue
        caps = [c for c in nxt if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if len(caps) != len(cells) or any(c.find(".//img") is not None for c in caps):
            continue
        for img_cell, cap_cell in zip(cells, caps):
            if normalize_space(cap_cell.text_content()):
                column_caption[cap_cell] = img_cell.find(".//img")
                if cap_cell not in caption_els:
                    caption_els.append(cap_cell)
    # the first text after an image, when it is a short italic block, is its caption even when the
    # image sits in another container (Google Sites tiles, page-builder columns)
    after_img = False
    for el in (body.iter() if has_img else ()):
        if not isinstance(el.tag, str):
            continue
        if el.tag == "img":
            after_img = True
            continue
        if not after_img:
            continue
        if el.tag in ("p", "div", "figcaption", "td") and el not in holders:
            text = normalize_space(el.text_content())
            if not text:
                continue
            if el.find(".//p") is not None or el.find(".//div") is not None:
                continue  # a container: its blocks decide
            centred = "center" in ((el.get("style") or "") + (el.get("align") or "") + (el.get("class") or "")).lower()
            if after_img and centred and _is_caption_candidate(el) and el not in caption_els \
                    and not _is_date_line(text) and not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
            after_img = False
    # drop nested duplicates (keep the outermost)
    cap_set = set(caption_els)
    caption_els = [c for c in caption_els if not any(a in cap_set for a in c.iterancestors())]
    order = {el: i for i, el in enumerate(body.iter())}
    imgs = [el for el in body.iter("img")]
    images = []
    for img in imgs:
        src = _img_src(img, base)
        if not src:
            continue
        images.append({"url": src, "caption": None, "_el": img})
    for cap in sorted(caption_els, key=lambda c: order.get(c, 0)):
        text = " ".join(clean_blocks(block_texts(cap)))
        if not text:
            continue
        pos = order.get(cap, 0)
        inner = [im for im in images if im["caption"] is None and cap in im["_el"].iterancestors()]
        if inner:
            inner[0]["caption"] = text
            continue
        col_img = column_caption.get(cap)
        if col_img is not None:
            col = next((im for im in images if im["_el"] is col_img and im["caption"] is None), None)
            if col is not None:
                col["caption"] = text
                continue
        target = None
        for im in images:
            ipos = order.get(im["_el"], -1)
            if ipos < pos and im["caption"] is None:
                target = im
            elif ipos > pos:
                break
        if target is None:  # caption above its image
            target = next((im for im in images if im["caption"] is None and order.get(im["_el"], 0) > pos), None)
        if target is not None:
            target["caption"] = text
    for im in images:
        del im["_el"]
    return images, set(caption_els)


def _attachments(roots, base: str) -> list[dict]:
    out, seen = [], set()
    for root in roots:
        if root is None or isinstance(root, str):
            continue
        for a in root.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or not _DOC_LINK.search(href):
                continue
            url = urljoin(base, href)
            if url in seen:
                continue
            seen.add(url)
            text = normalize_space(a.text_content()) or url.rsplit("/", 1)[-1]
            out.append({"url": url, "text": fix_unicode(text)[0]})
    return out


def split_author(raw: str) -> list[dict]:
    """'Đoàn Ti Vi (Ban Tuyên giáo Thành ủy Hồng Ngự)' -> [{name, nameRaw}]"""
    raw = normalize_space(raw).strip(" .-–—")
    m = _AUTHOR_LABEL.match(raw)
    if m:
        raw = m.group(1).strip(" .")
    mu = _NAME_UNIT.match(raw)
    if mu:
        return [{"name": mu.group(1).strip(), "nameRaw": raw}]
    out = []
    for part in _NAME_TOKEN_SPLIT.split(raw):
        part = part.strip(" .")
        if not part:
            continue
        name = re.sub(r"\s*\([^)]*\)\s*$", "", part).strip()
        if name:
            out.append({"name": name, "nameRaw": part})
    return out


def _author_from_block(block: str) -> list[dict] | None:
    if len(block) > 160:
        return None
    if _AUTHOR_LABEL.match(block):
        return split_author(block)
    if _NAME.match(block) or _NAME_UNIT.match(block):
        return split_author(block)
    return None


def _strip_title(title: str, layout: Layout) -> str:
    if layout.title_suffix:
        title = re.sub(layout.title_suffix, "", title)
    return title.strip()


_DATE_LINE_WORDS = re.compile(
    r"(?:đăng\s+ngày|đăng|ngày\s+đăng|ngày\s+cập\s+nhật|cập\s+nhật(?:\s+lúc)?|ngày\s+xuất\s+bản|thời\s+gian|"
    r"đăng\s+lúc|ngày|lúc|giờ|thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s+nhật|sáng|trưa|chiều|tối|"
    r"gmt\s*[+-]?\d*|tháng|năm|posted|published|updated)",
    re.I,
)


_PLACE_DATELINE = re.compile(r"^[A-ZĐÀ-Ỹ][\w.]*(?:\s+[A-ZĐÀ-Ỹ][\w.]*){0,3}\s*,\s*(?=ngày\s+\d)", re.UNICODE)


def _is_date_line(block: str) -> bool:
    """'Đăng ngày: 04-11-2023 11:18', 'Thứ Năm, 06/07/2023 16:05', 'Krông Búk, ngày 06 tháng 12 năm
    2023': a line that is only a date (with, for datelines, the place it was written)."""
    if len(block) > 70:
        return False
    block = _PLACE_DATELINE.sub("", block)
    pd = D.parse_date(block)
    if pd is None or (pd.value is None and pd.has_year):
        return False
    rest = _DATE_LINE_WORDS.sub(" ", block)
    rest = re.sub(r"[\d/:\-.,|()\[\]–—]+", " ", rest)
    return not rest.split()


def trafilatura_body(html: str, url: str | None):
    """Fallback: trafilatura chooses the main content; we still do the text ourselves."""
    import trafilatura
    from lxml import html as lxml_html

    out = trafilatura.extract(
        html, url=url, output_format="html", include_comments=False, include_tables=True,
        include_images=True, favor_precision=True, deduplicate=False,
    )
    if not out:
        return None
    try:
        return lxml_html.fromstring(out)
    except Exception:  # lxml raises ParserError on empty documents
        return None


# where the generic path (no layout) looks for a lead and a date: class names portals use
_GENERIC_LEAD = ("[class*=sapo]", "[class*=summary]", "[class*=excerpt]", "[class*=post-description]", "[class*=article-description]", "[class*=tom-tat]", "[class*=tomtat]", "[itemprop=description]",
                 "[class*=lead]", "[class*=intro]", "[class*=trich-yeu]")
_GENERIC_DATE = ("time[datetime]", "[class*=date]", "[class*=time]", "[class*=ngay]", "[class*=published]", "[class*=meta]",
                 "[id*=date]", "[id*=Date]")


def _generic_lead(root, body_el) -> list[str]:
    if body_el is None:
        return []
    order = {el: i for i, el in enumerate(root.iter())}
    body_pos = order.get(body_el, 10**9)
    for q in _GENERIC_LEAD:
        for el in css_all(root, q):
            if isinstance(el, str) or el.tag in ("meta", "html", "body") or el is body_el:
                continue
            if body_el in el.iterancestors() or el in body_el.iterancestors() or order.get(el, 0) > body_pos:
                continue
            if any(a.tag in ("a", "li", "nav", "aside", "footer") for a in el.iterancestors()):
                continue
            blocks = clean_blocks(block_texts(el))
            text = " ".join(blocks)
            if 40 <= len(text) <= 900:
                return blocks
    return []


def _generic_date(root, body_el) -> D.ParsedDate | None:
    for q in _GENERIC_DATE:
        for el in css_all(root, q):
            if isinstance(el, str) or el.tag in ("html", "body", "meta", "script", "style"):
                continue
            if body_el is not None and (el is body_el or body_el in el.iterancestors()):
                continue
            if any(a.tag in ("a", "li", "aside", "footer", "nav") for a in el.iterancestors()) or el.tag == "a":
                continue
            text = el.get("datetime") or normalize_space(el.text_content())
            if not text or len(text) > 80:
                continue
            pd = D.parse_date(text, source="page")
            if pd and pd.value:
                return pd
    return None


def extract_article(html: str | Selector, url: str, layouts=(), *, listing_date: str | None = None,
                    capture_date: str | None = None, body_hint=None) -> Extraction:
    sel = html if isinstance(html, Selector) else Selector(text=html, type="html", base_url=url)
    _INDEXES.clear()
    counters: Counter = Counter()
    notes: list[str] = []
    layout = choose_layout(sel, layouts, capture_date) or Layout()
    rules = layout.rules()
    base = _first_value(sel.root, _BASE_HREF) or url
    base = urljoin(url, base)

    # ---- headline
    title = ""
    for q in layout.title:
        t = " ".join(clean_blocks(block_texts(s.root))) if (s := _first(sel, [q])) is not None and not isinstance(s.root, str) else ""
        t = re.sub(r"^null\s+", "", t)
        if t:
            title = t
            break
    if not title:
        for q in ('meta[property="og:title"]::attr(content)', "h1", "title"):
            s = _first(sel, [q])
            t = _strip_title(fix_unicode(_text_of(s))[0], layout)
            if t:
                title = t
                counters["extract/title_from_meta"] += 1
                break
    title = fix_unicode(title)[0]

    # ---- body element
    path = "layout"
    body_sel = _first(sel, layout.body) if layout.body else None
    if layout.body_pick == "largest" and body_sel is not None:
        for q in layout.body:
            found = [el for el in css_all(sel.root, q) if not isinstance(el, str)]
            if found:
                body_sel = _Hit(max(found, key=lambda el: len(el.text_content())))
                break
    body = None
    if body_sel is None and body_hint is not None and not layout.body:
        body_sel = _Hit(body_hint)
        path = "generic"
    if body_sel is not None and not isinstance(body_sel.root, str):
        body = copy.deepcopy(body_sel.root)
    if body is not None:
        for q in tuple(layout.remove):
            for el in css_all(body, q):
                if not isinstance(el, str):
                    _drop(el)
        if not normalize_space(body.text_content()):
            body = None
    if body is None and body_hint is not None:
        # the densest prose cluster of the page (crawler.extract.generic.page_kind)
        body = copy.deepcopy(body_hint)
        if layout.body:
            counters["extract/fallback"] += 1
            notes.append("layout selectors found no body; densest prose block used")
            path = "fallback"
        else:
            path = "generic"
    if body is None:
        if layout.body:
            notes.append("site selectors found no body; trafilatura fallback")
        counters["extract/fallback"] += 1
        path = "fallback"
        body = trafilatura_body(html if isinstance(html, str) else sel.get(), url)
    if body is not None:
        _drop_related_boxes(body, counters)
        for el in list(_HIDDEN_XPATH(body)):
            if el.getparent() is not None and el.find(".//img") is None:
                _drop(el)
                counters["boilerplate/hidden_element"] += 1

    # ---- author from selector (removed from body if it lives there)
    authors: list[dict] = []
    if layout.author:
        a_sel = _first(sel, layout.author)
        if a_sel is not None:
            a_text = _text_of(a_sel)
            if a_text:
                authors = split_author(fix_unicode(a_text)[0])
        if body is not None:
            for q in layout.author:
                for el in css_all(body, q):
                    if not isinstance(el, str):
                        _drop(el)

    images, attachments, blocks = [], [], []
    if body is not None:
        images, caption_els = _collect_images(body, base, layout, counters)
        attachments = _attachments([body], base)
        blocks = clean_blocks(block_texts(body, skip=caption_els, counters=counters), counters)
    if layout.attachments:
        for a in _attachments([el for q in layout.attachments for el in css_all(sel.root, q)], base):
            if a["url"] not in {x["url"] for x in attachments}:
                attachments.append(a)

    # ---- lead (sapo / summary)
    lead_blocks: list[str] = []
    if layout.lead:
        ls = _first(sel, layout.lead)
        if ls is not None and not isinstance(ls.root, str):
            lead_blocks = apply_rules(clean_blocks(block_texts(ls.root), counters), rules, counters, allow_tail=False)
    elif path == "generic" and body_sel is not None:
        lead_blocks = apply_rules(_generic_lead(sel.root, body_sel.root), rules, counters, allow_tail=False)

    blocks = apply_rules(blocks, rules, counters)
    # title repeated at the top of the body, date lines, leaked "null <title>"
    norm_title = title.casefold()
    cleaned = []
    date_line_pd = None
    for i, b in enumerate(blocks):
        bf = b.casefold()
        if i < 4 and norm_title and (bf == norm_title or bf == "null " + norm_title
                                     or (len(bf) >= 20 and len(norm_title) >= 20
                                         and (norm_title.startswith(bf) or norm_title.endswith(bf)))):
            counters["boilerplate/title_repeat"] += 1
            if (len(bf) < len(norm_title) and norm_title.endswith(bf) and counters.get("extract/title_from_meta")
                    and norm_title[: -len(bf)].rstrip().endswith(("-", "|", "–", ":", "»"))):
                title = b  # "<site name> - <title>" from <title>: the page's own heading is the headline
                norm_title = bf
            continue
        if (i < 3 or i >= len(blocks) - 2) and _is_date_line(b):
            counters["boilerplate/date_line"] += 1
            date_line_pd = date_line_pd or D.parse_date(b, source="page")
            continue
        cleaned.append(b)
    blocks = cleaned
    if lead_blocks:
        n = len(lead_blocks)
        if blocks[:n] != lead_blocks:
            blocks = lead_blocks + [b for b in blocks if b not in lead_blocks]

    # ---- author from the end of the body
    if blocks:
        for k in (1, 2):
            if len(blocks) >= k + 1:
                got = _author_from_block(blocks[-k])
                if got:
                    if not authors:
                        authors = got
                        counters["extract/author_from_body"] += 1
                    del blocks[-k]
                    break
    # "Tác giả: …" anywhere in the last blocks of the page
    if not authors:
        for s in _AUTHOR_TEXT_XPATH(sel.root)[:3]:
            t = normalize_space(s)
            if _AUTHOR_LABEL.match(t) and len(t) < 120:
                authors = split_author(t)
                break

    description = " ".join(lead_blocks) if lead_blocks else None
    if not description:
        meta_desc = _first_value(sel.root, _META_DESCRIPTION)
        if meta_desc and blocks and normalize_space(meta_desc)[:40] == blocks[0][:40]:
            description = fix_unicode(normalize_space(meta_desc))[0]

    # ---- dates
    date_raw = None
    pd = None
    for q in layout.date:
        s = _first(sel, [q])
        if s is None:
            continue
        t = _text_of(s)
        if not t and not isinstance(s.root, str):
            t = s.root.get("datetime") or s.root.get("content") or ""
        if t:
            date_raw = t
            pd = D.parse_date(t, source="page")
            break
    meta_pd = D.metadata_date(sel)
    if pd is None or (pd.value is None and pd.has_year):
        if meta_pd is not None:
            pd = meta_pd
    elif pd.value and meta_pd and meta_pd.value and meta_pd.has_time and not pd.has_time \
            and meta_pd.value.date() == pd.value.date():
        pd = meta_pd  # same day, more precise
    if (pd is None or pd.value is None) and date_line_pd is not None and date_line_pd.value is not None:
        pd = date_line_pd
    if (pd is None or pd.value is None) and not layout.date:
        gpd = _generic_date(sel.root, body_sel.root if body_sel is not None and not isinstance(body_sel.root, str) else None)
        if gpd is not None:
            pd = gpd
            counters["date/generic_scan"] += 1
    if pd is None or pd.value is None:
        lpd = D.lead_date(blocks[0] if blocks else None)
        if lpd is not None and (pd is None or not pd.raw):
            pd = lpd
        elif lpd is not None and pd is not None and pd.value is None:
            pd = lpd
    modified = D.metadata_date(sel, modified=True)
    if pd is not None and not pd.has_year:
        page_years = []
        mod = modified
        if mod and mod.value:
            page_years.append(mod.value.year)
        ctx = D.DateContext(
            page_years=page_years,
            listing_years=[int(listing_date[:4])] if listing_date else [],
            url_years=D.url_year(url),
            title_years=D.years_in(title),
            body_years=[y for b in blocks for y in D.years_in(b)],
        )
        pd = D.resolve(pd, ctx)
    if pd is not None and pd.value is None:
        counters["date/unparsed"] += 1
        notes.append(f"date not understood: {pd.raw!r}")
    if pd is None:
        counters["date/missing"] += 1
    elif pd.year_source:
        counters[f"date/year_from_{pd.year_source}"] += 1

    section = None
    if layout.section:
        s = _first(sel, layout.section)
        section = fix_unicode(_text_of(s))[0] or None if s is not None else None
    if not section:
        section = _first_value(sel.root, _META_SECTION)

    canonical = _first_value(sel.root, _CANONICAL) or _first_value(sel.root, _OG_URL)
    lang = (_first_value(sel.root, _HTML_LANG) or "vi").split("-")[0].lower() or "vi"

    body_text = "\n\n".join(blocks)
    fields = {
        "url": url,
        "canonicalUrl": canonical_url(urljoin(url, canonical.strip())) if canonical else None,
        "headline": title or None,
        "description": description,
        "articleBody": body_text or None,
        "datePublished": pd.iso() if pd else None,
        "datePublishedRaw": (pd.raw if pd else None) or date_raw,
        "datePublishedSource": ({"from": pd.source, "yearFrom": pd.year_source} if pd and pd.value else None),
        "dateModified": modified.iso() if modified else None,
        "authors": authors,
        "images": images,
        "attachments": attachments,
        "inLanguage": lang if lang in ("vi", "en") else "vi",
        "section": section,
    }
    return Extraction(fields=fields, counters=counters, notes=notes, layout=layout.name, path=path)


_HIDDEN_XPATH = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    ".//*[@hidden or @aria-hidden='true' or contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')]")
_RELATED_HEAD = re.compile(
    r"^(?:tin\s+liên\s+quan|bài\s+(?:viết\s+)?liên\s+quan|tin\s+khác|các\s+tin\s+khác|tin\s+cùng\s+chuyên\s+mục|"
    r"xem\s+thêm|đọc\s+thêm|có\s+thể\s+bạn\s+quan\s+tâm|tin\s+mới(?:\s+nhất)?|bài\s+viết\s+khác|related)\b", re.I)


def _drop_related_boxes(body, counters):
    """A "Tin liên quan" box placed inside the article: a container that opens with a related-news
    heading and is mostly links. It is removed as a whole, and the article text after it stays."""
    for el in list(body.iter("div", "section", "aside", "table", "ul", "nav")):
        if el is body or el.getparent() is None:
            continue
        text = normalize_space(el.text_content())
        if not text or len(text) > 3000 or not _RELATED_HEAD.match(text):
            continue
        link_text = sum(len(normalize_space(a.text_content())) for a in el.iter("a"))
        if link_text >= 0.5 * len(text):
            _drop(el)
            counters["boilerplate/related_news_box"] += 1


def _drop(el):
    """Remove an element but keep its tail text in the tree."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + " " + tail
        else:
            parent.text = (parent.text or "") + " " + tail
    parent.remove(el)
