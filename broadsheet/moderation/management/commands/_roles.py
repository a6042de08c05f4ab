from django.core.management.base import BaseCommand, CommandError

from broadsheet.moderation.operations import UnknownRole
from broadsheet.moderation.roles import ROLES
from broadsheet.readers.models import Reader


class RoleCommand(BaseCommand):
    """`broadsheet grant` and `broadsheet revoke`: find the reader, apply `operation`."""

    operation = None  # grant_role or revoke_role
    done = ""  # "{handle} is now {role}"

    def add_arguments(self, parser):
        parser.add_argument("handle")
        parser.add_argument("role", help=", ".join(sorted(ROLES)))

    def handle(self, *args, handle: str, role: str, **options):
        reader = Reader.objects.by_handle(handle).first()
        if reader is None:
            raise CommandError(f"no reader with the handle “{handle}”")
        try:
            type(self).operation(reader=reader, role_name=role)
        except UnknownRole as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.done.format(handle=reader.handle, role=role.lower()))
