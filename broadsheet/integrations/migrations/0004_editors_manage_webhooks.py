"""Existing sites: the Editors group gets the webhook permissions that the editor
role now holds (moderation/roles.py), without waiting for a `broadsheet grant`."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

WEBHOOK_PERMISSIONS = [
    "view_webhookendpoint",
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookdelivery",
]


def give_editors_webhooks(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors is None:
        return  # a new site: the group is made with every permission on the first grant
    # Permissions are otherwise made after the last migration; make these now (the
    # historical app config has no models module, which create_permissions asks for).
    app_config = apps.get_app_config("integrations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="integrations", codename__in=WEBHOOK_PERMISSIONS
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_webhooks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(give_editors_webhooks, migrations.RunPython.noop)]
