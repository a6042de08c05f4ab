"""Another system's comment text, made into what a reader here would have typed.

Imported comments are stored like every comment: as Markdown the site renders
through its own pipeline (the Markdown subset, then the nh3 allowlist), so an
imported comment can be edited, quoted and searched like any other and nothing
in an export file reaches a page unsanitized. HTML from the export is first
cut down by nh3 to the few tags a comment can have (which also drops scripts,
styles and their contents), then turned into Markdown by markdownify.
"""

from __future__ import annotations

import html
import re

import nh3
from markdownify import markdownify

from broadsheet.integrations.importing.records import BodyFormat

# What a comment's Markdown can say; anything else is reduced to its text.
_KEPT_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "s", "strong", "ul",
}  # fmt: skip
_KEPT_ATTRIBUTES = {"a": {"href"}}
_BLANK_LINES = re.compile(r"\n{3,}")


# An article (a WordPress post) also keeps its subheadings and images.
_ARTICLE_TAGS = _KEPT_TAGS | {"h2", "h3", "h4", "img"}
_ARTICLE_ATTRIBUTES = {**_KEPT_ATTRIBUTES, "img": {"src", "alt"}}


def html_to_markdown(html: str, *, article: bool = False) -> str:
    cleaned = nh3.clean(
        html,
        tags=_ARTICLE_TAGS if article else _KEPT_TAGS,
        attributes=_ARTICLE_ATTRIBUTES if article else _KEPT_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    if not article and _PLAIN_PARAGRAPHS.fullmatch(cleaned):
        return _plain_paragraphs_to_markdown(cleaned)
    text = markdownify(cleaned, heading_style="ATX", bullets="-", escape_misc=False)
    return _BLANK_LINES.sub("\n\n", text).strip()


# Most comments are paragraphs of text and nothing else. markdownify builds a
# BeautifulSoup tree for each (half a millisecond: most of a large import's
# time), so that case is converted here, to the same Markdown markdownify gives
# (tests/integrations/test_import_text.py compares the two).
_PLAIN_PARAGRAPHS = re.compile(r"(?:<p>|</p>|<br>|[^<])*")
_PARAGRAPH_BREAK = re.compile(r"\s*</p>\s*(?:<p>\s*)?|\s*<p>\s*")


def _plain_paragraphs_to_markdown(cleaned: str) -> str:
    paragraphs = []
    for block in _PARAGRAPH_BREAK.split(cleaned):
        lines = [" ".join(html.unescape(line).split()) for line in block.split("<br>")]
        text = "  \n".join(lines).strip()
        if text:
            paragraphs.append(text.replace("*", r"\*").replace("_", r"\_"))
    return "\n\n".join(paragraphs)


def wordpress_paragraphs(text: str) -> str:
    """WordPress stores comments as typed, HTML allowed, and makes paragraphs of
    blank lines only when it shows them (wpautop): do that first, so paragraphs
    survive the trip through HTML."""
    if "<p" in text.lower():
        return text
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(
        block if _BLOCK_TAG.match(block) else f"<p>{block.replace(chr(10), '<br>')}</p>"
        for block in blocks
        if block
    )


# A block that already is one (a subheading, a list, a quote) is not wrapped again.
_BLOCK_TAG = re.compile(r"<(h[1-6]|ul|ol|blockquote|pre|figure|table|div)\b", re.IGNORECASE)


def comment_markdown(body: str, body_format: BodyFormat) -> str:
    """The Markdown to store for an imported comment's text."""
    if body_format == BodyFormat.HTML:
        return html_to_markdown(body)
    return body.replace("\r\n", "\n").strip()
