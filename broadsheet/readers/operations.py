"""Write operations on readers. The only code that creates or changes a Reader."""

import dataclasses
import enum
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from broadsheet.discussion.operations import erase_author_from_discussions
from broadsheet.live.publishing import (
    announce_reader_change,
    publish_gone_offline,
    publish_presence,
)
from broadsheet.moderation.audit import audit
from broadsheet.notifications.models import (
    Following,
    Notification,
    NotificationSettings,
    OutboxMessage,
)
from broadsheet.readers import emails, identity, sso
from broadsheet.readers.access import hash_api_token
from broadsheet.readers.devices import describe_request, hash_session_key
from broadsheet.readers.identity import clean_display_name, handle_from_name
from broadsheet.readers.models import (
    ApiToken,
    ApiTokenScope,
    DataExport,
    Passkey,
    Reader,
    ReaderSession,
    RecoveryCode,
    ReplyFeedKey,
    SignInRecord,
    TotpDevice,
    UsedSsoToken,
)
from broadsheet.readers.verification import UsedLink, address_to_verify, read_verification_token


@transaction.atomic
def sign_up_reader(
    *, handle: str, display_name: str, email: str, password: str | None, site_url: str | None
) -> Reader:
    """Create a reader account; the caller has validated the fields. A password of
    None is unusable (an account made in the admin without one).

    Once the account is committed, a link that verifies its address is mailed to
    it, with links to `site_url` (the site's own address, from the door the reader
    came through); None sends nothing (the reader can ask for it in their settings).
    """
    reader = Reader.objects.create_user(
        handle=handle.strip(),
        email=email.strip(),
        password=password,
        # Again here, not only in the form: no door may store a name that turns
        # the text after it around or hides characters in it.
        display_name=clean_display_name(display_name),
    )
    if site_url is not None and reader.email:
        _mail_on_commit(emails.send_verification_email, reader.pk, site_url)
    return reader


@transaction.atomic
def create_reader_without_password(
    *,
    handle: str,
    display_name: str,
    email: str,
    date_joined: datetime | None = None,
    email_verified: bool = False,
) -> Reader:
    """Create a reader nobody can sign in as: the demo's and generated sites' readers
    (and, later, the authors of imported comments). Their password is unusable, and
    a password reset is not offered to an unusable password.

    No verification link is mailed: nobody asked for these accounts, so their
    addresses get no mail they did not ask for. `email_verified` marks the address
    verified (the demo's readers, whose addresses the site made up).
    """
    reader = sign_up_reader(
        handle=handle, display_name=display_name, email=email, password=None, site_url=None
    )
    changed = []
    if date_joined is not None:
        reader.date_joined = date_joined
        changed.append("date_joined")
    if email_verified and reader.email:
        reader.email_verified_at = timezone.now()
        changed.append("email_verified_at")
    if changed:
        reader.save(update_fields=changed)
    return reader


@transaction.atomic
def change_reader_details(
    *, reader: Reader, handle: str, display_name: str, email: str, site_url: str = ""
) -> Reader:
    """Change a reader's handle, display name or email (the admin's form has checked
    them); writes only what changed. A new email is not used until it is verified:
    see request_email_change, which needs `site_url` for the link it mails."""
    wanted = {
        "handle": handle.strip(),
        "display_name": clean_display_name(display_name),
    }
    changed = [field for field, value in wanted.items() if getattr(reader, field) != value]
    for field in changed:
        setattr(reader, field, wanted[field])
    if changed:
        reader.save(update_fields=changed)  # with the handle's skeleton, if it changed
    # Addresses are one whatever their letter case (the unique constraint says so):
    # re-saving "Anna@..." over "anna@..." is no change, and must not cancel a
    # change the reader is waiting to verify.
    if email.strip().lower() != reader.email.lower():
        if not site_url:
            raise ValueError("a new email needs site_url for the link that verifies it")
        request_email_change(reader=reader, new_email=email, site_url=site_url)
    return reader


def _mail_on_commit(send, *args) -> None:
    # A task row in the change's transaction: no mail tells of a change that was
    # rolled back, and a mail server that is down delays the mail (the worker
    # tries again) instead of turning a committed change into an error page.
    emails.send_account_email_later(send, *args)


class EmailChange(enum.Enum):
    """What request_email_change did."""

    UNCHANGED = "unchanged"  # the address in use: any pending change was dropped
    PENDING = "pending"  # waiting for the new address's link to be opened


@transaction.atomic
def request_email_change(*, reader: Reader, new_email: str, site_url: str) -> EmailChange:
    """Ask to move the reader to a new address: it is kept as pending, and the one in
    use stays (for signing in, password resets and every mail) until the link mailed
    to the new one is opened (confirm_email_address).

    Why pending, not switch-and-mark-unverified: a typo or someone in a stolen
    session would otherwise move the account, and its password resets, at once to
    an address its owner never had. The address in use is told of the request
    (the new one named only in part). If the new address belongs to another
    account, its owner is told instead of being sent a link, and the change stays
    pending and can never be confirmed: to the reader who asked it looks the same,
    so the settings page does not tell anyone whose address has an account here.
    """
    new_email = Reader.objects.normalize_email(new_email.strip())
    if new_email.lower() == reader.email.lower():
        cancel_email_change(reader=reader)
        return EmailChange.UNCHANGED
    if new_email.lower() != reader.pending_email.lower():
        reader.pending_email = new_email
        reader.pending_email_since = timezone.now()
        reader.save(update_fields=["pending_email", "pending_email_since"])
        if reader.email:
            _mail_on_commit(emails.send_email_change_notice, reader.pk, reader.email, site_url)
    owner = Reader.objects.filter(email__iexact=new_email).exclude(pk=reader.pk).first()
    if owner is not None:
        _mail_on_commit(emails.send_address_in_use_notice, owner.pk, site_url)
    else:
        _mail_on_commit(emails.send_verification_email, reader.pk, site_url)
    return EmailChange.PENDING


