"""Email verification links: signed, expiring, and good for one state of the account.

A link carries the reader's id and a digest of their addresses as they were when
it was made (the current one, whether and when it was verified, the pending one
and when it was asked for), signed with Django's TimestampSigner (the secret key)
and read with a maximum age (BROADSHEET_EMAIL_VERIFICATION_HOURS). So, like
Django's password-reset tokens, a link stops working once it has been used (the
verification time changes) and once the address changes (a link sent to an old
address cannot verify a new one), with no table of tokens to keep. Sending a
link again makes the same state's link: earlier copies stay good until they expire.

The digest is keyed (salted_hmac), so the link, which ends up in mail logs and
browser histories, says nothing that would confirm a guess at the address.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.readers.models import Reader

SALT = "broadsheet.readers.email-verification"


class InvalidLink(ValueError):
    """The link is garbled, not ours, or for another state of the account."""


class ExpiredLink(InvalidLink):
    """The link was good, but is older than BROADSHEET_EMAIL_VERIFICATION_HOURS."""


class UsedLink(InvalidLink):
    """The address the link was for is verified already."""


def address_to_verify(reader: Reader) -> str:
    """The address a verification link is for now: the pending new one if the reader
    asked for one, else the current one if it is not verified yet; "" if none."""
    if reader.pending_email:
        return reader.pending_email
    if reader.email and reader.email_verified_at is None:
        return reader.email
    return ""


def _moment(value: datetime | None) -> str:
    # In UTC: the same moment reads back from either database in its own zone.
    return value.astimezone(UTC).isoformat() if value is not None else ""


def _state_digest(reader: Reader) -> str:
    state = "|".join(
        [
            str(reader.pk),
            reader.email.lower(),
            _moment(reader.email_verified_at),
            reader.pending_email.lower(),
            _moment(reader.pending_email_since),
        ]
    )
    return salted_hmac(SALT, state, algorithm="sha256").hexdigest()[:32]


def make_verification_token(reader: Reader) -> str:
    """A token for the address the reader has to verify now (address_to_verify)."""
    return signing.dumps({"r": reader.pk, "s": _state_digest(reader)}, salt=SALT)


def lifetime() -> timedelta:
    return timedelta(hours=settings.BROADSHEET_EMAIL_VERIFICATION_HOURS)


@dataclass(frozen=True)
class VerificationClaim:
    reader: Reader
    address: str


def read_verification_token(token: str) -> VerificationClaim:
    """The reader and address a token verifies, or raise InvalidLink (or its kinds,
    ExpiredLink and UsedLink) saying why not."""
    if len(token) > 200:  # ours are about 90 characters; refuse before any work
        raise InvalidLink(token[:20])
    try:
        payload = signing.loads(token, salt=SALT, max_age=lifetime())
    except signing.SignatureExpired as error:
        raise ExpiredLink(str(error)) from error
    except signing.BadSignature as error:
        raise InvalidLink(str(error)) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        raise InvalidLink("malformed payload")
    reader = Reader.objects.filter(pk=payload["r"], is_active=True).first()
    if reader is None:
        raise InvalidLink("no such reader")
    if not constant_time_compare(str(payload.get("s", "")), _state_digest(reader)):
        if not address_to_verify(reader):
            raise UsedLink("nothing left to verify")
        raise InvalidLink("the account's addresses have changed since")
    address = address_to_verify(reader)
    if not address:
        raise UsedLink("nothing left to verify")
    return VerificationClaim(reader=reader, address=address)
