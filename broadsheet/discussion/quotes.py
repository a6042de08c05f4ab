"""Quotes of the article, anchored to the paragraph they came from.

The browser claims "the first quote in this comment is this passage of
paragraph p-…"; the server believes it only if the comment really starts with
that quote and the passage really is in that paragraph of the article as it is
now. A claim that fails is not an error: the quote stays in the comment as a
plain `>` quote, just not anchored (so nobody can attribute invented words to
the article).
"""

import unicodedata
from dataclasses import dataclass

QUOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ArticleQuoteClaim:
    anchor: str
    text: str


@dataclass(frozen=True)
class AnchoredQuote:
    anchor: str
    text: str
    remaining_body: str


def normalize_passage(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def split_leading_quote(body: str) -> tuple[str, str]:
    """Split a Markdown body into its leading `>` block (unquoted) and the rest."""
    lines = body.split("\n")
    quoted: list[str] = []
    index = 0
    while index < len(lines) and lines[index].lstrip().startswith(">"):
        line = lines[index].lstrip()[1:]
        quoted.append(line[1:] if line.startswith(" ") else line)
        index += 1
    return "\n".join(quoted), "\n".join(lines[index:]).strip()


def quote_as_markdown(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def verify_article_quote(*, article, body: str, claim: ArticleQuoteClaim) -> AnchoredQuote | None:
    passage = normalize_passage(claim.text)
    if not passage or len(passage) > QUOTE_MAX_LENGTH:
        return None
    paragraph = article.paragraphs.get(claim.anchor)
    if paragraph is None or passage not in normalize_passage(paragraph):
        return None
    quoted, rest = split_leading_quote(body)
    if normalize_passage(quoted) != passage:
        return None  # the reader changed the quote in the text box: keep it as they wrote it
    return AnchoredQuote(anchor=claim.anchor, text=passage, remaining_body=rest)
