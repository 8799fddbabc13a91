"""From one HTML page to the fields of an Article record. Pure: needs only HTML and a URL.

Order: the layout's (site/platform) selectors first; trafilatura only when they find no body,
counted as `extract/fallback`. Every anomaly becomes a counter in `Extraction.counters` and, where
a person should look, a line in `Extraction.notes`; the spider turns them into stats and logs.
"""
from __future__ import annotations

import copy
import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from parsel import Selector

from . import dates as D
from .boilerplate import SHARED_RULES, apply_rules, compile_site_rules
from ..urls import canonical_url
from .text import CellText, block_texts, clean_blocks, element_text, fix_unicode, normalize_space

DOC_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf", "zip", "rar", "7z")
# a document link: the extension ends the path, or is followed by a query, or (Liferay's
# /documents/<group>/<folder>/<name>.pdf/<uuid>?t=…) by the file's id
_DOC_LINK = re.compile(r"\.(?:%s)(?:$|[?#]|/[0-9a-f]{8}-[0-9a-f-]{27,}|/[\w-]*(?:$|[?#]))" % "|".join(DOC_EXTENSIONS), re.I)
_CAPTION_CLASS = re.compile(r"caption|chu-?thich|chuthich|image[-_]?desc|img[-_]?desc|desc[-_]?img|note[-_]?img|photo[-_]?desc|pcaption|expnote|fig[-_]?cap", re.I)
# Author lines: Tác giả (author), Tin, ảnh (text and photos), Bài và ảnh, Nguồn (source), Theo (per)
_AUTHOR_LABEL = re.compile(
    r"^(?:tác\s+giả(?:\s+bài\s+viết)?|người\s+viết|(?:nhóm\s+)?thực\s+hiện|(?:written\s+)?by|author|tin(?:\s*[,&và]+\s*|\s+và\s+)ảnh|bài(?:\s*[,&và]+\s*|\s+và\s+)ảnh|tin\s+bài|bài|tin|ảnh|phóng\s+viên|pv|ctv|nhóm\s+pv)\s*(?::|(?<=by)\s)\s*(.+)$",
    re.I,
)
_NAME_WORD = r"[A-ZĐÀ-ỸÂĂÊÔƠƯÁÉÍÓÚÝ][a-zđà-ỹ]*(?:[’'][A-Za-zđà-ỹ]+)?[a-zđà-ỹ]*"  # H’Bla, Niê
_NAME = re.compile(r"^[-–—\s]*((?:%s)(?:\s+%s){1,4})\s*(\((?:[^()]{2,120})\))?\s*\.?$" % (_NAME_WORD, _NAME_WORD))
_ORG_WORDS = (r"(?:Phòng|Ban|Hội|Trung tâm|TT|Văn phòng|UBND|Ủy ban|Uỷ ban|Trường|Đài|Báo|Tổ|Sở|Cục|Chi cục|Đoàn|Công an|"
              r"Bệnh viện|BV|Trạm|MTTQ|Huyện|Xã|Thị trấn|Phường|Khoa|Bộ phận|Đội|Chi nhánh|Chi bộ|Đảng ủy|Đảng uỷ|"
              r"Huyện ủy|Huyện uỷ|Thành ủy|Thành uỷ|Tỉnh ủy|Tỉnh uỷ|Liên đoàn|Hợp tác xã|HTX|Công ty|Viện|Thư viện|"
              r"Tạp chí|Cổng|Ban biên tập|BBT|Trung đoàn|Ban chỉ huy|Bảo tàng|Nhà văn hóa|Tòa án|Viện kiểm sát|Kho bạc|Chi cục)")
_NAME_UNIT = re.compile(r"^[-–—\s]*((?:%s)(?:\s+%s){1,4})\s*[-–—]\s*(%s\b.{2,100})$" % (_NAME_WORD, _NAME_WORD, _ORG_WORDS))
_NAME_TOKEN_SPLIT = re.compile(r"\s*(?:,|;|\s-\s|\s–\s|\bvà\b)\s*")
_AUTHOR_TEXT_XPATH = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//body//text()[contains(., 'Tác giả') or contains(., ', ảnh') or contains(., 'và ảnh')]")
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
    featured: tuple[str, ...] = ()  # the lead picture kept outside the body (with its caption)
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
_WITH_ID = __import__("lxml.etree", fromlist=["XPath"]).XPath("descendant-or-self::*[@id]")


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
        idx = (dict(by_class), {}, {})  # tags are indexed on first use; class -> set on first use
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
    by_class, by_tag, class_sets = _index(root)
    # an ancestor step of a single class is answered by set membership; a class the page does not
    # have at all answers the query at once (most fallback selectors are for other templates)
    sets = []
    for tag, classes, attr, _ in steps[:-1]:
        if classes and classes[0] not in by_class:
            return []
        if classes and len(classes) == 1 and not tag and not attr:
            got = class_sets.get(classes[0])
            if got is None:
                got = class_sets[classes[0]] = set(by_class[classes[0]])
            sets.append(got)
        else:
            sets.append(None)
    last = steps[-1]
    if last[1]:
        cands = by_class.get(last[1][0], ())
    elif last[2] == "id":  # span[id$='_lblTitle']: ASP.NET control ids, from the elements that have an id
        key = "#ids"
        cands = by_tag.get(key)
        if cands is None:
            cands = by_tag[key] = _WITH_ID(root)
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
                if (anc in sets[need]) if sets[need] is not None else _step_ok(anc, steps[need]):
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


# a question (Q&A pages print the reader's question in bold): not a lead
_QUESTION = re.compile(r"\?\s*$|^(?:hỏi|câu\s+hỏi|bạn\s+đọc\s+hỏi)\s*[:\d]", re.I)


def _is_document_only(src, copy_el) -> bool:
    """A body with no text whose content is a document: a link to a file, or a PDF viewer."""
    for a in copy_el.iter("a"):
        if _DOC_LINK.search(a.get("href") or ""):
            return True
    for f in copy_el.iter("iframe", "embed", "object"):
        target = f.get("src") or f.get("data") or ""
        if _DOC_LINK.search(target) or "pdf" in target.lower() or "viewer" in target.lower():
            return True
    return False


def _has_text(el) -> bool:
    """Any visible character under the element (stops at the first)."""
    return any(t.strip().strip("\u200b\u200c\u200d\u2060\ufeff\u00ad") for t in el.itertext())
# page-level values read straight from the tree (no selector wrappers): the first in document order
_BASE_HREF = _XP("//base/@href", smart_strings=False)
_META_DESCRIPTION = _XP("//meta[@name='description']/@content | //meta[@property='og:description']/@content", smart_strings=False)
_META_SECTION = _XP("//meta[@property='article:section']/@content", smart_strings=False)
_CANONICAL = _XP("//link[@rel='canonical']/@href", smart_strings=False)
_OG_URL = _XP("//meta[@property='og:url']/@content", smart_strings=False)
_HTML_LANG = _XP("/html/@lang", smart_strings=False)


_OG_TITLE = _XP("//meta[@property='og:title']/@content", smart_strings=False)
_HIDDEN_CLASS = re.compile(r"hide|hidden|sr-only|visually-?hidden|screen-?reader|accessib|invisible", re.I)
_TITLE_CLASS = re.compile(r"title|tieu-?de|tieude|headline|heading|ten-?bai", re.I)


def _visible_h1(root):
    """The first <h1> a reader sees (Liferay prints a hidden <h1 class="hide-accessible">Navigation</h1>)."""
    for h in root.iter("h1"):
        look = (h.get("class") or "") + " " + (h.get("style") or "").replace(" ", "")
        if _HIDDEN_CLASS.search(h.get("class") or "") or "display:none" in look or h.get("hidden") is not None:
            continue
        if normalize_space(h.text_content()):
            return h
    return None


def _heading_before(body_el, levels: int = 4):
    """The heading printed just before the body: an h1-h3, or an element whose class says title
    (TieuDeTin, post-title…), among the preceding siblings of the body and of its ancestors."""
    node = body_el
    for _ in range(levels):
        if node is None or node.getparent() is None or node.getparent().tag in ("body", "html"):
            break
        prev = node.getprevious()
        while prev is not None:
            if isinstance(prev.tag, str):
                cands = [prev] + [d for d in prev.iter() if isinstance(d.tag, str)][1:]
                for el in reversed(cands):
                    if el.tag in ("h1", "h2", "h3") or (el.tag in ("div", "p", "span", "h4") and _TITLE_CLASS.search(el.get("class") or "")):
                        text = normalize_space(el.text_content())
                        if 10 <= len(text) <= 300 and not _HIDDEN_CLASS.search(el.get("class") or "") \
                                and not any(a.tag in ("a", "nav", "aside", "li") for a in (el, *el.iterancestors()) if a is not prev.getparent()):
                            return el
            prev = prev.getprevious()
        node = node.getparent()
    return None


