"""Provinces before and after the 1 July 2025 reorganisation.

Current provinces (34) come from the maintained `vietnam-provinces` package, which carries only
the post-2025 divisions; it has no table of which pre-2025 province went where, so that one
table (Resolution 202/2025/QH15, 63 -> 34) is kept here and checked against the package's names
by the tests.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

# pre-2025 province -> province it belongs to since 1 July 2025 (names as the package spells them)
MERGED_INTO = {
    "Hà Giang": "Tuyên Quang", "Tuyên Quang": "Tuyên Quang",
    "Yên Bái": "Lào Cai", "Lào Cai": "Lào Cai",
    "Bắc Kạn": "Thái Nguyên", "Thái Nguyên": "Thái Nguyên",
    "Vĩnh Phúc": "Phú Thọ", "Hòa Bình": "Phú Thọ", "Phú Thọ": "Phú Thọ",
    "Bắc Giang": "Bắc Ninh", "Bắc Ninh": "Bắc Ninh",
    "Thái Bình": "Hưng Yên", "Hưng Yên": "Hưng Yên",
    "Hải Dương": "Thành phố Hải Phòng", "Hải Phòng": "Thành phố Hải Phòng",
    "Hà Nam": "Ninh Bình", "Nam Định": "Ninh Bình", "Ninh Bình": "Ninh Bình",
    "Quảng Bình": "Quảng Trị", "Quảng Trị": "Quảng Trị",
    "Quảng Nam": "Thành phố Đà Nẵng", "Đà Nẵng": "Thành phố Đà Nẵng",
    "Kon Tum": "Quảng Ngãi", "Quảng Ngãi": "Quảng Ngãi",
    "Bình Định": "Gia Lai", "Gia Lai": "Gia Lai",
    "Ninh Thuận": "Khánh Hòa", "Khánh Hòa": "Khánh Hòa",
    "Đắk Nông": "Lâm Đồng", "Bình Thuận": "Lâm Đồng", "Lâm Đồng": "Lâm Đồng",
    "Phú Yên": "Đắk Lắk", "Đắk Lắk": "Đắk Lắk",
    "Bình Dương": "Thành phố Hồ Chí Minh", "Bà Rịa - Vũng Tàu": "Thành phố Hồ Chí Minh",
    "Hồ Chí Minh": "Thành phố Hồ Chí Minh",
    "Bình Phước": "Đồng Nai", "Đồng Nai": "Đồng Nai",
    "Long An": "Tây Ninh", "Tây Ninh": "Tây Ninh",
    "Sóc Trăng": "Thành phố Cần Thơ", "Hậu Giang": "Thành phố Cần Thơ", "Cần Thơ": "Thành phố Cần Thơ",
    "Bến Tre": "Vĩnh Long", "Trà Vinh": "Vĩnh Long", "Vĩnh Long": "Vĩnh Long",
    "Tiền Giang": "Đồng Tháp", "Đồng Tháp": "Đồng Tháp",
    "Bạc Liêu": "Cà Mau", "Cà Mau": "Cà Mau",
    "Kiên Giang": "An Giang", "An Giang": "An Giang",
    # unchanged
    "Hà Nội": "Thành phố Hà Nội", "Thừa Thiên Huế": "Thành phố Huế", "Huế": "Thành phố Huế",
    "Lai Châu": "Lai Châu", "Điện Biên": "Điện Biên", "Sơn La": "Sơn La", "Lạng Sơn": "Lạng Sơn",
    "Quảng Ninh": "Quảng Ninh", "Thanh Hóa": "Thanh Hóa", "Nghệ An": "Nghệ An",
    "Hà Tĩnh": "Hà Tĩnh", "Cao Bằng": "Cao Bằng",
}


def _key(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    for prefix in ("Tỉnh ", "Thành phố ", "TP. ", "TP "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.replace("Hoà", "Hòa").replace("Khánh Hoà", "Khánh Hòa")


@lru_cache(maxsize=1)
def _current():
    from vietnam_provinces import Province

    return {p.name: p for p in Province.iter_all()}


def province_now(province: str) -> tuple[str, int | None]:
    """('Bắc Kạn') -> ('Thái Nguyên', 19): the post-2025 province and its code."""
    now = MERGED_INTO.get(_key(province))
    if now is None:
        raise KeyError(f"unknown province {province!r}")
    p = _current().get(now)
    code = int(p.code.value) if p is not None else None
    return now, code
