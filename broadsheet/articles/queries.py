"""Reads about articles: an article with its editions.

Every page of an article reads its family in one query, with or without
editions, so a page costs the same number of queries either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Q

from broadsheet.articles.models import Article
from broadsheet.prepared import prepared_rows

# What a family member needs for the switcher, hreflang links and quote alignment;
# never the bodies. In the model's column order, as Model.from_db takes them.
_FAMILY_FIELDS = tuple(
    field.attname
    for field in Article._meta.concrete_fields
    if field.attname
    in {
        "id", "slug", "title", "language", "status", "published_at", "translation_of_id",
        "machine_translated", "paragraph_outline", "aligned_paragraphs", "external_url",
    }
)  # fmt: skip


@dataclass
class EditionFamily:
    """An original article and its editions, and which paragraphs translate which."""

    original: Article
    members: list[Article]  # the original first, then the editions by language
    _to_original: dict[tuple[str, str], str] = field(default_factory=dict)
    _from_original: dict[tuple[str, str], str] = field(default_factory=dict)
    _anchors: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for member in self.members:
            anchors = {anchor for _section, anchor in member.paragraph_outline}
            self._anchors[member.language] = anchors
            for _section, anchor in member.paragraph_outline:  # reading order
                if member.pk == self.original.pk:
                    self._to_original[(member.language, anchor)] = anchor
                elif anchor in member.aligned_paragraphs:
                    self._to_original[(member.language, anchor)] = member.aligned_paragraphs[anchor]
        # The way back, built once: a page asks it for every quoting comment it shows.
        for (language, anchor), original in self._to_original.items():
            self._from_original.setdefault((language, original), anchor)

    @property
    def published(self) -> list[Article]:
        """The members a reader may see: none while the original itself is not."""
        if not self.original.is_visible:
            return []
        return [member for member in self.members if member.is_visible]

    def member_in(self, language: str) -> Article | None:
        return next((m for m in self.members if m.language == language), None)

    def quoted_language(self, quote_language: str) -> str:
        """The language of the edition a comment quoted ("" means the original's)."""
        return quote_language or self.original.language

    def has_anchor(self, language: str, anchor: str) -> bool:
        return anchor in self._anchors.get(language, ())

    def anchor_on(self, page: Article, *, anchor: str, language: str) -> str | None:
        """The paragraph of `page` that translates paragraph `anchor` of the edition in
        `language`, or None when the editions do not align there."""
        language = self.quoted_language(language)
        if language == page.language:
            return anchor if self.has_anchor(language, anchor) else None
        target = self._to_original.get((language, anchor))
        if target is None:
            return None
        return self._from_original.get((page.language, target))

    def same_paragraph(self, page: Article, anchor: str) -> set[str]:
        """Every edition's anchor for the paragraph `anchor` of `page`: quotes of any
        of them are quotes of this paragraph."""
        target = self._to_original.get((page.language, anchor))
        if target is None:
            return {anchor}
        return {a for (_lang, a), original in self._to_original.items() if original == target}

    def quote_counts_on(self, page: Article, counts: dict[str, int]) -> dict[str, int]:
        """The discussion's quote counts (kept per quoted anchor, of any edition) as
        the paragraphs of `page` show them."""
        by_original: dict[str, int] = {}
        for anchor, count in counts.items():
            for language in self._anchors:
                target = self._to_original.get((language, anchor))
                if target is not None:
                    by_original[target] = by_original.get(target, 0) + count
                    break
        shown = {}
        for (language, anchor), target in self._to_original.items():
            if language == page.language and target in by_original:
                shown[anchor] = by_original[target]
        # A quoted paragraph no edition aligns with still counts on its own page.
        for anchor, count in counts.items():
            if self.has_anchor(page.language, anchor) and anchor not in shown:
                shown[anchor] = count
        return shown


def get_edition_family_if_it_has_editions(article: Article) -> EditionFamily | None:
    """The article's family when it has editions (one query), else None (no query).
    For a page whose cache key must carry its editions (`edition_family_stamp`)
    and that then draws itself with the family already read."""
    if _never_had_editions(article):
        return None
    return get_edition_family(article)


def edition_family_stamp(family: EditionFamily | None) -> str:
    """What a page shows of the article's editions (which exist and are visible now,
    their addresses, titles and paragraphs), as a short digest for a cache key; ""
    for an article without editions.

    An edition saved, published, scheduled past or unpublished changes the
    original's page (its edition links, hreflang, aligned quotes) without touching
    the original's own row, so the page cache's key must carry this too.
    """
    if family is None:
        return ""
    shown = [
        (
            member.pk,
            member.slug,
            member.title,
            member.language,
            member.is_visible,
            member.machine_translated,
            member.paragraph_outline,
            member.aligned_paragraphs,
            member.external_url,
        )
        for member in family.members
    ]
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:32]


def _family_query(*, original_id: int):
    return Article.objects.filter(Q(pk=original_id) | Q(translation_of_id=original_id)).values_list(
        *_FAMILY_FIELDS
    )


def get_edition_family(article: Article) -> EditionFamily:
    """The article's original and every edition of it, in one query."""
    original_id = article.translation_of_id or article.pk
    rows = prepared_rows(_family_query, values={"original_id": original_id})
    members = [Article.from_db("default", _FAMILY_FIELDS, row) for row in rows]
    members.sort(key=lambda m: (m.translation_of_id is not None, m.language))
    original = next(m for m in members if m.pk == original_id)
    return EditionFamily(original=original, members=members)


def get_edition_family_if_any(article: Article) -> EditionFamily:
    """get_edition_family, without its query for an original that has never had an
    edition (`has_editions` is set when the first is saved): its family is itself.

    For a write path that reads the family once per change, such as the live event
    of a new comment; pages keep their one query either way (above). An article
    fetched without any field the family needs is read as before.
    """
    if _never_had_editions(article):
        return EditionFamily(original=article, members=[article])
    return get_edition_family(article)


def _never_had_editions(article: Article) -> bool:
    """An original whose `has_editions` is still unset, judged without a query (an
    article fetched without the fields the family needs is not judged)."""
    return (
        article.translation_of_id is None
        and not article.get_deferred_fields().intersection((*_FAMILY_FIELDS, "has_editions"))
        and not article.has_editions
    )
