"""The newspaper CMS many provincial papers run (Báo Bắc Kạn and others): article URLs
`/<slug>-post<ID>.html`, `cms-title`/`cms-desc`/`cms-body` blocks, images on `photo-cms-*`
hosts in `table.picture` with `td.caption`, a text-to-speech player, "Xem thêm"."""
from ..extract.article import Layout
from .base import PortalSpider

PLATFORM = "newspaper_cms"

ARTICLE = Layout(
    name="newspaper_cms",
    title=(".cms-title", "h1.article__title", "h1"),
    date=(".article__meta time", ".article__meta .time", "time.time", ".article__date"),
    lead=(".cms-desc", ".article__sapo"),
    body=(".cms-body", ".article__body"),
    author=(".article__author", ".cms-author", ".author"),
    captions=("td.caption", "figcaption"),
    remove=(".audio-player", ".article__audio", "audio", ".article__tags", ".related", ".box-related", ".btn-more"),
    title_suffix=r"\s*[-|]\s*Báo Bắc Kạn.*$",
)
LAYOUTS = (ARTICLE,)


class BaseSpider(PortalSpider):
    platform = PLATFORM
    listing_items = (".main-col .story__heading a", ".main-col .story__title a", ".main-col a.cms-link",
                     ".story__title a", ".story__heading a", ".story h2 a", ".story h3 a")
    next_page = (".pagination a.next", ".pagination a[rel='next']", "link[rel='next']", "a.page-next")
    pager_links = (".pagination a",)
    listing_date = "time"
    article_url_pattern = r"-post\d+\.html$"
    layouts = LAYOUTS