def cancel_email_change(*, reader: Reader) -> None:
    """Drop a pending new address; links sent to it stop working."""
    if reader.pending_email or reader.pending_email_since:
        reader.pending_email, reader.pending_email_since = "", None
        reader.save(update_fields=["pending_email", "pending_email_since"])


def send_verification_again(*, reader: Reader, site_url: str) -> bool:
    """Mail the link for the address the reader has to verify again; False if there
    is none. The caller bounds how often (BROADSHEET_ACCOUNT_EMAILS_PER_HOUR)."""
    if not address_to_verify(reader):
        return False
    if reader.pending_email and (
        Reader.objects.filter(email__iexact=reader.pending_email).exclude(pk=reader.pk).exists()
    ):
        return True  # as request_email_change: nothing to send, and nothing said
    _mail_on_commit(emails.send_verification_email, reader.pk, site_url)
    return True


class AddressTaken(ValueError):
    """The address a link verifies became another account's in the meantime."""


@transaction.atomic
def confirm_email_address(*, token: str) -> Reader:
    """Verify the address a link was mailed to: the pending new one becomes the
    address in use, or the address in use is marked verified.

    Raises verification.InvalidLink (ExpiredLink, UsedLink) for a link that does
    not verify anything now, and AddressTaken if another account has the address.
    The write is a compare-and-set on the state the link was made for, so two
    clicks at once verify once, and a change in between wins over the older link.
    """
    claim = read_verification_token(token)
    reader, address, now = claim.reader, claim.address, timezone.now()
    if reader.pending_email:
        if Reader.objects.filter(email__iexact=address).exclude(pk=reader.pk).exists():
            raise AddressTaken(address)
        try:
            with transaction.atomic():
                switched = Reader.objects.filter(
                    pk=reader.pk,
                    email=reader.email,
                    pending_email=address,
                    pending_email_since=reader.pending_email_since,
                ).update(
                    email=address, email_verified_at=now, pending_email="", pending_email_since=None
                )
        except IntegrityError as error:  # another account took it a moment ago
            raise AddressTaken(address) from error
    else:
        switched = Reader.objects.filter(
            pk=reader.pk, email=address, email_verified_at__isnull=True
        ).update(email_verified_at=now)
    if not switched:
        raise UsedLink("verified by another request a moment ago")
    reader.refresh_from_db()
    for hook in _address_verified_hooks:
        hook(reader=reader)
    return reader


# What other apps do once a reader's address is verified (the importers hand over
# the comments imported under that address). A list filled by those apps'
# AppConfig.ready, so that readers, below them, imports none of them.
_address_verified_hooks: list[Callable[..., None]] = []


def on_address_verified(hook: Callable[..., None]) -> None:
    """Call `hook(reader=...)` each time a reader's address is verified."""
    if hook not in _address_verified_hooks:
        _address_verified_hooks.append(hook)


def _free_handle(base: str) -> str:
    """`base`, or the first `base-N` that neither is a handle nor looks like one.

    The skeleton alone answers both (it folds case and look-alikes) and is a unique
    index: one indexed read when `base` is free, and when it is taken one range read
    of the numbers already in use, not one probe per number (an import of a site
    where a thousand readers were called "Anna" would otherwise probe a million
    times).
    """
    reserved = identity.reserved_skeletons()

    def free(candidate: str) -> bool:
        skeleton = identity.handle_skeleton(candidate)
        return (
            skeleton not in reserved
            and not Reader.objects.filter(handle_skeleton=skeleton).exists()
        )

    if free(base):
        return base
    prefix = identity.handle_skeleton(f"{base}-")
    in_use = Reader.objects.filter(
        handle_skeleton__gte=prefix, handle_skeleton__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1)
    ).values_list("handle", flat=True)
    numbers = [int(tail) for h in in_use if (tail := h.rpartition("-")[2]).isdigit()]
    start = max(numbers, default=1) + 1
    for n in range(start, start + 100):
        suffix = f"-{n}"
        candidate = f"{base[: 30 - len(suffix)]}{suffix}"
        if free(candidate):
            return candidate
    return f"{base[:17]}-{secrets.token_hex(6)}"


@transaction.atomic
def create_imported_author(
    *, source: str, name: str, handle_hint: str, email: str, is_guest: bool, joined: datetime
) -> Reader:
    """An account for the author of imported comments: no password, no address.

    Its handle is made from `handle_hint` (their name in the other system),
    unique among handles and look-alikes; its display name is the name the
    export gave, cleaned as any display name is. The address is kept only as
    its hash, so a reader who later verifies it can claim the comments
    (integrations.importing.operations.claim_imported_comments); a guest (no
    account in the other system either) can never be claimed.
    """
    display_name = clean_display_name(name)[:64] or handle_hint[:64] or "?"
    handle = _free_handle(identity.handle_from_name(handle_hint or display_name))
    reader = Reader(
        handle=handle,
        display_name=display_name,
        email="",
        date_joined=joined,
        imported_from=source,
        is_guest=is_guest,
        claim_email_hash="" if is_guest else identity.imported_email_hash(email),
    )
    reader.set_unusable_password()
    reader.save(force_insert=True)
    return reader


