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
    valid_from="2021-01-01",  # Đồng Tháp moved its sites to Liferay 7 DXP in 2021
    # the journal template Đồng Tháp's sites use (tieu-de = title, tom-tat = summary, noi-dung =
    # content, tac-gia = author), then the template-agnostic Liferay places
    title=(".journal-content-article .tieu-de", ".journal-content-article h1", ".journal-content-article h2.title",
           ".asset-full-content .asset-title", ".header-title"),
    # scoped to the article: the "Tin khác" portlets print `.metadata-publish-date` on their items
    date=(".journal-content-article .ngay-dang", ".asset-full-content .metadata-publish-date"),
    lead=(".journal-content-article .tom-tat", ".journal-content-article .sapo", ".asset-full-content .asset-summary"),
    body=(".journal-content-article .noi-dung", ".journal-content-article .content", ".asset-full-content .journal-content-article",
          ".journal-content-article"),
    author=(".journal-content-article .tac-gia", ".journal-content-article .author", ".asset-full-content .asset-author"),
    remove=(".asset-links", ".asset-ratings", ".asset-related-assets", ".taglib-social-bookmarks",
            ".print-action", ".asset-metadata", ".lfr-meta-actions", ".component-paginator"),
)
# Liferay 6.2, as Đồng Tháp's portals rendered until 2020 (Internet Archive captures): the asset
# title in the portlet's `.taglib-header`, the publish date shown, the journal article's own HTML
# with the author as a right-aligned last paragraph.
ARTICLE_62 = Layout(
    name="liferay62_asset_publisher",
    valid_until="2020-12-31",
    matches=".taglib-header .header-title",
    title=(".asset-full-content .taglib-header .header-title", ".taglib-header .header-title"),
    date=(".asset-full-content .metadata-publish-date",),
    body=(".asset-full-content .journal-content-article", ".journal-content-article"),
    remove=(".asset-links", ".asset-ratings", ".taglib-social-bookmarks", ".print-action", ".asset-metadata"),
)
# 6.2 first: it is chosen only where its markup is on the page (and, for archive captures, only
# for captures made before the move to Liferay 7)
LAYOUTS = (ARTICLE_62, ARTICLE)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".asset-abstract .asset-title a", ".asset-abstract h3 a", ".asset-title a",
                     "a[href*='/-/asset_publisher/'][href*='/content/']")
    next_page = (".pagination li.page-item:last-child:not(.disabled) a.page-link", "ul.pager li.next:not(.disabled) a",
                 ".lfr-pagination-buttons li:not(.disabled) a.next")
    pager_links = (".pagination a", ".lfr-pagination-buttons a")
    article_url_pattern = r"/-/asset_publisher/[^/]+/content/"
    layouts = LAYOUTS
