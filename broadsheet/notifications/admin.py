from django.contrib import admin

from broadsheet.notifications.models import Mailbox, OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the worker wrote, for operators to read: changes go through the
    notifications' operations (and the readers' own settings), never here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Every e-mail the site composed and what became of it. A message left
    `sending` was interrupted mid-send: it may have gone, and is never repeated."""

    list_display = ["created_at", "to", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin):
    list_display = ["address", "failures", "suppressed_at", "last_failure"]
    list_filter = ["suppressed_at"]
    search_fields = ["address"]
