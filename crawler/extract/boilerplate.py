"""Boilerplate rules for Vietnamese portal chrome.

A rule removes a whole text block that *is* chrome (the block matches the rule from start to end),
never a sentence that merely mentions a phrase: "In nội dung" alone on a line is a print link,
"Ban tổ chức đề nghị in nội dung tài liệu…" is prose and stays.

Three kinds of rule:
- block: drop the block.
- tail: the block opens the page's trailing chrome ("Tin liên quan", "Các tin đã đăng ngày:"):
  drop it and every block after it (only once some article text has been seen).
- strip: leaked server markup that is never prose (`asp:Label ID="lblSummary" runat="server"`),
  cut out of a block wherever it stands.
Every hit is counted as `boilerplate/<rule name>`.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .text import CellText, same_kind


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    kind: str = "block"  # block | tail | strip
    gate: str | None = None  # a lower-case literal every match contains (a cheap pre-check)


def _r(name: str, pattern: str, kind: str = "block", gate: str | None = None) -> Rule:
    return Rule(name, re.compile(pattern, re.I), kind, gate)


_SEP = r"[\s|•·:–\-/]*"

SHARED_RULES: tuple[Rule, ...] = (
    # leaked ASP.NET / JSP server controls in the page text
    _r("leaked_server_markup", r"<?/?\s*asp:\w+(?:\s+\w+\s*=\s*\"[^\"]*\")*\s*/?>?", "strip", gate="asp:"),
    # In nội dung / In bài viết / Bản in = print links; Gửi email = email link; Chia sẻ = share
    _r("print_link", r"(?:🖨\s*)?(?:in\s+(?:nội\s+dung|bài\s+viết|bài|trang|tin|văn\s+bản)|bản\s+in|print)"),
    _r("email_link", r"(?:gửi\s+(?:e-?mail|bài\s+viết|cho\s+bạn\s+bè)|e-?mail)"),
    _r(
        "share_buttons",
        r"(?:(?:chia\s+sẻ|share|thích|like|tweet|facebook|twitter|zalo|linkedin|google\+?)"
        r"(?:\s*(?:bài\s+viết|qua|lên|:|\d+))*" + _SEP + r")+",
    ),
    # breadcrumbs: "Trang chủ > Tin tức - Sự kiện", "Bạn đang ở: Tin tức » …" (you are here)
    _r("breadcrumb", r"(?:bạn\s+đang\s+ở\s*:.{0,200}|(?:trang\s+chủ|home)(?:\s*[>»›/|].{0,200})?)"),
    # skip links of accessible templates: "Bỏ qua để đến nội dung chính" (skip to main content)
    _r("skip_link", r"(?:bỏ\s+qua\s+(?:để\s+)?(?:đến|tới)\s+[\w\s]{2,40}\s*)+|skip\s+to\s+[\w\s]{2,30}"),
    # Về đầu / Lên đầu trang = back to top; Quay lại / Trở về = back
    _r("top_back_link", r"[«‹<]?\s*(?:về\s+đầu(?:\s+trang)?|lên\s+đầu\s+trang|đầu\s+trang|(?:quay\s+lại|về|trở\s+về)(?:\s+trang\s+trước)?|trở\s+lại|in\s+trang\s+này|back)\s*[»›>]?"),
    # accessibility toolbar: A- A A+ | Tăng tương phản Giảm tương phản (raise/lower contrast)
    _r(
        "accessibility_toolbar",
        r"(?:(?:a\s*[-+]?|cỡ\s+chữ:?|tăng\s+tương\s+phản|giảm\s+tương\s+phản|tương\s+phản|"
        r"mặc\s+định|phóng\s+to|thu\s+nhỏ)" + _SEP + r")+",
    ),
    # visitor counters: Thống kê truy cập, Đang online: 1, Hôm nay: 12, Tất cả: 3.456
    _r(
        "visitor_counter",
        r"(?:(?:thống\s+kê\s+truy\s+cập|lượt\s+truy\s+cập|số\s+lượt\s+truy\s+cập|đang\s+(?:online|truy\s+cập|trực\s+tuyến)"
        r"|hôm\s+nay|hôm\s+qua|trong\s+tuần|tuần\s+này|trong\s+tháng|tháng\s+này|tất\s+cả|tổng(?:\s+số)?(?:\s+lượt)?(?:\s+truy\s+cập)?"
        r"|lượt\s+xem|số\s+lượt\s+xem|lượt\s+đọc|visitors?|online)" + _SEP + r"[\d.,]*" + _SEP + r")+",
    ),
    # text-to-speech / audio players: 0:00 / 0:00, Nghe đọc bài (listen to the article)
    _r("audio_player", r"(?:\d{1,2}:\d{2}(?:\s*/\s*\d{1,2}:\d{2})?|nghe\s+(?:đọc\s+)?(?:bài(?:\s+viết)?|tin)|đọc\s+bài|giọng\s+(?:nam|nữ)(?:\s+miền\s+\w+)?)"),
    # Liferay portlet chrome: "Xuất bản thông tin" (Asset Publisher), a leaked "null",
    # "Chi tiết bài viết Tin tức" (article detail <category>)
    _r("portlet_title", r"(?:xuất\s+bản\s+thông\s+tin|chi\s+tiết\s+bài\s+viết(?:\s+[\w\s]{0,40})?|nội\s+dung\s+bản\s+tin|null|undefined)"),
    # "Chưa có thông tin" = no information yet (an empty web part)
    _r("empty_webpart", r"chưa\s+có\s+(?:thông\s+tin|dữ\s+liệu|bài\s+viết)"),
    # image placeholders leaking as text: "anh tin bai", "ảnh tin bài", "Ảnh minh họa"
    _r("image_alt_text", r"(?:anh\s+tin\s+bai|ảnh\s+tin\s+bài|hình\s+ảnh\s+tin\s+bài)"),
    # the label over a list of files: "Tệp đính kèm:", "File đính kèm", "Văn bản đính kèm", "Tải về:"
    _r("attachment_label", r"(?:tệp|file|tập\s+tin|văn\s+bản|tài\s+liệu)\s+đính\s+kèm\s*:?|tải\s+về\s*:|download\s*:|attachments?\s*:"),
    # a table of contents' title: "Mục lục" (contents), "Nội dung chính" (main points)
    _r("toc_title", r"(?:mục\s+lục|table\s+of\s+contents|contents)\s*:?"),
    # copyright / footer lines
    _r("copyright", r"(?:©|copyright|bản\s+quyền\s+thuộc\s+về|giấy\s+phép\s+xuất\s+bản\s+số).{0,300}"),
    # ratings and comments widgets
    _r("comments_widget", r"(?:bình\s+luận|ý\s+kiến\s+(?:bạn\s+đọc|của\s+bạn)|gửi\s+(?:bình\s+luận|ý\s+kiến)|viết\s+bình\s+luận|\d+\s+bình\s+luận)" + _SEP),
    # view counters on the article: Lượt xem: 123
    _r("view_count", r"(?:lượt\s+xem|số\s+lần\s+xem|đã\s+xem)\s*:?\s*[\d.,]+"),
    # a print page's footer naming the story's address: "Địa chỉ bài viết: https://…",
    # "Link bài viết: …", "URL: …" (the label and a URL, nothing else)
    _r("article_address", r"(?:địa\s+chỉ\s+(?:bài\s+viết|bài|tin|trang(?:\s+web)?)|link\s+(?:bài\s+viết|bài|gốc)|"
                          r"đường\s+dẫn(?:\s+bài\s+viết)?|url|nguồn\s+bài\s+viết)\s*:?\s*(?:https?://\S+)?"),
    # tags line: "Từ khóa: …", "Tags: …"
    _r("tags_line", r"(?:từ\s+khóa|từ\s+khoá|tags?)\s*:.{0,200}"),
    # font size / print / share bars written as one line: "Cỡ chữ: A A A | In | Email"
    _r("tool_bar_line", r"(?:[«»‹›<>]?\s*(?:cỡ\s+chữ|in(?:\s+trang(?:\s+này)?|\s+bài(?:\s+viết)?)?|email|chia\s+sẻ|bản\s+in|lưu(?:\s+bài)?|gửi(?:\s+bài)?|"
                        r"(?:về|quay\s+lại|trở\s+về)(?:\s+trang\s+trước)?|đầu\s+trang|tiếp)\s*[«»‹›]?\s*[:|]?\s*(?:a\s*){0,3}[|/]?\s*){2,}"),
    # trailing related-news and archive blocks: Tin liên quan (related), Tin khác (other news),
    # Các tin đã đăng ngày: (news posted on: date picker), Xem thêm (see more), Tin cùng chuyên mục
    _r(
        "related_news",
        r"(?:tin\s+liên\s+quan|bài\s+(?:viết\s+)?liên\s+quan|tin\s+khác|các\s+tin\s+khác|tin\s+bài\s+khác"
        r"|các\s+bài\s+(?:viết\s+)?khác|tin\s+cùng\s+chuyên\s+mục|bài\s+cùng\s+chuyên\s+mục|cùng\s+chuyên\s+mục"
        r"|tin\s+mới\s+hơn|tin\s+cũ\s+hơn|tin\s+đã\s+đưa|các\s+tin\s+đã\s+(?:đăng|đưa)(?:\s+ngày)?|xem\s+thêm"
        r"|xem\s+tiếp|đọc\s+thêm|tin\s+mới(?:\s+nhất)?|tin\s+xem\s+nhiều|đọc\s+nhiều(?:\s+nhất)?)\s*[:»>…]*"
        r"(?:\s*\d{1,2}/\d{1,2}/\d{4})?",
        "tail",
    ),
)


_SHARED = frozenset(SHARED_RULES)
# the longest block a shared rule can be meant for: menus, counters, share bars, copyright and
# breadcrumb lines are short; site rules (a tail such as "Các tin đã đăng ngày: …") have no limit
SHARED_MAX_BLOCK = 600


def compile_site_rules(phrases) -> tuple[Rule, ...]:
    """Per-site rules from a spider: regex strings (full-block) or (name, regex, kind) tuples."""
    out = []
    for i, p in enumerate(phrases or ()):
        if isinstance(p, Rule):
            out.append(p)
        elif isinstance(p, (tuple, list)):
            out.append(_r(f"site_{p[0]}", p[1], p[2] if len(p) > 2 else "block"))
        else:
            out.append(_r(f"site_{i}", p))
    return tuple(out)


def apply_rules(blocks: list[str], rules=SHARED_RULES, counters: Counter | None = None,
                allow_tail: bool = True) -> list[str]:
    """Drop chrome blocks; returns the kept blocks. Counts hits into `counters`."""
    kept: list[str] = []
    counters = counters if counters is not None else Counter()
    strip_rules = [r for r in rules if r.kind == "strip"]
    other = [r for r in rules if r.kind != "strip"]
    for i, block in enumerate(blocks):
        orig = block
        for r in strip_rules:
            if r.gate and r.gate not in block.lower():
                continue  # the literal every match contains is absent: no need to run the pattern
            block, n = r.pattern.subn(" ", block)
            if n:
                counters[f"boilerplate/{r.name}"] += n
                block = " ".join(block.split())
        if not block:
            continue
        if isinstance(orig, CellText):  # a data table's cell is content, whatever it says
            kept.append(same_kind(orig, block))
            continue
        hit = None
        long_block = len(block) > SHARED_MAX_BLOCK
        for r in other:
            if long_block and r in _SHARED:
                continue  # a paragraph longer than any chrome line the shared rules describe
            if r.pattern.fullmatch(block):
                hit = r
                break
        if hit is None:
            kept.append(block)
            continue
        if hit.kind == "tail" and allow_tail and kept:
            counters[f"boilerplate/{hit.name}"] += len(blocks) - i
            break
        counters[f"boilerplate/{hit.name}"] += 1
    return kept


def is_chrome(text: str, rules=SHARED_RULES) -> bool:
    return any(r.kind != "strip" and r.pattern.fullmatch(text) for r in rules)
