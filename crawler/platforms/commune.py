"""Commune portals from the provinces' shared template (banner, menu, "Tin mới", "Văn bản",
thumbnails with alt "anh tin bai", a "Thống kê truy cập" counter), upper-case titles."""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "commune"

ARTICLE = Layout(
    name="commune_detail",
    title=(".news-detail .title-detail", ".news-detail h1", ".detail-title"),
    date=(".news-detail .date-detail", ".detail-date"),
    lead=(".news-detail .sapo-detail", ".detail-sapo"),
    body=(".news-detail .content-detail", ".detail-content"),
    author=(".news-detail .author-detail", ".detail-author"),
    remove=(".other-news", ".print-detail", ".tin-khac", ".share"),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = ("table.list-item a.list-title", ".news-list .title a", ".list-news h3 a")
    next_page = (".paging a.next", ".pagination a.next", ".pager a.next")
    pager_links = (".pagination a", ".paging a")
    listing_date = ".date"
    layouts = LAYOUTS
