from django.contrib import admin

from broadsheet.discussion.models import Comment, Discussion
from broadsheet.moderation.operations import set_discussion_mode


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "author", "created_at"]
    list_select_related = ["article", "author"]
    search_fields = ["body_markdown", "author__handle"]
    readonly_fields = ["article", "number", "author", "body_markdown", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # comments are posted under articles, through post_comment

    def has_change_permission(self, request, obj=None):
        # Read-only: saving the form would write the whole row back, over votes
        # and decisions made meanwhile. Moderators decide in the queue.
        return False

    def has_delete_permission(self, request, obj=None):
        # A comment's number is kept forever: its author deletes it (a tombstone),
        # a moderator rejects it, both through operations that tell open pages.
        return False


@admin.register(Discussion)
class DiscussionAdmin(admin.ModelAdmin):
    """Editors open, pre-moderate or close an article's discussion here."""

    list_display = ["article", "mode", "comment_count", "last_number"]
    list_filter = ["mode"]
    list_select_related = ["article"]
    fields = ["article", "mode", "comment_count", "last_number"]
    readonly_fields = ["article", "comment_count", "last_number"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the write operation, so the change is audited.
        set_discussion_mode(article=obj.article, editor=request.user, mode=obj.mode)
