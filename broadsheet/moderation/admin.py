from django.contrib import admin

from broadsheet.moderation.models import AuditEntry, Report


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: read-only for everyone, filterable by action and actor."""

    list_display = ["created_at", "actor", "action", "target", "reason"]
    list_filter = ["action", "created_at"]
    search_fields = ["target", "reason", "actor__handle"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "comment", "reason", "text"]
    list_filter = ["reason"]
    list_select_related = ["comment"]
    readonly_fields = ["comment", "reporter", "reason", "text", "created_at"]

    # Reports are made by readers (report_comment) and settled by the moderators'
    # decisions, which keep the comment's report count: read-only here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
