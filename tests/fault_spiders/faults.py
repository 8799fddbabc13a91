"""A newspaper-CMS spider whose start URLs are given on the command line.

    scrapy crawl faults -a start=http://127.0.0.1:PORT/list.html[,http://127.0.0.1:PORT/list2.html]

allowed_domains is derived from the start URLs (127.0.0.1), as for any PortalSpider.
"""
from crawler.platforms.newspaper import BaseSpider


class FaultsSpider(BaseSpider):
    name = "faults"
    site_name = "Cổng thông tin thử nghiệm"
    organisation = "Ủy ban nhân dân xã Thử Nghiệm"
    level = "xã"
    province = "Bắc Kạn"
    start_urls: list[str] = []

    def __init__(self, *args, start=None, **kwargs):
        if start:
            self.start_urls = [u.strip() for u in start.split(",") if u.strip()]
            self.homepage = self.start_urls[0]
        super().__init__(*args, **kwargs)