def _bold_block_before(body_el, levels: int = 4):
    """A bold text box printed right before the body (60–700 characters, no links, not a
    heading): the sapo as page builders (Liferay fragments, Elementor) print it."""
    node = body_el
    for _ in range(levels):
        if node is None or node.getparent() is None or node.getparent().tag in ("body", "html"):
            break
        prev = node.getprevious()
        while prev is not None and (not isinstance(prev.tag, str) or prev.find(".//img") is not None or prev.tag == "img"):
            prev = prev.getprevious()  # the lead picture between the sapo and the body
        if prev is not None:
            text = normalize_space(prev.text_content())
            if text:
                bold = "bold" in (prev.get("class") or "") or any(
                    "bold" in (d.get("class") or "") for d in prev.iter() if isinstance(d.tag, str))
                if 60 <= len(text) <= 700 and prev.tag not in ("h1", "h2", "h3", "h4") and prev.find(".//a") is None \
                        and (bold or _all_bold(prev)) and prev.find(".//img") is None:
                    return prev
                return None  # the nearest text before the body is something else
        node = node.getparent()
    return None


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
        v = (img.get(attr) or "").strip()
        if v and not v.startswith("data:"):
            url = urljoin(base, v)
            # file:///C:/Users/…/msohtmlclip1/clip_image002.jpg (pasted from Word) is no picture of the web
            return url if url.startswith(("http://", "https://")) else None
    return None


# embedded players: YouTube, Vimeo, Facebook video, the papers' own video CDNs, <video> files
_VIDEO_SRC = re.compile(r"youtube(?:-nocookie)?\.com|youtu\.be|vimeo\.com|facebook\.com/plugins/video|dailymotion|"
                        r"tiktok\.com/embed|/embed/|player|video|\.mp4\b|\.m3u8\b|\.webm\b|\.mov\b", re.I)
_ICON_SRC = re.compile(r"/_layouts/(?:\d+/)?images/|/icons?/|[/_-]ic(?:on)?[-_]?(?:pdf|docx?|xlsx?|pptx?|zip|rar|file|attach|download)\w*\.(?:png|gif|svg)|"
                       r"/(?:pdf|docx?|xlsx?|file|attach|download)[-_]?icon\w*\.(?:png|gif|svg)", re.I)


_MEDIA_TAGS = frozenset(("img", "video", "iframe", "embed", "amp-img", "amp-youtube", "amp-video", "amp-iframe", "audio"))
# text-to-speech players (the article read aloud by a service): chrome, not a recording of the article
_TTS = re.compile(r"tts|speech|text-?to|fpt\.ai|vbee|viettelai|zalo\.ai|nghe-?(?:doc|bai)|doc-?bai|audio-?player", re.I)


def _video_src(el, base: str) -> str | None:
    src = el.get("src") or el.get("data-src")
    if el.tag in ("amp-video", "amp-iframe") and not src:
        src = next((s.get("src") for s in el.iter("source") if s.get("src")), None)
    if not src and el.tag == "video":
        src = next((s.get("src") for s in el.iter("source") if s.get("src")), None)
    if not src or src.startswith(("data:", "about:", "javascript:")):
        return None
    if el.tag in ("iframe", "embed", "amp-iframe") and not _VIDEO_SRC.search(src):
        return None  # maps, document viewers, widgets
    return urljoin(base, src.strip())


def _is_icon(img) -> bool:
    """File-type icons, bullets and spacers: not photos of the article."""
    cls = (img.get("class") or "").lower()
    if "icon" in cls or "emoji" in cls:
        return True
    if _ICON_SRC.search(img.get("src") or ""):
        return True
    try:
        w, h = int(img.get("width") or 0), int(img.get("height") or 0)
    except ValueError:
        w = h = 0
    if (w and w <= 32) or (h and h <= 32):
        return True
    link = next((a for a in img.iterancestors("a")), None)
    return link is not None and bool(_DOC_LINK.search(link.get("href") or ""))


def _media(body, base: str) -> list:
    """The article's photos and videos in document order: (element, kind, url)."""
    out = []
    widgets = [el for el in _CLASSED_DESC(body) if "fb-video" in el.get("class").split() and el.get("data-href")]
    for el in body.iter("img", "video", "iframe", "embed", "amp-img", "amp-youtube", "amp-video", "amp-iframe", "audio"):
        if el.tag == "audio":
            src = el.get("src") or next((x.get("src") for x in el.iter("source") if x.get("src")), None)
            look = " ".join((a.get("class") or "") + " " + (a.get("id") or "") for a in (el, *el.iterancestors()))
            if src and not _TTS.search(src + " " + look):
                out.append((el, "audio", urljoin(base, src.strip())))
            continue
        if el.tag == "amp-youtube" and el.get("data-videoid"):
            out.append((el, "video", "https://www.youtube.com/watch?v=" + el.get("data-videoid").strip()))
            continue
        if el.tag in ("img", "amp-img"):
            if _is_icon(el) or (el.tag == "img" and any(a.tag == "amp-img" for a in el.iterancestors())):
                continue  # an <img> inside <amp-img> (its noscript fallback) is the same picture
            src = _img_src(el, base)
            if src:
                out.append((el, "image", src))
        else:
            src = _video_src(el, base)
            if src and not any(a.tag == "video" for a in el.iterancestors()):
                out.append((el, "video", src))
    if widgets:  # Facebook's video widget: the video is its data-href (in document order with the rest)
        out += [(el, "video", urljoin(base, el.get("data-href").strip())) for el in widgets]
        order = {el: i for i, el in enumerate(body.iter())}
        out.sort(key=lambda m: order.get(m[0], 0))
    return out


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
    if not _caption_shaped(text):
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


def _caption_shaped(text: str) -> bool:
    """What a caption's text can be: short; not a heading that introduces what follows ("Một số
    hình ảnh hội nghị:"); not a quotation ("“Mỗi hội viên …”, chị Hoa chia sẻ")."""
    if not text or len(text) > 700 or text.rstrip().endswith(":"):  # a photo story's captions run long
        return False
    if text[0] in "“\"„«" and len(text) >= 60:
        return False
    return True


_PHOTO_CREDIT = re.compile(r"^[(\[]?\s*(?:ảnh|hình\s+ảnh|ảnh\s+minh\s+họa|ảnh\s+minh\s+hoạ|photo|clip|video)\s*:?\s*[^()\[\]]{0,60}[)\]]?\.?$", re.I)


def _is_centred(el) -> bool:
    for x in (el, *[c for c in el if isinstance(c.tag, str)][:1]):
        look = ((x.get("style") or "") + " " + (x.get("align") or "") + " " + (x.get("class") or "")).lower().replace(" ", "")
        if "center" in look or "centre" in look:
            return True
    return False


def _all_bold(el) -> bool:
    text = normalize_space(el.text_content()).replace(" ", "")
    bold = [x for x in el.iter("strong", "b")]
    outer = [x for x in bold if not any(a in bold for a in x.iterancestors())]
    return bool(text) and len("".join(normalize_space(x.text_content()) for x in outer).replace(" ", "")) >= 0.9 * len(text)


def _prev_element_has_img(el, holders=None) -> bool:
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    if prev is None:
        parent = el.getparent()
        return parent is not None and parent.tag in ("figure",)
    if prev in (holders or ()) and prev.tag in _MEDIA_TAGS:
        return True
    if prev.tag == "img":
        return True
    if prev.tag in ("p", "div", "figure", "a", "span", "center", "table") and (
            prev in holders if holders is not None else prev.find(".//img") is not None):
        return not normalize_space(prev.text_content())  # an image-only block
    return False


def _prev_is_holder(el, holders) -> bool:
    """The element right before `el` holds a photo or a video (with or without its caption)."""
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    return prev is not None and prev in holders


def _follows_img_in_block(el, holders) -> bool:
    """An italic run that comes after an image in the same block and is all the block's text."""
    block = el.getparent()
    while block is not None and block.tag in ("span", "strong", "b", "font", "a"):
        block = block.getparent()
    if block is None or block.tag not in ("p", "div", "td", "center", "figure") or block not in holders:
        return False
    order = list(block.iter())
    media = [i for i in order if i in holders and i.tag in _MEDIA_TAGS]
    if not media or order.index(media[0]) > order.index(el):
        return False
    text = normalize_space(block.text_content())
    mine = normalize_space(el.text_content())
    return _caption_shaped(mine) and len(mine.replace(" ", "")) >= 0.9 * len(text.replace(" ", ""))


_CLASS_OR_ID = __import__("lxml.etree", fromlist=["XPath"]).XPath("descendant::*[@class or @id or self::figcaption]")
_CAPTION_TAGS = frozenset(("p", "div", "td", "span", "em", "i"))


def _caption_marked(body) -> list:
    """figcaption, and elements whose class or id says caption ("chu-thich", "image-desc", …)."""
    return [el for el in _CLASS_OR_ID(body) if el.tag == "figcaption" or (
        el.tag in _CAPTION_TAGS and _CAPTION_CLASS.search((el.get("class") or "") + " " + (el.get("id") or "")))]


def _colspan(cell) -> int:
    try:
        return max(1, int(cell.get("colspan") or 1))
    except ValueError:
        return 1


