"""Thành ủy Hồng Ngự: the city party committee of Hồng Ngự, Đồng Tháp (Liferay portal).

District-level bodies were abolished on 1 July 2025; the portal is kept for its archive
(`-s SOURCE=wayback`)."""
from crawler.platforms.liferay import BaseSpider


class HongNguThanhUySpider(BaseSpider):
    name = "hongngu_thanhuy"
    site_name = "Thành ủy Hồng Ngự"
    organisation = "Thành ủy Hồng Ngự (Đảng bộ thành phố Hồng Ngự)"
    level = "huyện"
    province = "Đồng Tháp"
    district = "Thành phố Hồng Ngự"
    homepage = "https://thanhuyhongngu.dongthap.gov.vn/"
    allowed_domains = ["thanhuyhongngu.dongthap.gov.vn"]
    start_urls = ["https://thanhuyhongngu.dongthap.gov.vn/tin-tuc"]
    tags = ("huyen", "dang", "dongthap")
