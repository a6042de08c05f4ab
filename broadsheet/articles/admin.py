from django.contrib import admin

from broadsheet.articles.models import Article
from broadsheet.articles.operations import delete_article, save_article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_at", "language", "byline"]
    list_filter = ["status", "language"]
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
    ]

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
