from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from broadsheet.discussion.links import comment_url


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
    # Comments that are not deleted: what article lists and headings show.
    comment_count = models.PositiveIntegerField(default=0)
    # Paragraph anchor -> how many live comments quote that paragraph. Kept on
    # this row because posting already locks it: the counts cost no extra query
    # on the article page and cannot drift under concurrent posting.
    quote_counts = models.JSONField(default=dict)

    class Mode(models.TextChoices):
        OPEN = "open", _("Open: comments appear at once")
        PREMODERATED = "premoderated", _("Pre-moderated: comments wait for a moderator")
        CLOSED = "closed", _("Closed: no new comments")

    # Empty means the site default (BROADSHEET_DISCUSSION_MODE).
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, blank=True, default="")
    # Set while comments pour in faster than BROADSHEET_BREAKING_NEWS_PER_MINUTE.
    breaking_news_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("discussion")
        verbose_name_plural = _("discussions")

    def __str__(self) -> str:
        return str(self.article)

    @property
    def effective_mode(self) -> str:
        return self.mode or settings.BROADSHEET_DISCUSSION_MODE

    @property
    def in_breaking_news_mode(self) -> bool:
        return self.breaking_news_since is not None


class CommentQuerySet(models.QuerySet):
    def for_article(self, article) -> "CommentQuerySet":
        """The comments of an article's discussion; an edition's are its original's."""
        return self.filter(article_id=article.translation_of_id or article.pk)

    def with_authors(self) -> "CommentQuerySet":
        return self.select_related("author")

    def shown_on_page(self) -> "CommentQuerySet":
        """With their authors, and only the columns a page of comments shows
        (discussion/comment.html, controls, the page's structured data): the
        typed Markdown, moderation notes and an author's account details stay in
        the database, and a page of fifty threads reads and builds half as much."""
        return self.select_related("author").only(*PAGE_FIELDS)

    def roots(self) -> "CommentQuerySet":
        return self.filter(depth=0)

    def live(self) -> "CommentQuerySet":
        return self.filter(deleted_at__isnull=True, status=Comment.Status.VISIBLE)

    def visible_to(self, reader) -> "CommentQuerySet":
        """What a reader sees in a discussion: everything but comments waiting for a
        moderator, except their own (moderators see those in the queue)."""
        shown = ~models.Q(status=Comment.Status.PENDING)
        if reader is not None and reader.is_authenticated:
            shown |= models.Q(author=reader)
        return self.filter(shown)


# What CommentQuerySet.shown_on_page reads of a comment and of its author.
PAGE_FIELDS = (
    "id", "article_id", "number", "author_id", "parent_id", "thread", "depth", "path",
    "reply_count", "quote_anchor", "quote_text", "quote_revision", "quote_language", "language",
    "score", "upvotes", "downvotes", "edited_at", "deleted_at", "status", "body_html",
    "created_at",
    "author__id", "author__handle", "author__display_name", "author__rating",
    "author__erased_at", "author__appear_offline", "author__last_seen_at",
    "author__last_connected_at",
)  # fmt: skip


class Comment(models.Model):
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    # Threading. `parent` is the comment this one answers; `thread` is the number
    # of the top-level comment it hangs under; `path` orders a thread depth-first
    # ("0000000003.0000000007"). Past MAX_DEPTH a reply is placed as a sibling of
    # its parent (still "in reply to #N"), so threads stay readable on a phone.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    thread = models.PositiveIntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    path = models.CharField(max_length=255, default="")
    reply_count = models.PositiveIntegerField(default=0)  # on a top-level comment: its thread
    # A quote of the article that the server verified: the paragraph's anchor,
    # the exact passage and the article revision it was taken from.
    quote_anchor = models.CharField(max_length=40, blank=True, default="")
    quote_text = models.TextField(blank=True, default="")
    quote_revision = models.PositiveIntegerField(null=True, blank=True)
    # The language of the edition whose paragraph was quoted ("" for the original);
    # anchors are per edition, and the pages of the others show the aligned one.
    quote_language = models.CharField(max_length=12, blank=True, default="")
    # The language the comment is written in: the edition it was posted under,
    # unless the reader said otherwise. "" (older comments): the original's.
    language = models.CharField(_("language"), max_length=12, blank=True, default="")
    score = models.IntegerField(default=0)
    upvotes = models.PositiveIntegerField(default=0)
    downvotes = models.PositiveIntegerField(default=0)
    edited_at = models.DateTimeField(null=True, blank=True)
    # A deleted comment keeps its row, number, replies and the quotes of it; its
    # text is erased and a placeholder shows in its place.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        PENDING = "pending", _("Awaiting moderation")
        REJECTED = "rejected", _("Rejected")

    # Pending comments are shown to their author and to moderators only; a
    # rejected one shows as a placeholder that keeps its number.
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VISIBLE)
    # Why it is held: a code of moderation/reasons.py, with the values its words
    # need in moderation_params, put into words in the reader's language when
    # shown; or why it was rejected (the moderator's chosen reason).
    moderation_reason = models.CharField(max_length=200, blank=True, default="")
    moderation_params = models.JSONField(default=dict, blank=True)
    report_count = models.PositiveIntegerField(default=0)
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
        permissions = [("moderate_comment", "Can moderate comments (queue, approve, reject)")]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="comment_number_unique"),
            models.UniqueConstraint(
                fields=["author", "submission_key"], name="comment_submission_once"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="comment_number_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="comment_by_author"),
            models.Index(
                fields=["-report_count", "created_at"],
                name="comment_queue",
                condition=models.Q(status="pending") | models.Q(report_count__gt=0),
            ),
            models.Index(fields=["article", "depth", "number"], name="comment_roots"),
            models.Index(fields=["article", "created_at"], name="comment_recent"),
            models.Index(
                fields=["article", "depth", "-score", "number"], name="comment_roots_best"
            ),
            models.Index(fields=["article", "thread", "path"], name="comment_thread_order"),
            models.Index(
                fields=["article", "quote_anchor", "number"],
                name="comment_quoting",
                condition=~models.Q(quote_anchor=""),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} on {self.article_id}"

    def get_absolute_url(self) -> str:
        return comment_url(self.article, self.number)

    @property
    def anchor(self) -> str:
        return f"comment-{self.number}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_rejected(self) -> bool:
        return self.status == self.Status.REJECTED

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def display_depth(self) -> int:
        return min(self.depth, MAX_DEPTH)


MAX_DEPTH = 3


class Vote(models.Model):
    """One reader's vote on one comment: +1 or -1. Withdrawing deletes the row."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Two racing requests cannot both record a vote: the database refuses.
            models.UniqueConstraint(fields=["comment", "voter"], name="vote_once_per_reader"),
            models.CheckConstraint(
                condition=models.Q(value__in=[-1, 1]), name="vote_is_up_or_down"
            ),
        ]
        indexes = [models.Index(fields=["voter", "comment"], name="vote_by_voter")]

    def __str__(self) -> str:
        return f"{self.voter_id} {self.value:+d} on {self.comment_id}"
