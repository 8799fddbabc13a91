"""Liferay 7.x portals (Đồng Tháp's provincial, district and party-committee sites).

Articles are Asset Publisher content URLs `/<page>/-/asset_publisher/<id>/content/<url-title>`;
listings page with the search-container paginator (`…_cur=2`). The detail page shows portlet
titles "Xuất bản thông tin" and "Chi tiết bài viết <category>", a leaked "null" before the title,
the title twice, no publication date, the journal article's lead and body, and the author with
their unit in parentheses at the end.
"""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "liferay"

ARTICLE = Layout(
    name="liferay_asset_publisher",
    title=(".asset-full-content .asset-title", ".asset-title", ".header-title span", "h3.header-title", ".journal-content-article h1"),
    date=(".asset-full-content .metadata-publish-date", ".publish-date", ".metadata-entry.metadata-publish-date"),
    lead=(".asset-full-content .asset-summary", ".journal-content-article .sapo", ".asset-summary"),
    body=(".asset-full-content .journal-content-article", ".journal-content-article", ".asset-full-content .asset-content", ".asset-content"),
    author=(".asset-full-content .author", ".journal-content-article .author", ".asset-author"),
    remove=(".asset-links", ".asset-ratings", ".asset-related-assets", ".taglib-social-bookmarks",
            ".print-action", ".asset-metadata", ".lfr-meta-actions", ".component-paginator"),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".asset-abstract .asset-title a", ".asset-abstract h3 a", ".asset-title a",
                     "a[href*='/-/asset_publisher/'][href*='/content/']")
    next_page = (".pagination li:not(.disabled) a[href*='_cur=']:last-child", "ul.pager li.next a", ".lfr-pagination-buttons a[href*='_cur=']")
    pager_links = (".pagination a", ".lfr-pagination-buttons a")
    article_url_pattern = r"/-/asset_publisher/[^/]+/content/"
    layouts = LAYOUTS
