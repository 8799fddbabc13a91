"""Layouts of widespread CMSs (WordPress, Joomla, DotNetNuke, Drupal, …) and the generic path.

Used by the `portal` spider, the registry and `python -m crawler.extract` when a page's platform
is detected but no site module exists.
"""
from ..extract.article import Layout

WORDPRESS = Layout(
    name="wordpress",
    title=("h1.entry-title", "h1.post-title", "article h1", "h1.wp-block-post-title"),
    date=("time.entry-date.published::attr(datetime)", "time.entry-date::attr(datetime)", ".posted-on time::attr(datetime)", ".entry-date"),
    body=(".entry-content", ".td-post-content", ".post-content", ".wp-block-post-content", ".tdb_single_content .tdb-block-inner", "article .content"),
    author=(".entry-meta .author .fn", ".byline .author a", ".entry-author-name", ".author-name"),
    section=(".cat-links a", ".entry-categories a"),
    remove=(".sharedaddy", ".jp-relatedposts", ".wp-block-buttons", ".addtoany_share_save_container",
            ".post-navigation", ".entry-footer", ".yarpp-related", ".related-posts", ".rp4wp-related-posts",
            ".heateor_sss_sharing_container", "nav", "form"),
)
JOOMLA = Layout(
    name="joomla",
    title=("[itemprop='headline']", ".page-header h2", ".item-page h2", "h1.article-title"),
    date=("time[itemprop='datePublished']::attr(datetime)", "dd.published time::attr(datetime)", "dd.published", ".published"),
    body=("[itemprop='articleBody']", ".item-page .article-body", ".item-page"),
    author=("[itemprop='author'] [itemprop='name']", "dd.createdby span", "dd.createdby"),
    section=("dd.category-name a", "[itemprop='genre']"),
    remove=(".article-info", ".icons", ".pagenav", ".pager", ".items-more", ".related-items", ".tags",
            ".btn-group", ".print-icon", ".email-icon", "dl.article-info"),
)
DOTNETNUKE = Layout(
    name="dotnetnuke",
    title=(".edn_articleTitle", "h1.edn_articleTitle", ".ArticleTitle", "h1.title", ".news-detail h1", "span[id$='lblTitle']"),
    date=(".edn_metaDetails time::attr(datetime)", ".edn_articleDate", ".ArticleDate", ".news-date"),
    lead=(".edn_articleSummary", "span[id$='lblSummary']", ".news-sapo"),
    body=(".edn_articleContent", ".ArticleContent", "span[id$='lblContent']", ".news-content", ".DNNModuleContent .Normal"),
    author=(".edn_articleAuthor", "span[id$='lblAuthor']", ".news-author"),
    body_pick="largest",  # a DNN page is a stack of HTML modules: the article is the biggest
    remove=(".edn_socialPrintWrapper", ".edn_articleTags", ".edn_relatedArticles", ".edn_articleNavigation"),
)
DRUPAL = Layout(
    name="drupal",
    title=("h1.page-title", ".node__title", "h1 .field--name-title", "h1"),
    date=(".node__submitted time::attr(datetime)", ".field--name-field-ngay-dang time::attr(datetime)", ".node__submitted", "time::attr(datetime)"),
    body=(".node--type-article .field--name-body", ".field--name-body", ".node__content .field--type-text-with-summary"),
    author=(".node__submitted .field--name-uid", ".field--name-field-tac-gia", ".node__submitted a.username"),
    remove=(".field--name-field-tags", ".links", ".node__links", ".field--name-field-related"),
)
SCHEMA_ORG = Layout(
    name="schema_org",
    title=("[itemprop='headline']", "h1"),
    date=("[itemprop='datePublished']::attr(content)", "[itemprop='datePublished']::attr(datetime)", "[itemprop='datePublished']"),
    lead=("[itemprop='description']",),
    body=("[itemprop='articleBody']",),
    author=("[itemprop='author'] [itemprop='name']", "[itemprop='author']"),
    remove=(".related", ".tags", ".share", ".social"),
)
ARTICLE_TAG = Layout(
    name="html5_article",
    title=("article h1", "h1"),
    date=("article time::attr(datetime)", "article time"),
    body=("article .content", "article .post-content", "article .article-content", "article .entry", "main article"),
    remove=("nav", "aside", "footer", ".share", ".social", ".related", ".tags"),
)

LAYOUTS = {
    "wordpress": (WORDPRESS,),
    "joomla": (JOOMLA, SCHEMA_ORG),
    "dotnetnuke": (DOTNETNUKE,),
    "drupal": (DRUPAL,),
    "schema_org": (SCHEMA_ORG,),
    "generic": (),
}
