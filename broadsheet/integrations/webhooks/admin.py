"""Webhooks in the admin, for editors and administrators (the editor role holds
the endpoint permissions and may view deliveries; moderation/roles.py).

Endpoints are saved, deleted, re-keyed and pinged through the operations and
tasks; deliveries and their attempts are read-only, and "Send again" queues a
new delivery of the same message.
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from broadsheet.integrations.webhooks import operations, tasks
from broadsheet.integrations.webhooks.models import (
    EVENT_TYPES,
    URL_MAX_LENGTH,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class WebhookEndpointForm(forms.ModelForm):
    # Checked by the operations' own rule (http or https, no credentials).
    url = forms.CharField(
        label=_("URL"),
        max_length=URL_MAX_LENGTH,
        help_text=_("http:// or https://, with no user name or password in it."),
        widget=forms.URLInput(attrs={"size": 80}),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "active"]

    def clean_url(self) -> str:
        try:
            return operations.check_endpoint_url(self.cleaned_data["url"])
        except operations.EndpointRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None

    def clean_events(self) -> list[str]:
        try:
            return operations.check_event_types(self.cleaned_data["events"])
        except operations.EndpointRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "active", "subscribed", "consecutive_failures"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "secret",
        "created_by",
        "created_at",
        "consecutive_failures",
        "failed_deliveries",
        "disabled_at",
        "delivery_log",
    ]
    actions = ["rotate_secret", "send_ping"]

    @admin.display(description=_("events"))
    def subscribed(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    @admin.display(description=_("deliveries"))
    def delivery_log(self, endpoint: WebhookEndpoint) -> str:
        if endpoint.pk is None:
            return "-"
        url = reverse("admin:integrations_webhookdelivery_changelist")
        return format_html('<a href="{}?endpoint__id__exact={}">{}</a>', url, endpoint.pk, _("log"))

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "active"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            operations.update_webhook_endpoint(
                endpoint=obj,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                active=data["active"],
            )
            return
        created = operations.create_webhook_endpoint(
            url=data["url"],
            events=data["events"],
            description=data["description"],
            active=data["active"],
            created_by=request.user,
        )
        obj.pk, obj.secret, obj.created_at = created.pk, created.secret, created.created_at

    def get_deleted_objects(self, objs, request):
        # The delivery log goes with its endpoint (the operation deletes it), though
        # nobody may delete a delivery by itself.
        to_delete, model_count, _perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        return to_delete, model_count, set(), protected

    def delete_model(self, request, obj):
        operations.delete_webhook_endpoint(endpoint=obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            operations.delete_webhook_endpoint(endpoint=endpoint)

    @admin.action(description=_("Rotate the secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            operations.rotate_webhook_secret(endpoint=endpoint)
        self.message_user(
            request,
            _("New secrets made; the old ones sign messages too for a while."),
            messages.SUCCESS,
        )

    @admin.action(description=_("Send a test ping"), permissions=["change"])
    def send_ping(self, request, queryset):
        count = 0
        for endpoint in queryset:
            tasks.send_test_ping(endpoint=endpoint)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d ping is on its way.", "%(count)d pings are on their way.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "attempted_at", "status_code", "duration_ms", "error", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Part of the delivery: whoever may read the delivery reads its attempts.
        return request.user.has_perm("integrations.view_webhookdelivery")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """What was owed to each endpoint and every attempt at it (read-only)."""

    list_display = [
        "created_at",
        "endpoint",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["message_id"]
    date_hierarchy = "created_at"
    fields = [
        "endpoint",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "redelivery_of",
        "body",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log goes with its endpoint

    def has_send_again_permission(self, request) -> bool:
        return request.user.has_perm("integrations.change_webhookendpoint")

    @admin.action(description=_("Send again"), permissions=["send_again"])
    def send_again(self, request, queryset):
        count = 0
        for delivery in queryset:
            tasks.redeliver(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d delivery sent again.", "%(count)d deliveries sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
