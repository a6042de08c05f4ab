"""Roles a reader can be given, as Django groups with model permissions.

Groups (not flags on Reader) so that the admin shows and edits them, and a
role's reach is the permissions it holds, checked by Django's own machinery.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    name: str
    group: str
    description: str
    # (app_label, codename) pairs
    permissions: tuple[tuple[str, str], ...]
    staff: bool
    superuser: bool = False


ROLES: dict[str, Role] = {
    role.name: role
    for role in [
        Role(
            "editor",
            "Editors",
            _("writes, schedules and publishes articles in the admin"),
            (
                ("articles", "add_article"),
                ("articles", "change_article"),
                ("articles", "view_article"),
                ("discussion", "view_comment"),
                ("discussion", "moderate_comment"),
                ("discussion", "change_discussion"),
                ("moderation", "view_auditentry"),
                # Webhooks (integrations): the endpoints other systems hear from.
                ("integrations", "view_webhookendpoint"),
                ("integrations", "add_webhookendpoint"),
                ("integrations", "change_webhookendpoint"),
                ("integrations", "delete_webhookendpoint"),
                ("integrations", "view_webhookdelivery"),
            ),
            staff=True,
        ),
        Role(
            "moderator",
            "Moderators",
            _("reviews and removes comments, suspends readers"),
            (
                ("discussion", "view_comment"),
                ("discussion", "change_comment"),
                ("discussion", "moderate_comment"),
                ("readers", "view_reader"),
                ("moderation", "view_auditentry"),
            ),
            staff=True,
        ),
        Role(
            "admin",
            "Administrators",
            _("manages everything, grants roles, reads the audit log"),
            (),
            staff=True,
            superuser=True,
        ),
    ]
}
