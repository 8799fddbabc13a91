"""UBND/MTTQ xã Liêm Hải, Trực Ninh district, Nam Định province (commune portal)."""
from crawler.platforms.commune import BaseSpider


class LiemHaiSpider(BaseSpider):
    name = "liemhai"
    site_name = "Cổng thông tin điện tử xã Liêm Hải"
    organisation = "UBND xã Liêm Hải (Ủy ban MTTQ xã Liêm Hải)"
    level = "xã"
    province = "Nam Định"
    district = "Huyện Trực Ninh"
    homepage = "https://liemhai.trucninh.namdinh.gov.vn/"
    allowed_domains = ["liemhai.trucninh.namdinh.gov.vn"]
    start_urls = ["https://liemhai.trucninh.namdinh.gov.vn/tin-tuc-su-kien.html"]
    tags = ("xa", "ubnd", "mttq", "namdinh")
    article_url_pattern = r"/tin-tuc-su-kien/[\w-]+-\d+\.html$"
