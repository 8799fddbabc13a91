"""`scrapy crawl portal -a url=https://<any portal>/`: a site no module or registry entry knows.

Discovery (crawler/platforms/discovery.py): robots.txt sitemaps, /sitemap.xml, RSS/Atom feeds, then
the site's own navigation breadth-first from the start URL (menus, categories, "Xem tất cả",
pagination), on exactly the start URL's host (`www.` or not; subdomains are other sites).

Optional: -a organisation=… -a level=tỉnh|huyện|xã -a province=<pre-2025 province>
          -a max_pages=N (pages fetched to discover articles, start page included; default 50, 0: no limit)
          -a since=YYYY-MM-DD -a until=YYYY-MM-DD (records outside are not exported; sitemap lastmod and
          feed dates prune URLs before they are fetched)
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
