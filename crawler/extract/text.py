"""Block-aware text from HTML, Unicode and whitespace normalisation, repair of glued words.

Pure functions: no Scrapy state. Counters are returned to the caller, who adds them to stats.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

from lxml import etree

# Elements whose start and end break the text flow: their text never glues to a neighbour's.
BLOCK_TAGS = frozenset(
    """address article aside blockquote body center dd details dialog dir div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p pre
    section summary table tbody thead tfoot tr td th caption ul option legend""".split()
)
# Elements whose text is never reader-visible article text.
SKIP_TAGS = frozenset(
    """script style noscript template iframe object embed svg canvas button select input textarea
    audio video map head title meta link""".split()
)
LINE_BREAK_TAGS = frozenset(["br"])

# Spaces a reader sees as one ordinary space (NBSP, en/em spaces, thin spaces, ideographic space).
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\r\f\v]")
# Characters with no width that break matching and word counts.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Typical signatures of UTF-8 Vietnamese decoded as cp1252/latin-1 ("Ä‘", "Æ°", "á»", "Ã¡").
_MOJIBAKE_HINT = re.compile("(?:Ã.|Ä.|Æ.|á[»º¹]|Ã¢|Ã´|Ãª)")


def _tag(el) -> str | None:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return None
    if "}" in tag:
        tag = tag.rsplit("}", 1)[1]
    return tag if tag.islower() else tag.lower()  # the HTML parser gives lower-case names already


def normalize_space(text: str) -> str:
    """One line of text: odd spaces to ' ', zero-width chars removed, runs collapsed, trimmed.

    `str.split()` splits on every Unicode space (NBSP, en/em and thin spaces, ideographic space,
    tabs, line and paragraph separators), so one C pass does what `_ODD_SPACES` describes."""
    return " ".join(_ZERO_WIDTH.sub("", text).split())


def fix_unicode(text: str) -> tuple[str, bool]:
    """NFC-normalise; repair mojibake where its signature is present. Returns (text, repaired)."""
    repaired = False
    if _MOJIBAKE_HINT.search(text):
        import ftfy  # imported lazily: only pages with a mojibake signature pay for it

        # fix_encoding only: fix_text would also straighten curly quotes and change widths
        fixed = ftfy.fix_encoding(text)
        repaired = fixed != text
        text = fixed
    if not unicodedata.is_normalized("NFC", text):  # a quick check; most text is NFC already
        text = unicodedata.normalize("NFC", text)
    return text, repaired


class CellText(str):
    """A block that is a cell of a data table (a grid of figures, times, names): it is article
    content whatever it says, so whole-block chrome rules ("7:30", "Tổng số", "Email") and the
    author and date-line heuristics leave it alone."""

    __slots__ = ()


def same_kind(orig: str, new: str) -> str:
    """`new` keeps the CellText mark of `orig` through text repairs."""
    return CellText(new) if isinstance(orig, CellText) and not isinstance(new, CellText) else new


def _own(table, tag):
    """`tag` elements of this table, not of the tables nested in its cells."""
    return [el for el in table.iter(tag) if next(el.iterancestors("table"), None) is table]


def is_data_table(table) -> bool:
    """A grid of content (at least two rows of at least two cells; cells of short text that is
    mostly not links), as opposed to a layout table (one column of blocks, a toolbar row, a
    picture with its caption, a page built of tables around menus and forms)."""
    if table.find(".//form") is not None or table.find(".//ul") is not None or table.find(".//h1") is not None:
        return False
    wide = cells = 0
    for tr in _own(table, "tr"):
        n = sum(1 for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th"))
        wide += n >= 2
        cells += n
    if wide < 2 or not cells:
        return False
    text = sum(len(normalize_space(el.text_content())) for el in _own(table, "td") + _own(table, "th"))
    link = sum(len(normalize_space(a.text_content())) for a in table.iter("a"))
    return text / cells <= 300 and link <= 0.5 * max(text, 1)


ROW_SEPARATOR = " | "  # between the cells of a data table's row
_SCRIPT_CHARS = frozenset("0123456789+-=()")
_SUPER = str.maketrans("0123456789+-=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
# a list item holding a link or blocks of its own is not a plain line of text
_LI_NOT_PLAIN = etree.XPath("boolean(descendant::*[self::a or self::p or self::div or self::ul or self::ol or self::li"
                            " or self::table or self::dl or self::blockquote or self::h1 or self::h2 or self::h3"
                            " or self::h4 or self::h5 or self::h6 or self::br])")


def _visible_text(el, skip=None):
    """The text of an element's subtree, tails included, without SKIP_TAGS or skipped elements."""
    walker = etree.iterwalk(el, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if event in ("comment", "pi"):
            if node.tail:
                yield node.tail
            continue
        tag = _tag(node)
        if event == "start":
            if node is not el and (tag is None or tag in SKIP_TAGS or (skip is not None and node in skip)):
                walker.skip_subtree()
                continue
            if tag in ("sup", "sub") and node is not el:
                small = "".join(_visible_text(node, skip))
                if small and len(small) <= 6 and all(c in _SCRIPT_CHARS for c in small):
                    yield small.translate(_SUPER if tag == "sup" else _SUB)
                    walker.skip_subtree()
                    continue
            if node.text and tag is not None:
                yield node.text
        elif node is not el and node.tail:
            yield node.tail


def block_texts(root, skip=None, counters: Counter | None = None) -> list[str]:
    """Text of an element as a list of blocks: block elements, <br> and table cells break.

    A data table (`is_data_table`) gives one block per row, its cells joined by " | ", marked
    `CellText`. `skip` is an optional set of elements whose subtrees are left out (already
    consumed, e.g. captions). The root itself is never skipped (the text of a <title> is its
    text). Iterative walk, so deeply nested (never-closed) markup cannot exhaust the stack.
    """
    blocks: list[str] = []
    buf: list[str] = []
    data_tables: dict = {}
    # one look for mojibake over the whole element, rather than one per block
    mojibake = bool(_MOJIBAKE_HINT.search(root.text_content())) if hasattr(root, "text_content") else True

    def flush():
        if buf:
            raw = "".join(buf)
            if mojibake and _MOJIBAKE_HINT.search(raw):
                # before normalize_space: NBSP and soft hyphens are bytes of the damaged text
                raw, repaired = fix_unicode(raw)
                if repaired and counters is not None:
                    counters["text/mojibake_repaired"] += 1
            text = normalize_space(raw)
            if text:
                blocks.append(text)
            buf.clear()

    def data_row(tr) -> bool:
        table = next(tr.iterancestors("table"), None)
        if table is None:
            return False
        got = data_tables.get(table)
        if got is None:
            got = data_tables[table] = is_data_table(table)
        return got

    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event in ("comment", "pi"):
            if el.tail:
                buf.append(el.tail)
            continue
        tag = _tag(el)
        skipped = el is not root and tag is not None and (tag in SKIP_TAGS or (skip is not None and el in skip))
        if event == "start":
            if tag is None:
                continue
            if skipped:
                walker.skip_subtree()  # its 'end' still comes, and handles the tail
                if tag in BLOCK_TAGS:
                    flush()
                continue
            if tag in BLOCK_TAGS or tag in LINE_BREAK_TAGS:
                flush()
            if tag in ("sup", "sub"):
                # 10<sup>8</sup>, m<sup>2</sup>, CO<sub>2</sub>, a footnote mark: kept apart from the base
                small = "".join(_visible_text(el, skip))
                if small and len(small) <= 6 and all(c in _SCRIPT_CHARS for c in small):
                    buf.append(small.translate(_SUPER if tag == "sup" else _SUB))
                    walker.skip_subtree()
                    continue
            if tag == "pre":
                # preformatted text (a poem, a list typed line by line): one block per line
                flush()
                for line in "".join(_visible_text(el, skip)).splitlines():
                    line = normalize_space(line)
                    if line:
                        blocks.append(line)
                walker.skip_subtree()
                continue
            if tag == "li" and not _LI_NOT_PLAIN(el):
                # a list item of the article with no link: content ("Facebook", "Zalo" in a list
                # of apps is not a share bar, whose items are links)
                item = normalize_space("".join(t for t in _visible_text(el, skip)))
                if item:
                    blocks.append(CellText(fix_unicode(item)[0] if _MOJIBAKE_HINT.search(item) else item))
                walker.skip_subtree()
                continue
            if tag == "tr" and data_row(el):
                cells = []
                for cell in el:
                    if isinstance(cell.tag, str) and cell.tag in ("td", "th") and not (skip is not None and cell in skip):
                        cells.append(" ".join(block_texts(cell, skip, counters)))
                row = ROW_SEPARATOR.join(c for c in cells if c)
                if row:
                    blocks.append(CellText(row))
                walker.skip_subtree()
                continue
            if el.text and tag not in LINE_BREAK_TAGS:
                buf.append(el.text)
        else:
            if tag is not None and tag in BLOCK_TAGS:
                flush()
            if el is not root and el.tail:
                buf.append(el.tail)
    flush()
    return blocks


def element_text(el) -> str:
    """All text of an element on one line, block boundaries as spaces."""
    return " ".join(block_texts(el))


# ---------------------------------------------------------------- glued words
_WORD = re.compile(r"\S+")


def _is_viet_letter(ch: str) -> bool:
    return ord(ch) > 127 and ch.isalpha()


def _repair_token(tok: str) -> tuple[str, int]:
    """Insert a space where a Vietnamese word was glued to the next capitalised word.

    Conservative: splits only at lower->Upper or digit->Upper boundaries where one side carries
    Vietnamese letters (diacritics or đ) and the right side is a capitalised word (Upper + lower).
    Mixed-case brand or technical tokens (VinFast, iPhone, TikTok, UBND, TP.HCM, COVID-19, m2)
    are ASCII on both sides and are left alone.
    """
    n = len(tok)
    if n < 4:
        return tok, 0
    cuts = []
    for i in range(1, n - 1):
        a, b = tok[i - 1], tok[i]
        if not b.isupper() or not (a.islower() or a.isdigit()):
            continue
        # right word: letters from i
        j = i + 1
        while j < n and tok[j].isalpha():
            j += 1
        right = tok[i:j]
        if len(right) >= 2 and right.isupper() and not a.isdigit():
            # an acronym glued to a Vietnamese word: "củaUBND", "vàHĐND" (the left word is all lower
            # case, two letters or more, and one side carries Vietnamese letters)
            k = i - 1
            while k > 0 and tok[k - 1].isalpha():
                k -= 1
            left = tok[k:i]
            if len(left) >= 2 and left.islower() and any(_is_viet_letter(c) for c in left + right):
                cuts.append(i)
            continue
        if len(right) < 2 or not right[1:].islower():
            continue
        # left word: letters (or digits) back from i-1
        k = i - 1
        if a.isdigit():
            while k > 0 and tok[k - 1].isdigit():
                k -= 1
            left = tok[k:i]
            if len(left) >= 2 and any(_is_viet_letter(c) for c in right):
                cuts.append(i)
            continue
        while k > 0 and tok[k - 1].isalpha():
            k -= 1
        left = tok[k:i]
        if len(left) < 2 or not left[1:].islower():
            continue  # iPhone, xMen, mixed-case runs
        if any(_is_viet_letter(c) for c in left + right):
            cuts.append(i)
    if not cuts:
        return tok, 0
    parts, prev = [], 0
    for c in cuts:
        parts.append(tok[prev:c])
        prev = c
    parts.append(tok[prev:])
    return " ".join(parts), len(cuts)


_UPPER = "".join(c for c in map(chr, range(0x41, 0x2000)) if c.isupper() and c.isalpha())
_LOWER_OR_DIGIT = "".join(c for c in map(chr, range(0x30, 0x2000)) if (c.islower() and c.isalpha()) or c.isdigit())
# a lower-case letter or digit directly followed by an upper-case letter: the only place a repair can happen
_CANDIDATE = re.compile("[%s][%s]" % (re.escape(_LOWER_OR_DIGIT), re.escape(_UPPER)))


def repair_glued_words(text: str) -> tuple[str, int]:
    """Repair 'xã hộiHuyện' -> 'xã hội Huyện'. Returns (text, number of repairs)."""
    if not _CANDIDATE.search(text):
        return text, 0
    total = 0

    def sub(m):
        nonlocal total
        fixed, k = _repair_token(m.group(0))
        total += k
        return fixed

    return _WORD.sub(sub, text), total


def clean_blocks(blocks: list[str], counters: Counter | None = None) -> list[str]:
    """Unicode repair, NFC and glued-word repair over blocks; counts into `counters`."""
    out = []
    for orig in blocks:
        b, repaired = fix_unicode(orig)
        if repaired and counters is not None:
            counters["text/mojibake_repaired"] += 1
        b, k = repair_glued_words(b)
        if k and counters is not None:
            counters["text/glued_words_repaired"] += k
        if b is not orig or "  " in b or b[:1].isspace() or b[-1:].isspace():
            b = normalize_space(b)  # blocks from block_texts are normalised already; repairs may not be
        if b:
            out.append(same_kind(orig, b))
    return out
