"""Reads about readers that pages show, and what Broadsheet holds about one reader
for their "Download my data".

For the download: only the reader's own rows, and of other readers' things only
what anyone may see: a comment of someone else's is named (its article and number)
only while it is public, so a held, rejected or deleted comment the reader once
replied to, voted on, reported or was told about is not named at all.
"""

import dataclasses
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from broadsheet.discussion.models import Comment, Vote
from broadsheet.moderation.models import Report
from broadsheet.notifications.models import Following, Notification, NotificationSettings
from broadsheet.readers.models import ApiToken, DataExport, Reader, ReaderSession, SignInRecord

FORMAT = "broadsheet-reader-data/1"

PUBLIC = Q(status=Comment.Status.VISIBLE, deleted_at__isnull=True)


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def _public_ref(comment: Comment | None, reader: Reader, public_ids: set[int]) -> dict | None:
    """A comment's article and number, if the reader may know it exists."""
    if comment is None or (comment.author_id != reader.pk and comment.pk not in public_ids):
        return None
    return {
        "article": comment.article.slug,
        "number": comment.number,
        "url": comment.get_absolute_url(),
    }


def collect_reader_data(reader: Reader) -> dict[str, Any]:
    """Everything held about `reader`, as JSON-ready values; a bounded number of
    queries whatever the number of rows."""
    comments = list(
        Comment.objects.filter(author=reader)
        .select_related("article", "parent__article")
        .order_by("created_at", "pk")
    )
    votes = list(Vote.objects.filter(voter=reader).select_related("comment__article"))
    reports = list(Report.objects.filter(reporter=reader).select_related("comment__article"))
    notifications = list(
        Notification.objects.filter(recipient=reader).select_related("comment__article")
    )
    others = {c.parent_id for c in comments if c.parent_id}
    others |= {v.comment_id for v in votes} | {r.comment_id for r in reports}
    others |= {n.comment_id for n in notifications}
    public_ids = set(Comment.objects.filter(PUBLIC, pk__in=others).values_list("pk", flat=True))
    settings_row = NotificationSettings.objects.filter(reader=reader).first()
    return {
        "format": FORMAT,
        "profile": {
            "handle": reader.handle,
            "display_name": reader.display_name,
            "email": reader.email,
            "email_verified_at": _when(reader.email_verified_at),
            "pending_email": reader.pending_email,
            "date_joined": _when(reader.date_joined),
            "last_seen_at": _when(reader.last_seen_at),
            "appear_offline": reader.appear_offline,
            "rating": reader.rating,
            "suspended_until": _when(reader.suspended_until),
            "banned_at": _when(reader.banned_at),
            "deletion_due_at": _when(reader.deletion_due_at),
            "url": reader.get_absolute_url(),
        },
        # A comment's text is kept as it is now: Broadsheet keeps no earlier
        # versions of an edited comment, only when it was last edited.
        "comments": [
            {
                "article": c.article.slug,
                "number": c.number,
                "url": c.get_absolute_url(),
                "in_reply_to": _public_ref(c.parent, reader, public_ids),
                "status": "deleted" if c.is_deleted else c.status,
                "text": c.body_markdown,
                "quote": c.quote_text,
                "language": c.language,
                "score": c.score,
                "posted_at": _when(c.created_at),
                "edited_at": _when(c.edited_at),
                "deleted_at": _when(c.deleted_at),
                "revisions": [{"text": c.body_markdown, "from": _when(c.edited_at or c.created_at)}]
                if not c.is_deleted
                else [],
            }
            for c in comments
        ],
        "votes": [
            {"comment": ref, "value": v.value, "at": _when(v.created_at)}
            for v in votes
            if (ref := _public_ref(v.comment, reader, public_ids)) is not None
        ],
        "reports": [
            {
                "comment": _public_ref(r.comment, reader, public_ids),
                "reason": r.reason,
                "details": r.text,
                "at": _when(r.created_at),
            }
            for r in reports
        ],
        "notifications": [
            {
                "kind": n.kind,
                "comment": _public_ref(n.comment, reader, public_ids),
                "decision": n.decision,
                "at": _when(n.created_at),
                "read_at": _when(n.read_at),
            }
            for n in notifications
        ],
        "notification_settings": None
        if settings_row is None
        else {
            "site_kinds": settings_row.site_kinds,
            "email_kinds": settings_row.email_kinds,
            "cadence": settings_row.cadence,
            "language": settings_row.language,
        },
        "follows": [
            {"article": f.article.slug, "since": _when(f.created_at)}
            for f in Following.objects.filter(reader=reader).select_related("article")
        ],
        "sessions": [
            {
                "browser": s.browser,
                "system": s.system,
                "network": s.network,
                "signed_in_at": _when(s.created_at),
                "last_active_at": _when(s.last_active_at),
            }
            for s in ReaderSession.objects.filter(reader=reader).order_by("-last_active_at")
        ],
        "sign_ins": [
            {
                "at": _when(s.created_at),
                "succeeded": s.succeeded,
                "browser": s.browser,
                "system": s.system,
                "network": s.network,
            }
            for s in SignInRecord.objects.filter(reader=reader).order_by("-created_at")
        ],
        # Names and what they may do, never the token or its hash.
        "api_tokens": [
            {
                "name": t.name,
                "scope": t.scope,
                "prefix": t.prefix,
                "created_at": _when(t.created_at),
                "last_used_at": _when(t.last_used_at),
                "expires_at": _when(t.expires_at),
                "revoked_at": _when(t.revoked_at),
            }
            for t in ApiToken.objects.filter(reader=reader).order_by("created_at")
        ],
    }


def list_sessions_for(reader: Reader) -> list[ReaderSession]:
    return list(ReaderSession.objects.filter(reader=reader).order_by("-last_active_at"))


def list_sign_ins_for(reader: Reader, *, limit: int = 50) -> list[SignInRecord]:
    return list(SignInRecord.objects.filter(reader=reader).order_by("-created_at")[:limit])


def get_current_data_export(reader: Reader) -> DataExport | None:
    """The reader's download being made or offered, if any (one at a time)."""
    return (
        DataExport.objects.filter(reader=reader, expires_at__gt=timezone.now())
        .order_by("-requested_at")
        .first()
    )


@dataclasses.dataclass(frozen=True)
class LinkedAccount:
    id: int
    provider: str
    provider_name: str
    linked_at: object


def list_linked_accounts_for(reader: Reader) -> list[LinkedAccount]:
    """The reader's accounts at other providers, oldest link first (one query).
    A provider no longer configured keeps its links, shown under its id."""
    names = {button["id"]: button["name"] for button in settings.BROADSHEET_OIDC_BUTTONS}
    return [
        LinkedAccount(
            id=account.pk,
            provider=account.provider,
            provider_name=names.get(account.provider, account.provider),
            linked_at=account.date_joined,
        )
        for account in SocialAccount.objects.filter(user=reader).order_by("date_joined", "pk")
    ]
