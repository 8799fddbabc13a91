from collections import Counter

import pytest

from crawler.extract.boilerplate import apply_rules, compile_site_rules, SHARED_RULES

CHROME = [
    "In nội dung", "In bài viết", "Bản in", "Gửi email", "Chia sẻ", "Chia sẻ: Facebook Zalo", "Về đầu",
    "A- A A+ | Tăng tương phản Giảm tương phản", "Thống kê truy cập", "Đang online: 1", "Hôm nay: 1.234",
    "Trong tuần: 57", "Tất cả: 1.234.567", "0:00 / 0:00", "0:00", "Xuất bản thông tin", "null",
    "Chi tiết bài viết Tin tức", "Chưa có thông tin", "Nội dung bản tin", "anh tin bai",
    "© 2023 Ủy ban MTTQ Việt Nam tỉnh Đồng Nai", "Bản quyền thuộc về Báo Bắc Kạn", "Bình luận",
    "Lượt xem: 345",
    "Địa chỉ bài viết: https://binhgia.langson.gov.vn/tin-tuc/huyen-binh-gia-trao-quyet-dinh-5821.html",
    "Link bài viết:", "URL: http://tinhuy.example.vn/?MaTin=12",
]


@pytest.mark.parametrize("block", CHROME)
def test_chrome_blocks_removed_and_counted(block):
    c = Counter()
    assert apply_rules(["Đoạn văn của bài.", block, "Đoạn tiếp."], counters=c) == ["Đoạn văn của bài.", "Đoạn tiếp."]
    assert sum(v for k, v in c.items() if k.startswith("boilerplate/")) == 1


@pytest.mark.parametrize("prose", [
    "Ban tổ chức đề nghị các đơn vị In nội dung tài liệu trước ngày 10/11.",
    "Đồng chí đã chia sẻ những khó khăn và ghi nhận những kết quả đạt được.",
    "Thống kê truy cập cổng thông tin cho thấy số lượt đọc tăng mạnh trong năm 2023.",
    "Hôm nay, 1.200 hộ nghèo được nhận quà Tết.",
    "Địa chỉ trang web của huyện là nơi đăng tải thông tin chính thức.",
    "Tin liên quan đến công tác giảm nghèo được đăng tải thường xuyên trên trang.",
])
def test_sentences_that_mention_a_phrase_survive(prose):
    assert apply_rules(["Mở đầu.", prose, "Kết."]) == ["Mở đầu.", prose, "Kết."]


def test_related_news_block_cuts_the_tail():
    c = Counter()
    out = apply_rules(["Bài viết.", "Tin liên quan", "Tin A", "Tin B"], counters=c)
    assert out == ["Bài viết."] and c["boilerplate/related_news"] == 3


def test_tail_rule_does_not_fire_before_any_text():
    assert apply_rules(["Xem thêm", "Bài viết."]) == ["Bài viết."]


def test_leaked_aspnet_label_is_cut_out_of_a_block():
    c = Counter()
    out = apply_rules(['asp:Label ID="lblSummary" runat="server" Ngày 01/11, đồng chí'], counters=c)
    assert out == ["Ngày 01/11, đồng chí"] and c["boilerplate/leaked_server_markup"] == 1


def test_site_rules_come_first_and_count_under_their_name():
    rules = compile_site_rules([("banner", r"ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM TỈNH ĐỒNG NAI")]) + SHARED_RULES
    c = Counter()
    assert apply_rules(["ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM TỈNH ĐỒNG NAI", "Bài."], rules, c) == ["Bài."]
    assert c["boilerplate/site_banner"] == 1
