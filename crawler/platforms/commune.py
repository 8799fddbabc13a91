"""Commune portals from the provinces' shared template (banner, menu, "Tin mới", "Văn bản",
thumbnails with alt "anh tin bai", a "Thống kê truy cập" counter), upper-case titles."""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "commune"

ARTICLE = Layout(
    name="commune_detail",
    # two renderings of the template: English class names, and Vietnamese ones (tieude = title,
    # ngaydang = date posted, tomtat = summary, noidung = content, tin-khac = other news)
    title=(".news-detail .title-detail", ".chitiet-tin h1.tieude", ".chitiet-tin .tieude", ".news-detail h1", ".detail-title"),
    date=(".news-detail .date-detail", ".chitiet-tin .ngaydang", ".detail-date"),
    lead=(".news-detail .sapo-detail", ".chitiet-tin .tomtat", ".detail-sapo"),
    body=(".news-detail .content-detail", ".chitiet-tin .noidung", ".detail-content"),
    author=(".news-detail .author-detail", ".chitiet-tin .tacgia", ".detail-author"),
    remove=(".other-news", ".print-detail", ".tin-khac", ".congcu", ".share"),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = ("table.list-item a.list-title", ".ds-tin .tin-item h3 > a", ".news-list .title a", ".list-news h3 a")
    next_page = (".paging a.next", ".phantrang a.next", ".pagination a.next", ".pager a.next")
    pager_links = (".pagination a", ".phantrang a", ".paging a")
    listing_date = ".date, .ngay"
    layouts = LAYOUTS