def _collect_images(body, base: str, layout: Layout, counters: Counter):
    """Photos and videos of the body with their captions; returns (images, videos, caption
    elements to leave out of the text)."""
    caption_els = []
    for q in layout.captions:
        caption_els.extend(el for el in css_all(body, q) if not isinstance(el, str))
    chosen = set(caption_els)
    media = _media(body, base)
    # elements that hold a photo or video (the element and its ancestors up to the body): the
    # caption heuristics below ask "is there a picture in here?" of many blocks
    holders: set = set()
    for el, _, _ in media:
        holders.add(el)
        for anc in el.iterancestors():
            if anc in holders:
                break
            holders.add(anc)
            if anc is body:
                break
    has_media = bool(holders)
    # the only elements the rules below can take: those marked as captions (class, id,
    # figcaption), and those next to a picture (the element after a picture or a picture's
    # block, the first child of a figure, italics inside a picture's block, cells of a table
    # holding one image)
    cand = set(_caption_marked(body))
    above: set = set()  # short italic lines right before an image-only block, when none follows it
    for el in holders:
        nxt = el.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is not None:
            cand.add(nxt)
        if el.tag in ("p", "div", "figure", "center", "table") and el is not body:
            prv = el.getprevious()
            while prv is not None and not isinstance(prv.tag, str):
                prv = prv.getprevious()
            if prv is not None and prv not in holders and not normalize_space(el.text_content()) \
                    and (nxt is None or not _is_caption_candidate(nxt)) and _is_caption_candidate(prv) \
                    and len(normalize_space(prv.text_content())) <= 250:
                above.add(prv)
                cand.add(prv)
        if el.tag == "figure":
            cand.update(c for c in el if isinstance(c.tag, str))
        if el.tag in ("p", "div", "td", "center", "figure"):
            cand.update(el.iter("em", "i"))
        if el.tag == "table":
            cand.update(el.iter("td"))
    # the body's elements once, in document order (the loops below and the caption placing use them)
    all_els = [el for el in body.iter() if isinstance(el.tag, str)]
    order = {el: i for i, el in enumerate(all_els)}
    queue = [order[el] for el in cand if el in order]
    heapq.heapify(queue)
    done_pos: set = set()
    while queue:
        pos_el = heapq.heappop(queue)
        if pos_el in done_pos:
            continue
        done_pos.add(pos_el)
        el = all_els[pos_el]
        if el in chosen:
            continue
        n_before = len(caption_els)
        if el.tag == "figcaption" or (
            el.tag in ("p", "div", "td", "span", "em", "i")
            and _CAPTION_CLASS.search((el.get("class") or "") + " " + (el.get("id") or ""))
        ):
            caption_els.append(el)
        elif not has_media:
            continue  # the other heuristics all start from a picture
        elif el.tag in ("td", "tr"):
            # layout tables of the form [image][caption]
            table = next((a for a in el.iterancestors("table")), None)
            if (
                el.tag == "td"
                and table is not None
                and sum(1 for m in media if m[0].tag == "img" and table in m[0].iterancestors()) == 1
                and el not in holders
                and len(table.findall(".//td")) <= 3
                and normalize_space(el.text_content())
            ):
                caption_els.append(el)
        elif el in above:
            # the caption printed above its picture ("caption above its image" places it)
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        elif el.tag in ("p", "div", "em", "i") and _prev_element_has_img(el, holders) and _is_caption_candidate(el):
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        elif el.tag in ("p", "div") and el not in holders and _prev_element_has_img(el, holders) and _is_centred(el) \
                and len(normalize_space(el.text_content())) <= 200 \
                and _caption_shaped(normalize_space(el.text_content())) and el.find(".//p") is None:
            # a centred line under an image-only block, in a smaller font rather than italics
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        elif el.tag in ("p", "div") and el not in holders and (_prev_is_holder(el, holders) or _prev_is_holder(el, chosen)) \
                and _PHOTO_CREDIT.match(normalize_space(el.text_content())):
            # "Ảnh: Đức Lân" under a picture that already has its caption
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        elif el.tag in ("em", "i") and _follows_img_in_block(el, holders):
            # <p><img …><br><em>caption</em></p>: the image and its caption share one block
            if not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
        if len(caption_els) > n_before:
            chosen.add(caption_els[-1])
            nxt = caption_els[-1].getnext()  # a photo credit may follow the caption
            while nxt is not None and not isinstance(nxt.tag, str):
                nxt = nxt.getnext()
            if nxt is not None and nxt in order:
                heapq.heappush(queue, order[nxt])
    # picture grids: a row of image cells over a row of caption cells, matched by column (a
    # caption cell spanning several columns belongs to each image above it)
    column_caption: dict = {}
    media_els = {m[0]: m for m in media}
    for tr in (body.iter("tr") if has_media else ()):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if len(cells) < 2 or not all(c in holders for c in cells):
            continue
        nxt = tr.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is None or nxt.tag != "tr":
            continue
        caps = [c for c in nxt if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if not caps or any(c in holders for c in caps) or sum(map(_colspan, caps)) != sum(map(_colspan, cells)):
            continue
        col = 0
        starts = []
        for c in cells:
            starts.append((col, col + _colspan(c), c))
            col += _colspan(c)
        col = 0
        for cap_cell in caps:
            span = (col, col + _colspan(cap_cell))
            col = span[1]
            if not normalize_space(cap_cell.text_content()):
                continue
            under = [c for (a, b, c) in starts if a >= span[0] and b <= span[1]]
            els = [m for c in under for m in c.iter(*_MEDIA_TAGS) if m in media_els]
            if els:
                column_caption[cap_cell] = els
                if cap_cell not in caption_els:
                    caption_els.append(cap_cell)
    # the first text after a picture, when it is a short italic block, is its caption even when
    # the picture sits in another container (Google Sites tiles, page-builder columns)
    after_img = False
    for el in (all_els if has_media else ()):
        if el in media_els:
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
            if _is_centred(el) and _is_caption_candidate(el) and el not in caption_els \
                    and not _is_date_line(text) and not any(a in caption_els for a in el.iterancestors()):
                caption_els.append(el)
                counters["extract/caption_heuristic"] += 1
            after_img = False
    # drop nested duplicates (keep the outermost)
    cap_set = set(caption_els)
    caption_els = [c for c in caption_els if not any(a in cap_set for a in c.iterancestors())]
    items = [{"url": src, "caption": None, "_el": el, "_kind": kind} for el, kind, src in media]
    by_el = {it["_el"]: it for it in items}
    for cap in sorted(caption_els, key=lambda c: order.get(c, 0)):
        text = " ".join(clean_blocks(block_texts(cap)))
        if not text:
            continue
        pos = order.get(cap, 0)
        inner = [it for it in items if it["caption"] is None and cap in it["_el"].iterancestors()]
        if inner:
            inner[0]["caption"] = text
            continue
        col = column_caption.get(cap)
        if col:
            targets = [by_el[m] for m in col if by_el[m]["caption"] is None]
            for t in targets:
                t["caption"] = text
            if targets:
                continue
        before = [it for it in items if order.get(it["_el"], -1) < pos]
        if before and before[-1]["caption"] is not None and _PHOTO_CREDIT.match(text):
            before[-1]["caption"] += " " + text  # the photo credit under a captioned picture
            continue
        target = None
        for it in items:
            ipos = order.get(it["_el"], -1)
            if ipos < pos and it["caption"] is None:
                target = it
            elif ipos > pos:
                break
        if target is None:  # caption above its image
            target = next((it for it in items if it["caption"] is None and order.get(it["_el"], 0) > pos), None)
        if target is not None:
            target["caption"] = text
    images = [{"url": it["url"], "caption": it["caption"]} for it in items if it["_kind"] == "image"]
    videos = [{"url": it["url"], "caption": it["caption"]} for it in items if it["_kind"] == "video"]
    # an embedded recording (podcast, radio bulletin) is a file of the article: an attachment, its
    # caption as the text
    audio = [{"url": it["url"], "text": it["caption"] or it["url"].rsplit("/", 1)[-1]} for it in items if it["_kind"] == "audio"]
    return images, videos + [dict(a, _audio=True) for a in audio], set(caption_els)


def _merge_attachments(into: list[dict], more: list[dict]):
    """Add documents not listed yet; a link's own text replaces a bare file name."""
    known = {a["url"]: a for a in into}
    for a in more:
        have = known.get(a["url"])
        if have is None:
            into.append(a)
            known[a["url"]] = a
        elif have["text"] == have["url"].rsplit("/", 1)[-1] and a["text"] != have["text"]:
            have["text"] = a["text"]


def _viewer_target(src: str) -> str:
    """A PDF viewer's file: /pdfjs/web/viewer.html?file=/files/a.pdf -> /files/a.pdf."""
    from urllib.parse import parse_qs, urlsplit

    for key in ("file", "url", "src", "doc"):
        for v in parse_qs(urlsplit(src).query).get(key, []):
            if _DOC_LINK.search(v):
                return v
    return src


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
    for root in roots:
        if root is None or isinstance(root, str):
            continue
        for f in root.iter("iframe", "embed", "object"):  # a document shown in a viewer
            target = _viewer_target((f.get("src") or f.get("data") or "").strip())
            if target and _DOC_LINK.search(target):
                url = urljoin(base, target)
                if url not in seen:
                    seen.add(url)
                    out.append({"url": url, "text": normalize_space(f.get("title") or "") or url.rsplit("/", 1)[-1]})
    return out


_ORG_START = re.compile(r"^(?:%s)\b" % _ORG_WORDS)


def _titlecase_caps(name: str) -> str:
    """'HOÀNG THU' -> 'Hoàng Thu'; mixed-case names and acronyms (TTXVN) are left as printed."""
    words = name.split()
    if len(words) >= 2 and all(w.isupper() and w.isalpha() for w in words):
        return " ".join(w.capitalize() for w in words)
    return name


def split_author(raw: str) -> list[dict]:
    """'Đoàn Ti Vi (Ban Tuyên giáo Thành ủy Hồng Ngự)' -> [{name, nameRaw}]"""
    raw = normalize_space(raw).strip(" .-–—")
    credit = _credit(raw)  # "Nguồn: Báo Đồng Tháp", "(Theo TTXVN)" in an author element
    if credit:
        return credit
    m = _AUTHOR_LABEL.match(raw)
    if m:
        raw = m.group(1).strip(" .")
    mu = _NAME_UNIT.match(_HONORIFIC.sub("", raw))
    if mu:
        return [{"name": mu.group(1).strip(), "nameRaw": raw}]
    if _ORG_START.match(raw) and not any(_names_line(p) for p in _split_names(raw)):
        return [{"name": raw, "nameRaw": raw}]  # a unit: "Ban Dân chủ - Pháp luật" is one name
    out = []
    for part in _split_names(raw):
        part = part.strip(" .")
        ml = _AUTHOR_LABEL.match(part)
        if ml:  # "Bài: Ngọc Hà - Ảnh: Đức Lân"
            part = ml.group(1).strip(" .")
        if not part:
            continue
        name = _titlecase_caps(_HONORIFIC.sub("", re.sub(r"\s*\([^)]*\)\s*$", "", part)).strip())
        if name:
            out.append({"name": name, "nameRaw": part})
    return out


# titles before a name: BS. (doctor), ThS. (master), TS./PGS.TS. (doctor, professor), KS., CN., LS.,
# Đ/c (comrade), NSƯT/NGƯT (honoured artist/teacher)
_HONORIFIC = re.compile(r"^(?:(?:PGS|GS|TS|ThS|BS|BSCKI{1,2}|BSCK\s?I{1,2}|DS|KS|CN|LS|Ls|NSƯT|NSND|NGƯT|NGND|Đ/c|đ/c|Đồng\s+chí)\.?\s*)+(?=[A-ZĐÀ-Ỹ])")


def _split_names(raw: str) -> list[str]:
    """Split a byline at ',', ';', ' - ', 'và', never inside a unit in parentheses."""
    out, depth, start = [], 0, 0
    spans = []
    for i, ch in enumerate(raw):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        spans.append(depth)
    for m in _NAME_TOKEN_SPLIT.finditer(raw):
        if spans[m.start()] == 0 and m.start() > start:
            out.append(raw[start:m.start()])
            start = m.end()
    out.append(raw[start:])
    return out


def _name_like(part: str, max_words: int = 4) -> bool:
    """'Hải Yến', 'NGỌC HÂN', 'N.B', 'Thu Trang (TTVH-TT huyện)': a person's name as bylines print it."""
    part = _HONORIFIC.sub("", re.sub(r"\s*\([^()]{2,120}\)\s*$", "", part.strip(" ."))).strip()
    words = part.split()
    if not 1 <= len(words) <= max_words or any(c in part for c in "?!:;\"“”"):
        return False
    for w in words:
        letters = w.replace(".", "").replace("’", "").replace("'", "")
        if not letters.isalpha() or not w[0].isupper():
            return False
        if not (letters.isupper() or letters[1:].islower() or "." in w or re.fullmatch(r"\w+[’']\w+", w)):
            return False
    return True


def _names_line(block: str) -> bool:
    """One to four names separated by ',', ' - ', 'và': 'Minh Quân - Hải Yến', 'HOÀNG THU'."""
    parts = [p for p in _split_names(block.strip(" .")) if p.strip()]
    if not 1 <= len(parts) <= 4:
        return False
    if len(parts) == 1:  # a single name: two to four words (one word is too weak a signal)
        words = re.sub(r"\s*\([^()]*\)\s*$", "", parts[0]).split()
        return 2 <= len(words) <= 4 and _name_like(parts[0])
    return all(_name_like(p) and len(re.sub(r"\s*\([^()]*\)\s*$", "", p).split()) >= 2 for p in parts)


# Source credits at the end of an article: "Theo baochinhphu.vn", "(Theo TTXVN)", "Nguồn: Báo Nhân Dân"
# an official document's marks: the national motto, "Số: 12/TB-UBND", signature lines
_MOTTO = re.compile(r"độc\s+lập\s*[-–]\s*tự\s+do\s*[-–]\s*hạnh\s+phúc|cộng\s+hòa\s+xã\s+hội\s+chủ\s+nghĩa\s+việt\s+nam|"
                    r"đảng\s+cộng\s+sản\s+việt\s+nam", re.I)
_SIGNATURE = re.compile(r"^(?:t/?m\.?|k/?t\.?|t/?l\.?|q\.|tuq\.)\s+\S|^\(?đã\s+ký\)?$|^nơi\s+nhận\b|"
                        r"^(?:phó\s+)?(?:chủ\s+tịch|bí\s+thư|giám\s+đốc|trưởng\s+ban|chánh\s+văn\s+phòng)(?:\s+thường\s+trực)?\b", re.I)


def _is_document(blocks: list[str]) -> bool:
    """An official notice (thông báo, kế hoạch, quyết định) printed as the article: the national
    motto at its head, or signature lines ("TM. BAN THƯỜNG VỤ", "(Đã ký)", "Nơi nhận") at its end."""
    for b in blocks[:6]:
        low = b.lower()
        # the motto is a header line of its own ("ĐẢNG CỘNG SẢN VIỆT NAM", "Độc lập - Tự do - Hạnh
        # phúc"), not a sentence that names the Party
        if len(b) <= 80 and ("độc lập" in low or "chủ nghĩa" in low or "cộng sản" in low) and _MOTTO.search(low):
            return True
    # signature lines are short: "TM. ỦY BAN NHÂN DÂN", "PHÓ CHỦ TỊCH", "(Đã ký)", not a sentence
    # that opens with "Chủ tịch UBND huyện tiếp công dân …"
    return any(len(b) <= 60 and _SIGNATURE.match(b) and (b.isupper() or b.startswith("(") or "." in b[:4] or "/" in b[:4] or b.lower().startswith("nơi nhận"))
               for b in blocks[-6:])


_CREDIT = re.compile(r"^[(\[]?\s*(?:theo|nguồn(?:\s+tin)?|source|according\s+to)\s*:?\s*([^,;()\[\]]{2,70}?)\s*(\([^()]{2,80}\))?\s*[)\]]?\s*\.?$", re.I)
_SOURCE_WORDS = re.compile(r"^(?:Báo|Cổng|Đài|Tạp\s+chí|Thông\s+tấn|Trang|Website|Kênh|Truyền\s+hình|Tạp\s+san|Bản\s+tin)\b"
                           r"|\b(?:Newspaper|News|Portal|Agency|Television|Radio|Magazine)\b")
_DOMAIN = re.compile(r"^[\w.-]+\.(?:vn|com|net|org|info|gov|edu)(?:\.vn)?(?:/\S*)?$", re.I)
_ORG_LINE = re.compile(r"^(?:%s)\b[^.,;:!?/]{2,80}$" % r"(?:Phòng|Ban|Hội|Trung tâm|Văn phòng|UBND|Ủy ban|Uỷ ban|Đài|Báo(?!\s+cáo)|Sở|Cục|Chi cục|Đoàn|Công an|MTTQ|BCH|Ban Chấp hành|Đảng ủy|Đảng uỷ|Huyện ủy|Huyện uỷ|Thành ủy|Thành uỷ|Tỉnh ủy|Tỉnh uỷ)")


def _credit(block: str) -> list[dict] | None:
    m = _CREDIT.match(block)
    if not m:
        return None
    src = m.group(1).strip(" .")
    if _DOMAIN.match(src) or (src.isupper() and len(src) <= 12) or _SOURCE_WORDS.match(src) or _names_line(src):
        return [{"name": _titlecase_caps(src) if _names_line(src) else src, "nameRaw": block.strip()}]
    return None


def _author_from_block(block: str, others=(), known=None) -> list[dict] | None:
    """The byline at the end of an article, or None. `others`: the article's other blocks (a
    label that recurs in them, "Tác giả: …" in a list of award winners, is content). `known`:
    the authors the layout's author element gave: then a bare name (or unit) line is taken only
    when it names them again; a bare name line is a byline and joins them."""
    if len(block) > 160:
        return None
    m = _AUTHOR_LABEL.match(block)
    if m:
        label = block[: m.start(1)].casefold()
        value = m.group(1).strip()
        if any(b is not block and b[: len(label)].casefold() == label for b in others):
            return None
        if re.match(r"^(?:pv|ctv|phóng\s+viên|nhóm\s+pv)\b", label):
            # interviews: "PV: Thời gian tới, … ?" is a question; a byline names people
            return split_author(block) if _names_line(value) else None
        if any(c in value for c in "?!") or len(value.split()) > 14 or not value[:1].isupper():
            return None
        return split_author(block)
    got = _credit(block)
    if got:
        return got
    if re.fullmatch(r"(?:nhóm\s+)?(?:pv|ctv|phóng\s+viên)\.?", block.strip(), re.I):
        return [{"name": block.strip(" ."), "nameRaw": block.strip()}]  # an unnamed reporter's credit
    plain = _HONORIFIC.sub("", block)
    if _NAME.match(plain) or _NAME_UNIT.match(plain) or _names_line(plain):
        return [dict(a, name=_HONORIFIC.sub("", a["name"]).strip()) for a in split_author(block)]
    if _ORG_LINE.match(block) and len(block.split()) <= 9:
        org = [{"name": block.strip(), "nameRaw": block.strip()}]
        if known:  # a unit's name line is a byline only where the layout did not give one
            return org if block.strip().casefold() in {a["name"].casefold() for a in known} else None
        return org
    return None


_ARTICLE_AUTHOR = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//meta[@property='article:author' or @name='article:author']/@content", smart_strings=False)
_MICRODATA_AUTHOR = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//*[@itemprop='author'][contains(@itemtype, 'Person')]//*[@itemprop='name']/text()", smart_strings=False)
_NOT_A_PERSON = re.compile(r"^(?i:admin(?:istrator)?\d*|quản\s+trị(?:\s+viên)?(?:\s+\d+)?|biên\s+tập(?:\s+viên)?(?:\s+\d+)?|bientap\d*|"
                           r"editor\d*|webmaster|root|user\d*|guest|khách|ban\s+biên\s+tập|bbt|super\s+user)$|^[a-z][a-z0-9_]{2,}$")  # logins: pgdtuyphuoc (a domain credit has a dot)


def _metadata_authors(sel) -> list[dict]:
    """People the page's metadata names as authors: JSON-LD `author` of type Person (or untyped,
    inside an article node) and `article:author`. `<meta name="author">` is left out: portals
    fill it with the site's or the CMS account's name."""
    names: list[str] = []
    for node in D.jsonld_nodes(sel):
        types = node.get("@type")
        types = {t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}
        if not types & {"newsarticle", "article", "blogposting", "reportagenewsarticle", "webpage"}:
            continue
        got = node.get("author")
        for a in (got if isinstance(got, list) else [got]):
            if isinstance(a, dict) and a.get("@type") in (None, "Person") and isinstance(a.get("name"), str):
                names.append(a["name"])
            elif isinstance(a, str) and not a.startswith("http"):
                names.append(a)
    root = sel.root if hasattr(sel, "root") else sel
    for v in _MICRODATA_AUTHOR(root):
        names.append(v)
    for v in _ARTICLE_AUTHOR(root):
        if not v.startswith("http"):
            names.append(v)
    out, seen = [], set()
    for n in names:
        n = fix_unicode(normalize_space(n))[0]
        if not n or len(n) > 120:
            continue
        for a in split_author(n):  # "Quang Huy - Thu Hà (CTV)" in article:author is two people
            if a["name"].casefold() not in seen and not _NOT_A_PERSON.match(a["name"]):
                seen.add(a["name"].casefold())
                out.append(a)
    return out


_VIEW_COUNT = re.compile(r"(?:lượt\s+xem|số\s+lần\s+xem|lượt\s+đọc|đã\s+xem|views?)\s*:?\s*[\d.,]+", re.I)


_PUBLISHED_LABEL = re.compile(r"đăng|xuất\s+bản|published|posted|ngày\s+tạo|created", re.I)
_UPDATED_LABEL = re.compile(r"cập\s+nhật|sửa|updated|modified", re.I)


def _date_segment(text: str) -> str:
    """The part of a date line that is the date: 'Ngày đăng: 20/06/2023 | Lượt xem: 64' ->
    'Ngày đăng: 20/06/2023'. A line without separators comes back as it was (minus a view count)."""
    text = normalize_space(_VIEW_COUNT.sub(" ", text or "")).strip(" |•·-–")
    parts = [p.strip() for p in _LINE_SEGMENTS.split(text) if p.strip()]
    if len(parts) <= 1:
        return text
    # "Cập nhật lúc 08:30, 18/05/2023 | Đăng lúc 15:10, 17/05/2023": the posting, not the update
    published = [p for p in parts if _PUBLISHED_LABEL.search(p) and not _UPDATED_LABEL.search(p)]
    updated = [p for p in parts if _UPDATED_LABEL.search(p)]
    if published:
        parts = published + [p for p in parts if p not in published]
    elif updated and len(updated) < len(parts):
        parts = [p for p in parts if p not in updated] + updated
    for i, p in enumerate(parts):
        pd = D.parse_date(p)
        if pd is not None and (pd.value is not None or not pd.has_year):
            # "23/01/2024 | 19:45", "January 22, 2024 | 09:15": the time is the next segment
            if not pd.has_time and i + 1 < len(parts) and re.fullmatch(r"\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:SA|CH|AM|PM))?", parts[i + 1], re.I):
                return p + " " + parts[i + 1]
            return p
    return text


def _strip_title(title: str, layout: Layout) -> str:
    if layout.title_suffix:
        title = re.sub(layout.title_suffix, "", title)
    return title.strip()


_DATE_LINE_WORDS = re.compile(
    r"(?:đăng\s+ngày|đăng|ngày\s+đăng|ngày\s+cập\s+nhật|cập\s+nhật(?:\s+lúc)?|ngày\s+xuất\s+bản|thời\s+gian\s+đăng|"
    r"đăng\s+lúc|ngày|lúc|giờ|thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s+nhật|sáng|trưa|chiều|tối|"
    r"gmt\s*[+-]?\d*|tháng|năm|posted|published|updated)",
    re.I,
)


# "Krông Búk, ngày …", "Ea H’leo, ngày …", "Cư M'gar, ngày …": a place (names with apostrophes too)
_PLACE_DATELINE = re.compile(r"^[A-ZĐÀ-Ỹ][\w.’']*(?:\s+[A-ZĐÀ-Ỹ][\w.’']*){0,3}\s*,\s*(?=ngày\s+\d)", re.UNICODE)


_LINE_CHROME = re.compile(r"(?:lượt\s+xem|số\s+lần\s+xem|lượt\s+đọc|views?)\s*:?\s*[\d.,]+|\ba\s*[-+]|(?<!\w)a(?!\w)|"
                         r"chia\s+sẻ\s*:?|in\s+bài|gửi\s+email|cỡ\s+chữ\s*:?", re.I)


_LINE_SEGMENTS = re.compile(r"\s*[|•·]\s*")
_META_SEGMENT = re.compile(r"^(?:chuyên\s+mục|danh\s+mục|lĩnh\s+vực|thể\s+loại|tác\s+giả|người\s+(?:đăng|viết)|đăng\s+bởi|"
                           r"nguồn(?:\s+tin)?|lượt\s+(?:xem|đọc)|số\s+lượt\s+xem)\s*:\s*.{1,50}$", re.I)


def _is_date_line(block: str, first: bool = False) -> bool:
    """'Đăng ngày: 04-11-2023 11:18', 'Thứ Năm, 06/07/2023 16:05', 'Krông Búk, ngày 06 tháng 12 năm
    2023': a line that is only a date (with, for datelines, the place it was written), or a date
    with the toolbar of its line ("12/01/2024 - 10:35 Lượt xem: 1.254 A- A A+"). `first`: the
    body's first line, where a date may also carry its category ("10:30 19/01/2024 Chuyển đổi số")."""
    if len(block) > 90:
        return False
    parts = _LINE_SEGMENTS.split(block)
    if len(parts) > 1:
        # "Ngày đăng: 04/12/2023 08:40 | Chuyên mục: Tin kinh tế": a date beside labelled metadata
        dates = [p for p in parts if p.strip() and _is_date_line(p, first)]
        if dates and all(p in dates or not p.strip() or _META_SEGMENT.match(p.strip()) for p in parts):
            return True
    block = _LINE_CHROME.sub(" ", block)
    block = _PLACE_DATELINE.sub("", block)
    pd = D.parse_date(block)
    if pd is None or (pd.value is None and pd.has_year):
        return False
    rest = _DATE_LINE_WORDS.sub(" ", block)
    rest = re.sub(r"[\d/:\-.,|()\[\]–—]+", " ", rest)
    if not rest.split():
        return True
    # the category printed after the date on the article's first line: a few capitalised words
    return first and len(rest.split()) <= 4 and bool(re.match(r"^\s*[\d/:.\s|–-]{8,}", block)) and rest.strip()[:1].isupper()


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


# where the generic path (no layout) looks for a lead: class names portals use


_LEAD_MARKS = ("sapo", "summary", "excerpt", "post-description", "article-description", "tom-tat", "tomtat", "lead",
               "intro", "trich-yeu", "trichyeu")
_MARKED = __import__("lxml.etree", fromlist=["XPath"]).XPath("//*[@class or @itemprop]")


def _generic_lead(root, body_el) -> list[str]:
    """A lead (sapo) box before the body: its class says so (sapo, summary, tomTat, TomTatTin,
    lead, intro…, in any case) or itemprop=description."""
    if body_el is None:
        return []
    order = {el: i for i, el in enumerate(root.iter())}
    body_pos = order.get(body_el, 10**9)
    found = []
    for el in _MARKED(root):
        if el.tag in ("meta", "html", "body", "h1", "title") or el is body_el:
            continue
        cls = (el.get("class") or "").lower()
        rank = next((i for i, m in enumerate(_LEAD_MARKS) if m in cls), None)
        if el.get("itemprop") == "description":
            rank = 0
        if rank is None:
            continue
        if el.tag in ("h2", "h3", "h4", "h5", "h6") and rank == _LEAD_MARKS.index("lead") and "leading" in cls:
            continue  # "leading-tight" on a heading is a style (Tailwind), not a lead
        if body_el in el.iterancestors() or el in body_el.iterancestors() or order.get(el, 0) > body_pos:
            continue
        if any(a.tag in ("a", "li", "nav", "aside", "footer") for a in el.iterancestors()):
            continue
        found.append((rank, order.get(el, 0), el))
    for _, _, el in sorted(found, key=lambda x: (x[0], -x[1])):
        blocks = clean_blocks(block_texts(el))
        text = " ".join(blocks)
        if 40 <= len(text) <= 900:
            return blocks
    return []


_CHROME_CLASS = re.compile(r"header|top-?bar|top_bar|banner|menu|navbar|footer|sidebar|side-bar|breadcrumb|widget|related|"
                           r"other|tin-?khac|lien-?quan|weather|clock|today|marquee|slider|ticker|comment", re.I)
_CHROME_TAGS = frozenset(("header", "footer", "nav", "aside", "li", "a", "marquee", "form", "select", "option"))


def _in_chrome(el, stop=None, allow_header=False) -> bool:
    """The element sits in page chrome (header bar with today's date, menus, sidebars, lists of
    other news, comments), looking up to `stop` (the article's container), not beyond it."""
    for a in (el, *el.iterancestors()):
        if a is stop:
            return False
        tag = a.tag if isinstance(a.tag, str) else ""
        if tag in _CHROME_TAGS and not (allow_header and tag == "header"):
            return True
        look = (a.get("class") or "") + " " + (a.get("id") or "")
        m = _CHROME_CLASS.search(look)
        if m and not (allow_header and m.group(0).lower() == "header"):
            return True
    return False


def article_scope(root, title_el, body_el):
    """The article's container: the lowest common ancestor of its title and its body (the
    place of the date line, byline and attachments), or the body's parent."""
    if body_el is None or isinstance(body_el, str):
        return None
    if title_el is not None and not isinstance(title_el, str):
        mine = [body_el, *body_el.iterancestors()]
        theirs = {title_el, *title_el.iterancestors()}
        lca = next((a for a in mine if a in theirs), None)
        if lca is not None and lca.tag not in ("html", "body") and lca is not body_el:
            return lca
    parent = body_el.getparent()
    return parent if parent is not None and parent.tag not in ("html", "body") else None


def _scope_blocks(scope, body_el):
    """The article container's children that are neither the body nor page chrome (lists of
    other news, share bars, comment forms): where attachments and bylines beside the body are.
    Looked for among the children of the container and of the body's ancestors inside it."""
    out = []
    if scope is None:
        return out
    path = []
    node = body_el
    while node is not None and node is not scope:
        path.append(node)
        node = node.getparent()
    if node is None:
        path = []  # the body is not inside the container
    on_path = set(path)
    for container in [scope] + [p for p in reversed(path) if p is not body_el]:
        for child in container:
            if not isinstance(child.tag, str) or child in on_path:
                continue
            look = ((child.get("class") or "") + " " + (child.get("id") or ""))
            if child.tag in ("nav", "aside", "footer", "form", "script", "style") or _NOT_BESIDE.search(look):
                continue
            out.append(child)
    return out


_NOT_BESIDE = re.compile(r"related|other|tin-?khac|lien-?quan|comment|binh-?luan|share|social|tags?\b|sidebar|widget|menu|banner", re.I)


_AUTHOR_BOX = re.compile(r"author|tac-?gia|tacgia|byline|by-line|writer|nguoi-?viet", re.I)


def _scope_author(scope, body_el) -> list[dict]:
    """A byline element beside the body: class or rel says author, its text a short name line."""
    for block in _scope_blocks(scope, body_el):
        for el in (block, *block.iter()):
            if not isinstance(el.tag, str):
                continue
            look = (el.get("class") or "") + " " + (el.get("id") or "") + " " + (el.get("rel") or "") + " " + (el.get("itemprop") or "")
            if not _AUTHOR_BOX.search(look):
                continue
            text = fix_unicode(normalize_space(el.text_content()))[0]
            if not text or len(text) > 120:
                continue
            got = _author_from_block(text) or (split_author(text) if _name_like(text.split(":")[-1].strip(), 5) else None)
            if got and not any(_NOT_A_PERSON.match(a["name"]) for a in got):
                return got
    return []


_DATE_MARK = re.compile(r"date|time|ngay|published|meta|submitted|info", re.I)
_DATE_LINE_TAGS = ("p", "div", "span", "time", "em", "small", "i", "strong", "td", "h4", "h5", "h6")
_CLASSED = __import__("lxml.etree", fromlist=["XPath"]).XPath("descendant::*[@class or @id or @property or self::time]")


def _date_marked(root):
    """Elements marked as dates: a class or id saying date/time/ngay/meta/…, RDFa dc:date, <time datetime>."""
    for el in _CLASSED(root):
        if el.tag == "time" and el.get("datetime"):
            yield el
        elif _DATE_MARK.search((el.get("class") or "") + " " + (el.get("id") or "")) or "dc:date" in (el.get("property") or ""):
            yield el


def _date_lines(root):
    """Short leaf lines with a digit and a date separator: where a date line can be."""
    for el in root.iter(*_DATE_LINE_TAGS):
        if len(el) > 6 or el.find(".//p") is not None:
            continue
        text = el.text_content()
        if len(text) > 160 or not any(c.isdigit() for c in text):
            continue
        t = normalize_space(text)
        if 5 <= len(t) <= 80 and ("/" in t or "-" in t or "." in t or "háng" in t):
            yield el


def _date_candidates(root, body_el, scope, scope_only=False):
    """Elements that may hold the page's date, in the order they are tried: inside the article's
    container first (marked date elements, then any short line that is only a date), then, for
    pages without a known layout, marked date elements elsewhere that are not page chrome."""
    seen = set()

    def outside_body(el):
        return body_el is None or not (el is body_el or body_el in el.iterancestors())

    if scope is not None:
        for el in _date_marked(scope):
            if el in seen or not outside_body(el) or _in_chrome(el, scope, allow_header=True):
                continue
            seen.add(el)
            yield el, False
        for el in _date_lines(scope):
            if el in seen or not outside_body(el) or _in_chrome(el, scope, allow_header=True):
                continue
            seen.add(el)
            yield el, True
    if scope_only:
        return
    for el in _date_marked(root):
        if el in seen or el.tag in ("html", "body", "meta", "script", "style"):
            continue
        if not outside_body(el) or _in_chrome(el):
            continue
        seen.add(el)
        yield el, False


def _generic_date(root, body_el, scope=None, scope_only=False) -> D.ParsedDate | None:
    for el, strict in _date_candidates(root, body_el, scope, scope_only):
        text = el.get("datetime") or el.get("content") or _date_segment(normalize_space(el.text_content()))
        if not text or len(text) > 80:
            continue
        if strict and not _is_date_line(text):
            continue
        pd = D.parse_date(text, source="page")
        if pd and pd.value:
            if el.get("datetime") or el.get("content"):
                visible = _date_segment(normalize_space(el.text_content()))
                if visible:
                    pd.raw = visible
            return pd
    return None


def extract_article(html: str | Selector, url: str, layouts=(), *, listing_date: str | None = None,
                    capture_date: str | None = None, body_hint=None) -> Extraction:
    try:
        return _extract(html, url, layouts, listing_date=listing_date, capture_date=capture_date, body_hint=body_hint)
    finally:
        _INDEXES.clear()  # the trees indexed for this page are the caller's again


def _extract(html, url, layouts, *, listing_date, capture_date, body_hint) -> Extraction:
    sel = html if isinstance(html, Selector) else Selector(text=html, type="html", base_url=url)
    counters: Counter = Counter()
    notes: list[str] = []
    layout = choose_layout(sel, layouts, capture_date) or Layout()
    rules = layout.rules()
    base = _first_value(sel.root, _BASE_HREF) or url
    base = urljoin(url, base)

    # ---- headline
    title = ""
    title_el = None
    for q in layout.title:
        t = " ".join(clean_blocks(block_texts(s.root))) if (s := _first(sel, [q])) is not None and not isinstance(s.root, str) else ""
        t = re.sub(r"^null\s+", "", t)
        if t:
            title, title_el = t, s.root
            break
    title_from = "layout" if title else None
    if not title:
        h1 = _visible_h1(sel.root)
        for q, el in (("og", None), ("h1", h1), ("title", None)):
            if q == "og":
                t = _first_value(sel.root, _OG_TITLE) or ""
            elif q == "h1":
                t = element_text(el) if el is not None else ""
            else:
                t = _text_of(_first(sel, ["title"]))
            t = _strip_title(fix_unicode(normalize_space(t))[0], layout)
            if t:
                title, title_from = t, q
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
    document_only = None  # the body element of a document notice with no text
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
        if not _has_text(body):
            if _is_document_only(body_sel.root, body):
                # a document notice ("văn bản"): title, date and the file (a link, a PDF viewer);
                # its text is the attachment, nothing of the page is its body
                document_only = body_sel.root
                counters["extract/document_only"] += 1
            body = None
    body_src = body_sel.root if body is not None and body_sel is not None else None  # the page's element
    if document_only is not None:
        body_src = document_only
    if body is None and body_hint is not None and document_only is None:
        # the densest prose cluster of the page (crawler.extract.generic.page_kind)
        body = copy.deepcopy(body_hint)
        body_src = body_hint
        if layout.body:
            counters["extract/fallback"] += 1
            notes.append("layout selectors found no body; densest prose block used")
            path = "fallback"
        else:
            path = "generic"
    if body is None and document_only is None:
        if layout.body:
            notes.append("site selectors found no body; trafilatura fallback")
        counters["extract/fallback"] += 1
        path = "fallback"
        body = trafilatura_body(html if isinstance(html, str) else sel.get(), url)
        if body is not None and sum(c.isalpha() for c in body.text_content()) < 40:
            # what trafilatura kept is no article (a visitor counter's figures, a menu): nothing
            notes.append("trafilatura's choice holds no prose; no body")
            counters["extract/fallback_rejected"] += 1
            body = None
    if body is not None:
        # embedded posts, and a slider plugin's gallery (Slider Revolution): its slides repeat
        # pictures of the text with overlay captions, placeholders as src (dummy.png)
        for el, what in _EMBEDS_AND_SLIDERS(body):
            if el.getparent() is not None:
                _drop(el)
                counters[what] += 1
        _drop_related_boxes(body, counters)
        for el in [e for e in _STYLED(body) if _is_hidden(e)] + [e for e in _CLASSED_DESC(body) if _SR_ONLY.search(e.get("class"))]:
            if el.getparent() is not None and el.find(".//img") is None:
                _drop(el)
                counters["boilerplate/hidden_element"] += 1

    # ---- the title element: the layout's, else the heading right before the body (an <h2
    # class="TieuDeTin"> where the page has no <h1>), else the page's visible <h1>
    if title_el is None:
        near = _heading_before(body_src) if body_src is not None else None
        if near is not None and title_from in ("title", None):
            t = fix_unicode(element_text(near))[0]
            if t:
                title, title_from = t, "heading"  # the <title> is often the site's generic "Chi tiết tin tức"
        title_el = near if near is not None else _visible_h1(sel.root)

    # ---- author from selector (removed from body if it lives there)
    authors: list[dict] = []
    if layout.author:
        a_sel = _first(sel, layout.author)
        if a_sel is not None:
            a_text = _text_of(a_sel)
            if a_text:
                authors = [a for a in split_author(fix_unicode(a_text)[0]) if not _NOT_A_PERSON.match(a["name"])]
        if body is not None:
            for q in layout.author:
                for el in css_all(body, q):
                    if not isinstance(el, str):
                        _drop(el)

    images, videos, attachments, blocks, recordings = [], [], [], [], []
    if body is not None:
        images, videos, caption_els = _collect_images(body, base, layout, counters)
        recordings = [{"url": v["url"], "text": v["text"]} for v in videos if v.get("_audio")]
        videos = [v for v in videos if not v.get("_audio")]
        attachments = _attachments([body], base)
        blocks = clean_blocks(block_texts(body, skip=caption_els, counters=counters), counters)
    if body is not None and recordings:
        _merge_attachments(attachments, recordings)
    if document_only is not None:
        attachments = _attachments([document_only], base)
    if layout.attachments:
        _merge_attachments(attachments, _attachments([el for q in layout.attachments for el in css_all(sel.root, q)], base))
    scope = article_scope(sel.root, title_el, body_src)
    for q in layout.featured:
        hit = _first(sel, [q])
        if hit is None or isinstance(hit.root, str) or (body_src is not None and body_src in hit.root.iterancestors()):
            continue
        box = copy.deepcopy(hit.root)
        lead_imgs, _, _ = _collect_images(box, base, Layout(), counters)
        known = {im["url"] for im in images}
        images = [im for im in lead_imgs if im["url"] not in known] + images
        break
    if scope is not None and path != "layout" or (scope is not None and not layout.attachments):
        # documents linked beside the body ("Tệp đính kèm" under the article)
        _merge_attachments(attachments, _attachments([el for el in _scope_blocks(scope, body_src)], base))

    # ---- lead (sapo / summary)
    lead_blocks: list[str] = []
    if layout.lead:
        ls = _first(sel, layout.lead)
        if ls is not None and not isinstance(ls.root, str):
            lead_blocks = apply_rules(clean_blocks(block_texts(ls.root), counters), rules, counters, allow_tail=False)
    if not lead_blocks and path in ("generic", "fallback") and body_src is not None:
        lead_blocks = apply_rules(_generic_lead(sel.root, body_src), rules, counters, allow_tail=False)
        if not lead_blocks:
            bold = _bold_block_before(body_src)  # page builders print the sapo as a bold text box
            if bold is not None:
                lead_blocks = apply_rules(clean_blocks(block_texts(bold), counters), rules, counters, allow_tail=False)
    if title_from == "title" and blocks and body is not None:
        # no heading outside the body and a generic <title> ("UBND xã … - Tin tức"): the body's
        # first line, when it is a heading or marked as the title, is the headline
        first_text = [el for el in body.iter("h1", "h2", "h3", "p", "div", "span", "strong", "b", "td")
                      if el is not body and normalize_space(el.text_content())][:8]
        head = next((el for el in first_text if normalize_space(el.text_content()) == blocks[0]), None)
        if head is not None and (head.tag in ("h1", "h2", "h3") or _TITLE_CLASS.search(head.get("class") or "")) \
                and len(blocks[0]) <= 300:
            title, title_from = blocks[0], "body_heading"

    blocks = apply_rules(blocks, rules, counters)
    # title repeated at the top of the body, date lines, leaked "null <title>"
    norm_title = title.casefold()
    document = _is_document(blocks)  # its dateline ("Liêm Hải, ngày 12 tháng 9 năm 2023") is its text
    cleaned = []
    date_line_pd = end_date_pd = None
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
        if (i < 3 or i >= len(blocks) - 2) and not isinstance(b, CellText) and not document and _is_date_line(b, first=not cleaned):
            counters["boilerplate/date_line"] += 1
            if i < 3:
                date_line_pd = date_line_pd or D.parse_date(b, source="page")
            else:  # a date at the end of the text is weaker evidence than the lead's own date
                end_date_pd = end_date_pd or D.parse_date(b, source="page")
            continue
        cleaned.append(b)
    blocks = cleaned
    if lead_blocks:
        n = len(lead_blocks)
        if blocks[:n] != lead_blocks:
            blocks = lead_blocks + [b for b in blocks if b not in lead_blocks]

    # ---- author from the end of the body: the byline, and a source credit after or before it
    # (not from an official notice: its last lines are the signature block, part of its text)
    if blocks and not document:
        found: list[dict] = []
        for k in (1, 2):
            if len(blocks) >= k + 1 and not isinstance(blocks[-k], CellText):
                got = _author_from_block(blocks[-k], blocks, known=authors)
                if got:
                    found = got
                    del blocks[-k]
                    if k == 1 and len(blocks) >= 2 and not isinstance(blocks[-1], CellText) \
                            and _credit(got[0]["nameRaw"]) is not None:
                        more = _author_from_block(blocks[-1], blocks, known=authors)  # the byline above a credit
                        if more:
                            found = more + found
                            del blocks[-1]
                    break
        if found and not authors:
            authors = found
            counters["extract/author_from_body"] += 1
        elif found:
            have = {a["name"].casefold() for a in authors}
            authors = authors + [a for a in found if a["name"].casefold() not in have]  # a credit line
    # "Tác giả: …" anywhere in the last blocks of the page
    if not authors:
        body_root = body_src
        page_text = sel.root.text_content() if hasattr(sel.root, "text_content") else ""
        for s in (_AUTHOR_TEXT_XPATH(sel.root)[:3] if any(w in page_text for w in ("Tác giả", ", ảnh", "và ảnh")) else ()):
            owner = s.getparent() if hasattr(s, "getparent") else None
            if body_root is not None and owner is not None and (owner is body_root or body_root in owner.iterancestors()):
                continue  # inside the article text: content (a list of award winners), not its byline
            block = owner
            while block is not None and block.tag in ("strong", "b", "em", "i", "span", "font", "a"):
                block = block.getparent()
            t = normalize_space(block.text_content()) if block is not None else normalize_space(s)
            if not _AUTHOR_LABEL.match(t):
                t = normalize_space(s)  # "Tác giả: X" as one text node inside a longer block
            if _AUTHOR_LABEL.match(t) and len(t) < 120:
                authors = split_author(fix_unicode(t)[0])
                break
    authors = [a for a in authors if not _NOT_A_PERSON.match(a["name"])]  # CMS accounts: admin, Biên tập viên
    if not authors and scope is not None:
        authors = _scope_author(scope, body_src)
        if authors:
            counters["extract/author_beside_body"] += 1

    if not authors:
        authors = _metadata_authors(sel)
        if authors:
            counters["extract/author_from_meta"] += 1

    description = " ".join(lead_blocks) if lead_blocks else None
    if not description:
        # the page's description is the lead when it is the whole first paragraph; a cut-off
        # excerpt of it ("…", "...") is the CMS's teaser, not a lead the page has
        meta_desc = fix_unicode(normalize_space(_first_value(sel.root, _META_DESCRIPTION) or ""))[0]
        if meta_desc and blocks and meta_desc.rstrip(" .…").casefold() == blocks[0].rstrip(" .…").casefold() \
                and not meta_desc.endswith(("...", "…")):
            description = blocks[0]
    if not description and blocks and body is not None and 60 <= len(blocks[0]) <= 700:
        # a sapo printed as the body's first paragraph in bold (many portals' editors do this)
        first = next((el for el in body.iter("p", "div", "h2", "h3") if el is not body and normalize_space(el.text_content())
                      and el.find(".//p") is None and el.find(".//div") is None), None)
        if first is not None and _all_bold(first) and not _QUESTION.search(blocks[0]) \
                and normalize_space(fix_unicode(first.text_content())[0]) == blocks[0]:
            description = blocks[0]
            counters["extract/lead_from_bold"] += 1

    # ---- dates
    date_raw = None
    pd = None
    for q in layout.date:
        s = _first(sel, [q])
        if s is None:
            continue
        t = _date_segment(_text_of(s))
        attr = None if isinstance(s.root, str) else (s.root.get("datetime") or s.root.get("content"))
        if not t and attr:
            t = attr
        if t:
            date_raw = t
            pd = D.parse_date(t, source="page")
            if attr and attr != t:
                # the machine-readable value (datetime=, content=) is authoritative and the more
                # precise; the raw stays the page's wording
                apd = D.parse_date(attr, source="page")
                if apd is not None and apd.value is not None:
                    apd.raw = t
                    pd = apd
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
    if pd is None or pd.value is None:
        # the layout's date selectors found nothing (or there is no layout): a date line in the
        # article's container, then (no layout) a marked date element that is not page chrome
        body_root = body_src
        gpd = _generic_date(sel.root, body_root, article_scope(sel.root, title_el, body_root),
                            scope_only=bool(layout.date))
        if gpd is not None:
            pd = gpd
            counters["date/generic_scan"] += 1
    if pd is None or (pd.value is None and pd.has_year):
        # no page date, or one that could not be read: the lead's event date ("Chiều ngày 21/12, …");
        # a page date without its year stays the page's date, its year completed below
        lpd = D.lead_date(blocks[0] if blocks else None)
        if lpd is not None:
            pd = lpd
    if (pd is None or pd.value is None) and end_date_pd is not None and end_date_pd.value is not None:
        pd = end_date_pd
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
            title_years=D.event_years(title),
            lead_years=D.event_years(blocks[0]) if blocks else [],
            body_years=[y for b in blocks for y in D.event_years(b)],
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
    if not section:
        section = next((n["articleSection"] for n in D.jsonld_nodes(sel) if isinstance(n.get("articleSection"), str)), None)
    if section:
        section = fix_unicode(normalize_space(section))[0] or None

    canonical = _first_value(sel.root, _CANONICAL) or _first_value(sel.root, _OG_URL)
    lang = (_first_value(sel.root, _HTML_LANG) or "vi").split("-")[0].lower() or "vi"

    body_text = "\n\n".join(blocks)
    if lang != "vi" and _looks_vietnamese(body_text):
        # themes ship <html lang="en-US"> whatever the site writes in: the text decides
        notes.append(f"<html lang> says {lang!r}, the text is Vietnamese")
        lang = "vi"
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
        "videos": videos,
        "attachments": attachments,
        "inLanguage": lang if lang in ("vi", "en") else "vi",
        "section": section,
    }
    return Extraction(fields=fields, counters=counters, notes=notes, layout=layout.name, path=path)


