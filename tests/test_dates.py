import pytest

from crawler.extract.dates import DateContext, infer_year, lead_date, parse_date, resolve


@pytest.mark.parametrize("text,iso", [
    ("Đăng ngày: 04-11-2023 11:18", "2023-11-04T11:18:00+07:00"),
    ("Ngày đăng: 12/04/2024", "2024-04-12T00:00:00+07:00"),
    ("Cập nhật: 10:20 ngày 24/03/2023", "2023-03-24T10:20:00+07:00"),
    ("Ngày: 06/7/2023", "2023-07-06T00:00:00+07:00"),
    ("Thứ hai, 08/05/2023 - 15:30", "2023-05-08T15:30:00+07:00"),
    ("Thứ 2 - 08/05/2023", "2023-05-08T00:00:00+07:00"),
    ("Chủ nhật, 07/05/2023 08:05", "2023-05-07T08:05:00+07:00"),
    ("ngày 24 tháng 3 năm 2023", "2023-03-24T00:00:00+07:00"),
    ("14:05 | 02/10/2023", "2023-10-02T14:05:00+07:00"),
    ("2023-11-04T11:18:00+07:00", "2023-11-04T11:18:00+07:00"),
    ("2023-03-24T09:45:00Z", "2023-03-24T16:45:00+07:00"),
    ("2023-03-24", "2023-03-24T00:00:00+07:00"),
    ("24.03.2023", "2023-03-24T00:00:00+07:00"),
    ("Chiều 24/03/2023 lúc 3:30", "2023-03-24T15:30:00+07:00"),
    ("March 24, 2023", "2023-03-24T00:00:00+07:00"),
])
def test_phrasings(text, iso):
    assert parse_date(text).iso() == iso


@pytest.mark.parametrize("text", ["Chiều ngày 21/12", "Sáng 24/3", "Tối 5/1", "ngày 24 tháng 3"])
def test_day_month_without_year_is_not_completed_from_the_clock(text):
    pd = parse_date(text)
    assert pd.value is None and pd.has_year is False


@pytest.mark.parametrize("text", ["hôm qua", "2 ngày trước", "31/02/2023", "không rõ", "99/99/9999"])
def test_unreadable_is_none_never_now(text):
    pd = parse_date(text)
    assert pd.value is None
    assert pd.raw == text


def test_year_inference_priority_and_source():
    pd = resolve(parse_date("Chiều ngày 21/12"), DateContext(title_years=[2022, 2023], body_years=[2021, 2022, 2022, 2023]))
    assert pd.iso() == "2022-12-21T00:00:00+07:00" and pd.year_source == "title"
    pd = resolve(parse_date("Sáng 24/3"), DateContext(listing_years=[2023], title_years=[2019]))
    assert pd.iso() == "2023-03-24T00:00:00+07:00" and pd.year_source == "listing"
    pd = resolve(parse_date("Sáng 24/3"), DateContext(url_years=[2021]))
    assert pd.year_source == "url" and pd.value.year == 2021
    pd = resolve(parse_date("Sáng 24/3"), DateContext(body_years=[2021, 2023, 2023]))
    assert pd.year_source == "body" and pd.value.year == 2023
    pd = resolve(parse_date("Sáng 24/3"), DateContext())
    assert pd.value is None


def test_infer_year_body_prefers_most_frequent():
    assert infer_year([("body", [2021, 2022, 2022, 2025])]) == (2022, "body")


@pytest.mark.parametrize("lead,raw", [
    ("Chiều ngày 21/12, đồng chí Lê Hùng Dũng", "Chiều ngày 21/12"),
    ("BBK - Sáng 24/3, Ủy ban MTTQ", "BBK - Sáng 24/3"),
    ("Ngày 06/7/2023, Uỷ ban Mặt trận", "Ngày 06/7/2023"),
])
def test_lead_dates(lead, raw):
    assert lead_date(lead).raw == raw


def test_lead_without_date():
    assert lead_date("Đồng chí Ma Từ Đông Điền chủ trì.") is None


