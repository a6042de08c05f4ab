"""/api/v1/webhooks/: editors (and administrators) manage endpoints and read
deliveries with a moderate-scope token or their session; readers', moderators'
and read-scope tokens get 403, no token 401, bad input 422 with nothing stored."""

import json

import pytest

from broadsheet.integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from broadsheet.readers.models import ApiTokenScope
from broadsheet.readers.operations import create_api_token

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks"


def bearer(reader, scope=ApiTokenScope.MODERATE) -> dict:
    secret = create_api_token(reader=reader, name="t", scope=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client, path, data, auth):
    return client.post(BASE + path, json.dumps(data), content_type="application/json", **auth)


def test_an_editor_creates_lists_changes_and_deletes_an_endpoint(client, editor):
    auth = bearer(editor)
    created = post(
        client,
        "/endpoints",
        {"url": "https://hooks.example/in", "events": ["comment.posted"]},
        auth,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    endpoint_id = body["id"]
    listed = client.get(BASE + "/endpoints", **auth).json()
    assert [e["url"] for e in listed] == ["https://hooks.example/in"]
    assert "secret" not in listed[0]
    changed = client.patch(
        f"{BASE}/endpoints/{endpoint_id}",
        json.dumps({"events": ["comment.edited", "comment.posted"], "active": False}),
        content_type="application/json",
        **auth,
    )
    assert changed.status_code == 200
    assert changed.json()["events"] == ["comment.posted", "comment.edited"]
    assert changed.json()["active"] is False
    rotated = post(client, f"/endpoints/{endpoint_id}/rotate-secret", {}, auth)
    assert rotated.json()["secret"] != body["secret"]
    assert client.delete(f"{BASE}/endpoints/{endpoint_id}", **auth).status_code == 204
    assert WebhookEndpoint.objects.count() == 0


def test_deliveries_are_listed_newest_first_and_sent_again(client, editor, make_endpoint):
    auth = bearer(editor)
    endpoint = make_endpoint("https://hooks.example/in")
    ping = post(client, f"/endpoints/{endpoint.pk}/ping", {}, auth)
    assert ping.status_code == 202
    delivery_id = ping.json()["id"]
    again = post(client, f"/deliveries/{delivery_id}/redeliver", {}, auth)
    assert again.status_code == 202
    listed = client.get(f"{BASE}/endpoints/{endpoint.pk}/deliveries", **auth).json()
    assert [d["id"] for d in listed] == [again.json()["id"], delivery_id]
    assert listed[0]["message_id"] == listed[1]["message_id"]
    page = client.get(f"{BASE}/endpoints/{endpoint.pk}/deliveries?limit=1", **auth).json()
    assert len(page) == 1
    assert (
        client.get(f"{BASE}/endpoints/{endpoint.pk}/deliveries?limit=1000", **auth).status_code
        == 422
    )
    assert (
        client.get(f"{BASE}/endpoints/{endpoint.pk}/deliveries?status=x", **auth).status_code == 422
    )


@pytest.mark.parametrize(
    "data",
    [
        {"url": "ftp://hooks.example/in", "events": ["comment.posted"]},
        {"url": "https://a:b@hooks.example/in", "events": ["comment.posted"]},
        {"url": "https://hooks.example/in", "events": []},
        {"url": "https://hooks.example/in", "events": ["comment.exploded"]},
        {"url": "https://hooks.example/" + "a" * 600, "events": ["comment.posted"]},
        {"url": "https://hooks.example/in", "events": ["comment.posted"], "description": "x" * 201},
    ],
)
def test_bad_input_is_refused_and_nothing_stored(client, editor, data):
    response = post(client, "/endpoints", data, bearer(editor))
    assert response.status_code == 422
    assert WebhookEndpoint.objects.count() == 0


def test_no_token_is_401(client):
    assert client.get(BASE + "/endpoints").status_code == 401
    assert client.get(BASE + "/endpoints", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


@pytest.mark.parametrize("who", ["kestrel", "moderator"])
def test_readers_and_moderators_are_refused(request, client, who, make_endpoint):
    endpoint = make_endpoint("https://hooks.example/in")
    auth = bearer(request.getfixturevalue(who))
    assert client.get(BASE + "/endpoints", **auth).status_code == 403
    assert client.get(f"{BASE}/endpoints/{endpoint.pk}", **auth).status_code == 403
    created = post(
        client, "/endpoints", {"url": "https://x.example/", "events": ["comment.posted"]}, auth
    )
    assert created.status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_an_editors_read_scope_token_is_refused(client, editor, make_endpoint):
    endpoint = make_endpoint("https://hooks.example/in")
    auth = bearer(editor, ApiTokenScope.READ)
    assert client.get(BASE + "/endpoints", **auth).status_code == 403
    assert post(client, f"/endpoints/{endpoint.pk}/ping", {}, auth).status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_an_editors_session_reads_the_endpoints(client, editor, make_endpoint):
    make_endpoint("https://hooks.example/in")
    client.force_login(editor)
    listed = client.get(BASE + "/endpoints")
    assert listed.status_code == 200
    assert [e["url"] for e in listed.json()] == ["https://hooks.example/in"]
