from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from broadsheet.readers.models import ApiToken, ApiTokenScope, Reader
from broadsheet.readers.operations import create_api_token, revoke_api_token


class Command(BaseCommand):
    help = (
        "Personal API tokens: `token create HANDLE [--scope read|write|moderate] [--name N]` "
        "prints a new token once; `token list HANDLE`; `token revoke PREFIX`."
    )

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="make a token and print it (only this once)")
        create.add_argument("handle", metavar="HANDLE")
        create.add_argument("--scope", choices=ApiTokenScope.values, default=ApiTokenScope.READ)
        create.add_argument("--name", default="command line", help="what the token is for")
        listing = actions.add_parser("list", help="a reader's tokens, newest first")
        listing.add_argument("handle", metavar="HANDLE")
        revoke = actions.add_parser("revoke", help="stop the token that starts with PREFIX")
        revoke.add_argument("prefix", metavar="PREFIX")

    def _reader(self, handle: str) -> Reader:
        reader = Reader.objects.filter(handle__iexact=handle, is_active=True).first()
        if reader is None:
            raise CommandError(f"no active reader with the handle {handle!r}")
        return reader

    def handle(self, *args, action: str, **options) -> None:
        if action == "create":
            reader = self._reader(options["handle"])
            issued = create_api_token(reader=reader, name=options["name"], scope=options["scope"])
            if reader.is_banned:
                self.stderr.write(f"note: {reader.handle} is banned: the token can only read")
            self.stdout.write(issued.secret)
        elif action == "list":
            reader = self._reader(options["handle"])
            tokens = ApiToken.objects.filter(reader=reader).order_by("-created_at")
            self.stdout.write(
                "prefix      scope     state    created           last used         name"
            )
            for token in tokens:
                self.stdout.write(
                    f"{token.prefix:<11} {token.scope:<9} {self._state(token):<8} "
                    f"{self._when(token.created_at):<17} {self._when(token.last_used_at):<17} "
                    f"{token.name}"
                )
        else:
            prefix = options["prefix"].removesuffix("…")
            if len(prefix) < 6:
                raise CommandError("give at least the first 6 characters of the token")
            matching = list(
                ApiToken.objects.filter(
                    prefix__startswith=prefix[:12], revoked_at=None
                ).select_related("reader")
            )
            matching = [
                t for t in matching if t.prefix.startswith(prefix) or prefix.startswith(t.prefix)
            ]
            if not matching:
                raise CommandError(f"no live token starts with {prefix!r}")
            if len(matching) > 1:
                raise CommandError(f"{len(matching)} tokens start with {prefix!r}: give more of it")
            revoke_api_token(token=matching[0])
            self.stdout.write(f"revoked {matching[0].prefix}… of {matching[0].reader.handle}")

    @staticmethod
    def _when(moment) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"

    @staticmethod
    def _state(token: ApiToken) -> str:
        if token.revoked_at:
            return "revoked"
        if token.expires_at and token.expires_at <= timezone.now():
            return "expired"
        return "live"
