"""Commune portals from the provinces' shared template (banner, menu, "Tin mới", "Văn bản",
thumbnails with alt "anh tin bai", a "Thống kê truy cập" counter), upper-case titles."""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "commune"

ARTICLE = Layout(
    name="commune_detail",
    title=(".news-detail .title", ".detail-title", "h1.title", "h1"),
    date=(".news-detail .date", ".detail-date", ".date"),
    lead=(".news-detail .sapo", ".detail-sapo"),
    body=(".news-detail .content", ".detail-content", ".content-detail"),
    author=(".news-detail .author", ".detail-author"),
    remove=(".other-news", ".tin-khac", ".share", ".print"),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".news-list .title a", ".list-news h3 a", ".news-item a.title")
    next_page = (".pagination a.next", ".paging a.next", ".pager a.next")
    pager_links = (".pagination a", ".paging a")
    listing_date = ".date"
    layouts = LAYOUTS
