from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None) -> "ArticleQuerySet":
        """Articles a reader may see: published, and not scheduled for later."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def listed(self) -> "ArticleQuerySet":
        """What the home page, feeds and sitemaps list: published articles of this
        site, not the external pages whose discussions live here."""
        return self.published().filter(external_url="")

    def newest_first(self) -> "ArticleQuerySet":
        return self.order_by("-published_at", "-id")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    title = models.CharField(_("headline"), max_length=300)
    lead = models.TextField(_("lead"), max_length=2000, blank=True)
    byline = models.CharField(_("byline"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=12, default="en")
    # The editor's Markdown is the source of truth; body_html is rendered from it
    # once, on write, by articles.rendering, so a page view never parses Markdown.
    body_markdown = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    # Anchor id -> plain text of each paragraph, kept to verify quotes against.
    paragraphs = models.JSONField(default=dict, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # A published article whose time is in the future is scheduled: it appears then.
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set for an external page: a page of another site whose discussion lives here
    # (an imported thread that matched no article, later the embedded discussion).
    # Its own page shows the discussion under a link to that address; it is
    # listed nowhere.
    external_url = models.URLField(
        _("external page address"), max_length=1000, blank=True, default=""
    )
    # Bumped whenever the body changes, so a quote can name the text it quoted.
    revision = models.PositiveIntegerField(default=1, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "-published_at"], name="article_listing")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="article_published_has_time",
            ),
            models.UniqueConstraint(
                fields=["external_url"],
                name="article_external_url_unique",
                condition=~models.Q(external_url=""),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", kwargs={"slug": self.slug})

    @property
    def is_external_page(self) -> bool:
        return bool(self.external_url)

    @property
    def is_visible(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )
