from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q, QuerySet

from broadsheet.prepared import prepared_rows


def _reader_columns() -> tuple[str, ...]:
    return tuple(field.attname for field in get_user_model()._meta.concrete_fields)


def _signed_in_reader_query(*, reader_id: int) -> QuerySet:
    return get_user_model()._default_manager.filter(pk=reader_id).values_list(*_reader_columns())


class HandleOrEmailBackend(ModelBackend):
    """Sign in with a handle or an email address, in any letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        Reader = get_user_model()
        login = username.strip()
        reader = Reader.objects.filter(Q(handle__iexact=login) | Q(email__iexact=login)).first()
        if reader is None:
            # Hash anyway so that a missing account takes as long as a wrong password.
            Reader().set_password(password)
            return None
        if reader.check_password(password) and self.user_can_authenticate(reader):
            return reader
        return None

    def get_user(self, user_id):
        """The signed-in reader of a session, on every signed-in request: as
        ModelBackend's (an inactive reader is no one), read by a prepared query
        (building the ORM query cost more CPU than running it; docs/posting.md)."""
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            return super().get_user(user_id)
        rows = prepared_rows(_signed_in_reader_query, values={"reader_id": user_id})
        if not rows:
            return None
        reader = get_user_model().from_db("default", _reader_columns(), rows[0])
        return reader if self.user_can_authenticate(reader) else None


def sign_in_name(request, credentials) -> str | None:
    """The name django-axes counts failed sign-ins under: the account's handle.

    A handle and an email are two names for one account, so both count against
    one lockout: five failures with the handle and then more with the email
    still lock. A name that matches no account is counted as typed (in lower
    case), at the same cost, one query, so the lockout answers a stranger the
    same whether the name exists or not.
    """
    name = (credentials or {}).get("username") or request.POST.get("username")
    if not name:
        return None
    name = name.strip()
    # django-axes asks more than once per attempt; one query per attempt is enough.
    known = getattr(request, "_sign_in_names", None)
    if known is None:
        known = {}
        if request is not None:
            request._sign_in_names = known
    if name not in known:
        handle = (
            get_user_model()
            .objects.filter(Q(handle__iexact=name) | Q(email__iexact=name))
            .values_list("handle", flat=True)
            .first()
        )
        known[name] = (handle or name).lower()
    return known[name]
