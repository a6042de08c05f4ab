from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from broadsheet.articles.models import Article
from broadsheet.articles.operations import delete_article, save_article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_at", "language", "translation_of", "byline"]
    list_filter = ["status", "language"]
    list_select_related = ["translation_of"]
    readonly_fields = ["editions"]
    search_fields = ["title", "slug", "lead"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    fields = [
        "title",
        "slug",
        "lead",
        "byline",
        "language",
        "status",
        "published_at",
        "body_markdown",
        "translation_of",
        "machine_translated",
        "alignment_fixes",
    ]

    def get_fields(self, request, obj=None):
        return [*self.fields, "editions"] if obj is not None else self.fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "translation_of":
            # Only originals of this site can have editions.
            kwargs["queryset"] = Article.objects.filter(
                translation_of__isnull=True, external_url=""
            ).order_by("-published_at")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("Editions"))
    def editions(self, obj: Article) -> str:
        original = obj.original
        members = [original, *original.editions.order_by("language")]
        links = format_html_join(
            ", ",
            '<a href="{}">{} ({})</a>',
            (
                (reverse("admin:articles_article_change", args=[m.pk]), m.language_name, m.slug)
                for m in members
                if m.pk != obj.pk
            ),
        )
        add = format_html(
            '<a class="addlink" href="{}?translation_of={}">{}</a>',
            reverse("admin:articles_article_add"),
            original.pk,
            _("Add an edition in another language"),
        )
        return format_html("{} {}", links, add) if links else add

    def save_model(self, request, obj, form, change):
        # The admin form validates the fields; rendering, revisions and the
        # discussion come from the one write operation every door uses.
        saved, _created = save_article(
            article_id=obj.pk if change else None,
            **{field: form.cleaned_data[field] for field in self.fields},
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def get_deleted_objects(self, objs, request):
        # The discussion and comments go with their article, by delete_article:
        # their own admins refuse deleting them one by one, which is no reason to
        # refuse this.
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request, obj):
        # Through the operation: audited, and the page caches hear of it.
        delete_article(article=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            delete_article(article=article, actor=request.user)
