from django.conf import settings
from django.db import models


class SearchEntry(models.Model):
    """One searchable thing: an article, or a comment that is not deleted.

    The full-text index itself is the database's own and lives beside this table
    (migration 0001): an FTS5 table over `terms` on SQLite, a generated `tsvector`
    column with a GIN index on PostgreSQL. The rows are written only by
    search.operations, inside the transaction of the write that changed the text,
    so the index is never stale; who may find a row is decided when searching
    (search.queries), so a scheduled article appears on time without a write.
    """

    class Kind(models.TextChoices):
        ARTICLE = "article"
        COMMENT = "comment"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    comment = models.OneToOneField(
        "discussion.Comment", on_delete=models.CASCADE, null=True, related_name="+"
    )
    # Copied from the comment (numbers never change, status does and is kept here
    # by every operation that changes it), so a page of results reads no comments.
    number = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, default="visible")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    language = models.CharField(max_length=12)
    # When the comment was written, or the article published.
    created_at = models.DateTimeField()
    title = models.CharField(max_length=300, blank=True, default="")
    # The plain text snippets are cut from (never HTML).
    text = models.TextField()
    # What the full-text index reads, the words of title and text as search.text
    # finds them, space-separated: their Snowball stems on SQLite (FTS5 cannot stem
    # Russian), the words themselves on PostgreSQL, which stems them. Both databases
    # so see the same words: PostgreSQL's own parser would skip `<script>` as a tag.
    terms = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "search entry"
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=models.Q(kind="article"),
                name="search_one_per_article",
            ),
        ]
        indexes = [
            models.Index(fields=["article", "kind"], name="search_by_article"),
            models.Index(fields=["author"], name="search_by_author"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}#{self.number}"
