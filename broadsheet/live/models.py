from django.db import models


class LiveEvent(models.Model):
    """A change to a discussion, kept for a day so a page that lost its
    connection can ask for what it missed (`Last-Event-ID`) and get exactly
    what the connected pages got."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40)
    data = models.JSONField()
    # The comment the event is about (None for events about no one comment), so
    # that deleting or rejecting a comment finds the stored copies of its text
    # through an index instead of reading a day of the article's events.
    comment_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["article", "id"], name="live_event_resume"),
            models.Index(fields=["article", "comment_number"], name="live_event_comment"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"
