"""Write operations of moderation: roles for now (queue, bans and audit come later)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from broadsheet.moderation.roles import ROLES
from broadsheet.readers.models import Reader


class UnknownRole(ValueError):
    pass


@transaction.atomic
def grant_role(*, reader: Reader, role_name: str) -> Group:
    """Give the reader a role (editor, moderator); granting twice changes nothing."""
    role = ROLES.get(role_name.lower())
    if role is None:
        raise UnknownRole(f"unknown role “{role_name}”; roles are: {', '.join(sorted(ROLES))}")
    group, _created = Group.objects.get_or_create(name=role.group)
    for app_label, codename in role.permissions:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    reader.groups.add(group)
    if role.staff and not reader.is_staff:
        reader.is_staff = True
        reader.save(update_fields=["is_staff"])
    return group
