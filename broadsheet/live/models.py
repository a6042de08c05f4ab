from django.db import models


class LiveEvent(models.Model):
    """A change to a discussion, kept for a day so a page that lost its
    connection can ask for what it missed (`Last-Event-ID`) and get exactly
    what the connected pages got."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["article", "id"], name="live_event_resume")]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"
