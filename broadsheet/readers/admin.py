from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from broadsheet.moderation.operations import (
    ModerationRefused,
    ban_reader,
    check_may_restrict,
    lift_restrictions,
    set_reader_access,
    suspend_reader,
)
from broadsheet.readers.identity import clean_display_name
from broadsheet.readers.models import ApiToken, Reader
from broadsheet.readers.operations import (
    change_reader_details,
    revoke_api_token,
    sign_up_reader,
)

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
        (
            None,
            {
                "fields": [
                    "handle",
                    "display_name",
                    "email",
                    "email_verified_at",
                    "pending_email",
                    "password",
                ]
            },
        ),
        (_("Roles"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Restrictions"), {"fields": ["suspended_until", "banned_at"]}),
        (_("Dates"), {"fields": ["date_joined", "last_seen_at"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["handle", "display_name", "email", "password1", "password2"]}),
    ]
    # Facts, not settings: nobody edits when a reader joined or was last seen, or
    # verifies an address for its owner (only the link mailed to it does).
    readonly_fields = ["date_joined", "last_seen_at", "email_verified_at", "pending_email"]
    actions = ["lift_restrictions_action"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Roles are an administrator's to give (set_reader_access refuses the rest).
            fields += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return fields

    def has_delete_permission(self, request, obj=None):
        # Deactivating an account is the audited way to shut it (set_reader_access).
        return False

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
        # Every part of the form is written by the operation that owns it: the
        # account by sign-up, the details by readers.operations, restrictions and
        # roles by moderation.operations (which check ceilings and audit).
        if not change:
            data = form.cleaned_data
            created = sign_up_reader(
                handle=obj.handle,
                display_name=obj.display_name,
                email=obj.email,
                password=data["password1"] if data.get("set_usable_password", True) else None,
                site_url=request.build_absolute_uri("/").rstrip("/"),
            )
            obj.pk = created.pk
            obj._state.adding, obj._state.db = False, created._state.db
            obj.refresh_from_db()
            return
        details = {field: getattr(obj, field) for field in ("handle", "display_name", "email")}
        wanted_ban, wanted_until = obj.banned_at, obj.suspended_until
        obj.refresh_from_db()  # the stored row: the operations below change it
        change_reader_details(
            reader=obj, **details, site_url=request.build_absolute_uri("/").rstrip("/")
        )
        if details["email"].strip().lower() != obj.email.lower():
            messages.info(
                request,
                _(
                    "The new email address is used once its owner opens the link sent to it; "
                    "until then the account keeps its current one."
                ),
            )
        if RESTRICTIONS & set(form.changed_data):
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
        if not change:  # the add form has no roles
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        # Staff status, superuser status, groups and is_active: audited like
        # `broadsheet grant` / `revoke` (form.save_m2m is not called: it would
        # write the groups behind the audit's back).
        reader, data = form.instance, form.cleaned_data
        set_reader_access(
            reader=reader,
            actor=request.user,
            is_active=data.get("is_active", reader.is_active),
            is_staff=data.get("is_staff", reader.is_staff),
            is_superuser=data.get("is_superuser", reader.is_superuser),
            groups=data["groups"] if "groups" in data else reader.groups.all(),
        )

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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Readers' personal API tokens: who has which, and a way to stop one. Only the
    hash is stored and it is not shown; tokens are made by their readers (settings
    page) or the operator (`broadsheet token create`), never here."""

    list_display = ("prefix", "reader", "name", "scope", "created_at", "last_used_at", "state")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("reader__handle", "name", "prefix")
    list_select_related = ("reader",)
    readonly_fields = (
        "reader",
        "name",
        "scope",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    exclude = ("token_hash",)
    actions = ["revoke_tokens"]

    @admin.display(description=_("state"))
    def state(self, token: ApiToken) -> str:
        if token.revoked_at:
            return _("revoked")
        if token.expires_at and token.expires_at <= timezone.now():
            return _("expired")
        return _("live")

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at=None):
            revoke_api_token(token=token)
            revoked += 1
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": revoked})

    # Tokens are made by their readers or `broadsheet token`, stopped by the action
    # above (revoke_api_token): the admin itself neither adds, changes nor deletes.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
