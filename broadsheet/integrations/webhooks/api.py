"""Webhooks in the JSON API: a django-ninja Router the API mounts (for example
`api.add_router("/webhooks/", router)`), for editors and administrators.

A request carries a personal API token (`Authorization: Bearer …`) with the
`moderate` scope, of a reader whose role lets them manage endpoints (the editor
role, or an administrator); anyone else gets 401 (no or a bad token) or 403.
Endpoints only translate: parse, check, call one operation, answer.
"""

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from broadsheet.integrations.webhooks import operations, tasks
from broadsheet.integrations.webhooks.models import (
    DESCRIPTION_MAX_LENGTH,
    EVENT_TYPES,
    URL_MAX_LENGTH,
    WebhookDelivery,
    WebhookEndpoint,
)
from broadsheet.readers.access import find_api_token
from broadsheet.readers.models import ApiTokenScope
from broadsheet.readers.operations import record_api_token_use

DELIVERIES_PER_PAGE_MAX = 100
MANAGE = "integrations.change_webhookendpoint"
VIEW = "integrations.view_webhookendpoint"


class EditorToken(HttpBearer):
    """A live token with the moderate scope whose reader may at least view endpoints."""

    def authenticate(self, request: HttpRequest, token: str):
        found = find_api_token(token)
        if found is None:
            return None
        if not found.allows(ApiTokenScope.MODERATE) or not found.reader.has_perm(VIEW):
            raise HttpError(403, "This token may not manage webhooks.")
        record_api_token_use(token=found)
        request.user = found.reader
        return found.reader


router = Router(auth=EditorToken(), tags=["webhooks"])


def _require_manage(request: HttpRequest) -> None:
    if not request.user.has_perm(MANAGE):
        raise HttpError(403, "Only editors and administrators change webhooks.")


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


def _refused(refusal: operations.EndpointRefused) -> HttpError:
    return HttpError(422, str(refusal))


@router.get("/endpoints", response=list[EndpointOut])
def list_endpoints(request):
    return list(WebhookEndpoint.objects.order_by("pk"))


@router.post("/endpoints", response={201: EndpointWithSecret})
def create_endpoint(request, payload: EndpointIn):
    _require_manage(request)
    try:
        endpoint = operations.create_webhook_endpoint(
            url=payload.url,
            events=payload.events,
            description=payload.description,
            active=payload.active,
            created_by=request.user,
        )
    except operations.EndpointRefused as refusal:
        raise _refused(refusal) from None
    return Status(201, endpoint)


@router.get("/endpoints/{endpoint_id}", response=EndpointWithSecret)
def get_endpoint(request, endpoint_id: int):
    _require_manage(request)  # the secret is shown only to who may change it
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id)


@router.patch("/endpoints/{endpoint_id}", response=EndpointOut)
def update_endpoint(request, endpoint_id: int, payload: EndpointPatch):
    _require_manage(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    try:
        return operations.update_webhook_endpoint(endpoint=endpoint, **payload.dict())
    except operations.EndpointRefused as refusal:
        raise _refused(refusal) from None


@router.delete("/endpoints/{endpoint_id}", response={204: None})
def delete_endpoint(request, endpoint_id: int):
    _require_manage(request)
    operations.delete_webhook_endpoint(endpoint=get_object_or_404(WebhookEndpoint, pk=endpoint_id))
    return Status(204, None)


@router.post("/endpoints/{endpoint_id}/rotate-secret", response=EndpointWithSecret)
def rotate_secret(request, endpoint_id: int):
    _require_manage(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    return operations.rotate_webhook_secret(endpoint=endpoint)


@router.post("/endpoints/{endpoint_id}/ping", response={202: DeliveryOut})
def ping(request, endpoint_id: int):
    _require_manage(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    return Status(202, tasks.send_test_ping(endpoint=endpoint))


@router.get("/endpoints/{endpoint_id}/deliveries", response=list[DeliveryOut])
def list_deliveries(
    request, endpoint_id: int, status: str = "", before: int | None = None, limit: int = 50
):
    """Newest first; `before` (a delivery id) for the next page."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    if status and status not in WebhookDelivery.Status.values:
        raise HttpError(422, f"status is one of {', '.join(WebhookDelivery.Status.values)}")
    if not 1 <= limit <= DELIVERIES_PER_PAGE_MAX:
        raise HttpError(422, f"limit is from 1 to {DELIVERIES_PER_PAGE_MAX}")
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        deliveries = deliveries.filter(status=status)
    if before is not None:
        deliveries = deliveries.filter(pk__lt=before)
    return list(deliveries.order_by("-pk")[:limit])


@router.post("/deliveries/{delivery_id}/redeliver", response={202: DeliveryOut})
def redeliver(request, delivery_id: int):
    _require_manage(request)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    return Status(202, tasks.redeliver(delivery=delivery))
