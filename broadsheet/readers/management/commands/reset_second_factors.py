from django.core.management.base import BaseCommand, CommandError

from broadsheet.readers.models import Reader
from broadsheet.readers.operations import remove_second_factors


class Command(BaseCommand):
    help = (
        "Remove a reader's passkeys, authenticator app and recovery codes, for one who "
        "lost them all (check who is asking first); they then sign in with the password."
    )

    def add_arguments(self, parser):
        parser.add_argument("handle")

    def handle(self, *args, handle: str, **options):
        reader = Reader.objects.filter(handle__iexact=handle).first()
        if reader is None:
            raise CommandError(f"No reader with the handle {handle!r}.")
        removed = remove_second_factors(reader=reader)
        self.stdout.write(f"{reader.handle}: {removed} second factor(s) removed")
