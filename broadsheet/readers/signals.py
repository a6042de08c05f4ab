"""Receivers of django.contrib.auth's sign-in signals: each translates one signal
into one readers operation, as a view would, so every door that signs readers in
or out is seen (readers.apps connects them)."""

from django.contrib import messages
from django.db.models import Q
from django.utils.translation import gettext as _

from broadsheet.live.publishing import announce_reader_change
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import (
    forget_session,
    record_failed_sign_in,
    record_sign_in,
)

# Fields whose writes change nothing a personal layer shows.
PRESENCE_FIELDS = {"last_seen_at", "last_connected_at", "last_login"}


def signed_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if record_sign_in(request=request, reader=user):
        messages.info(
            request,
            _("Welcome back. Your account was to be deleted: signing in has cancelled that."),
            fail_silently=True,
        )


def signed_out(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        forget_session(request=request)
    if user is not None:
        # Whoever still holds the old session cookie gets no personal layer from
        # any front cache of this machine (docs/personal-layer.md).
        announce_reader_change(reader_id=user.pk)


def reader_saved(sender, instance: Reader, update_fields=None, **kwargs) -> None:
    """A reader's row changed (settings, verified email, ban, suspension, role):
    their personal layers, which show what it decides, are stale. Only the
    presence clock's own writes leave them be."""
    if update_fields is not None and set(update_fields) <= PRESENCE_FIELDS:
        return
    announce_reader_change(reader_id=instance.pk)


def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    name = str((credentials or {}).get("username") or "").strip()[:254]
    if request is None or not name:
        return
    reader = Reader.objects.filter(Q(handle__iexact=name) | Q(email__iexact=name)).first()
    if reader is not None and reader.erased_at is None:
        record_failed_sign_in(request=request, reader=reader)
