"""An existing site's Editors group gets the webhook permissions when it upgrades."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("integrations", "0003_webhooks")]
AFTER = [("integrations", "0004_editors_manage_webhooks")]


@pytest.mark.django_db(transaction=True)
def test_the_editors_of_an_existing_site_may_manage_webhooks_after_the_upgrade():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    editors = Group.objects.create(name="Editors")
    Permission.objects.filter(content_type__app_label="integrations").delete()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    codenames = set(editors.permissions.values_list("codename", flat=True))
    assert {
        "view_webhookendpoint",
        "add_webhookendpoint",
        "change_webhookendpoint",
        "delete_webhookendpoint",
        "view_webhookdelivery",
    } <= codenames
