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
    # by the web part's control ids first (stable across skins), then by the skin's classes;
    # never a bare ".date": the "Các tin khác" list under the article has dated items
    # (Vietnamese control names too: TieuDe = title, NgayDang = date posted, TomTat = summary,
    # NoiDung = content, TacGia = author)
    title=("span[id$='_lblTitle']", "span[id$='_lblTieuDe']", ".news-detail .news-title", ".news-title"),
    date=("span[id$='_lblDate']", "span[id$='_lblNgayDang']", ".news-detail .news-date"),
    lead=("div[id$='_divSummary']", "span[id$='_lblTomTat']", ".news-detail .news-summary", "span[id$='_lblSummary']"),
    body=("div[id$='_divContent']", "div[id$='_divNoiDung']", ".news-detail .news-content", "span[id$='_lblContent']"),
    author=("div[id$='_divAuthor']", "span[id$='_lblAuthor']", "span[id$='_lblTacGia']", ".news-detail .news-author"),
    attachments=(".news-attach", ".news-detail .attach", "div[id$='divAttach']"),
    remove=(".news-tools", ".congcu-tin", ".xemtin-theongay", ".ve-dau", ".print", ".other-news", ".back-top", "input", "select"),
    boilerplate=(("aspnet_archive_picker", r"các\s+tin\s+đã\s+đăng\s+ngày\s*:?.*", "tail"),),
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".news-list a.title", ".dstin .tin-item a.tin-tieude", ".news-list .title a", ".list-news h3 a",
                     ".news-item a.title")
    next_page = (".pager a.next", ".phantrang a.trang-sau", ".paging a.next", "a[id$='lnkNext']", "a.next")
    pager_links = (".pager a", ".phantrang a", ".paging a")
    listing_date = ".date, .tin-ngay"
    article_url_pattern = r"(?i)noi-dung-tin\.aspx\?.*NewsID=\d+"
    layouts = LAYOUTS
