"""Another system's comment text, made into what a reader here would have typed.

Imported comments are stored like every comment: as Markdown the site renders
through its own pipeline (the Markdown subset, then the nh3 allowlist), so an
imported comment can be edited, quoted and searched like any other and nothing
in an export file reaches a page unsanitized. HTML from the export is first
cut down by nh3 to the few tags a comment can have (which also drops scripts,
styles and their contents), then turned into Markdown by markdownify.
"""

from __future__ import annotations

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


def html_to_markdown(html: str) -> str:
    cleaned = nh3.clean(
        html,
        tags=_KEPT_TAGS,
        attributes=_KEPT_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    text = markdownify(cleaned, heading_style="ATX", bullets="-", escape_misc=False)
    return _BLANK_LINES.sub("\n\n", text).strip()


def wordpress_paragraphs(text: str) -> str:
    """WordPress stores comments as typed, HTML allowed, and makes paragraphs of
    blank lines only when it shows them (wpautop): do that first, so paragraphs
    survive the trip through HTML."""
    if "<p" in text.lower():
        return text
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(f"<p>{block.replace(chr(10), '<br>')}</p>" for block in blocks if block)


def comment_markdown(body: str, body_format: BodyFormat) -> str:
    """The Markdown to store for an imported comment's text."""
    if body_format == BodyFormat.HTML:
        return html_to_markdown(body)
    return body.replace("\r\n", "\n").strip()
