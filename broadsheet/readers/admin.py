from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from broadsheet.moderation.operations import audit, lift_restrictions
from broadsheet.readers.models import Reader


@admin.register(Reader)
class ReaderAdmin(UserAdmin):
    ordering = ["handle"]
    list_display = [
        "handle",
        "display_name",
        "email",
        "is_staff",
        "rating",
        "suspended_until",
        "banned_at",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_superuser", "groups"]
    search_fields = ["handle", "display_name", "email"]
    fieldsets = [
        (None, {"fields": ["handle", "display_name", "email", "password"]}),
        (_("Roles"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Restrictions"), {"fields": ["suspended_until", "banned_at"]}),
        (_("Dates"), {"fields": ["date_joined", "last_seen_at"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["handle", "display_name", "email", "password1", "password2"]}),
    ]
    actions = ["lift_restrictions_action"]

    def save_related(self, request, form, formsets, change):
        # Role changes made here are audited like `broadsheet grant` / `revoke`.
        before = set(form.instance.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.groups.values_list("name", flat=True))
        target = f"reader {form.instance.handle}"
        for name in sorted(after - before):
            audit(actor=request.user, action="role.granted", target=target, reason=name)
        for name in sorted(before - after):
            audit(actor=request.user, action="role.revoked", target=target, reason=name)

    @admin.action(description=_("Lift suspension or ban"), permissions=["view"])
    def lift_restrictions_action(self, request, queryset):
        for reader in queryset:
            lift_restrictions(reader=reader, moderator=request.user, reason="lifted in the admin")
        messages.success(request, _("Restrictions lifted."))
