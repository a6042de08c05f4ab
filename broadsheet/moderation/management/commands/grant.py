from broadsheet.moderation.management.commands._roles import RoleCommand
from broadsheet.moderation.operations import grant_role
from broadsheet.moderation.roles import ROLES


class Command(RoleCommand):
    help = f"Give a reader a role ({', '.join(sorted(ROLES))})."
    operation = grant_role
    done = "{handle} is now {role}"
