"""Báo Bắc Kạn, the provincial newspaper of Bắc Kạn (merged into Thái Nguyên on 1 July 2025)."""
from crawler.platforms.newspaper import BaseSpider


class BaoBacKanSpider(BaseSpider):
    name = "baobackan"
    site_name = "Báo Bắc Kạn"
    organisation = "Báo Bắc Kạn (cơ quan của Đảng bộ tỉnh Bắc Kạn)"
    level = "tỉnh"
    province = "Bắc Kạn"
    homepage = "https://baobackan.vn/"
    allowed_domains = ["baobackan.vn"]
    start_urls = ["https://baobackan.vn/chinh-tri/"]
    tags = ("tinh", "bao", "backan")
    wayback_url_patterns = ("baobackan.vn/*",)
