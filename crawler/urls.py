"""URL canonicalisation shared by spiders, deduplication and replay."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Session, tracking and navigation-state parameters that never change which article a URL names.
_DROP_PARAMS = re.compile(
    r"^(?:utm_\w+|utm|fbclid|gclid|dclid|msclkid|yclid|igshid|mibextid|_gl|fb_action_ids|fb_action_types|fb_ref|fb_source|"
    r"zarsrc|gidzl|_ga|mc_cid|mc_eid|ref|refid|src|"
    r"jsessionid|phpsessid|sessionid|sid|asp\.net_sessionid|aspsessionid\w*|"
    r"redirect|inheritRedirect|_[\w]+_redirect|backURL|returnUrl)$",
    re.I,
)


def canonical_url(url: str) -> str:
    """Stable form of a URL: w3lib canonicalisation minus session/tracking/redirect parameters."""
    parts = urlsplit(url)
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.I)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _DROP_PARAMS.match(k)]
    netloc = parts.netloc.lower()
    if (parts.scheme == "https" and netloc.endswith(":443")) or (parts.scheme == "http" and netloc.endswith(":80")):
        netloc = netloc.rsplit(":", 1)[0]  # default ports name the same resource
    url = urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))
    return canonicalize_url(url, keep_fragments=False)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def ascii_host(host: str) -> str:
    """A host as it goes on the wire: IDNA (punycode) for Vietnamese names, lower case."""
    host = (host or "").strip().lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def same_site(host: str, domain: str) -> bool:
    """`host` is `domain` or its www. twin (a subdomain is another site: a commune's portal
    under the district's domain)."""
    return ascii_host(host).removeprefix("www.") == ascii_host(domain).removeprefix("www.")


# a site's home: "/", "/index.php", "/Pages/default.aspx", "/vi/", "/portal/home", "/trang-chu"
HOME_PATH = re.compile(r"^/?(?:(?:pages|vi|en|portal|web|wps/portal|home|site|cms)/)?"
                       r"(?:(?:index|default|home|trang-chu|trangchu|homepage)(?:\.\w+)?)?/?$", re.I)


def is_home_url(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.query and bool(HOME_PATH.match(parts.path or "/"))
