from broadsheet.moderation.management.commands._roles import RoleCommand
from broadsheet.moderation.operations import revoke_role
from broadsheet.moderation.roles import ROLES


class Command(RoleCommand):
    help = f"Take a role away from a reader ({', '.join(sorted(ROLES))})."
    operation = revoke_role
    done = "{handle} is no longer {role}"
