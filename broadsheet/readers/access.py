"""Who may reach a reader's private things from outside a session."""

import hashlib
import re
from datetime import datetime
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.core import signing
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.readers.devices import hash_session_key
from broadsheet.readers.models import ApiToken, DataExport, Reader, ReplyFeedKey

_SALT = "broadsheet.readers.reply-feed"
_TOKEN = re.compile(r"(?P<key_id>[0-9a-f]{16})-(?P<mac>[0-9a-f]{32})")


def reply_feed_token(key: ReplyFeedKey) -> str:
    """The secret part of a replies feed's address: the key's id and its HMAC
    under SECRET_KEY (so rotating SECRET_KEY retires every such address)."""
    mac = salted_hmac(_SALT, key.key_id, algorithm="sha256").hexdigest()[:32]
    return f"{key.key_id}-{mac}"


def get_reader_by_reply_feed_token_or_404(token: str) -> Reader:
    """The active reader whose replies feed this token opens. A malformed, forged,
    revoked or replaced token, and one of a deactivated reader, all get one 404."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise Http404
    key = (
        ReplyFeedKey.objects.select_related("reader")
        .filter(key_id=match["key_id"], reader__is_active=True)
        .first()
    )
    # Compared in constant time, and a missing key still pays for one comparison.
    expected = reply_feed_token(key) if key is not None else "-" * len(token)
    if not constant_time_compare(expected, token) or key is None:
        raise Http404
    return key.reader


def get_reply_feed_token(reader: Reader) -> str | None:
    """The token of the reader's replies feed, or None while it is off."""
    key = ReplyFeedKey.objects.filter(reader=reader).first()
    return reply_feed_token(key) if key is not None else None


def hash_api_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Long enough for the prefix and 32 random bytes, short enough that a stranger's
# megabyte of header is refused before it is hashed.
_API_TOKEN_MAX_LENGTH = 80


def find_api_token(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token with this secret (with its active reader), or None: unknown,
    revoked, expired and a deactivated reader's tokens are all simply not found.
    The lookup is by the secret's hash, so timing says nothing about the secret."""
    if not secret or len(secret) > _API_TOKEN_MAX_LENGTH or not secret.isascii():
        return None
    now = now or timezone.now()
    return (
        ApiToken.objects.select_related("reader")
        .filter(token_hash=hash_api_token(secret), revoked_at=None, reader__is_active=True)
        .filter(Q(expires_at=None) | Q(expires_at__gt=now))
        .first()
    )


# --- "Download my data" links ---------------------------------------------------------

_EXPORT_SALT = "broadsheet.readers.data-export"


def data_export_token(export: DataExport) -> str:
    """The signed part of a download's link: which download and whose. Signed
    under SECRET_KEY, so a link cannot be made up for another download."""
    return signing.dumps({"e": export.pk, "r": export.reader_id}, salt=_EXPORT_SALT)


def get_data_export_or_404(*, token: str, reader: Reader) -> DataExport:
    """The ready, unexpired download this link names, if it is `reader`'s (the
    signed-in reader of the session: a link copied to someone else opens nothing).
    A forged, expired, deleted or someone else's link: one 404."""
    max_age = settings.BROADSHEET_DATA_EXPORT_HOURS * 3600
    try:
        claim = signing.loads(token[:200], salt=_EXPORT_SALT, max_age=max_age)
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(claim, dict) or claim.get("r") != reader.pk:
        raise Http404
    export = DataExport.objects.filter(
        pk=claim.get("e"),
        reader=reader,
        status=DataExport.Status.READY,
        expires_at__gt=timezone.now(),
    ).first()
    if export is None:
        raise Http404
    return export


def find_session_reader(session_key: str | None) -> Reader | None:
    """The reader signed in with session `session_key`, found as Django's
    authentication middleware finds them (a live session, its auth hash still
    matching, an active account), or None. A session its reader ended from
    another device counts as signed out here too (PresenceMiddleware signs it
    out on the next page). For doors outside Django's request cycle: the raw
    live route looks the reader up once, when a stream connects."""
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(SimpleNamespace(session=store))
    if not user.is_authenticated:
        return None
    if user.ended_sessions and hash_session_key(session_key) in user.ended_sessions:
        return None
    return user