_STYLED = __import__("lxml.etree", fromlist=["XPath"]).XPath("descendant::*[@style or @hidden or @aria-hidden]")
# embedded posts' fallback markup (the post's text and "Đăng bởi … vào …" until the widget's script runs)
_EMBED_CLASSES = frozenset("fb-post fb-xfbml-parse-ignore twitter-tweet instagram-media tiktok-embed zalo-share-button".split())
_CLASSED_DESC = __import__("lxml.etree", fromlist=["XPath"]).XPath("descendant::*[@class]")


# letters only Vietnamese writes (breve, horn, đ, dot below, hook above, two marks on one vowel)
_VI_LETTERS = frozenset("ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ")


def _looks_vietnamese(text: str) -> bool:
    """Vietnamese letters in a share no other Latin-script text has (a twentieth of letters and more)."""
    letters = [c for c in text[:4000].lower() if c.isalpha()]
    return len(letters) >= 200 and sum(c in _VI_LETTERS for c in letters) >= 0.05 * len(letters)


_SLIDER_TAGS = frozenset(("rs-module-wrap", "rs-module"))
_SLIDER_CLASSES = frozenset("rev_slider_wrapper rev_slider forcefullwidth_wrapper_tp_banner".split())


def _EMBEDS_AND_SLIDERS(body) -> list:
    out = []
    for el in _CLASSED_DESC(body):
        cls = el.get("class").split()
        if not _EMBED_CLASSES.isdisjoint(cls):
            out.append((el, "boilerplate/social_embed"))
        elif not _SLIDER_CLASSES.isdisjoint(cls):
            out.append((el, "boilerplate/slider"))
    out += [(el, "boilerplate/slider") for el in body.iter(*_SLIDER_TAGS)]
    return out


