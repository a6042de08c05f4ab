"""Who may reach a reader's private things from outside a session."""

import re

from django.http import Http404
from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.readers.models import Reader, ReplyFeedKey

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
