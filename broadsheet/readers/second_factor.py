"""Second factors: the policy, the session's second step, and the checks of a
one-time code, a recovery code or a passkey's signature (no writes: those are in
readers.operations). See docs/mfa.md and docs/adr/0018-staff-mfa.md.

A session has "passed the second step" when the reader proved a second factor in
it (or set up their first). Staff (is_staff or is_superuser; every role sets
is_staff) need that before the admin or the moderation doors open, unless
BROADSHEET_STAFF_MFA is "optional".
"""

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
import webauthn
from django.conf import settings
from django.utils.crypto import salted_hmac
from webauthn.helpers import options_to_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from broadsheet.readers.models import Passkey, Reader, TotpDevice

PASSED_KEY = "readers.second_step_passed"
PENDING_KEY = "readers.pending_sign_in"
TOTP_SETUP_KEY = "readers.totp_setup_secret"
REGISTRATION_CHALLENGE_KEY = "readers.passkey_registration_challenge"
AUTHENTICATION_CHALLENGE_KEY = "readers.passkey_authentication_challenge"

# How long a password that was right waits for its second step.
PENDING_SECONDS = 300
TOTP_STEP_SECONDS = 30
# A code of the step before or after now is taken too (clocks drift, people type slowly).
TOTP_DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Longest code anyone types here: a recovery code with its dash, or six digits.
MAX_CODE_LENGTH = 32
# A passkey's answer (clientDataJSON, authenticatorData, signature, attestation) is
# a few kilobytes; a stranger's megabyte is refused before it is parsed.
MAX_CREDENTIAL_LENGTH = 16 * 1024


class PasskeyRefused(Exception):
    """A passkey's answer that does not verify: wrong challenge, origin or signature."""


# --- Policy and the session ------------------------------------------------------


def staff_must_pass_second_step() -> bool:
    return settings.BROADSHEET_STAFF_MFA == "required"


def is_staff_member(reader) -> bool:
    """Whether the signed-in reader holds a staff role (moderator, editor, admin)."""
    return bool(reader.is_authenticated and (reader.is_staff or reader.is_superuser))


def has_second_factor(reader: Reader) -> bool:
    return (
        Passkey.objects.filter(reader=reader).exists()
        or TotpDevice.objects.filter(reader=reader).exists()
    )


def session_passed_second_step(request) -> bool:
    return bool(request.session.get(PASSED_KEY))


def mark_second_step_passed(request) -> None:
    request.session[PASSED_KEY] = int(time.time())


def second_step_missing(request) -> bool:
    """Whether this request's reader is staff whose session has not passed the
    second step while the policy requires it: such a session has no staff powers."""
    return (
        staff_must_pass_second_step()
        and is_staff_member(request.user)
        and not session_passed_second_step(request)
    )


@dataclass(frozen=True)
class PendingSignIn:
    reader: Reader
    backend: str
    next_url: str


