import lxml.html
import pytest

from crawler.extract.text import block_texts, clean_blocks, fix_unicode, normalize_space, repair_glued_words


def blocks(html):
    # parsed as the crawler parses pages (parsel: lxml with huge_tree)
    from parsel import Selector
    root = Selector(text=html, type="html").root
    return block_texts(root.find("body")[0])


def test_blocks_break_on_block_tags_br_and_cells():
    html = ("<div><p>xã <b>hội</b><span>Huyện</span></p><p>a<br>b</p>"
            "<table><tr><td>ô 1</td><td>ô 2</td></tr></table><div>cuối</div></div>")
    assert blocks(html) == ["xã hộiHuyện", "a", "b", "ô 1", "ô 2", "cuối"]


def test_inline_tags_inside_words_do_not_split_words():
    assert blocks("<p>Mặt tr<span>ận</span> Tổ <em>quốc</em></p>") == ["Mặt trận Tổ quốc"]


def test_scripts_styles_comments_skipped_but_tails_kept():
    html = "<div><p>trước<!-- ghi chú -->sau<script>var x=1;</script> tiếp</p><style>p{}</style>hết</div>"
    assert blocks(html) == ["trướcsau tiếp", "hết"]


def test_deep_nesting_does_not_exhaust_the_stack():
    html = "<div>" + "<span>" * 1500 + "chữ" + "</span>" * 1500 + "</div>"
    assert blocks(html) == ["chữ"]


@pytest.mark.parametrize("glued,fixed", [
    ("xã hộiHuyện phối hợp", "xã hội Huyện phối hợp"),
    ("năm 2023Đồng thời", "năm 2023 Đồng thời"),
    ("Đồng chíPhạm Thị Thương", "Đồng chí Phạm Thị Thương"),
])
def test_glued_words_repaired(glued, fixed):
    out, n = repair_glued_words(glued)
    assert out == fixed and n == 1


@pytest.mark.parametrize("token", ["VinFast", "iPhone", "TikTok", "UBND", "TP.HCM", "COVID-19", "m2",
                                   "YouTube", "eKYC", "McDonald", "trên4", "PowerPoint", "HĐND"])
def test_mixed_case_tokens_left_alone(token):
    assert repair_glued_words(token) == (token, 0)


def test_nbsp_zero_width_and_space_runs():
    assert normalize_space("\u00a0Mặt\u200b trận\u2003 \u00a0Tổ  quốc ") == "Mặt trận Tổ quốc"


def test_nfd_becomes_nfc():
    import unicodedata
    nfd = unicodedata.normalize("NFD", "Ủy ban Mặt trận")
    out, _ = fix_unicode(nfd)
    assert out == "Ủy ban Mặt trận" and unicodedata.is_normalized("NFC", out)


def test_mojibake_repaired_and_counted():
    from collections import Counter
    bad = "Ủy ban Mặt trận Tổ quốc".encode("utf-8").decode("cp1252", errors="replace")
    c = Counter()
    out = clean_blocks([bad], c)
    assert out == ["Ủy ban Mặt trận Tổ quốc"]
    assert c["text/mojibake_repaired"] == 1
