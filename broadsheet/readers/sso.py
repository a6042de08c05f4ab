"""Reading the newsroom's single sign-on tokens: is this JWT one the newsroom signed
for us, still valid, and what does it say? Pure checks, no writes: the sign-in
itself (remembering the token as used, the account) is readers.operations.sign_in_with_sso.

A token is signed with the shared secret (HS256) or with a key of the newsroom's
published key set (RS256 or ES256, found by the token's `kid`). The algorithm is
pinned by which key we hold, never taken from the token alone: `alg: none` and any
other algorithm are refused, and an HS256 token is only ever checked with the
shared secret, so a public key from the key set can never be used as an HMAC secret
(the old "algorithm confusion" forgery).
"""

import dataclasses
import functools
import hashlib
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Which key checks which algorithm: HS256 the shared secret, the others the key set.
SHARED_SECRET_ALGORITHM = "HS256"  # noqa: S105 - an algorithm's name, not a secret
KEY_SET_ALGORITHMS = ("RS256", "ES256")

# Bounds on the claims we store (the columns they go to, or less).
MAX_SUBJECT_LENGTH = 255
MAX_CLAIM_LENGTH = 255
MAX_EMAIL_LENGTH = 254


class SsoRefusal(Exception):
    """A token that signs nobody in; `reason` is a stable code, `message` says why."""

    def __init__(self, reason: str, message: str | Promise):
        super().__init__(reason)
        self.reason = reason
        self.message = message


class MalformedSsoToken(SsoRefusal):
    """Not a token we can read at all: missing, too long, not a JWT, claims of the
    wrong type. The request is bad (400)."""


class RejectedSsoToken(SsoRefusal):
    """A readable token we will not honour: bad signature, wrong algorithm, unknown
    key, expired, meant for someone else, used already, or a closed account (403)."""


class SsoKeysUnavailable(SsoRefusal):
    """The newsroom's key set could not be fetched: nobody's fault here (503)."""


@dataclasses.dataclass(frozen=True)
class SsoClaims:
    """What a valid token says about the reader."""

    subject: str
    handle: str
    name: str
    email: str
    expires_at: datetime
    # What makes this token "used" once it signs someone in (see _token_id).
    token_id: str


def sso_enabled() -> bool:
    """Whether the site takes single sign-on tokens at all."""
    return bool(settings.BROADSHEET_SSO_SECRET or settings.BROADSHEET_SSO_JWKS_URL)


@functools.cache
def _key_set_client(url: str, lifespan: int, cooldown: int, timeout: float) -> jwt.PyJWKClient:
    # One client per configuration for the life of the process: it holds the cached
    # key set (for `lifespan` seconds) and the time of its last fetch (the cooldown).
    return jwt.PyJWKClient(
        url, cache_jwk_set=True, lifespan=lifespan, cooldown_duration=cooldown, timeout=timeout
    )


def _signing_key(algorithm: str, key_id: object) -> str | jwt.PyJWK:
    if algorithm == SHARED_SECRET_ALGORITHM and settings.BROADSHEET_SSO_SECRET:
        return settings.BROADSHEET_SSO_SECRET
    if algorithm not in KEY_SET_ALGORITHMS or not settings.BROADSHEET_SSO_JWKS_URL:
        raise RejectedSsoToken(
            "algorithm", _("The sign-in token is signed in a way this site does not accept.")
        )
    if not isinstance(key_id, str) or not key_id or len(key_id) > MAX_CLAIM_LENGTH:
        raise RejectedSsoToken("unknown_key", _("The sign-in token names no signing key."))
    client = _key_set_client(
        settings.BROADSHEET_SSO_JWKS_URL,
        settings.BROADSHEET_SSO_JWKS_CACHE_SECONDS,
        settings.BROADSHEET_SSO_JWKS_COOLDOWN_SECONDS,
        settings.BROADSHEET_SSO_JWKS_TIMEOUT_SECONDS,
    )
    try:
        return client.get_signing_key(key_id)
    except jwt.PyJWKClientConnectionError as error:
        raise SsoKeysUnavailable(
            "keys_unavailable",
            _("The newsroom's signing keys cannot be fetched right now. Please try again later."),
        ) from error
    except (jwt.PyJWKClientError, jwt.PyJWKSetError, jwt.PyJWKError) as error:
        raise RejectedSsoToken(
            "unknown_key",
            _("The sign-in token is signed with a key the newsroom does not publish."),
        ) from error


def _string_claim(payload: dict, name: str, max_length: int) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise MalformedSsoToken(
            "claims",
            _("The sign-in token's “%(claim)s” is not a short text.") % {"claim": name},
        )
    return value.strip()


