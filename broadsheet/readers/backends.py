from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


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


def sign_in_name(request, credentials) -> str | None:
    """The name django-axes counts failed sign-ins under: as typed, in lower case."""
    name = (credentials or {}).get("username") or request.POST.get("username")
    return name.strip().lower() if name else None
