"""Editors manage webhooks in the admin: register an endpoint (its secret shown),
read the delivery log with every attempt, send a delivery again, rotate the
secret and send a test ping. A reader, and a moderator, get nothing of it."""

import pytest
from django.urls import reverse

from broadsheet.integrations.webhooks import tasks
from broadsheet.integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from broadsheet.integrations.webhooks.operations import record_attempt
from broadsheet.integrations.webhooks.sending import Outcome

pytestmark = pytest.mark.django_db

ENDPOINTS = reverse("admin:integrations_webhookendpoint_changelist")
ADD = reverse("admin:integrations_webhookendpoint_add")
DELIVERIES = reverse("admin:integrations_webhookdelivery_changelist")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_an_editor_registers_an_endpoint_and_sees_its_secret(editor_client, editor):
    page = editor_client.get(ADD)
    assert page.status_code == 200
    assert b"comment.posted" in page.content
    response = editor_client.post(
        ADD,
        {
            "url": "https://hooks.example/in",
            "description": "  The newsroom's   chat ",
            "events": ["comment.posted", "reader.banned"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["comment.posted", "reader.banned"]
    assert endpoint.description == "The newsroom's chat"
    assert endpoint.created_by == editor
    assert endpoint.secret.startswith("whsec_")
    change_url = reverse("admin:integrations_webhookendpoint_change", args=[endpoint.pk])
    change = editor_client.get(change_url)
    assert endpoint.secret.encode() in change.content
    assert editor_client.get(ENDPOINTS).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/in",
        "javascript:alert(1)",
        "https://user:pass@hooks.example/in",
        "https://hooks.example/" + "a" * 600,
        "hooks.example/in",
    ],
)
def test_a_bad_url_is_refused_with_a_message_and_nothing_stored(editor_client, url):
    response = editor_client.post(ADD, {"url": url, "events": ["comment.posted"]})
    assert response.status_code == 200  # the form again, with its error
    assert b"errorlist" in response.content
    assert WebhookEndpoint.objects.count() == 0


def test_an_endpoint_with_no_events_is_refused(editor_client):
    response = editor_client.post(ADD, {"url": "https://hooks.example/in"})
    assert b"errorlist" in response.content
    assert WebhookEndpoint.objects.count() == 0


def test_rotate_and_ping_are_admin_actions(editor_client, make_endpoint):
    endpoint = make_endpoint("https://hooks.example/in")
    old = endpoint.secret
    editor_client.post(ENDPOINTS, {"action": "rotate_secret", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    editor_client.post(ENDPOINTS, {"action": "send_ping", "_selected_action": [endpoint.pk]})
    assert WebhookDelivery.objects.get().event_type == "webhook.ping"


def test_the_delivery_log_shows_every_attempt_and_sends_again(
    editor_client, make_endpoint, django_assert_max_num_queries
):
    endpoint = make_endpoint("https://hooks.example/in")
    for _ in range(30):
        delivery = tasks.send_test_ping(endpoint=endpoint)
    record_attempt(
        delivery=delivery,
        number=1,
        outcome=Outcome(502, "<b>bad gateway</b>", "HTTP 502", 12),
    )
    with django_assert_max_num_queries(13):  # 30 rows or 3: the same
        page = editor_client.get(DELIVERIES)
    assert page.status_code == 200
    assert page.content.count(b"webhook.ping") >= 30
    detail = editor_client.get(
        reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk])
    )
    assert detail.status_code == 200
    assert b"HTTP 502" in detail.content
    assert b"&lt;b&gt;bad gateway&lt;/b&gt;" in detail.content  # escaped, not markup
    editor_client.post(DELIVERIES, {"action": "send_again", "_selected_action": [delivery.pk]})
    again = WebhookDelivery.objects.latest("pk")
    assert again.redelivery_of == delivery and again.message_id == delivery.message_id


def test_the_endpoint_delete_goes_through_the_operation(editor_client, make_endpoint):
    endpoint = make_endpoint("https://hooks.example/in")
    tasks.send_test_ping(endpoint=endpoint)
    url = reverse("admin:integrations_webhookendpoint_delete", args=[endpoint.pk])
    assert editor_client.post(url, {"post": "yes"}).status_code == 302
    assert WebhookEndpoint.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize("who", ["kestrel", "moderator"])
def test_readers_and_moderators_get_no_webhooks(request, client, who, make_endpoint):
    make_endpoint("https://hooks.example/in")
    client.force_login(request.getfixturevalue(who))
    for url in [ENDPOINTS, ADD, DELIVERIES]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"whsec_" not in response.content
