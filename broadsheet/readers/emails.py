"""The mails about a reader's address: one plain function per message.

Each takes ids and strings, never model instances, and reads the reader again
itself: operations enqueue it (`send_account_email_later`) in their transaction
and the background worker sends it, so whatever the row says when the mail goes
out is what the mail says, and no request waits for a mail server. `site_url` is
the site's own address ("https://news.example.org"), given by the door the change
came through, so the links in a mail point where the reader came from.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from broadsheet.background.retries import TryAgainLater, mail_failure_may_pass, retrying_task
from broadsheet.readers.models import Reader
from broadsheet.readers.verification import address_to_verify, make_verification_token


def _send(template: str, context: dict, to: str) -> None:
    context = {**context, "site_name": settings.BROADSHEET_SITE_NAME}
    subject = render_to_string(f"readers/{template}_subject.txt", context)
    body = render_to_string(f"readers/{template}_email.txt", context)
    # A subject is one line whatever the template or a translation did with it.
    send_mail(" ".join(subject.split()), body, None, [to])


def send_password_reset_email(reader_id: int, site_url: str) -> bool:
    """Mail the reader a link that sets a new password (Django's one-time token,
    made now: it is valid until the password or the last sign-in changes)."""
    reader = Reader.objects.filter(pk=reader_id, is_active=True).exclude(email="").first()
    if reader is None or not reader.has_usable_password():
        return False
    protocol, _sep, domain = site_url.partition("://")
    context = {
        "user": reader,
        "protocol": protocol,
        "domain": domain,
        "uid": urlsafe_base64_encode(force_bytes(reader.pk)),
        "token": default_token_generator.make_token(reader),
    }
    _send("password_reset", context, reader.email)
    return True


def _absolute(site_url: str, path: str) -> str:
    return site_url.rstrip("/") + path


def mask_address(address: str) -> str:
    """ "anna.petrova@example.org" → "a…@e….org": enough for the owner of an account
    to recognise (or not) the address asked for, not enough to write to it."""
    local, _at, domain = address.partition("@")
    host, _dot, top = domain.rpartition(".")
    masked_domain = f"{host[:1]}….{top}" if host else f"{domain[:1]}…"
    return f"{local[:1]}…@{masked_domain}"


def send_verification_email(reader_id: int, site_url: str) -> bool:
    """Mail the link that verifies the address the reader has to verify now (the
    pending new one, or the current one); returns whether a mail went out."""
    reader = Reader.objects.filter(pk=reader_id, is_active=True).first()
    if reader is None:
        return False
    address = address_to_verify(reader)
    if not address:
        return False
    path = reverse("readers:verify_email", kwargs={"token": make_verification_token(reader)})
    context = {
        "reader": reader,
        "address": address,
        "is_change": bool(reader.pending_email),
        "verify_url": _absolute(site_url, path),
        "hours": settings.BROADSHEET_EMAIL_VERIFICATION_HOURS,
    }
    _send("verify", context, address)
    return True


def send_email_change_notice(reader_id: int, old_address: str, site_url: str) -> bool:
    """Tell the address in use that the reader asked to move the account to another
    one, naming it only in part, so its owner notices a change they did not make."""
    reader = Reader.objects.filter(pk=reader_id, is_active=True).first()
    if reader is None or not reader.pending_email or not old_address:
        return False
    context = {
        "reader": reader,
        "new_address": mask_address(reader.pending_email),
        "settings_url": _absolute(site_url, reverse("readers:settings")),
        "password_reset_url": _absolute(site_url, reverse("readers:password_reset")),
    }
    _send("email_change", context, old_address)
    return True


def send_address_in_use_notice(owner_id: int, site_url: str) -> bool:
    """Tell the owner of an address that someone asked to move another account to it.

    The reader who asked is told, as for any address, to look for a link there:
    saying "this address has an account" would tell anyone whose address does.
    """
    owner = Reader.objects.filter(pk=owner_id).first()
    if owner is None or not owner.email:
        return False
    context = {
        "reader": owner,
        "sign_in_url": _absolute(site_url, reverse("readers:sign_in")),
    }
    _send("address_in_use", context, owner.email)
    return True


def send_sign_up_attempt_notice(owner_id: int, site_url: str) -> bool:
    """Tell a reader that someone tried to sign up with their address: the sign-up
    page says nothing about it (see readers.views), so the owner hears it here."""
    owner = Reader.objects.filter(pk=owner_id).first()
    if owner is None or not owner.email:
        return False
    context = {
        "reader": owner,
        "sign_in_url": _absolute(site_url, reverse("readers:sign_in")),
        "password_reset_url": _absolute(site_url, reverse("readers:password_reset")),
    }
    _send("sign_up_attempt", context, owner.email)
    return True


# The account mails the worker may send, by name (a task's arguments are JSON).
ACCOUNT_EMAILS = {
    function.__name__: function
    for function in (
        send_verification_email,
        send_email_change_notice,
        send_address_in_use_notice,
        send_sign_up_attempt_notice,
        send_password_reset_email,
    )
}


@retrying_task(queue_name="email")
def send_account_email(name: str, args: list, language: str, attempt: int = 1) -> bool:
    """Send one account mail from the worker, in the language of the request that
    asked for it; a mail server that is away is tried again later."""
    try:
        with translation.override(language):
            return ACCOUNT_EMAILS[name](*args)
    except OSError as error:
        if mail_failure_may_pass(error):
            raise TryAgainLater(repr(error)) from error
        raise  # refused for good: the task fails, and says why


def send_account_email_later(send, *args) -> None:
    """Enqueue `send(*args)` for the worker, in the caller's transaction: a change
    that rolls back sends nothing, and the request never waits for a mail server."""
    send_account_email.enqueue(send.__name__, list(args), translation.get_language() or "en")
