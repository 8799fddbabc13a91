"""Turn registry entries (sites as data) into spider classes."""
from __future__ import annotations

import dataclasses
import re

LAYOUT_KEYS = {"title", "date", "modified", "lead", "body", "author", "section", "attachments",
               "captions", "remove", "boilerplate"}


def platform_base(platform: str):
    from . import aspnet, commune, liferay, newspaper, partyportal
    from .discovery import DiscoverySpider

    bases = {m.PLATFORM: m.BaseSpider for m in (aspnet, liferay, partyportal, commune, newspaper)}
    if platform in bases:
        return bases[platform]
    return DiscoverySpider  # wordpress, joomla, … and auto: discovery with platform detection


def build_spider_classes(data: dict, module_name: str):
    out = []
    for entry in data.get("site", []):
        if entry.get("module"):
            continue  # a site with code: its spider lives in that module
        base = platform_base(entry.get("platform", "auto"))
        name = entry["name"]
        attrs = {
            "name": name,
            "__module__": module_name,
            "__doc__": f"{entry.get('site_name', name)} (registry entry; verified={entry.get('verified', False)})",
            "site_name": entry.get("site_name", ""),
            "organisation": entry.get("organisation", ""),
            "level": entry.get("level", ""),
            "province": entry.get("province", ""),
            "district": entry.get("district"),
            "start_urls": list(entry.get("start_urls", [])),
            "tags": tuple(entry.get("tags", ())),
            "verified": bool(entry.get("verified", False)),
            "registry_entry": True,
            "snapshot": entry.get("snapshot"),
        }
        if entry.get("article_url_pattern"):
            attrs["article_url_pattern"] = entry["article_url_pattern"]
        sel = entry.get("selectors", {})
        for key in ("listing_items", "next_page"):
            if key in sel:
                attrs[key] = tuple(sel[key])
        overrides = {k: tuple(v) for k, v in sel.items() if k in LAYOUT_KEYS}
        if overrides and getattr(base, "layouts", ()):
            attrs["layouts"] = tuple(dataclasses.replace(lay, **overrides) for lay in base.layouts)
        cls_name = "".join(p.capitalize() for p in re.split(r"[^a-zA-Z0-9]", name) if p) + "Spider"
        out.append(type(cls_name, (base,), attrs))
    return out
