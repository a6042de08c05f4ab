"""Reads about readers that pages show."""

import dataclasses

from allauth.socialaccount.models import SocialAccount
from django.conf import settings

from broadsheet.readers.models import Reader


@dataclasses.dataclass(frozen=True)
class LinkedAccount:
    id: int
    provider: str
    provider_name: str
    linked_at: object


def list_linked_accounts_for(reader: Reader) -> list[LinkedAccount]:
    """The reader's accounts at other providers, oldest link first (one query).
    A provider no longer configured keeps its links, shown under its id."""
    names = {button["id"]: button["name"] for button in settings.BROADSHEET_OIDC_BUTTONS}
    return [
        LinkedAccount(
            id=account.pk,
            provider=account.provider,
            provider_name=names.get(account.provider, account.provider),
            linked_at=account.date_joined,
        )
        for account in SocialAccount.objects.filter(user=reader).order_by("date_joined", "pk")
    ]
