from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from broadsheet.moderation.operations import (
    ModerationRefused,
    audit,
    ban_reader,
    check_may_restrict,
    lift_restrictions,
    suspend_reader,
)
from broadsheet.readers.identity import clean_display_name
from broadsheet.readers.models import Reader

RESTRICTIONS = {"suspended_until", "banned_at"}


class ReaderCreationForm(AdminUserCreationForm):
    # The handle's look-alike check is a validator of the model field, so it runs
    # here too; reserved handles are not refused: the operator may make "support".
    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])


class ReaderChangeForm(UserChangeForm):
    """The admin's reader form: a change of ban or suspension needs a reason and is
    made by the moderation operations (ReaderAdmin.save_model), which audit it."""

    restriction_reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Why the ban or suspension changes. Required then; kept in the audit log."),
    )
    # The person editing, set by ReaderAdmin.get_form: a role's ceiling depends on it.
    actor = None

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])

    def clean(self):
        cleaned = super().clean()
        if not RESTRICTIONS & set(self.changed_data):
            return cleaned
        if not cleaned.get("restriction_reason", "").strip():
            self.add_error(
                "restriction_reason",
                _("Say why the ban or suspension changes: the audit log keeps the reason."),
            )
        until = cleaned.get("suspended_until")
        if "suspended_until" in self.changed_data and until and until <= timezone.now():
            self.add_error(
                "suspended_until",
                _("A suspension must end in the future; clear the field to lift it."),
            )
        # self.instance still holds the stored values here (the form copies its
        # data into it after clean), so the ceiling is judged on the reader as is.
        lifting_ban = self.instance.banned_at is not None and cleaned.get("banned_at") is None
        try:
            check_may_restrict(actor=self.actor, reader=self.instance, lifting_ban=lifting_ban)
        except ModerationRefused as refusal:
            self.add_error(None, str(refusal))
        return cleaned


@admin.register(Reader)
class ReaderAdmin(UserAdmin):
    form = ReaderChangeForm
    add_form = ReaderCreationForm
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

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        # The reason goes with the restrictions, for those who may change them.
        return [
            (name, {**options, "fields": [*options["fields"], "restriction_reason"]})
            if set(options["fields"]) == RESTRICTIONS
            else (name, options)
            for name, options in fieldsets
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        if not (change and RESTRICTIONS & set(form.changed_data)):
            super().save_model(request, obj, form, change)
            return
        # Save everything else as edited, then change the restrictions through the
        # operations (which check the role's ceiling again and write the audit).
        wanted_ban, wanted_until = obj.banned_at, obj.suspended_until
        obj.banned_at = form.initial.get("banned_at")
        obj.suspended_until = form.initial.get("suspended_until")
        super().save_model(request, obj, form, change)
        self._change_restrictions(
            request, obj, wanted_ban, wanted_until, form.cleaned_data["restriction_reason"]
        )

    def _change_restrictions(self, request, reader, wanted_ban, wanted_until, reason):
        was_banned, was_until = reader.banned_at is not None, reader.suspended_until
        want_suspension = wanted_until is not None and wanted_until > timezone.now()
        lift = (was_banned and wanted_ban is None) or (
            was_until is not None and not want_suspension
        )
        if lift:
            lift_restrictions(reader=reader, moderator=request.user, reason=reason)
        if wanted_ban is not None and (lift or not was_banned):
            ban_reader(reader=reader, moderator=request.user, reason=reason)
        if want_suspension and (lift or wanted_until != was_until):
            suspend_reader(reader=reader, moderator=request.user, until=wanted_until, reason=reason)

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
        # Moderators (who may view readers) lift suspensions of readers; the
        # operation refuses what is above their role, reader by reader.
        lifted = 0
        for reader in queryset:
            try:
                lift_restrictions(
                    reader=reader, moderator=request.user, reason="lifted in the admin"
                )
            except ModerationRefused as refusal:
                messages.error(request, str(refusal))
            else:
                lifted += 1
        if lifted:
            messages.success(request, _("Restrictions lifted."))
