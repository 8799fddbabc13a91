"""Ủy ban MTTQ Việt Nam tỉnh Đồng Nai: the Fatherland Front of Đồng Nai province (ASP.NET portal)."""
from crawler.platforms.aspnet import BaseSpider


class DongNaiMatTranSpider(BaseSpider):
    name = "dongnai_mattran"
    site_name = "Ủy ban MTTQ Việt Nam tỉnh Đồng Nai"
    organisation = "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Đồng Nai"
    level = "tỉnh"
    province = "Đồng Nai"
    homepage = "https://mattran.dongnai.gov.vn/"
    allowed_domains = ["mattran.dongnai.gov.vn"]
    start_urls = ["https://mattran.dongnai.gov.vn/Pages/tin-tuc.aspx?TopicID=3"]
    tags = ("tinh", "mttq", "dongnai")