@transaction.atomic
def retire_claimed_author(*, imported: Reader, claimed_by: Reader) -> None:
    """An imported author whose comments a reader has claimed: the claimant takes
    over its rating, and the empty account stays (its id may be named in the
    audit log and import records) but can never be claimed again."""
    Reader.objects.filter(pk=claimed_by.pk).update(rating=F("rating") + imported.rating)
    Reader.objects.filter(pk=imported.pk).update(claim_email_hash="", rating=0, is_active=False)


def send_sign_up_attempt_notice(*, reader: Reader, site_url: str) -> None:
    """Tell a reader that someone tried to sign up with their address: the sign-up
    page says nothing about it (see readers.views), so the owner hears it here."""
    _mail_on_commit(emails.send_sign_up_attempt_notice, reader.pk, site_url)


def _record_presence(reader: Reader, field: str, now: datetime | None) -> bool:
    """Write reader.<field> = now unless it is fresher than the write interval.

    Presence needs minute precision, not request precision: skipping the write
    while the stored time is fresh keeps a busy reader from costing a write per
    request (and, on SQLite, from queueing behind comment posts). The UPDATE only
    moves the time forward, so a slow request carrying an older time loses.
    """
    now = now or timezone.now()
    interval = timedelta(seconds=settings.BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS)
    last = getattr(reader, field)
    if last is not None and now - last < interval:
        return False
    older = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})
    Reader.objects.filter(pk=reader.pk).filter(older).update(**{field: now})
    setattr(reader, field, now)
    # A live connection holds the reader it was opened with for hours; they may
    # have chosen to appear offline since. Ask the row, not the stale copy.
    reader.refresh_from_db(fields=["appear_offline"])
    publish_presence(reader)
    return True


