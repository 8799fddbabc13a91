"""Vietnamese dates as public-sector portals write them, always in Asia/Ho_Chi_Minh.

dateparser alone returns None for most of these ("Đăng ngày: 04-11-2023 11:18", "Chiều ngày 21/12",
"Sáng 24/3", "Cập nhật: 10:20 ngày 24/03/2023"), so this layer reads the numeric and "ngày … tháng
… năm …" forms itself and keeps dateparser beneath it for anything else (English month names,
"2 ngày trước" is deliberately refused: relative dates are not publication dates).

A date whose year is missing ("Chiều ngày 21/12") is completed from page context by `infer_year`,
and the source of the year is recorded. Nothing is ever filled from the crawl time.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")  # no DST since 1975: a fixed offset
MIN_YEAR, MAX_YEAR = 1990, 2100

_WEEKDAY = re.compile(
    r"\b(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|cn)\b\s*[,\-–|]?\s*", re.I
)
# Labels seen before dates: Đăng ngày (posted on), Ngày đăng (date posted), Cập nhật (updated),
# Ngày (date), Thời gian (time), Ngày xuất bản (published), Ngày cập nhật (date updated).
_LABEL = re.compile(
    r"^\s*(?:đăng\s+ngày|ngày\s+đăng|ngày\s+xuất\s+bản|ngày\s+cập\s+nhật|cập\s+nhật\s+lúc|cập\s+nhật"
    r"|thời\s+gian\s+đăng|thời\s+gian|đăng\s+lúc|ngày|posted|published|updated)\s*:?\s*",
    re.I,
)
_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
# NukeViet 4 writes article:published_time with PHP's date('Y-m-dTH:i:s'), where "T" prints the
# zone abbreviation: "2023-07-06+0716:05:00" is 16:05 at +07
_PHP_T = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})([+-]\d{2})(\d{2}):(\d{2})(?::(\d{2}))?(?!\d)")
_DMY = re.compile(r"(?<![\d/.\-])(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\d/])")
# "ngày 24 tháng 3 năm 2023", "24 tháng 3, 2023", and the .NET/ICU vi-VN long form "6 tháng 7 2023"
_LONG = re.compile(
    r"(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:năm|,)?\s*(\d{4})(?!\d))?", re.I
)
# "14 Tháng Sáu, 2023", "ngày 2 tháng Mười Hai năm 2023" (WordPress/Joomla in Vietnamese write month names)
_MONTH_WORDS = {"một": 1, "giêng": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7,
                "tám": 8, "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12}
_WORD_MONTH = re.compile(
    r"(?<!\d)(\d{1,2})\s+tháng\s+(mười\s+một|mười\s+hai|một|giêng|hai|ba|tư|bốn|năm|sáu|bảy|bẩy|tám|chín|mười|chạp)"
    r"\b\s*(?:năm|,)?\s*(\d{4})(?!\d)", re.I)
_WP_SHORT = re.compile(r"\bth(?:g|áng)?\s?(\d{1,2})\s+(\d{1,2}),\s*(\d{4})(?!\d)", re.I)
_DM = re.compile(r"(?<![\d/.\-])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_TIME = re.compile(
    r"(?<![\d/.\-])(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})(?:\s*:\s*(\d{2}))?(?:\s*(am|pm|sa|ch)\b)?",
    re.I,
)
_PART_OF_DAY = re.compile(r"\b(sáng|trưa|chiều|tối|đêm)\b", re.I)
_YEAR = re.compile(r"(?<![\d/.\-])(199\d|20[0-9]\d)(?![\d])")
# A lead that opens with an event date: "Chiều ngày 21/12, …", "Sáng 24/3, …", "Ngày 01/11, …",
# possibly after a dateline "BBK - ".
_LEAD_DATE = re.compile(
    r"^(?:[(\[]?[A-ZĐÀ-Ỹ][\w.]{0,20}(?:\s+[A-ZĐÀ-Ỹ][\w.]*){0,3}[)\]]?\s*[-–—:]\s*)?"  # dateline: BBK -, (BBK) -, Chợ Mới -
    r"(?:(?:sáng|trưa|chiều|tối|đêm)\s+)?(?:hôm\s+)?(?:ngày\s+)?"
    r"(\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{4})?|\d{1,2}-\d{1,2}-\d{4}|\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)",
    re.I,
)
# an event date later in the lead's first sentence, marked by the part of the day: "Thực hiện Kế
# hoạch số 112-KH/TU ngày 15/12/2022 …, sáng 06/01, …" (the plan's date is not the event's)
_LEAD_EVENT = re.compile(r"(?:^|[,;]\s+)((?:sáng|trưa|chiều|tối|đêm)\s+(?:ngày\s+)?\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{4})?)(?![\d/])", re.I)


@dataclass
class ParsedDate:
    """A date read from text. `value` is None when the text held no readable date."""

    raw: str
    value: datetime | None = None
    has_year: bool = True
    has_time: bool = False
    source: str = ""
    year_source: str | None = None

    def iso(self) -> str | None:
        return self.value.isoformat() if self.value else None


def _mk(y, mo, d, hh=0, mi=0, ss=0, tz=None) -> datetime | None:
    try:
        y, mo, d, hh, mi, ss = (int(x) for x in (y, mo, d, hh, mi, ss))
        if y < 100:
            y += 2000
        if not (MIN_YEAR <= y <= MAX_YEAR):
            return None
        dt = datetime(y, mo, d, hh, mi, ss)
    except (ValueError, TypeError):
        return None
    if tz is not None:
        return dt.replace(tzinfo=tz).astimezone(VN_TZ)
    return dt.replace(tzinfo=VN_TZ)


def _tz(s: str | None):
    if not s:
        return None
    if s == "Z":
        return timezone.utc
    s = s.replace(":", "")
    sign = 1 if s[0] == "+" else -1
    return timezone(sign * timedelta(hours=int(s[1:3]), minutes=int(s[3:5])))


def _time_in(text: str, part_of_day: str | None) -> tuple[int, int, int] | None:
    m = _TIME.search(text)
    if not m:
        return None
    hh, mi, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    suffix = (m.group(4) or "").lower()
    if suffix in ("pm", "ch") and hh < 12:
        hh += 12
    elif suffix in ("am", "sa") and hh == 12:
        hh = 0  # 12:30 SA (sáng) is half past midnight
    elif part_of_day and part_of_day.lower() in ("chiều", "tối", "đêm") and hh < 12:
        hh += 12
    if hh > 23 or mi > 59 or ss > 59:
        return None
    return hh, mi, ss


_LUNAR = re.compile(r"\bâm\s+lịch\b|\(\s*AL\s*\)|\d\s*AL\b|\bnăm\s+(?:Giáp|Ất|Bính|Đinh|Mậu|Kỷ|Canh|Tân|Nhâm|Quý)\s+"
                    r"(?:Tý|Sửu|Dần|Mão|Mẹo|Thìn|Tỵ|Ngọ|Mùi|Thân|Dậu|Tuất|Hợi)\b", re.I)


def parse_date(text: str | None, source: str = "text") -> ParsedDate | None:
    """Read one date (and time, if given) from a phrase. Returns None for empty input.

    A day-month without year comes back with has_year=False and value None; `complete_year`
    finishes it once the year is known.
    """
    if text is None:
        return None
    raw = unicodedata.normalize("NFC", " ".join(str(text).split()))
    if not raw:
        return None
    pd = ParsedDate(raw=raw, source=source)
    # a lunar-calendar day ("15/8 âm lịch", "mùng 10/3 AL") is no Gregorian date: only a
    # full dd/mm/yyyy beside it ("10/2/2024, tức mùng 1 Tết Giáp Thìn") is read
    lunar = bool(_LUNAR.search(raw))
    t = _LABEL.sub("", raw)
    t = _WEEKDAY.sub(" ", t)
    pod_m = _PART_OF_DAY.search(t)
    pod = pod_m.group(1) if pod_m else None

    m = _PHP_T.search(t)
    if m:
        y, mo, d, tzh, hh, mi, ss = m.groups()
        pd.value = _mk(y, mo, d, hh, mi, ss or 0, _tz(tzh + ":00"))
        pd.has_time = True
        if pd.value:
            return pd
    m = _ISO.search(t)
    if m:
        y, mo, d, hh, mi, ss, tz = m.groups()
        pd.value = _mk(y, mo, d, hh or 0, mi or 0, ss or 0, _tz(tz))
        pd.has_time = hh is not None
        if pd.value:
            return pd
    m = _WP_SHORT.search(t)
    if m:  # WordPress in Vietnamese: "Th1 9, 2024" (M j, Y with short month names)
        rest = t[: m.start()] + " " + t[m.end():]
        tm = _time_in(rest, pod)
        pd.value = _mk(m.group(3), m.group(1), m.group(2), *(tm or (0, 0, 0)))
        pd.has_time = tm is not None
        if pd.value:
            return pd
    m = _WORD_MONTH.search(t)
    if m:
        word = " ".join(m.group(2).lower().split())
        rest = t[: m.start()] + " " + t[m.end():]
        tm = _time_in(rest, pod)
        pd.value = _mk(m.group(3), _MONTH_WORDS[word], m.group(1), *(tm or (0, 0, 0)))
        pd.has_time = tm is not None
        if pd.value:
            return pd
    for rx in (_DMY, _LONG):
        m = rx.search(t)
        if not m:
            continue
        if rx is _DMY:
            d, _, mo, y = m.groups()
        else:
            d, mo, y = m.groups()
            if not y:
                break  # "ngày 24 tháng 3" without year: handled as day-month below
        rest = t[: m.start()] + " " + t[m.end():]
        tm = _time_in(rest, pod)
        pd.value = _mk(y, mo, d, *(tm or (0, 0, 0)))
        pd.has_time = tm is not None
        if pd.value:
            return pd
    if lunar:
        return pd
    # day and month only
    m = _LONG.search(t) or _DM.search(t)
    if m:
        d, mo = int(m.group(1)), int(m.group(2))
        if 1 <= d <= 31 and 1 <= mo <= 12:
            rest = t[: m.start()] + " " + t[m.end():]
            tm = _time_in(rest, pod)
            pd.has_year = False
            pd.has_time = tm is not None
            pd._dm = (d, mo, tm)  # type: ignore[attr-defined]
            return pd
    pd.value = _dateparser_fallback(t)
    return pd


def _dateparser_fallback(t: str) -> datetime | None:
    if not re.search(r"\d", t) or not re.search(r"\d{4}", t):
        return None  # no year: dateparser would fill it from the clock, which we never do
    import dateparser  # loaded lazily: it takes a moment to import

    try:
        dt = dateparser.parse(
            t,
            languages=["vi", "en"],
            settings={
                "DATE_ORDER": "DMY",
                "TIMEZONE": "Asia/Ho_Chi_Minh",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "REQUIRE_PARTS": ["day", "month", "year"],
                "PREFER_DATES_FROM": "past",
                "STRICT_PARSING": True,
            },
        )
    except Exception:  # dateparser raises on some odd inputs; an unreadable date is just None
        return None
    if dt is None or not (MIN_YEAR <= dt.year <= MAX_YEAR):
        return None
    # dateparser completes what the text lacks from the clock: accept only a year and a day the
    # text names, and no time of day unless the text gives one
    if dt.year not in years_in(t) or not re.search(r"(?<!\d)0?%d(?!\d)" % dt.day, t):
        return None
    if not _TIME.search(t):
        dt = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    return dt.replace(microsecond=0).astimezone(VN_TZ)


def complete_year(pd: ParsedDate, year: int, year_source: str) -> ParsedDate:
    d, mo, tm = pd._dm  # type: ignore[attr-defined]
    pd.value = _mk(year, mo, d, *(tm or (0, 0, 0)))
    pd.year_source = year_source if pd.value else None
    return pd


def years_in(text: str | None) -> list[int]:
    return [int(y) for y in _YEAR.findall(text or "")]


# years that name a period or a target, not when something happened: "giai đoạn 2021 – 2025",
# "nhiệm kỳ 2020-2025" (term of office), "đến năm 2030" (until), "tầm nhìn 2045" (vision)
_PERIOD_YEARS = re.compile(
    r"(?<!\d)(?:199\d|20\d\d)\s*[-–—]\s*(?:199\d|20\d\d)(?!\d)"
    r"|(?:đến|tới|trước|sau|tầm\s+nhìn|định\s+hướng)\s+(?:năm\s+)?(?:199\d|20\d\d)(?!\d)"
    # the coming year of a New Year story: "đón chào năm mới 2023", "Xuân Quý Mão 2023", "Tết 2023"
    r"|(?:năm\s+mới|xuân(?:\s+\w+){0,2}|tết(?:\s+\w+){0,2})\s+(?:năm\s+)?(?:199\d|20\d\d)(?!\d)", re.I)
# years inside full dates: "đến hết ngày 31/5/2024", "tháng 5/2024"
_DATE_YEARS = re.compile(r"(?<![\d/])(?:\d{1,2}\s*/\s*\d{1,2}\s*/\s*|tháng\s+\d{1,2}\s*/\s*)(199\d|20\d\d)(?![\d/])", re.I)


def event_years(text: str | None) -> list[int]:
    """Years in running text, without those of periods and targets; years of full dates count."""
    text = _PERIOD_YEARS.sub(" ", text or "")
    return years_in(text) + [int(y) for y in _DATE_YEARS.findall(text)]


def infer_year(candidates: list[tuple[str, list[int]]]) -> tuple[int, str] | None:
    """First source (in priority order) that names a year gives it.

    Each candidate is (source name, years seen there in order). For titles the first year named
    wins; for bodies the most frequent (ties: the latest), since bodies cite older documents.
    """
    for source, years in candidates:
        years = [y for y in years if MIN_YEAR <= y <= MAX_YEAR]
        if not years:
            continue
        if source == "body":
            counts = Counter(years)
            best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
            return best, source
        return years[0], source
    return None


def lead_date(first_paragraph: str | None) -> ParsedDate | None:
    """The event date a lead opens with ("Chiều ngày 21/12, …")."""
    if not first_paragraph:
        return None
    text = first_paragraph.strip()
    m = _LEAD_DATE.match(text)
    if m:
        if _LUNAR.match(text[m.end():].lstrip()):
            return None  # "Sáng 14/1 âm lịch, …": a lunar day, no Gregorian dateline
        return parse_date(m.group(0), source="lead")
    first_sentence = re.split(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ])", text, maxsplit=1)[0]
    m = _LEAD_EVENT.search(first_sentence)
    if m:
        return parse_date(m.group(1), source="lead")
    return None


# ---------------------------------------------------------------- structured metadata
_JSONLD_XPATH = __import__("lxml.etree", fromlist=["XPath"]).XPath(
    "//script[@type='application/ld+json']/text()", smart_strings=False)


def jsonld_nodes(sel) -> list:
    """Every JSON object in the page's JSON-LD scripts (nested ones too); unreadable scripts skipped.

    Read once per page (cached by tree root)."""
    root = sel.root if hasattr(sel, "root") else sel
    cache = _page_cache()
    got = cache.get(root)
    if got is not None and "jsonld" in got:
        return got["jsonld"]
    nodes = []
    for raw in _JSONLD_XPATH(root):
        try:
            data = json.loads(raw.strip().removeprefix("<!--").removesuffix("-->"))
        except (ValueError, RecursionError):  # malformed JSON, or nested past Python's recursion limit
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                nodes.append(node)
                stack.extend(reversed(list(node.values())))
            elif isinstance(node, list):
                stack.extend(reversed(node))
    cache.setdefault(root, {})["jsonld"] = nodes
    return nodes


_PAGE_CACHE = None  # tree root -> {"meta": {...}, "jsonld": [...]}: read once per page


def _page_cache():
    global _PAGE_CACHE
    if _PAGE_CACHE is None:
        import weakref

        _PAGE_CACHE = weakref.WeakKeyDictionary()
    return _PAGE_CACHE


def _jsonld_values(sel, key: str) -> list[str]:
    return [n[key] for n in jsonld_nodes(sel) if isinstance(n.get(key), str)]


_META_PUBLISHED = ("article:published_time", "datepublished", "pubdate", "publishdate", "dc.date.issued",
                   "dcterms.created", "dc:date", "dc:created", "dcterms:created", "schema:datepublished", "date")
_META_MODIFIED = ("article:modified_time", "datemodified", "dcterms.modified", "dc:modified", "dcterms:modified")


def _meta_candidates(sel, modified: bool) -> list[str]:
    """Values of date metadata, in priority order, from one pass over the marked-up elements."""
    root = sel.root if hasattr(sel, "root") else sel
    page = _page_cache().setdefault(root, {})
    found = page.get("meta")
    if found is None:
        found = page["meta"] = {}
        for el in root.iter("meta", "time", "span"):  # one pass, in document order
            a = el.attrib
            if el.tag == "meta":
                key = a.get("property") or a.get("name") or a.get("itemprop")
                val = a.get("content")
            elif el.tag == "time":
                key, val = a.get("itemprop"), a.get("datetime")
            else:  # microdata and RDFa on inline elements (Drupal 7: property="dc:date dc:created")
                val = a.get("content")
                if not val:
                    continue
                keys = [k for k in ((a.get("itemprop") or "") + " " + (a.get("property") or "")).split()
                        if k in ("datePublished", "dateModified", "dc:date", "dc:created", "dc:modified",
                                 "dcterms:created", "dcterms:modified", "schema:datePublished")]
                for k in keys:
                    found.setdefault(k.lower(), val)
                continue
            if key and val:
                found.setdefault(key.lower(), val)
    wanted = _META_MODIFIED if modified else _META_PUBLISHED
    return [found[k] for k in wanted if k in found]


def metadata_date(sel, modified: bool = False) -> ParsedDate | None:
    """datePublished (or dateModified) from <meta>, microdata, JSON-LD: never from scripts' text."""
    for v in _meta_candidates(sel, modified):
        if v.strip():
            pd = parse_date(v, source="meta")
            if pd and pd.value:
                return pd
    for v in _jsonld_values(sel, "dateModified" if modified else "datePublished"):
        pd = parse_date(v, source="jsonld")
        if pd and pd.value:
            return pd
    return None


