"""A comment's Markdown to safe HTML, done once when it is posted.

The subset is what a reader of a news site needs and nothing a page could be
hurt by: paragraphs, line breaks, emphasis, links, `>` quotes, inline code and
emoticons. markdown-it-py (the `zero` preset plus those rules, raw HTML off, so
a `<script>` a reader types is shown as text) parses; nh3, an allowlist
sanitizer, has the last word on what reaches the page.
"""

import re

import nh3
from django.conf import settings
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from broadsheet.discussion.emoticons import EMOTICONS, TEXT_FORMS

_ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "code", "img"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"alt", "width", "height"}}


_EMOTICON = re.compile(
    r":([a-z]+):|(?<![\w(])("
    + "|".join(re.escape(f) for f in sorted(TEXT_FORMS, key=len, reverse=True))
    + r")(?!\w)"
)


def _split_emoticons(token: Token) -> list[Token]:
    """Cut one text token into text and emoticon tokens.

    `:wink:` counts anywhere; a text form like `;)` only where it stands apart
    from words, so "f(x;)" stays code-like text and not a face.
    """
    pieces: list[Token] = []
    cursor = 0
    for match in _EMOTICON.finditer(token.content):
        code = match.group(1)
        emoticon = EMOTICONS.get(code) if code else TEXT_FORMS.get(match.group(2) or "")
        if emoticon is None:
            continue
        if match.start() > cursor:
            text = Token("text", "", 0)
            text.content = token.content[cursor : match.start()]
            pieces.append(text)
        face = Token("emoticon", "img", 0)
        face.meta = {"code": emoticon.code}
        pieces.append(face)
        cursor = match.end()
    if not pieces:
        return [token]
    if cursor < len(token.content):
        text = Token("text", "", 0)
        text.content = token.content[cursor:]
        pieces.append(text)
    return pieces


def _emoticon_core_rule(state: StateCore) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = False
        for child in block.children:
            if child.type == "link_open":
                inside_link = True
            elif child.type == "link_close":
                inside_link = False
            if child.type == "text" and not inside_link:
                children.extend(_split_emoticons(child))
            else:
                children.append(child)
        block.children = children


def _render_emoticon(renderer, tokens, index, options, env) -> str:
    emoticon = EMOTICONS[tokens[index].meta["code"]]
    alt = nh3.clean_text(str(emoticon.alt))
    return f'<img class="emoticon" src="{emoticon.url}" alt="{alt}" width="20" height="20">'


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False})
    md.enable(["blockquote", "emphasis", "link", "autolink", "backticks", "escape", "newline"])
    md.core.ruler.push("emoticon", _emoticon_core_rule)
    md.add_render_rule("emoticon", _render_emoticon)
    # Links and quotes, yes; images from anywhere on the web, no: they would
    # let a comment track every reader who scrolls past it.
    md.disable("image", ignoreInvalid=True)
    return md


_parser = _build_parser()


def _emoticon_urls() -> set[str]:
    return {e.url for e in EMOTICONS.values()}


def render_comment_markdown(text: str) -> str:
    html = _parser.render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        tag_attribute_values={"img": {"src": _emoticon_urls(), "class": {"emoticon"}}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


def comment_length_limit() -> int:
    return settings.BROADSHEET_COMMENT_MAX_LENGTH