def record_reader_activity(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that the reader is active now; returns whether a row was written."""
    return _record_presence(reader, "last_seen_at", now)


def record_reader_connected(*, reader: Reader, now: datetime | None = None) -> bool:
    """Note that a live connection of the reader's is open; throttled like activity."""
    return _record_presence(reader, "last_connected_at", now)


def set_appear_offline(*, reader: Reader, appear_offline: bool) -> None:
    """Let a reader hide their presence: the server then never reports them Online,
    and open pages hear of them once more, to turn them Offline."""
    changed = reader.appear_offline != appear_offline
    reader.appear_offline = appear_offline
    reader.save(update_fields=["appear_offline"])
    if not changed:
        return
    if appear_offline:
        publish_gone_offline(reader)
    else:
        publish_presence(reader)


def create_reply_feed_key(*, reader: Reader) -> ReplyFeedKey:
    """Give the reader a new address for their private replies feed; the old one,
    if any, stops working at once."""
    with transaction.atomic():
        ReplyFeedKey.objects.filter(reader=reader).delete()
        return ReplyFeedKey.objects.create(reader=reader, key_id=secrets.token_hex(8))


def revoke_reply_feed_key(*, reader: Reader) -> None:
    """Turn the reader's private replies feed off: its address answers 404."""
    ReplyFeedKey.objects.filter(reader=reader).delete()


TOKEN_PREFIX = "bs_"  # noqa: S105 - a marker that says what the secret is, not a secret


@dataclasses.dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_api_token(
    *,
    reader: Reader,
    name: str,
    scope: str = ApiTokenScope.READ,
    lifetime: timedelta | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Make a personal API token for the reader; its secret is returned only here."""
    if scope not in ApiTokenScope.values:
        raise ValueError(f"unknown scope {scope!r}; one of {', '.join(ApiTokenScope.values)}")
    now = now or timezone.now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        reader=reader,
        name=clean_display_name(name)[:80] or "token",
        scope=scope,
        token_hash=hash_api_token(secret),
        prefix=secret[:10],
        created_at=now,
        expires_at=now + lifetime if lifetime else None,
    )
    return IssuedToken(token=token, secret=secret)


def revoke_api_token(*, token: ApiToken, now: datetime | None = None) -> None:
    """The token stops working at once; the row stays so the reader sees it went."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])


# A token's last use is written at most this often: reading the API must not
# turn every request into a write.
_LAST_USED_PRECISION = timedelta(minutes=1)


def record_api_token_use(*, token: ApiToken, now: datetime | None = None) -> None:
    """Remember when the token was last used (to the minute)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- sessions and sign-in history (docs/your-data.md) --------------------------------

# The session remembers when its row was last written, so an ordinary request
# needs no query to know it need not write.
SESSION_TOUCHED = "_broadsheet_session_touched"


def _touch_row(request, reader: Reader, now: datetime) -> None:
    key_hash = hash_session_key(request.session.session_key)
    updated = ReaderSession.objects.filter(key_hash=key_hash, reader=reader).update(
        last_active_at=now
    )
    if not updated:
        ReaderSession.objects.update_or_create(
            key_hash=key_hash,
            defaults={"reader": reader, "created_at": now, "last_active_at": now}
            | describe_request(request),
        )
    request.session[SESSION_TOUCHED] = now.timestamp()


def record_sign_in(*, request, reader: Reader, now: datetime | None = None) -> bool:
    """Record a reader's sign-in (any door: the form, sign-up, single sign-on): the
    session's row, a line of sign-in history, and, if the account was to be
    deleted, its deletion cancelled. Returns whether a deletion was cancelled.

    Two INSERTs on an ordinary sign-in, and no transaction of its own: each row is
    true alone (a session that exists, a sign-in that happened), and a sign-in is
    a hot path whose queries are pinned. Signing in always gives the session a
    new key (django.contrib.auth.login), so its row cannot exist yet."""
    now = now or timezone.now()
    if request.session.session_key is None:
        request.session.save()
    described = describe_request(request)
    ReaderSession.objects.bulk_create(
        [
            ReaderSession(
                key_hash=hash_session_key(request.session.session_key),
                reader=reader,
                created_at=now,
                last_active_at=now,
                **described,
            )
        ],
        ignore_conflicts=True,
    )
    request.session[SESSION_TOUCHED] = now.timestamp()
    SignInRecord.objects.create(
        reader=reader,
        created_at=now,
        succeeded=True,
        browser=described["browser"],
        system=described["system"],
        network=described["network"],
    )
    if reader.deletion_due_at is None:
        return False
    return cancel_account_deletion(reader=reader)


def record_failed_sign_in(*, request, reader: Reader) -> None:
    """A wrong password for this account: a line of its sign-in history."""
    described = describe_request(request)
    SignInRecord.objects.create(
        reader=reader,
        succeeded=False,
        browser=described["browser"],
        system=described["system"],
        network=described["network"],
    )


def forget_session(*, request) -> None:
    """The reader signed out of this session: its row goes."""
    if request.session.session_key:
        ReaderSession.objects.filter(
            key_hash=hash_session_key(request.session.session_key)
        ).delete()


def check_session_still_open(*, request, reader: Reader, now: datetime | None = None) -> bool:
    """On every signed-in request: False if the reader ended this session from
    another device (the caller signs it out); else note the session is active,
    writing at most once per BROADSHEET_SESSION_TOUCH_SECONDS. Costs no query
    on an ordinary request: the ended sessions are on the reader's row, loaded
    already, and the last write's time is in the session."""
    session_key = request.session.session_key
    if not session_key:
        return True
    if reader.ended_sessions and hash_session_key(session_key) in reader.ended_sessions:
        _drop_ended_session(reader, hash_session_key(session_key))
        return False
    now = now or timezone.now()
    touched = request.session.get(SESSION_TOUCHED)
    if (
        touched is not None
        and now.timestamp() - touched < settings.BROADSHEET_SESSION_TOUCH_SECONDS
    ):
        return True
    _touch_row(request, reader, now)
    return True


def _drop_ended_session(reader: Reader, key_hash: str) -> None:
    now = timezone.now().timestamp()
    with transaction.atomic():
        locked = Reader.objects.select_for_update().get(pk=reader.pk)
        kept = {
            h: until for h, until in locked.ended_sessions.items() if h != key_hash and until > now
        }
        Reader.objects.filter(pk=reader.pk).update(ended_sessions=kept)
    reader.ended_sessions = kept


@transaction.atomic
def end_sessions(
    *, reader: Reader, key_hashes: list[str] | None = None, keep: str | None = None
) -> int:
    """End some of a reader's sessions (`key_hashes`), or all but `keep` (the hash of
    the session asking). Each ended session is signed out on its next request;
    returns how many ended."""
    sessions = ReaderSession.objects.filter(reader=reader)
    if key_hashes is not None:
        sessions = sessions.filter(key_hash__in=key_hashes)
    if keep is not None:
        sessions = sessions.exclude(key_hash=keep)
    ending = list(sessions.values_list("key_hash", flat=True))
    if not ending:
        return 0
    locked = Reader.objects.select_for_update().get(pk=reader.pk)
    now = timezone.now().timestamp()
    until = now + settings.SESSION_COOKIE_AGE
    ended = {h: t for h, t in locked.ended_sessions.items() if t > now}
    ended.update(dict.fromkeys(ending, until))
    Reader.objects.filter(pk=reader.pk).update(ended_sessions=ended)
    reader.ended_sessions = ended
    ReaderSession.objects.filter(key_hash__in=ending).delete()
    # An ended session's cached personal layers must stop being served now.
    announce_reader_change(reader_id=reader.pk)
    return len(ending)


@transaction.atomic
def end_other_sessions_after_password_change(*, request, reader: Reader) -> int:
    """After a password change (or reset): every other session ends. Django would
    sign them out anyway (their session's hash of the old password no longer
    matches); ending them here says so in the reader's list at once, and does not
    rest on that detail. `request` is the session that changed it (None: a reset
    link, which signs no session in: all end)."""
    keep = None
    if request is not None and request.session.session_key:
        keep = hash_session_key(request.session.session_key)
        request.session.pop(SESSION_TOUCHED, None)
    return end_sessions(reader=reader, keep=keep)


def prune_sign_in_history(*, now: datetime | None = None) -> int:
    """Forget sign-ins older than BROADSHEET_SIGN_IN_HISTORY_DAYS, and session rows
    idle longer than a session lives; how many rows went."""
    now = now or timezone.now()
    history = now - timedelta(days=settings.BROADSHEET_SIGN_IN_HISTORY_DAYS)
    idle = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    old_sign_ins = SignInRecord.objects.filter(created_at__lt=history)
    idle_sessions = ReaderSession.objects.filter(last_active_at__lt=idle)
    # Read first: a DELETE takes SQLite's write lock even when it matches nothing.
    pruned = old_sign_ins.delete()[0] if old_sign_ins.exists() else 0
    stale = idle_sessions.delete()[0] if idle_sessions.exists() else 0
    return pruned + stale


# --- "Delete my account" (docs/your-data.md, ADR 0019) --------------------------------

ERASED_DISPLAY_NAME = "deleted reader"


@transaction.atomic
def request_account_deletion(*, reader: Reader, now: datetime | None = None) -> datetime:
    """The reader asked for their account to go (the caller checked their password
    or a recent sign-in). Every session of theirs ends, this one too; the account
    is erased after BROADSHEET_ACCOUNT_DELETION_DAYS unless they sign in before.
    Returns when it will be erased."""
    now = now or timezone.now()
    due = now + timedelta(days=settings.BROADSHEET_ACCOUNT_DELETION_DAYS)
    Reader.objects.filter(pk=reader.pk).update(deletion_requested_at=now, deletion_due_at=due)
    reader.deletion_requested_at, reader.deletion_due_at = now, due
    end_sessions(reader=reader)
    audit(actor=reader, action="reader.deletion_requested", target=f"reader {reader.pk}")
    return due


@transaction.atomic
def cancel_account_deletion(*, reader: Reader) -> bool:
    """The reader signed in during the grace period: the deletion is off. Returns
    whether there was one to cancel."""
    cancelled = Reader.objects.filter(
        pk=reader.pk, deletion_due_at__isnull=False, erased_at__isnull=True
    ).update(deletion_requested_at=None, deletion_due_at=None)
    if cancelled:
        reader.deletion_requested_at = reader.deletion_due_at = None
        audit(actor=reader, action="reader.deletion_cancelled", target=f"reader {reader.pk}")
    return bool(cancelled)


@transaction.atomic
def erase_reader_account(*, reader: Reader, now: datetime | None = None) -> Reader:
    """Erase an account whose grace period is over: the row stays (its comments keep
    their numbers and places) but names nobody, signs nobody in and holds no
    address; its votes, sessions, tokens, feeds, notifications, follows and
    downloads go; its comments become placeholders or keep their words under
    "deleted reader" (BROADSHEET_DELETED_READER_COMMENTS); its reports stay,
    filed by nobody anyone can name. The handle is free again (ADR 0019).
    Every step is in the audit log."""
    now = now or timezone.now()
    locked = Reader.objects.select_for_update().get(pk=reader.pk)
    if locked.erased_at is not None:
        return locked
    target = f"reader {locked.pk}"
    # The name first: every event and placeholder written below shows the new one.
    # "~" is no handle a reader can choose, so the placeholder's name can never
    # be taken, and the profile page of an inactive account is not found.
    locked.handle = f"~deleted-{locked.pk}"
    locked.display_name = ERASED_DISPLAY_NAME
    locked.email = locked.pending_email = locked.claim_email_hash = ""
    locked.pending_email_since = locked.email_verified_at = None
    locked.set_unusable_password()
    locked.is_active = locked.is_staff = locked.is_superuser = False
    locked.appear_offline = True
    locked.last_seen_at = locked.last_connected_at = None
    locked.ended_sessions = {}
    locked.deletion_due_at = None
    locked.erased_at = now
    locked.save()
    locked.groups.clear()
    locked.user_permissions.clear()
    audit(actor=None, action="reader.erased", target=target, reason="name, address, password")
    keep_text = settings.BROADSHEET_DELETED_READER_COMMENTS == "keep"
    erased = erase_author_from_discussions(author=locked, keep_text=keep_text)
    audit(
        actor=None,
        action="reader.erased.comments",
        target=target,
        reason=f"{erased.comments} comments kept by number, {erased.erased} erased, "
        f"{erased.votes} votes withdrawn, {len(erased.articles)} pages changed",
    )
    sessions, _ = ReaderSession.objects.filter(reader=locked).delete()
    history, _ = SignInRecord.objects.filter(reader=locked).delete()
    tokens, _ = ApiToken.objects.filter(reader=locked).delete()
    ReplyFeedKey.objects.filter(reader=locked).delete()
    audit(
        actor=None,
        action="reader.erased.access",
        target=target,
        reason=f"{sessions} sessions, {history} sign-ins, {tokens} API tokens, replies feed",
    )
    notifications, _ = Notification.objects.filter(recipient=locked).delete()
    NotificationSettings.objects.filter(reader=locked).delete()
    follows, _ = Following.objects.filter(reader=locked).delete()
    OutboxMessage.objects.filter(reader=locked).delete()
    audit(
        actor=None,
        action="reader.erased.notifications",
        target=target,
        reason=f"{notifications} notifications, {follows} follows, settings, outbox",
    )
    for export in DataExport.objects.filter(reader=locked):
        delete_data_export(export=export)
    publish_gone_offline(locked)
    return locked


def erase_due_accounts(*, now: datetime | None = None) -> int:
    """The worker's standing duty: erase every account whose grace period is over;
    how many."""
    now = now or timezone.now()
    due = Reader.objects.filter(deletion_due_at__lte=now, erased_at__isnull=True)
    erased = 0
    for reader in due.order_by("deletion_due_at")[:100]:
        erase_reader_account(reader=reader, now=now)
        erased += 1
    return erased


# --- "Download my data" --------------------------------------------------------------


class ExportRefused(Exception):
    """The reader has a download being made or offered, or asked too often today."""


@transaction.atomic
def request_data_export(*, reader: Reader, now: datetime | None = None) -> DataExport:
    """Ask for a new download of the reader's data, made by the worker. One at a
    time (a new one once the last has expired), and at most
    BROADSHEET_DATA_EXPORTS_PER_DAY a day: each costs reading all of the reader's
    rows and a file on disk."""
    now = now or timezone.now()
    Reader.objects.select_for_update().filter(pk=reader.pk).first()
    exports = DataExport.objects.filter(reader=reader)
    if exports.filter(expires_at__gt=now).exists():
        raise ExportRefused("one at a time")
    today = exports.filter(requested_at__gt=now - timedelta(days=1)).count()
    if today >= settings.BROADSHEET_DATA_EXPORTS_PER_DAY:
        raise ExportRefused("too many today")
    return DataExport.objects.create(
        reader=reader,
        requested_at=now,
        expires_at=now + timedelta(hours=settings.BROADSHEET_DATA_EXPORT_HOURS),
    )


def exports_folder():
    folder = settings.DATA_DIR / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@transaction.atomic
def store_data_export(*, export: DataExport, content: bytes, now: datetime | None = None) -> bool:
    """Keep a finished download's file and offer it; False if the request is gone
    (expired or the account erased meanwhile: the file is not kept)."""
    locked = DataExport.objects.select_for_update().filter(pk=export.pk).first()
    if locked is None or locked.status == DataExport.Status.READY:
        return False
    file_name = f"{secrets.token_hex(16)}.json"
    path = exports_folder() / file_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    locked.file_name = file_name
    locked.status = DataExport.Status.READY
    locked.ready_at = now or timezone.now()
    locked.save(update_fields=["file_name", "status", "ready_at"])
    export.file_name, export.status, export.ready_at = file_name, locked.status, locked.ready_at
    return True


def delete_data_export(*, export: DataExport) -> None:
    """The download and its file go (expired, or the account erased)."""
    if export.file_name:
        (exports_folder() / export.file_name).unlink(missing_ok=True)
    DataExport.objects.filter(pk=export.pk).delete()


def delete_expired_data_exports(*, now: datetime | None = None) -> int:
    """The worker's standing duty: delete the downloads whose link has expired."""
    now = now or timezone.now()
    expired = list(DataExport.objects.filter(expires_at__lte=now)[:500])
    for export in expired:
        delete_data_export(export=export)
    return len(expired)


def sign_in_with_sso(
    *, token: str, site_url: str | None = None, now: datetime | None = None
) -> Reader:
    """The reader a single sign-on token from the newsroom vouches for, made on their
    first sign-in and updated on later ones; the token is used up. Raises
    readers.sso.SsoRefusal (and writes nothing) for a token that signs nobody in.

    `site_url`: where the links of a verification mail lead, when the new account's
    address is not taken as verified (None: no mail; the reader can ask for one).
    """
    claims = sso.read_sso_token(token, now=now)  # may fetch keys: outside the transaction
    return _sign_in_with_sso_claims(claims=claims, site_url=site_url, now=now or timezone.now())


def issue_api_token_for_sso(
    *, token: str, lifetime: timedelta, now: datetime | None = None
) -> IssuedToken:
    """Sign the reader of a single sign-on token in as sign_in_with_sso does, and hand
    back a short-lived write-scope API token for them instead of a session: the
    embedded discussion's sign-in where a third-party frame gets no cookies."""
    claims = sso.read_sso_token(token, now=now)
    now = now or timezone.now()
    with transaction.atomic():
        reader = _sign_in_with_sso_claims(claims=claims, site_url=None, now=now)
        return create_api_token(
            reader=reader, name="Single sign-on", scope="write", lifetime=lifetime, now=now
        )


@transaction.atomic
def _sign_in_with_sso_claims(*, claims: sso.SsoClaims, site_url: str | None, now: datetime):
    # Used tokens are remembered until they expire, then swept here, by the sign-ins
    # that add them: the table holds about one token lifetime's worth of sign-ins.
    UsedSsoToken.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            UsedSsoToken.objects.create(token_id=claims.token_id, expires_at=claims.expires_at)
    except IntegrityError as error:
        raise sso.RejectedSsoToken(
            "replayed", _("The sign-in token has been used already. Please sign in again.")
        ) from error
    reader = Reader.objects.select_for_update().filter(sso_subject=claims.subject).first()
    created = reader is None
    if reader is None:
        reader, created = _find_or_create_sso_reader(claims=claims, site_url=site_url, now=now)
    if not reader.is_active or reader.is_banned:
        # Raised inside the transaction: the token stays unused and nothing is written.
        raise sso.RejectedSsoToken(
            "closed", _("This account is closed. Please contact the site's moderators.")
        )
    display_name = clean_display_name(claims.name)[:64]
    if not created and display_name and display_name != reader.display_name:
        reader.display_name = display_name
        reader.save(update_fields=["display_name"])
    audit(
        actor=reader,
        action="reader.sso_signed_in",
        target=f"reader {reader.handle}",
        reason=f"newsroom subject {claims.subject}",
    )
    return reader


def _find_or_create_sso_reader(
    *, claims: sso.SsoClaims, site_url: str | None, now: datetime
) -> tuple[Reader, bool]:
    """The newsroom reader's first sign-in: link the local account with their address
    (only when BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS says so) or make a new one."""
    email = claims.email
    owner = Reader.objects.filter(email__iexact=email).first() if email else None
    if owner is not None:
        if (
            settings.BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS
            and settings.BROADSHEET_SSO_EMAIL_VERIFIED
            and owner.email_is_verified
            and not owner.sso_subject
            # Staff accounts (moderators, editors, admins) are never handed over by an
            # address: a newsroom account is not a second factor for them.
            and not owner.is_staff
        ):
            owner.sso_subject = claims.subject
            owner.save(update_fields=["sso_subject"])
            audit(
                actor=owner,
                action="reader.sso_linked",
                target=f"reader {owner.handle}",
                reason=f"newsroom subject {claims.subject}, by its address",
            )
            return owner, False
        # The address is a local reader's, and an address alone must not hand their
        # account to whoever holds it at the newsroom (docs/adr/0016): the newsroom
        # reader gets an account of their own, without it.
        email = ""
    display_name = clean_display_name(claims.name)[:64]
    base = identity.handle_from_name(claims.handle or display_name)
    try:
        with transaction.atomic():
            reader = Reader(
                handle=_free_handle(base),
                display_name=display_name or base,
                email=email,
                email_verified_at=now if email and settings.BROADSHEET_SSO_EMAIL_VERIFIED else None,
                sso_subject=claims.subject,
                date_joined=now,
            )
            reader.set_unusable_password()
            reader.save(force_insert=True)
    except IntegrityError:
        # Another first sign-in of the same newsroom reader won the race (the subject
        # is unique): theirs is the account. Anything else (a handle or an address
        # taken a moment ago) is a real conflict the reader can retry.
        reader = Reader.objects.select_for_update().filter(sso_subject=claims.subject).first()
        if reader is None:
            raise
        return reader, False
    audit(
        actor=reader,
        action="reader.sso_created",
        target=f"reader {reader.handle}",
        reason=f"newsroom subject {claims.subject}",
    )
    if site_url is not None and reader.email and not reader.email_verified_at:
        _mail_on_commit(emails.send_verification_email, reader.pk, site_url)
    return reader, True


# --- Second factors (docs/mfa.md) ------------------------------------------------


def _drop_recovery_codes_without_factor(reader: Reader) -> None:
    # Recovery codes stand in for a factor; with none left they would be a
    # password-only way around nothing, so they go with the last factor.
    if not (reader.passkeys.exists() or TotpDevice.objects.filter(reader=reader).exists()):
        RecoveryCode.objects.filter(reader=reader).delete()


@transaction.atomic
def add_passkey(
    *, reader: Reader, name: str, credential_id: str, public_key: bytes, sign_count: int
) -> Passkey:
    """Register a passkey the reader's browser made and the server verified."""
    return Passkey.objects.create(
        reader=reader,
        name=name.strip()[:64],
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
    )


@transaction.atomic
def rename_passkey(*, passkey: Passkey, name: str) -> None:
    """Give one of the reader's passkeys another name."""
    passkey.name = name.strip()[:64]
    passkey.save(update_fields=["name"])


@transaction.atomic
def remove_passkey(*, passkey: Passkey) -> None:
    """Remove a passkey; with the last factor gone, the recovery codes go too."""
    reader = passkey.reader
    passkey.delete()
    _drop_recovery_codes_without_factor(reader)


@transaction.atomic
def record_passkey_use(*, passkey: Passkey, sign_count: int, now: datetime | None = None) -> None:
    """Note a successful sign-in with a passkey and its authenticator's new counter."""
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=sign_count, last_used_at=now or timezone.now()
    )


@transaction.atomic
def enable_totp(*, reader: Reader, secret: str, confirmed_step: int) -> TotpDevice:
    """Keep the reader's authenticator app once a code from it was confirmed; the
    confirming code's step counts as used. Replaces an earlier app."""
    TotpDevice.objects.filter(reader=reader).delete()
    return TotpDevice.objects.create(
        reader=reader, secret=secret, last_used_step=confirmed_step, last_used_at=timezone.now()
    )


@transaction.atomic
def remove_totp(*, reader: Reader) -> None:
    """Turn off the reader's authenticator app."""
    TotpDevice.objects.filter(reader=reader).delete()
    _drop_recovery_codes_without_factor(reader)


@transaction.atomic
def use_totp_step(*, reader: Reader, step: int, now: datetime | None = None) -> bool:
    """Take the code of time step `step` for the reader: False when that step (or a
    later one) was used already. One conditional UPDATE, so two requests racing
    with the same code cannot both win."""
    taken = TotpDevice.objects.filter(reader=reader, last_used_step__lt=step).update(
        last_used_step=step, last_used_at=now or timezone.now()
    )
    return taken == 1


@transaction.atomic
def replace_recovery_codes(*, reader: Reader, code_hashes: list[str]) -> None:
    """Store a new set of recovery codes (their hashes); every earlier code stops working."""
    RecoveryCode.objects.filter(reader=reader).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(reader=reader, code_hash=code_hash) for code_hash in code_hashes]
    )