def remember_pending_sign_in(request, *, reader: Reader, backend: str, next_url: str) -> None:
    """A right password for a reader with a second factor: not signed in yet."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "reader": reader.pk,
        "backend": backend,
        "next": next_url,
        "until": int(time.time()) + PENDING_SECONDS,
    }


def get_pending_sign_in(request) -> PendingSignIn | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    reader = Reader.objects.filter(pk=pending.get("reader"), is_active=True).first()
    if reader is None:
        return None
    return PendingSignIn(reader=reader, backend=pending["backend"], next_url=pending["next"])


def forget_pending_sign_in(request) -> None:
    request.session.pop(PENDING_KEY, None)


# --- One-time codes (TOTP) ---------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(secret: str, *, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=account, issuer_name=settings.BROADSHEET_SITE_NAME
    )


def totp_qr_svg(uri: str) -> str:
    """The otpauth: address as an SVG QR code, made here (no outside service sees
    the secret) and without inline styles (the SVG uses attributes only)."""
    return segno.make(uri, error="m").svg_inline(scale=5)


def normalize_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:MAX_CODE_LENGTH]


def matching_totp_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step whose code is `code` (within the allowed drift), or None."""
    code = normalize_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret)
    current = int(now // TOTP_STEP_SECONDS)
    found = None
    # Every candidate is compared (in constant time) so timing does not tell which matched.
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            found = step
    return found


def looks_like_totp_code(code: str) -> bool:
    code = normalize_code(code)
    return len(code) == 6 and code.isdigit()


# --- Recovery codes -------------------------------------------------------------------


def new_recovery_codes() -> list[str]:
    """Ten codes of 10 base32 letters (50 bits each), shown as xxxxx-xxxxx."""
    codes = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """An HMAC under SECRET_KEY: 50 random bits need no password-style stretching,
    and a copy of the database alone does not give the codes back."""
    return salted_hmac(
        "broadsheet.readers.recovery-code", normalize_code(code), algorithm="sha256"
    ).hexdigest()


# --- Passkeys (WebAuthn) ---------------------------------------------------------------


def relying_party(request) -> tuple[str, str]:
    """The relying party id (the host, without port) and the origin a browser's
    answer must carry; BROADSHEET_WEBAUTHN_RP_ID fixes the id behind a proxy."""
    host = request.get_host()
    rp_id = settings.BROADSHEET_WEBAUTHN_RP_ID or host.rsplit(":", 1)[0].strip("[]")
    origin = f"{'https' if request.is_secure() else 'http'}://{host}"
    return rp_id, origin


def _user_handle(reader: Reader) -> bytes:
    # Not the primary key: a passkey's user handle is shown to other sites' scripts
    # by nothing, but it should not be a guessable sequence either.
    return hashlib.sha256(f"{settings.SECRET_KEY}:passkey-user:{reader.pk}".encode()).digest()


def passkey_registration_options(request, reader: Reader, passkeys: list[Passkey]) -> str:
    """The options for navigator.credentials.create(), as JSON (excluding the
    reader's `passkeys`, so one authenticator is not registered twice); the
    challenge is kept in the session for the answer."""
    rp_id, _origin = relying_party(request)
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.BROADSHEET_SITE_NAME,
        user_name=reader.handle,
        user_display_name=reader.display_name,
        user_id=_user_handle(reader),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(passkey.credential_id))
            for passkey in passkeys
        ],
    )
    request.session[REGISTRATION_CHALLENGE_KEY] = webauthn.helpers.bytes_to_base64url(
        options.challenge
    )
    return options_to_json(options)


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str
    public_key: bytes
    sign_count: int


def verify_passkey_registration(request, credential: str) -> NewPasskey:
    challenge = request.session.pop(REGISTRATION_CHALLENGE_KEY, None)
    if not challenge or not credential or len(credential) > MAX_CREDENTIAL_LENGTH:
        raise PasskeyRefused
    rp_id, origin = relying_party(request)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused from error
    return NewPasskey(
        credential_id=webauthn.helpers.bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def passkey_authentication_options(request, reader: Reader) -> str:
    rp_id, _origin = relying_party(request)
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(credential_id))
            for credential_id in reader.passkeys.values_list("credential_id", flat=True)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[AUTHENTICATION_CHALLENGE_KEY] = webauthn.helpers.bytes_to_base64url(
        options.challenge
    )
    return options_to_json(options)


def verify_passkey_authentication(request, reader: Reader, credential: str) -> tuple[Passkey, int]:
    """The reader's passkey that signed this challenge, and its new counter."""
    challenge = request.session.pop(AUTHENTICATION_CHALLENGE_KEY, None)
    if not challenge or not credential or len(credential) > MAX_CREDENTIAL_LENGTH:
        raise PasskeyRefused
    try:
        parsed = webauthn.helpers.parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused from error
    credential_id = webauthn.helpers.bytes_to_base64url(parsed.raw_id)
    passkey = Passkey.objects.filter(reader=reader, credential_id=credential_id).first()
    if passkey is None:
        raise PasskeyRefused
    rp_id, origin = relying_party(request)
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused from error
    return passkey, verified.new_sign_count
