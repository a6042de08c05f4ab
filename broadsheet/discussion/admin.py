from django.contrib import admin

from broadsheet.discussion.models import Comment


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "author", "created_at"]
    list_select_related = ["article", "author"]
    search_fields = ["body_markdown", "author__handle"]
    readonly_fields = ["article", "number", "author", "body_markdown", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # comments are posted under articles, through post_comment