@transaction.atomic
def use_recovery_code(*, reader: Reader, code_hash: str, now: datetime | None = None) -> bool:
    """Spend one recovery code: True once, False for an unknown or used code."""
    spent = RecoveryCode.objects.filter(reader=reader, code_hash=code_hash, used_at=None).update(
        used_at=now or timezone.now()
    )
    return spent == 1


@transaction.atomic
def remove_second_factors(*, reader: Reader) -> int:
    """Take every passkey, the authenticator app and the recovery codes away from a
    reader who lost them all (an admin's decision, after checking who asks);
    returns how many factors went."""
    passkeys, _detail = Passkey.objects.filter(reader=reader).delete()
    apps, _detail = TotpDevice.objects.filter(reader=reader).delete()
    RecoveryCode.objects.filter(reader=reader).delete()
    return passkeys + apps


# --- Sign-in with other accounts (docs/social-sign-in.md, ADR 0017) ----------------


@dataclasses.dataclass(frozen=True)
class SocialIdentity:
    """Who a provider says signed in, after django-allauth has checked its answer
    (state, PKCE, the ID token's signature, issuer, audience and nonce)."""

    provider: str  # our id for the provider ("google", or a generic one's name)
    provider_name: str  # as the buttons name it ("Google")
    uid: str  # the provider's stable id for the account (`sub`)
    handle_hint: str  # preferred_username, login, …
    name: str
    email: str
    email_verified: bool  # the provider says the address is the account holder's
    extra_data: dict


