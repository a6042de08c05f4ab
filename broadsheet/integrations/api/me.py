"""/api/v1/me: the caller's own account, and the one setting a client may change."""

from django.utils.translation import gettext as _
from ninja import Router

from broadsheet.integrations.api.auth import READ, WRITE, require
from broadsheet.integrations.api.common import answers
from broadsheet.integrations.api.problems import unauthorized
from broadsheet.integrations.api.schemas import Me, MePatch
from broadsheet.moderation.access import is_moderator
from broadsheet.readers.operations import set_appear_offline

router = Router(tags=["me"])


def _me(caller) -> dict:
    reader = caller.reader
    return {
        "handle": reader.handle,
        "display_name": reader.display_name,
        "online": reader.presence_seconds_left > 0,
        "appear_offline": reader.appear_offline,
        "moderator": is_moderator(reader),
        "scope": caller.token.scope if caller.token is not None else None,
    }


@router.get("", response=answers({200: Me}), summary="Who you are")
def get_me(request):
    caller = require(request, READ)
    if caller.reader is None:
        raise unauthorized(_("Sign in, or send a personal token: Authorization: Bearer TOKEN."))
    return _me(caller)


@router.patch("", response=answers({200: Me}), summary="Appear offline, or not")
def update_me(request, payload: MePatch):
    caller = require(request, WRITE)
    set_appear_offline(reader=caller.reader, appear_offline=payload.appear_offline)
    return _me(caller)
