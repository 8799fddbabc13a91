"""Scrapy settings for the crawler. Every knob is documented in the README ("Settings")."""

BOT_NAME = "vn_public_news"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"
TEMPLATES_DIR = None  # set below to the package's templates (scrapy genspider -t <platform>)

ADDONS = {"crawler.addons.ProjectAddon": 0}

# ---- identity and politeness
CONTACT_URL = "https://github.com/vn-public-news/crawler"
USER_AGENT = f"vn-public-news-crawler/0.1 (+{CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Many .gov.vn hosts serve expired or incomplete certificate chains. Scrapy does not verify
# certificates by default; -s DOWNLOAD_VERIFY_CERTIFICATES=1 makes the crawl refuse them (README).
DOWNLOAD_VERIFY_CERTIFICATES = False
REDIRECT_MAX_TIMES = 10
ROBOTSTXT_CRAWL_DELAY = True  # honour robots.txt Crawl-delay (Scrapy does not), up to CRAWL_DELAY_MAX
CRAWL_DELAY_MAX = 60
# getaddrinfo-based resolver: IPv6-only hosts resolve too (Scrapy's default resolver is IPv4-only)
TWISTED_DNS_RESOLVER = "scrapy.resolver.CachingHostnameResolver"
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.RobotsTxtErrorMiddleware": 540,  # below RetryMiddleware: after retries
    "crawler.middlewares.RetryAfterMiddleware": 551,  # above RetryMiddleware (550): before the retry
    "crawler.middlewares.CrawlDelayMiddleware": 552,  # robots.txt Crawl-delay (sees robots.txt answers)
    "crawler.middlewares.MetaRefreshGuardMiddleware": 582,  # above MetaRefreshMiddleware (580)
    "crawler.middlewares.UnknownEncodingMiddleware": 588,  # below decompression (590)
    "crawler.middlewares.ContentCheckMiddleware": 585,  # below decompression (590)
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.SizeLimitCompressionMiddleware": 590,
    "crawler.middlewares.OffsiteRedirectMiddleware": 601,  # above RedirectMiddleware (600)
    "crawler.middlewares.RedirectGuardMiddleware": 602,
    "crawler.archive.warc.WarcRecorderMiddleware": 950,
}
SPIDER_MIDDLEWARES = {}
EXTENSIONS = {"crawler.extensions.StatsDump": 900}

ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.DedupPipeline": 300,
}

# ---- output
OUTPUT_DIR = "output"  # default feed: OUTPUT_DIR/<spider>/<time>.jsonl (unless -o/-O is given)
FEED_EXPORT_ENCODING = "utf-8"  # unescaped Vietnamese (ensure_ascii=False)
FEED_STORE_EMPTY = True

# ---- our own knobs (defaults)
REPLAY = None  # PATH: answer requests from a fixture folder or WARC, never the network
SOURCE = "live"  # live | wayback
INCREMENTAL = False  # remember exported articles across runs (STATE_DIR)
RECRAWL = False  # with INCREMENTAL: fetch and compare everything again
STATE_DIR = None  # default OUTPUT_DIR/state
INCREMENTAL_STOP_AFTER_SEEN = 10  # stop a listing walk after this many already-seen articles in a row
WARC_OUTPUT = None  # file or folder: record every request/response as WARC
WARC_MAX_SIZE = 1024 * 1024 * 1024  # rotate WARC files at this size (bytes)
WARC_VERSION = "1.1"
LISTING_MAX_LINKS = 5000  # article links taken from one listing page (the rest counted, not followed)

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

from pathlib import Path as _Path  # noqa: E402

TEMPLATES_DIR = str(_Path(__file__).parent / "templates")  # scrapy genspider -t aspnet|liferay|partyportal|commune|newspaper
