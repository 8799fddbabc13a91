"""Layouts of widespread CMSs (WordPress, Joomla, DotNetNuke, Drupal, …) and the generic path.

Used by the `portal` spider, the registry and `python -m crawler.extract` when a page's platform
is detected but no site module exists.
"""
from ..extract.article import Layout

WORDPRESS = Layout(
    name="wordpress",
    title=("h1.entry-title", "h1.post-title", "article h1", "h1.wp-block-post-title",
           ".elementor-widget-theme-post-title .elementor-heading-title"),
    date=("time.entry-date.published", "time.entry-date", ".posted-on time", ".entry-date",
          ".elementor-post-info__item--type-date"),
    body=(".entry-content", ".td-post-content", ".post-content", ".wp-block-post-content", ".tdb_single_content .tdb-block-inner",
          ".elementor-widget-theme-post-content .elementor-widget-container", "article .content"),
    author=(".entry-meta .author .fn", ".byline .author a", ".entry-author-name", ".author-name",
            ".elementor-post-info__item--type-author"),
    section=(".cat-links a", ".entry-categories a", ".entry-category a", ".elementor-post-info__terms-list a"),
    featured=(".post-thumbnail", ".entry-image", ".featured-image", ".elementor-widget-theme-post-featured-image"),
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
    title=("h1.page-title", ".node__title", "h1 .field--name-title", "h1#page-title", "h1.title", "h1"),
    date=(".node__submitted time", ".field--name-field-ngay-dang time", ".node__submitted", "article time"),
    # Drupal 8+ (field--name-body), Drupal 7 (field-name-body)
    body=(".node--type-article .field--name-body", ".field--name-body", ".node__content .field--type-text-with-summary",
          ".node-article .field-name-body", ".field-name-body", ".node .content .field-type-text-with-summary"),
    author=(".node__submitted .field--name-uid", ".field--name-field-tac-gia", ".node__submitted a.username"),
    remove=(".field--name-field-tags", ".links", ".node__links", ".field--name-field-related"),
)
# K2, the article component of many Joomla portals: intro text and full text in two blocks, the
# item image and its caption above them
JOOMLA_K2 = Layout(
    name="joomla_k2",
    matches=".itemView",
    title=(".itemView .itemTitle", ".itemTitle"),
    date=(".itemView .itemDateCreated", ".itemDateCreated"),
    lead=(".itemView .itemIntroText", ".itemIntroText"),
    body=(".itemView .itemFullText", ".itemFullText", ".itemView .itemBody"),
    author=(".itemView .itemAuthor a", ".itemView .itemAuthor"),
    section=(".itemCategory a",),
    featured=(".itemView .itemImageBlock", ".itemImageBlock"),
    remove=(".itemLinks", ".itemSocialSharing", ".itemRelated", ".itemNavigation", ".itemTagsBlock", ".itemRatingBlock",
            ".itemToolbar", ".itemCommentsForm", ".itemAttachmentsBlock"),
    attachments=(".itemAttachmentsBlock",),
)
# NukeViet 4 (a Vietnamese CMS many schools, communes and associations run): the news module's
# detail page keeps the lead in `.hometext`, the body in `#news-bodyhtml`, the byline after it
NUKEVIET = Layout(
    name="nukeviet_news",
    title=(".news_column h1", "h1[itemprop='headline']", ".news_column .title"),
    lead=(".news_column .hometext", ".hometext"),
    body=("#news-bodyhtml", ".news_column .bodytext", ".bodytext"),
    featured=(".news_column .clearfix figure", ".news_column figure.article", ".imghome"),
    remove=(".news_column .list-inline", ".related", ".news_related", ".socialicon"),
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
    "joomla": (JOOMLA_K2, JOOMLA, SCHEMA_ORG),
    "nukeviet": (NUKEVIET,),
    "dotnetnuke": (DOTNETNUKE,),
    "drupal": (DRUPAL,),
    "schema_org": (SCHEMA_ORG,),
    "generic": (),
}