def _token_id(token: str, payload: dict) -> str:
    """The newsroom's id for the token when it gives one (`jti`), otherwise the hash of
    what the token signs (header and claims). Not the hash of the whole token: an
    ECDSA signature can be rewritten into another valid one, so the same claims could
    come back as a "different" token."""
    jti = payload.get("jti")
    if jti:
        return hashlib.sha256(f"jti:{jti}".encode()).hexdigest()
    signed_part = token.rpartition(".")[0]
    return hashlib.sha256(f"token:{signed_part}".encode()).hexdigest()


def read_sso_token(token: str, *, now: datetime | None = None) -> SsoClaims:
    """The claims of a single sign-on token the newsroom signed for this site and that
    is valid now; otherwise a SsoRefusal that says why. Fetches the newsroom's key set
    when the token needs it and the cached copy is stale (call it outside a transaction).
    """
    if not token:
        raise MalformedSsoToken("missing", _("The sign-in link carries no token."))
    if len(token) > settings.BROADSHEET_SSO_MAX_TOKEN_LENGTH:
        raise MalformedSsoToken("too_long", _("The sign-in token is too long."))
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise MalformedSsoToken("malformed", _("The sign-in token is not a valid JWT.")) from error
    algorithm = header.get("alg")
    key = _signing_key(algorithm if isinstance(algorithm, str) else "", header.get("kid"))
    audience = settings.BROADSHEET_SSO_AUDIENCE or None
    try:
        payload = jwt.decode(
            token,
            key,
            # Exactly the one algorithm this key is for: a key set's RSA key never
            # checks an ES256 token, the secret never an RS256 one.
            algorithms=[algorithm],
            audience=audience,
            issuer=settings.BROADSHEET_SSO_ISSUER or None,
            leeway=timedelta(seconds=settings.BROADSHEET_SSO_LEEWAY_SECONDS),
            options={
                "require": ["exp", "sub"],
                "verify_aud": audience is not None,
                "enforce_minimum_key_length": True,
            },
        )
    except jwt.InvalidSignatureError as error:
        raise RejectedSsoToken(
            "signature", _("The sign-in token's signature does not match its contents.")
        ) from error
    except (jwt.InvalidAlgorithmError, jwt.InvalidKeyError) as error:
        raise RejectedSsoToken(
            "algorithm", _("The sign-in token is signed in a way this site does not accept.")
        ) from error
    except jwt.ExpiredSignatureError as error:
        raise RejectedSsoToken("expired", _("The sign-in token has expired.")) from error
    except jwt.ImmatureSignatureError as error:
        raise RejectedSsoToken("not_yet_valid", _("The sign-in token is not valid yet.")) from error
    except jwt.InvalidAudienceError as error:
        raise RejectedSsoToken(
            "audience", _("The sign-in token is meant for another site.")
        ) from error
    except jwt.InvalidIssuerError as error:
        raise RejectedSsoToken(
            "issuer", _("The sign-in token comes from an issuer this site does not trust.")
        ) from error
    except jwt.MissingRequiredClaimError as error:
        raise MalformedSsoToken(
            "claims",
            _("The sign-in token lacks its “%(claim)s”.") % {"claim": error.claim},
        ) from error
    except jwt.InvalidTokenError as error:
        raise MalformedSsoToken("malformed", _("The sign-in token is not a valid JWT.")) from error

    now = now or timezone.now()
    expires_at = datetime.fromtimestamp(payload["exp"], tz=UTC)
    if expires_at - now > timedelta(seconds=settings.BROADSHEET_SSO_MAX_TOKEN_LIFETIME_SECONDS):
        # A token for a one-time sign-in has no need to live long, and its id is
        # remembered (a row) until it expires.
        raise RejectedSsoToken(
            "lifetime", _("The sign-in token is valid for too long; ask for a fresh one.")
        )
    subject = _string_claim(payload, "sub", MAX_SUBJECT_LENGTH)
    if not subject:
        raise MalformedSsoToken(
            "claims", _("The sign-in token lacks its “%(claim)s”.") % {"claim": "sub"}
        )
    _string_claim(payload, "jti", MAX_CLAIM_LENGTH)
    email = _string_claim(payload, "email", MAX_EMAIL_LENGTH)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError as error:
            raise MalformedSsoToken(
                "claims", _("The sign-in token's “email” is not an email address.")
            ) from error
    return SsoClaims(
        subject=subject,
        handle=_string_claim(payload, "handle", MAX_CLAIM_LENGTH),
        name=_string_claim(payload, "name", MAX_CLAIM_LENGTH),
        email=email,
        expires_at=expires_at,
        token_id=_token_id(token, payload),
    )
