"""`scrapy crawl portal -a url=https://<any portal>/`: a site no module or registry entry knows.

Optional: -a organisation=… -a level=tỉnh|huyện|xã -a province=<pre-2025 province> -a max_pages=N
"""
from crawler.platforms.discovery import DiscoverySpider


class AnyPortalSpider(DiscoverySpider):
    name = "portal"
    crawlall_skip = True  # needs -a url=…

    def __init__(self, *args, organisation=None, level=None, province=None, site_name=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation or ""
        self.level = level or ""
        self.province = province or ""
        self.site_name = site_name or ""
