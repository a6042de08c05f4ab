from django.core.management.base import BaseCommand, CommandError

from broadsheet.moderation.operations import UnknownRole, revoke_role
from broadsheet.moderation.roles import ROLES
from broadsheet.readers.models import Reader


class Command(BaseCommand):
    help = f"Take a role away from a reader ({', '.join(sorted(ROLES))})."

    def add_arguments(self, parser):
        parser.add_argument("handle")
        parser.add_argument("role", help=", ".join(sorted(ROLES)))

    def handle(self, *args, handle: str, role: str, **options):
        reader = Reader.objects.by_handle(handle).first()
        if reader is None:
            raise CommandError(f"no reader with the handle “{handle}”")
        try:
            revoke_role(reader=reader, role_name=role)
        except UnknownRole as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{reader.handle} is no longer {role.lower()}")