class SocialSignInRefused(Exception):
    """A sign-in with another account that must not sign anyone in; nothing written."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class LastWayIn(Exception):
    """Disconnecting this account would leave the reader no way to sign in."""


@dataclasses.dataclass(frozen=True)
class SocialSignIn:
    reader: Reader
    created: bool  # a new reader was made
    linked: bool  # the provider's account was linked to a reader just now


def _refuse_unless_may_sign_in(reader: Reader) -> None:
    if not reader.is_active or reader.is_banned:
        raise SocialSignInRefused(
            "closed", _("This account is closed. Please contact the site's moderators.")
        )
    if reader.is_staff or reader.is_superuser:
        # Staff sign in on our own page, where their second factor is asked for: an
        # account at a provider (or an address) is never a way round it.
        raise SocialSignInRefused(
            "staff",
            _(
                "Staff accounts sign in with their password on the sign-in page, not"
                " with another account."
            ),
        )


@transaction.atomic
def sign_in_with_social_identity(
    *, identity: SocialIdentity, connect_to: Reader | None = None, now: datetime | None = None
) -> SocialSignIn:
    """The reader a provider's account signs in as: the one it is linked to; else the
    reader whose address both the provider and this site have verified (linked now);
    else a new reader. `connect_to`: link the account to this signed-in reader instead.

    Never hands an account over by an unverified address: an address used here by a
    reader who has not verified it refuses (SocialSignInRefused), as do a closed
    account and a staff account (staff sign in on our page, with their second
    factor). Everything is audited; a refusal writes nothing.
    """
    now = now or timezone.now()
    uid = identity.uid[:191]
    account = (
        SocialAccount.objects.select_for_update()
        .select_related("user")
        .filter(provider=identity.provider, uid=uid)
        .first()
    )
    if account is not None:
        if connect_to is not None and account.user_id != connect_to.pk:
            raise SocialSignInRefused(
                "linked_elsewhere",
                _("This %(provider)s account is already linked to another reader.")
                % {"provider": identity.provider_name},
            )
        reader = account.user
        _refuse_unless_may_sign_in(reader)
        account.extra_data = identity.extra_data
        account.last_login = now
        account.save(update_fields=["extra_data", "last_login"])
        audit(
            actor=reader,
            action="reader.social_signed_in",
            target=f"reader {reader.handle}",
            reason=f"{identity.provider} account {uid}",
        )
        return SocialSignIn(reader=reader, created=False, linked=False)

    if connect_to is not None:
        _refuse_unless_may_sign_in(connect_to)
        return SocialSignIn(
            reader=_link(connect_to, identity, uid, now, how="from the settings page"),
            created=False,
            linked=True,
        )

    email = identity.email.strip()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        email = ""  # none, or not an address: a new reader without one
    owner = (
        Reader.objects.select_for_update().filter(email__iexact=email).first() if email else None
    )
    if owner is not None:
        if not owner.email_is_verified:
            # Whoever holds the address at the provider may not be whoever made the
            # account here; until its owner proves the address, neither gets the other.
            raise SocialSignInRefused(
                "address_unverified_here",
                _(
                    "An account here already uses the address %(address)s but has not"
                    " verified it, so it cannot be linked to your %(provider)s account."
                    " If it is yours, sign in with your password and verify the address"
                    " in your account settings, then try again."
                )
                % {"address": email, "provider": identity.provider_name},
            )
        if identity.email_verified:
            _refuse_unless_may_sign_in(owner)
            return SocialSignIn(
                reader=_link(owner, identity, uid, now, how="by an address verified by both"),
                created=False,
                linked=True,
            )
        # The provider does not vouch for the address: a new reader, without it.
        email = ""
    display_name = clean_display_name(identity.name)[:64]
    base = handle_from_name(identity.handle_hint or display_name or email.split("@")[0])
    reader = Reader(
        handle=_free_handle(base),
        display_name=display_name or base,
        email=email,
        email_verified_at=now if email and identity.email_verified else None,
        date_joined=now,
    )
    reader.set_unusable_password()
    reader.save(force_insert=True)
    audit(
        actor=reader,
        action="reader.social_created",
        target=f"reader {reader.handle}",
        reason=f"{identity.provider} account {uid}",
    )
    _link(reader, identity, uid, now, how="at sign-up")
    return SocialSignIn(reader=reader, created=True, linked=True)


def _link(reader: Reader, identity: SocialIdentity, uid: str, now: datetime, *, how: str):
    SocialAccount.objects.create(
        user=reader,
        provider=identity.provider,
        uid=uid,
        extra_data=identity.extra_data,
        last_login=now,
        date_joined=now,
    )
    audit(
        actor=reader,
        action="reader.social_linked",
        target=f"reader {reader.handle}",
        reason=f"{identity.provider} account {uid}, {how}",
    )
    return reader


def reader_has_another_way_in(reader: Reader) -> bool:
    """Whether the reader signs in otherwise than through a provider: with a password
    (which a password reset can also give back), or through the newsroom's single
    sign-on."""
    return reader.has_usable_password() or bool(reader.sso_subject)


@transaction.atomic
def disconnect_social_account(*, reader: Reader, account_id: int) -> str:
    """Unlink one of the reader's accounts at a provider; answers its provider's id.
    Raises LookupError for an account that is not theirs, LastWayIn for the only
    way a reader without a password (or single sign-on) signs in."""
    accounts = list(SocialAccount.objects.select_for_update().filter(user=reader))
    account = next((a for a in accounts if a.pk == account_id), None)
    if account is None:
        raise LookupError(account_id)
    if len(accounts) == 1 and not reader_has_another_way_in(reader):
        raise LastWayIn(account.provider)
    account.delete()
    audit(
        actor=reader,
        action="reader.social_disconnected",
        target=f"reader {reader.handle}",
        reason=f"{account.provider} account {account.uid}",
    )
    return account.provider
