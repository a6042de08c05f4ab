from django.core.management.base import BaseCommand, CommandError

from broadsheet.moderation.operations import UnknownRole, grant_role
from broadsheet.moderation.roles import ROLES
from broadsheet.readers.models import Reader


class Command(BaseCommand):
    help = f"Give a reader a role ({', '.join(sorted(ROLES))})."

    def add_arguments(self, parser):
        parser.add_argument("handle")
        parser.add_argument("role", help=", ".join(sorted(ROLES)))

    def handle(self, *args, handle: str, role: str, **options):
        reader = Reader.objects.by_handle(handle).first()
        if reader is None:
            raise CommandError(f"no reader with the handle “{handle}”")
        try:
            grant_role(reader=reader, role_name=role)
        except UnknownRole as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{reader.handle} is now {role.lower()}")
