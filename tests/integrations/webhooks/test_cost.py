"""Webhooks cost a post nothing when no endpoint listens, and a fixed few queries
when some do: no HTTP while the poster waits, whatever the receivers do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from broadsheet.discussion.operations import comment_changed
from broadsheet.integrations.webhooks import operations
from broadsheet.integrations.webhooks.models import WebhookDelivery
from broadsheet.integrations.webhooks.tasks import hear_comment_change

pytestmark = pytest.mark.django_db


def queries_to_post(make_comment, article, author) -> int:
    operations.subscribed_event_types()  # what a running site has in its cache
    with CaptureQueriesContext(connection) as context:
        make_comment(article, author)
    return len(context.captured_queries)


@pytest.fixture
def without_webhooks():
    comment_changed.unregister(hear_comment_change)
    yield
    comment_changed.register(hear_comment_change)


@pytest.fixture
def queries_without_webhooks(without_webhooks, make_comment, article, make_reader):
    queries_to_post(make_comment, article, make_reader())  # warm the first-post costs
    return queries_to_post(make_comment, article, make_reader())


def test_a_post_with_no_endpoint_costs_no_query(
    queries_without_webhooks, make_comment, article, make_reader
):
    comment_changed.register(hear_comment_change)
    assert queries_to_post(make_comment, article, make_reader()) == queries_without_webhooks


def test_an_endpoint_for_other_events_costs_a_post_no_query(
    queries_without_webhooks, make_comment, article, make_reader, make_endpoint
):
    make_endpoint("https://hooks.example/bans", events=["reader.banned", "comment.rejected"])
    comment_changed.register(hear_comment_change)
    assert queries_to_post(make_comment, article, make_reader()) == queries_without_webhooks
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize("endpoints", [1, 3])
def test_subscribed_endpoints_cost_a_post_a_fixed_few_queries(
    endpoints, queries_without_webhooks, make_comment, article, make_reader, make_endpoint
):
    for n in range(endpoints):
        make_endpoint(f"https://hooks.example/{n}")
    comment_changed.register(hear_comment_change)
    # The endpoints, one insert of every delivery, one task row per delivery.
    expected = queries_without_webhooks + 2 + endpoints
    assert queries_to_post(make_comment, article, make_reader()) == expected
    assert WebhookDelivery.objects.count() == endpoints


def test_a_change_to_the_endpoints_is_seen_by_the_next_post(make_comment, article, kestrel):
    make_comment(article, kestrel)  # no endpoint: cached as "no event subscribed"
    endpoint = operations.create_webhook_endpoint(
        url="https://hooks.example/", events=["comment.posted"], created_by=None
    )
    make_comment(article, kestrel)
    assert WebhookDelivery.objects.count() == 1
    operations.update_webhook_endpoint(endpoint=endpoint, active=False)
    make_comment(article, kestrel)
    assert WebhookDelivery.objects.count() == 1
