"""Party-committee portals (Cổng thông tin điện tử Đảng bộ huyện/tỉnh) with the accessibility
toolbar "A- A A+ | Tăng tương phản Giảm tương phản", photo captions between paragraphs,
"Tác giả: …" and "Tin liên quan"."""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "partyportal"

ARTICLE = Layout(
    name="partyportal_detail",
    title=(".article-detail h1.article-title", ".article-detail h1", ".post-detail h1", "h1.title"),
    date=(".article-detail .post-date", ".article-detail .date", ".post-date"),
    lead=(".article-detail .article-sapo", ".article-detail .sapo", ".post-sapo"),
    body=(".article-detail .article-content", ".article-detail .content", ".post-content", ".detail-content"),
    author=(".article-detail .article-author", ".article-detail .author", ".post-author"),
    attachments=(".article-detail .article-attachments", ".article-detail .attachments", ".file-dinh-kem"),
    remove=(".font-tools", ".article-tools", ".related-news", ".article-share", ".tin-lien-quan", "script"),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".news-list h3.news-title a", ".news-list h3 a", ".list-news .title a", ".post-list h3 a")
    next_page = (".pagination a.next", ".pagination a[rel='next']", ".pager a.next")
    pager_links = (".pagination a", ".pager a")
    listing_date = ".news-date, .date, time"
    layouts = LAYOUTS
