"""A district party committee (Huyện ủy) portal of the party-portal family.

The seed page did not name its host; the snapshot uses https://www.huyenuy.example. Point the
spider at a real portal of the same family with `-a site=https://<host>/`."""
from crawler.platforms.partyportal import BaseSpider


class HuyenUySpider(BaseSpider):
    name = "huyenuy"
    site_name = "Cổng thông tin điện tử Đảng bộ huyện"
    organisation = "Huyện ủy (Ban Chấp hành Đảng bộ huyện)"
    level = "huyện"
    province = "Thái Nguyên"  # unknown for the seed; override per deployment with -a site=…
    homepage = "https://www.huyenuy.example/"
    allowed_domains = ["www.huyenuy.example"]
    start_urls = ["https://www.huyenuy.example/tin-tuc"]
    tags = ("huyen", "dang")
    article_url_pattern = r"/[\w-]+/[\w-]+-\d+\.html$"
