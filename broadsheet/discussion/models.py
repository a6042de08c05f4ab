from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Discussion(models.Model):
    """The comment thread under one article, and its counters.

    Kept apart from Article so that posting a comment (which updates these
    counters) and an editor saving the article never write the same row.
    """

    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, primary_key=True, related_name="discussion"
    )
    # The number the latest comment got. Only ever goes up, so a number once
    # given is never given again, even after that comment is deleted.
    last_number = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("discussion")
        verbose_name_plural = _("discussions")

    def __str__(self) -> str:
        return str(self.article)


class CommentQuerySet(models.QuerySet):
    def for_article(self, article) -> "CommentQuerySet":
        return self.filter(article=article)

    def with_authors(self) -> "CommentQuerySet":
        return self.select_related("author")


class Comment(models.Model):
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    # What the reader typed, kept as typed; body_html is rendered from it once,
    # on write, by discussion.rendering (Markdown subset, then the nh3 allowlist).
    body_markdown = models.TextField(_("comment"))
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(_("posted at"), db_index=False)
    # Sent with the form; a retried submission carries the same key and gets
    # the comment already made instead of a second one.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="comment_number_unique"),
            models.UniqueConstraint(
                fields=["author", "submission_key"], name="comment_submission_once"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="comment_number_positive"
            ),
        ]
        indexes = [models.Index(fields=["author", "-created_at"], name="comment_by_author")]

    def __str__(self) -> str:
        return f"#{self.number} on {self.article_id}"

    def get_absolute_url(self) -> str:
        return reverse(
            "articles:comment",
            kwargs={"slug": self.article.slug, "number": self.number},
        )

    @property
    def anchor(self) -> str:
        return f"comment-{self.number}"