@pytest.mark.parametrize("text,iso", [
    ("6 tháng 7 2023", "2023-07-06T00:00:00+07:00"),                       # .NET/ICU vi-VN long date
    ("Thứ Năm, 6 tháng 7 2023 - 16:05", "2023-07-06T16:05:00+07:00"),
    ("14 Tháng Sáu, 2023", "2023-06-14T00:00:00+07:00"),                   # month written as a word
    ("8 Tháng Năm, 2023 10:15", "2023-05-08T10:15:00+07:00"),
    ("ngày 2 tháng Mười Hai năm 2023", "2023-12-02T00:00:00+07:00"),
    ("06/07/2023 12:30:00 SA", "2023-07-06T00:30:00+07:00"),               # 12 SA is half past midnight
    ("06/07/2023 12:30:00 CH", "2023-07-06T12:30:00+07:00"),
    ("2023-07-06+0716:05:00", "2023-07-06T16:05:00+07:00"),                # NukeViet's article:published_time
])
def test_more_phrasings(text, iso):
    assert parse_date(text).iso() == iso


@pytest.mark.parametrize("text", ["Tháng Sáu", "14 Tháng Sáu", "Thứ Sáu", "hôm nay", "2 ngày trước", "5 June"])
def test_never_the_clock(text):
    """dateparser fills what a text lacks from the clock: a date without a year is never read."""
    pd = parse_date(text)
    assert pd is None or pd.value is None


@pytest.mark.parametrize("lead,raw", [
    ("(BBK) - Sáng 24/3, Tỉnh đoàn", "(BBK) - Sáng 24/3"),
    ("Chợ Mới - Sáng 24/3, Hội Nông dân", "Chợ Mới - Sáng 24/3"),
    ("(Chinhphu.vn) - Chiều 5/6, Thủ tướng", "(Chinhphu.vn) - Chiều 5/6"),
])
def test_lead_datelines(lead, raw):
    assert lead_date(lead).raw == raw


def test_period_and_target_years_do_not_date_an_article():
    from crawler.extract.dates import event_years

    body = "triển khai chuyên đề năm 2023, giai đoạn 2021 – 2025, nhiệm kỳ 2020-2025, phấn đấu đến năm 2030"
    assert event_years(body) == [2023]
    pd = resolve(parse_date("Sáng 24/3"), DateContext(lead_years=event_years("Sáng 24/3, … năm 2023"),
                                                       body_years=[2025, 2025, 2023]))
    assert pd.value.year == 2023 and pd.year_source == "lead"


@pytest.mark.parametrize("text", ["Ngày 15/8 âm lịch", "mùng 10/3 AL", "ngày 10/3 (AL)",
                                  "Rằm tháng Giêng năm Giáp Thìn", "Sáng 14/1 âm lịch"])
def test_lunar_days_are_no_gregorian_date(text):
    """A lunar-calendar day is never completed with a year into a Gregorian publication date."""
    pd = parse_date(text)
    assert pd.value is None and not hasattr(pd, "_dm")
    assert resolve(pd, DateContext(lead_years=[2024], body_years=[2024])).value is None


def test_gregorian_date_beside_a_lunar_one_is_read():
    assert parse_date("Ngày 10/2/2024 (tức mùng 1 Tết Giáp Thìn)").iso() == "2024-02-10T00:00:00+07:00"


@pytest.mark.parametrize("lead", ["Sáng 14/1 âm lịch (tức 23/2), tại đình làng", "Tối 14/8 (AL), tại nhà văn hóa"])
def test_lunar_dateline_is_no_lead_date(lead):
    assert lead_date(lead) is None


@pytest.mark.parametrize("text,iso", [("thg 11 14, 2023", "2023-11-14T00:00:00+07:00"),
                                      ("14 thg 3, 2024", "2024-03-14T00:00:00+07:00")])
def test_short_month_thg(text, iso):
    """"thg" is the short month of vi locales (Odoo, Magento): M d, Y and d M, Y both read."""
    assert parse_date(text).iso() == iso
