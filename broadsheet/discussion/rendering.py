"""A comment's Markdown to safe HTML, done once when it is posted or edited.

The subset is what a reader of a news site needs and nothing a page could be
hurt by: paragraphs, line breaks, emphasis, links, `>` quotes (a quote that
opens with `[Source](url):` or `"Source":` names its source in a <cite>),
inline code, emoticons, `@handle` mentions and `#N` references to other
comments of the same article. markdown-it-py (the `zero` preset plus those
rules, raw HTML off, so a `<script>` a reader types is shown as text) parses;
nh3, an allowlist sanitizer, has the last word on what reaches the page.

Emoticons are bounded per comment (BROADSHEET_EMOTICONS_PER_COMMENT): each one
is a whole <img> element, so 5,000 characters of `:wink:` would otherwise store
and serve a quarter of a megabyte. Past the bound, shortcodes and faces stay as
the text the reader typed rather than refusing the comment: nothing the reader
wrote is lost, and text costs no more than its own length.
"""

import re

import nh3
from django.conf import settings
from django.db.models.functions import Lower
from django.urls import reverse
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from broadsheet.discussion.emoticons import EMOTICONS, TEXT_FORMS
from broadsheet.discussion.links import comment_url
from broadsheet.readers.models import Reader

_ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "code", "img", "cite"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"alt", "width", "height"}}

# `@handle` and `#N`, as rendering links them and notifications read them.
MENTION_PATTERN = r"(?<![\w@/])@(?P<handle>[A-Za-z0-9_-]{3,30})\b"
REFERENCE_PATTERN = r"(?<![\w&/#])#(?P<number>[1-9][0-9]{0,6})\b"
MENTION = re.compile(MENTION_PATTERN)
REFERENCE = re.compile(REFERENCE_PATTERN)

# One pass finds every inline marker we turn into markup, in order of appearance:
# :shortcode:, a text emoticon standing apart from words, @handle, #number.
_INLINE = re.compile(
    r"(?P<code>:[a-z]+:)"
    r"|(?<![\w(])(?P<face>"
    + "|".join(re.escape(f) for f in sorted(TEXT_FORMS, key=len, reverse=True))
    + r")(?!\w)"
    + "|"
    + MENTION_PATTERN
    + "|"
    + REFERENCE_PATTERN
)
_SOURCE_NAME = re.compile(r'^(["“«][^"”»\n]{1,80}["”»])(:)')


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link(href: str, label: str, css_class: str) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrs = {"href": href, "class": css_class}
    return [opening, _text(label), Token("link_close", "a", -1)]


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token


def _split_markers(token: Token, env: dict) -> list[Token]:
    pieces: list[Token] = []
    cursor = 0
    for match in _INLINE.finditer(token.content):
        replacement: list[Token] | None = None
        if match.group("code") or match.group("face"):
            code = match.group("code")
            emoticon = (
                EMOTICONS.get(code.strip(":")) if code else TEXT_FORMS.get(match.group("face"))
            )
            if emoticon is not None and env["emoticons_left"] > 0:
                env["emoticons_left"] -= 1
                face = Token("emoticon", "img", 0)
                face.meta = {"code": emoticon.code}
                replacement = [face]
        elif match.group("handle"):
            handle = env.get("mentionable", {}).get(match.group("handle").lower())
            if handle:
                url = reverse("readers:profile", kwargs={"handle": handle})
                replacement = _link(url, match.group(0), "mention")
        elif match.group("number") and env.get("article") is not None:
            url = comment_url(env["article"], int(match.group("number")))
            replacement = _link(url, match.group(0), "comment-ref")
        if replacement is None:
            continue
        if match.start() > cursor:
            pieces.append(_text(token.content[cursor : match.start()]))
        pieces.extend(replacement)
        cursor = match.end()
    if not pieces:
        return [token]
    if cursor < len(token.content):
        pieces.append(_text(token.content[cursor:]))
    return pieces


def _cite_source(children: list[Token]) -> list[Token]:
    """Wrap the source named at the start of a quote in <cite>."""
    if len(children) >= 4 and children[0].type == "link_open":
        close = next((i for i, c in enumerate(children) if c.type == "link_close"), None)
        if close is not None and close + 1 < len(children):
            after = children[close + 1]
            if after.type == "text" and after.content.startswith(":"):
                return [
                    _html("<cite>"),
                    *children[: close + 1],
                    _html("</cite>"),
                    *children[close + 1 :],
                ]
    if children and children[0].type == "text":
        match = _SOURCE_NAME.match(children[0].content)
        if match:
            rest = children[0].content[len(match.group(1)) :]
            return [
                _html("<cite>"),
                _text(match.group(1)),
                _html("</cite>"),
                _text(rest),
                *children[1:],
            ]
    return children


def _inline_markup_rule(state: StateCore) -> None:
    tokens = state.tokens
    for index, block in enumerate(tokens):
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
                children.extend(_split_markers(child, state.env))
            else:
                children.append(child)
        opens_quote = (
            index >= 2
            and tokens[index - 1].type == "paragraph_open"
            and tokens[index - 2].type == "blockquote_open"
        )
        block.children = _cite_source(children) if opens_quote else children


def _render_emoticon(renderer, tokens, index, options, env) -> str:
    emoticon = EMOTICONS[tokens[index].meta["code"]]
    alt = nh3.clean_text(str(emoticon.alt))
    return f'<img class="emoticon" src="{emoticon.url}" alt="{alt}" width="20" height="20">'


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False})
    md.enable(["blockquote", "emphasis", "link", "autolink", "backticks", "escape", "newline"])
    md.core.ruler.push("broadsheet_inline", _inline_markup_rule)
    md.add_render_rule("emoticon", _render_emoticon)
    # Links and quotes, yes; images from anywhere on the web, no: they would
    # let a comment track every reader who scrolls past it.
    md.disable("image", ignoreInvalid=True)
    return md


_parser = _build_parser()


def _emoticon_urls() -> set[str]:
    return {e.url for e in EMOTICONS.values()}


def _mentionable(text: str) -> dict[str, str]:
    """lower-case handle -> handle as spelled, for the readers mentioned who exist."""
    wanted = {h.lower() for h in MENTION.findall(text)}
    if not wanted:
        return {}
    handles = (
        Reader.objects.annotate(lower_handle=Lower("handle"))
        .filter(lower_handle__in=wanted, is_active=True)
        .values_list("handle", flat=True)
    )
    return {handle.lower(): handle for handle in handles}


def render_comment_markdown(text: str, *, article=None) -> str:
    env = {
        "mentionable": _mentionable(text),
        "article": article,
        "emoticons_left": settings.BROADSHEET_EMOTICONS_PER_COMMENT,
    }
    html = _parser.render(text, env)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        tag_attribute_values={
            "img": {"src": _emoticon_urls(), "class": {"emoticon"}},
            "a": {"class": {"mention", "comment-ref"}},
        },
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