def _is_hidden(el) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


# text for screen readers only ("Previous", "Next" of a carousel, "Opens in a new window")
_SR_ONLY = re.compile(r"\b(?:sr-only|visually-hidden|screen-reader-text|hide-accessible|element-invisible|sr-text)\b")


_RELATED_HEAD = re.compile(
    r"^[\s»>›•·*\-–]*(?:tin\s+liên\s+quan|bài\s+(?:viết\s+)?liên\s+quan|tin\s+khác|các\s+tin\s+khác|tin\s+cùng\s+chuyên\s+mục|"
    r"tin\s+bài\s+khác|các\s+bài\s+(?:viết\s+)?khác|xem\s+thêm|đọc\s+thêm|xem\s+tiếp|có\s+thể\s+bạn\s+quan\s+tâm|"
    r"tin\s+mới(?:\s+nhất)?|bài\s+viết\s+khác|related)\b", re.I)
_RELATED_FIRST = frozenset("tbxđcr»>›•·*-–")  # the first character any related-news heading can have
# the heading alone: "Tin liên quan:", "» Xem thêm:", "ĐỌC THÊM"
_RELATED_HEADING = re.compile(_RELATED_HEAD.pattern + r"[\s:»>…]*$", re.I)


def _link_share(el) -> tuple[int, int]:
    """(characters of text, characters of link text) of an element."""
    text = len(normalize_space(el.text_content()))
    links = sum(len(normalize_space(a.text_content())) for a in el.iter("a"))
    return text, links


