"""Which portal platform produced a page: from markup and URL signatures."""
from __future__ import annotations

import re

# (platform, regexes over the raw HTML head+body, URL regex) in order of specificity
SIGNATURES = (
    ("liferay", (r"Liferay\.(?:ThemeDisplay|Portlet|authToken)", r"portlet-boundary_", r"/o/frontend-js"), r"/-/asset_publisher/"),
    ("newspaper_cms", (r"class=\"[^\"]*\bcms-body\b", r"class=\"[^\"]*\bcms-title\b", r"photo-cms-"), r"-post\d+\.html$"),
    ("dotnetnuke", (r"DnnModule", r"/DesktopModules/", r"dnn_ctr\d+"), r"/tabid/\d+"),
    ("aspnet", (r"__VIEWSTATE", r"ms-rtestate-field", r"WebResource\.axd", r"_spPageContextInfo"), r"\.aspx(?:\?|$)"),
    ("wordpress", (r"/wp-content/", r"/wp-includes/", r"<meta name=\"generator\" content=\"WordPress"), r"/\d{4}/\d{2}/\d{2}/|\?p=\d+"),
    ("nukeviet", (r"<meta name=\"generator\" content=\"NukeViet", r"nv_base_siteurl", r"/themes/\w+/js/nv\.", r"id=\"news-bodyhtml\""), r"/news/[\w-]+/[\w-]+-\d+\.html$"),
    ("joomla", (r"<meta name=\"generator\" content=\"Joomla", r"com_content", r"/media/jui/"), r"option=com_content|/index\.php/"),
    ("drupal", (r"Drupal\.settings", r"data-drupal-", r"node--type-", r"/sites/default/files/"), r"/node/\d+"),
)


def detect_platform(html: str, url: str = "") -> str:
    head = html[:200_000]
    best, best_score = "generic", 0
    for name, rxs, url_rx in SIGNATURES:
        score = sum(2 for rx in rxs if re.search(rx, head))
        if url and url_rx and re.search(url_rx, url):
            score += 1
        if score > best_score:
            best, best_score = name, score
    return best if best_score >= 2 else "generic"
