"""Webhooks in the JSON API, mounted at /api/v1/webhooks/ (integrations/api/app.py),
for editors and administrators.

The API's own callers: a personal token (`Authorization: Bearer …`) of the
`moderate` scope, or the browser's session with CSRF; and the reader must be one
whose role manages endpoints (the editor role, or an administrator). Anyone else
gets the API's 401 or 403 problems. Endpoints only translate: parse, check, call
one operation, answer.
"""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from broadsheet.integrations.api.auth import MODERATE, require
from broadsheet.integrations.api.common import answers
from broadsheet.integrations.api.problems import ApiProblem, FieldError, invalid, not_found
from broadsheet.integrations.webhooks import operations, tasks
from broadsheet.integrations.webhooks.models import (
    DESCRIPTION_MAX_LENGTH,
    EVENT_TYPES,
    URL_MAX_LENGTH,
    WebhookDelivery,
    WebhookEndpoint,
)

DELIVERIES_PER_PAGE_MAX = 100
MANAGE = "integrations.change_webhookendpoint"
VIEW = "integrations.view_webhookendpoint"

router = Router(tags=["webhooks"])


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    consecutive_failures: int
    failed_deliveries: int
    disabled_at: datetime | None
    created_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str


class EndpointIn(Schema):
    url: str = Field(max_length=URL_MAX_LENGTH)
    events: list[str] = Field(max_length=len(EVENT_TYPES))
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    active: bool = True


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=URL_MAX_LENGTH)
    events: list[str] | None = Field(None, max_length=len(EVENT_TYPES))
    description: str | None = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    active: bool | None = None


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime


def _caller_who_may(request, permission: str):
    """The caller, if their token's scope is `moderate` (or it is their session) and
    their role lets them see (VIEW) or change (MANAGE) webhooks; else 401 or 403."""
    caller = require(request, MODERATE)
    if not caller.reader.has_perm(permission):
        detail = _("Only editors and administrators manage webhooks.")
        raise ApiProblem(403, detail, [FieldError("", "not_an_editor", detail)])
    return caller


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise not_found()
    return endpoint


def _refused(refusal: operations.EndpointRefused) -> ApiProblem:
    return invalid("", "refused", str(refusal))


@router.get("/endpoints", response=answers({200: list[EndpointOut]}), summary="Endpoints")
def list_endpoints(request):
    _caller_who_may(request, VIEW)
    return list(WebhookEndpoint.objects.order_by("pk"))


@router.post("/endpoints", response=answers({201: EndpointWithSecret}), summary="Add one")
def create_endpoint(request, payload: EndpointIn):
    caller = _caller_who_may(request, MANAGE)
    try:
        endpoint = operations.create_webhook_endpoint(
            url=payload.url,
            events=payload.events,
            description=payload.description,
            active=payload.active,
            created_by=caller.reader,
        )
    except operations.EndpointRefused as refusal:
        raise _refused(refusal) from None
    return Status(201, endpoint)


@router.get("/endpoints/{endpoint_id}", response=answers({200: EndpointWithSecret}))
def get_endpoint(request, endpoint_id: int):
    _caller_who_may(request, MANAGE)  # the secret: only to who may change it
    return _endpoint(endpoint_id)


@router.patch("/endpoints/{endpoint_id}", response=answers({200: EndpointOut}))
def update_endpoint(request, endpoint_id: int, payload: EndpointPatch):
    _caller_who_may(request, MANAGE)
    endpoint = _endpoint(endpoint_id)
    try:
        return operations.update_webhook_endpoint(endpoint=endpoint, **payload.dict())
    except operations.EndpointRefused as refusal:
        raise _refused(refusal) from None


@router.delete("/endpoints/{endpoint_id}", response=answers({204: None}))
def delete_endpoint(request, endpoint_id: int):
    _caller_who_may(request, MANAGE)
    operations.delete_webhook_endpoint(endpoint=_endpoint(endpoint_id))
    return Status(204, None)


@router.post("/endpoints/{endpoint_id}/rotate-secret", response=answers({200: EndpointWithSecret}))
def rotate_secret(request, endpoint_id: int):
    _caller_who_may(request, MANAGE)
    return operations.rotate_webhook_secret(endpoint=_endpoint(endpoint_id))


@router.post("/endpoints/{endpoint_id}/ping", response=answers({202: DeliveryOut}))
def ping(request, endpoint_id: int):
    _caller_who_may(request, MANAGE)
    return Status(202, tasks.send_test_ping(endpoint=_endpoint(endpoint_id)))


@router.get("/endpoints/{endpoint_id}/deliveries", response=answers({200: list[DeliveryOut]}))
def list_deliveries(
    request,
    endpoint_id: int,
    status: str = "",
    before: int | None = None,
    limit: int = Query(50, ge=1, le=DELIVERIES_PER_PAGE_MAX),
):
    """Newest first; `before` (a delivery id) for the next page."""
    _caller_who_may(request, VIEW)
    endpoint = _endpoint(endpoint_id)
    if status and status not in WebhookDelivery.Status.values:
        raise invalid(
            "/query/status",
            "not_allowed",
            _("The status is one of: %(statuses)s.")
            % {"statuses": ", ".join(WebhookDelivery.Status.values)},
        )
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        deliveries = deliveries.filter(status=status)
    if before is not None:
        deliveries = deliveries.filter(pk__lt=before)
    return list(deliveries.order_by("-pk")[:limit])


@router.post("/deliveries/{delivery_id}/redeliver", response=answers({202: DeliveryOut}))
def redeliver(request, delivery_id: int):
    _caller_who_may(request, MANAGE)
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise not_found()
    return Status(202, tasks.redeliver(delivery=delivery))
