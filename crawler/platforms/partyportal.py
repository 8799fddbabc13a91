"""Party-committee portals (Cổng thông tin điện tử Đảng bộ huyện/tỉnh) with the accessibility
toolbar "A- A A+ | Tăng tương phản Giảm tương phản", photo captions between paragraphs,
"Tác giả: …" and "Tin liên quan"."""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "partyportal"

ARTICLE = Layout(
    name="partyportal_detail",
    title=(".article-detail h1", ".post-detail h1", ".news-detail h1", "h1.title", "h1"),
    date=(".article-detail .date", ".post-date", ".news-date", ".date"),
    lead=(".article-detail .sapo", ".post-sapo", ".sapo", ".lead"),
    body=(".article-detail .content", ".post-content", ".news-content", ".detail-content"),
    author=(".article-detail .author", ".post-author", ".author"),
    remove=(".toolbar", ".tool-bar", ".font-size", ".contrast", ".related-news", ".tin-lien-quan", ".share"),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".news-list h3 a", ".list-news .title a", ".post-list h3 a", ".news-item h3 a")
    next_page = (".pagination a.next", ".pagination a[rel='next']", ".pager a.next")
    pager_links = (".pagination a", ".pager a")
    listing_date = ".date"
    layouts = LAYOUTS
