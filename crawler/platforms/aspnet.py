"""ASP.NET WebForms / SharePoint 2013 portals (Đồng Nai's department portals and their kin).

Articles: `Pages/noi-dung-tin.aspx?NewsID=…&TopicID=…`; listings `Pages/tin-tuc.aspx?TopicID=…`
with a GET pager. The article web part prints the title, "Đăng ngày: dd-mm-yyyy hh:mm", a summary
block (where some templates leak `asp:Label ID="lblSummary" runat="server"` as text), the body
and an author line, then "In nội dung", "Các tin đã đăng ngày:" and "Về đầu".
"""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "aspnet"

ARTICLE = Layout(
    name="aspnet_news_detail",
    title=(".news-detail .title", ".news-title", "span[id$='lblTitle']", "h1.title", ".ms-rtestate-field h1"),
    date=(".news-detail .date", ".news-date", "span[id$='lblDate']", "span[id$='lblNgayDang']"),
    lead=(".news-detail .summary", ".news-summary", "span[id$='lblSummary']", "div[id$='divSummary']"),
    body=(".news-detail .content", ".news-content", "div[id$='divContent']", "span[id$='lblContent']"),
    author=(".news-detail .author", ".news-author", "span[id$='lblAuthor']", "span[id$='lblTacGia']"),
    attachments=(".news-attach", ".news-detail .attach", "div[id$='divAttach']"),
    remove=(".news-tools", ".print", ".other-news", ".back-top", "input", "select"),
    boilerplate=(("aspnet_archive_picker", r"các\s+tin\s+đã\s+đăng\s+ngày\s*:?.*", "tail"),),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".news-list .title a", ".news-list a.title", ".list-news h3 a", ".news-item a.title",
                     "a[href*='noi-dung-tin.aspx']")
    next_page = (".pager a.next", ".paging a.next", "a[id$='lnkNext']", "a.next")
    pager_links = (".pager a", ".paging a")
    listing_date = ".date"
    article_url_pattern = r"(?i)noi-dung-tin\.aspx\?.*NewsID=\d+"
    layouts = LAYOUTS