def url_year(url: str) -> list[int]:
    """Years in a URL path such as /2023/07/06/slug or /Uploaded/2023/…"""
    m = re.findall(r"[/_-](199\d|20\d\d)(?=[/_-]|$)", url.split("?")[0])
    return [int(y) for y in m]


@dataclass
class DateContext:
    """What the page offers for completing a year-less date, in priority order."""

    page_years: list[int] = field(default_factory=list)
    listing_years: list[int] = field(default_factory=list)
    url_years: list[int] = field(default_factory=list)
    title_years: list[int] = field(default_factory=list)
    lead_years: list[int] = field(default_factory=list)
    body_years: list[int] = field(default_factory=list)

    def candidates(self):
        return [
            ("page", self.page_years),
            ("listing", self.listing_years),
            ("url", self.url_years),
            ("title", self.title_years),
            ("lead", self.lead_years),
            ("body", self.body_years),
        ]


def resolve(pd: ParsedDate | None, ctx: DateContext) -> ParsedDate | None:
    """Complete a year-less date from context; leave others as they are."""
    if pd is None or pd.has_year:
        return pd
    got = infer_year(ctx.candidates())
    if got is None:
        return pd
    year, source = got
    # a source naming two consecutive years ("tổng kết năm 2022, triển khai nhiệm vụ năm 2023"):
    # an early-year date belongs to the later one (the review is held in January), a late-year
    # date to the earlier one
    years = next((ys for src, ys in ctx.candidates() if src == source), [])
    month = pd._dm[1]  # type: ignore[attr-defined]
    if year + 1 in years and month <= 3:
        year += 1
    elif year - 1 in years and month >= 10:
        year -= 1
    return complete_year(pd, year, source)
