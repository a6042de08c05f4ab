from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _


def language_name(code: str) -> str:
    """A language named in itself ("English", "Русский"): how a switcher names it,
    whatever the page's language (Django's own table of languages)."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


@lru_cache(maxsize=4096)
def _article_path(slug: str, script_prefix: str) -> str:
    # Reversed once per slug and prefix: an article page asks for its own address
    # about ten times (links, metadata, kept parts), and reverse() is not cheap.
    return reverse("articles:detail", kwargs={"slug": slug})


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None) -> "ArticleQuerySet":
        """Articles a reader may see: published, and not scheduled for later; an
        edition only while its original is too (an unpublished story's discussion,
        which its editions show, is unpublished with it)."""
        now = now or timezone.now()
        return self.filter(
            models.Q(translation_of__isnull=True)
            | models.Q(
                translation_of__status=Article.Status.PUBLISHED,
                translation_of__published_at__lte=now,
            ),
            status=Article.Status.PUBLISHED,
            published_at__lte=now,
        )

    def listed(self) -> "ArticleQuerySet":
        """What feeds and sitemaps list: published articles of this site and their
        editions, not the external pages whose discussions live here."""
        return self.published().filter(external_url="")

    def originals(self) -> "ArticleQuerySet":
        """Listed articles that are not editions of another: one per story."""
        return self.listed().filter(translation_of__isnull=True)

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
    # An edition in another language of the original article named here: its own
    # slug, title, body and state, and the original's discussion, which every
    # edition shows (one discussion, one numbering: docs/adr/0012-editions.md).
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("edition of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="editions",
    )
    machine_translated = models.BooleanField(_("machine-translated"), default=False)
    # Set on an original when its first edition is saved (articles.operations), and
    # never cleared: False promises there is no edition, so posting a comment under
    # it skips reading the family for the live event (articles.queries).
    has_editions = models.BooleanField(default=False, editable=False)
    # [section, anchor] of each paragraph in order (articles.rendering), and, on an
    # edition, which paragraph of the original each of its paragraphs translates
    # (anchor -> anchor), made on save from the outlines and the editor's fixes.
    paragraph_outline = models.JSONField(default=list, editable=False)
    aligned_paragraphs = models.JSONField(default=dict, editable=False)
    alignment_fixes = models.JSONField(
        _("paragraph alignment fixes"),
        default=dict,
        blank=True,
        help_text=_(
            "Only where the translation merged or split paragraphs: "
            '{"edition paragraph number": original paragraph number}, counted from 1; '
            "0 leaves a paragraph unaligned."
        ),
    )
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
                fields=["translation_of", "language"],
                name="article_one_edition_per_language",
                condition=models.Q(translation_of__isnull=False),
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
        return _article_path(self.slug, get_script_prefix())

    def clean(self) -> None:
        """An edition is of an original of this site, in another language, under a
        slug of its own (the admin's form and save_article both ask)."""
        original = self.translation_of
        if original is None:
            return
        if original.translation_of_id is not None:
            raise ValidationError(
                {
                    "translation_of": _("“%(slug)s” is itself an edition; name its original.")
                    % {"slug": original.slug}
                }
            )
        if original.external_url:
            raise ValidationError({"translation_of": _("An external page has no editions.")})
        if self.pk is not None and original.pk == self.pk:
            raise ValidationError({"translation_of": _("An article is not an edition of itself.")})
        if original.language == self.language:
            raise ValidationError(
                {
                    "language": _(
                        "The original is in this language already; an edition is in another."
                    )
                }
            )

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def original(self) -> "Article":
        """The article whose discussion this page shows: itself, or the original
        of an edition."""
        return self.translation_of if self.translation_of_id else self

    @property
    def is_edition(self) -> bool:
        return self.translation_of_id is not None

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