def _drop_related_boxes(body, counters):
    """Related-news blocks placed inside the article, removed with the article text around them
    kept:
    - a container (or a paragraph) that opens with a related-news heading and is mostly links;
    - a heading alone on its line ("Tin liên quan:", "Xem thêm:") with the run of link blocks
      that follows it (a list, or paragraphs of one link each), up to the next prose."""
    # a heading is the start of some text node: look for one before looking at every container
    # (most articles have none)
    if not any(_RELATED_HEAD.match(t.lstrip()[:80]) for el in body.iter() if isinstance(el.tag, str)
               for t in (el.text, el.tail) if t and t.lstrip()[:1].lower() in _RELATED_FIRST):
        return
    for el in list(body.iter("div", "section", "aside", "table", "ul", "nav", "p", "li")):
        if el is body or el.getparent() is None:
            continue
        text = normalize_space(el.text_content())
        if not text or len(text) > 3000 or not _RELATED_HEAD.match(text) or _RELATED_HEADING.match(text):
            continue
        _, link_text = _link_share(el)
        if link_text >= 0.5 * len(text):
            _drop(el)
            counters["boilerplate/related_news_box"] += 1
    for el in list(body.iter()):
        if not isinstance(el.tag, str) or el is body or el.getparent() is None or el.tag == "a":
            continue
        if el.tag not in ("p", "div", "h2", "h3", "h4", "h5", "h6", "strong", "b", "span", "header", "li", "em"):
            continue
        text = normalize_space(el.text_content())
        if not text or len(text) > 60 or not _RELATED_HEADING.match(text):
            continue
        head = el  # the outermost element that holds nothing but the heading
        while head.getparent() is not None and head.getparent() is not body \
                and normalize_space(head.getparent().text_content()) == text:
            head = head.getparent()
        if head.getparent() is None or (head.tail or "").strip():
            continue
        run = []
        nxt = head.getnext()
        while nxt is not None:
            if isinstance(nxt.tag, str):
                n_text, n_links = _link_share(nxt)
                if n_text and n_links < 0.5 * n_text:
                    break  # prose: the article goes on
                if any(_DOC_LINK.search(a.get("href") or "") for a in nxt.iter("a")):
                    break  # the article's attachments, not related news
                if n_text or nxt.find(".//img") is None:
                    run.append(nxt)
                else:
                    break
            if (nxt.tail or "").strip():
                break
            nxt = nxt.getnext()
        if not any(_link_share(r)[1] for r in run):
            continue  # no links follow: the block rules decide (a trailing heading ends the article)
        for r in run:
            _drop(r)
        _drop(head)
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
