"""Article Markdown to HTML, done once when an editor saves.

markdown-it-py parses (CommonMark, raw HTML off); we then walk its tokens to
give every block a stable anchor, turn a lone image into a figure with a
caption, and mark the closing "PS" paragraph; nh3 sanitizes the result, because
an editor's account can be stolen too.
"""

import hashlib
import re
from dataclasses import dataclass

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

_PS_PATTERN = re.compile(r"^\s*(P\.\s?S\.|PS\b)", re.IGNORECASE)

_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "figcaption", "figure", "h2", "h3", "h4",
    "hr", "img", "li", "ol", "p", "pre", "strong", "ul", "cite", "sup", "sub",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "loading"},
    "ol": {"start"},
}


@dataclass(frozen=True)
class RenderedArticle:
    html: str
    # anchor id -> plain text of that paragraph, for verifying quotes of it.
    paragraphs: dict[str, str]
    # [section number, anchor] of every paragraph, in reading order (section 0 is
    # before the first subheading): what the editions of an article are aligned by.
    outline: list[list] = ()


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["replacements", "smartquotes"]
    )


def paragraph_anchor(text: str, taken: set[str]) -> str:
    """An id derived from the paragraph's words, not its position.

    Inserting or removing another paragraph leaves every other anchor (and so
    every link and quote pointing at it) where it was; only a paragraph whose
    own text changes gets a new id.
    """
    normalized = " ".join(text.split()).casefold()
    base = "p-" + hashlib.sha256(normalized.encode()).hexdigest()[:8]
    anchor, suffix = base, 2
    while anchor in taken:
        anchor, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(anchor)
    return anchor


def _inline_text(token: Token) -> str:
    return (
        "".join(
            child.content for child in token.children or [] if child.type in {"text", "code_inline"}
        )
        or token.content
    )


def render_article_markdown(markdown: str) -> RenderedArticle:
    md = _parser()
    tokens = md.parse(markdown)
    taken: set[str] = set()
    paragraphs: dict[str, str] = {}
    outline: list[list] = []
    section = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            section += 1
            inline = tokens[index + 1]
            anchor = slugify(_inline_text(inline))[:60] or "section"
            anchor = f"s-{anchor}"
            while anchor in taken:
                anchor += "-2"
            taken.add(anchor)
            token.attrSet("id", anchor)
        elif token.type == "paragraph_open":
            inline = tokens[index + 1]
            children = [
                c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())
            ]
            if len(children) == 1 and children[0].type == "image":
                _make_figure(token, inline, tokens[index + 2], children[0])
                continue
            text = _inline_text(inline)
            anchor = paragraph_anchor(text, taken)
            token.attrSet("id", anchor)
            paragraphs[anchor] = " ".join(text.split())
            outline.append([section, anchor])
            if _PS_PATTERN.match(text):
                token.attrSet("class", "article-ps")
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )
    return RenderedArticle(html=clean, paragraphs=paragraphs, outline=outline)


def _make_figure(open_token: Token, inline: Token, close_token: Token, image: Token) -> None:
    open_token.tag = close_token.tag = "figure"
    image.attrSet("loading", "lazy")
    caption = image.attrGet("title")
    if caption:
        figcaption = Token("html_inline", "", 0)
        figcaption.content = f"<figcaption>{_escape(str(caption))}</figcaption>"
        inline.children = [image, figcaption]
    else:
        inline.children = [image]


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def align_paragraphs(
    edition_outline: list[list], original_outline: list[list], fixes: dict | None = None
) -> dict[str, str]:
    """Which paragraph of the original each paragraph of an edition translates:
    edition anchor -> original anchor.

    By order within sections: the n-th paragraph under the k-th subheading of the
    edition is the n-th under the k-th of the original. Translators keep the
    paragraphs and subheadings of the text they translate far more often than
    not; where they merge or split one, an editor corrects it with `fixes`
    ({edition paragraph number: original paragraph number}, counted from 1 over
    the whole text; 0 leaves the edition paragraph unaligned).
    """

    def by_section(outline):
        sections: dict[int, list[str]] = {}
        for section, anchor in outline:
            sections.setdefault(section, []).append(anchor)
        return sections

    original = by_section(original_outline)
    aligned: dict[str, str] = {}
    for section, anchors in by_section(edition_outline).items():
        for anchor, counterpart in zip(anchors, original.get(section, []), strict=False):
            aligned[anchor] = counterpart
    edition_order = [anchor for _section, anchor in edition_outline]
    original_order = [anchor for _section, anchor in original_outline]
    for key, value in (fixes or {}).items():
        try:
            position, target = int(key), int(value)
        except (TypeError, ValueError):
            continue
        if not 1 <= position <= len(edition_order):
            continue
        anchor = edition_order[position - 1]
        if 1 <= target <= len(original_order):
            aligned[anchor] = original_order[target - 1]
        else:
            aligned.pop(anchor, None)
    return aligned
