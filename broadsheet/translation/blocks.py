"""An article's Markdown, translated block by block with its structure kept.

A service is given plain text, one block at a time (blocks are separated by
blank lines, as Markdown separates paragraphs), and never the Markdown's marks:
a heading's `## `, a quote's `> `, a list item's `- ` and an image's address
are put back around the translated words, so the edition has the same
paragraphs in the same order as the original, which is what aligning their
paragraphs for quotes relies on (articles.rendering.align_paragraphs).
"""

import re
from collections.abc import Callable

_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
_HEADING = re.compile(r"^(#{1,6}[ \t]+)(.*)$")
_QUOTE_LINE = re.compile(r"^([ \t]*>[ \t]?)(.*)$")
_LIST_ITEM = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)(.*)$")
_IMAGE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<src>[^\s)]+)(?:\s+"(?P<title>[^"]*)")?\)$')
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def translate_markdown(markdown: str, translate: Callable[[str], str]) -> str:
    """`markdown` with the words of each block replaced by `translate(words)`."""
    blocks = _BLANK_LINES.split(markdown.replace("\r\n", "\n").strip("\n"))
    return "\n\n".join(_translate_block(block, translate) for block in blocks) + "\n"


def _translate_block(block: str, translate: Callable[[str], str]) -> str:
    if not block.strip() or _FENCE.match(block):
        return block  # code stays as written
    lines = block.split("\n")
    heading = _HEADING.match(block)
    if heading and len(lines) == 1:
        return heading.group(1) + _one_line(translate(heading.group(2)))
    image = _IMAGE.match(block.strip())
    if image:
        alt = _one_line(translate(image["alt"])) if image["alt"].strip() else ""
        title = _one_line(translate(image["title"])) if image["title"] else ""
        # A bracket in the alternative text or a quote in the title would end it.
        alt = alt.replace("\\", "").replace("[", "\\[").replace("]", "\\]")
        title = f' "{title.replace(chr(34), "")}"' if title else ""
        return f"![{alt}]({image['src']}{title})"
    if all(_QUOTE_LINE.match(line) for line in lines):
        inner = "\n".join(_QUOTE_LINE.match(line).group(2) for line in lines)
        translated = _translate_block(inner, translate) if inner.strip() else inner
        return "\n".join(f"> {line}".rstrip() for line in translated.split("\n"))
    if all(_LIST_ITEM.match(line) for line in lines):
        return "\n".join(
            _LIST_ITEM.match(line).group(1) + _one_line(translate(_LIST_ITEM.match(line).group(2)))
            for line in lines
        )
    return _no_blank_lines(translate(block))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _no_blank_lines(text: str) -> str:
    """A service's answer inside one block: a blank line in it would split one
    paragraph into two and shift every paragraph after it."""
    return _BLANK_LINES.sub("\n", text.strip())
