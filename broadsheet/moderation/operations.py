"""Write operations of moderation: roles, reports, decisions, suspensions, bans,
discussion modes. Every one of them writes an AuditEntry with its reason."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from broadsheet.core.hooks import Hook
from broadsheet.discussion import events
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import (
    CommentRejected,
    check_may_take_part,
    comment_changed,
    count_as_visible,
)
from broadsheet.live.publishing import (
    announce_page_change,
    erase_comment_from_events,
    record_event,
)
from broadsheet.moderation.audit import audit
from broadsheet.moderation.models import Report
from broadsheet.moderation.roles import ROLES
from broadsheet.notifications import tasks as notification_tasks
from broadsheet.notifications.operations import (
    queue_comment_for_notifications,
    withdraw_notifications_about,
)
from broadsheet.readers.models import Reader
from broadsheet.search.operations import set_comment_search_status

# Told, inside the operation's transaction, when a reader is banned or suspended:
# `reader_restricted(event="reader.banned" | "reader.suspended", reader=..., actor=...)`.
# Filled by the apps above (integrations sends webhooks) in their AppConfig.ready.
# Decisions on comments are told through discussion's `comment_changed`.
reader_restricted = Hook("reader_restricted")


class UnknownRole(ValueError):
    pass


class ModerationRefused(ValueError):
    """The action cannot be taken; the message is written for the person who tried."""


def _comment_label(comment: Comment) -> str:
    return f"comment {comment.number} on {comment.article.slug}"


def _role(role_name: str):
    role = ROLES.get(role_name.lower())
    if role is None:
        raise UnknownRole(f"unknown role “{role_name}”; roles are: {', '.join(sorted(ROLES))}")
    return role


@transaction.atomic
def grant_role(*, reader: Reader, role_name: str, actor=None) -> Group:
    """Give the reader a role; granting twice changes nothing."""
    role = _role(role_name)
    group, _created = Group.objects.get_or_create(name=role.group)
    for app_label, codename in role.permissions:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    reader.groups.add(group)
    update = []
    if role.staff and not reader.is_staff:
        reader.is_staff = True
        update.append("is_staff")
    if role.superuser and not reader.is_superuser:
        reader.is_superuser = True
        update.append("is_superuser")
    if update:
        reader.save(update_fields=update)
    audit(actor=actor, action="role.granted", target=f"reader {reader.handle}", reason=role.name)
    return group


@transaction.atomic
def revoke_role(*, reader: Reader, role_name: str, actor=None) -> None:
    """Take a role away; a reader left with no staff role leaves the admin too."""
    role = _role(role_name)
    reader.groups.remove(*Group.objects.filter(name=role.group))
    if role.superuser:
        reader.is_superuser = False
    remaining = {r for r in ROLES.values() if reader.groups.filter(name=r.group).exists()}
    reader.is_staff = reader.is_superuser or any(r.staff for r in remaining)
    reader.save(update_fields=["is_staff", "is_superuser"])
    audit(actor=actor, action="role.revoked", target=f"reader {reader.handle}", reason=role.name)


@transaction.atomic
def set_reader_access(
    *,
    reader: Reader,
    actor,
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    groups: Iterable[Group],
) -> list[str]:
    """Set a reader's account flags and groups as the admin's form asks; returns the
    audited actions. Each change is audited like `broadsheet grant` and `revoke`:
    a group as `role.granted` / `role.revoked` with its name, staff and superuser
    status the same way, and an account switched off or on as
    `reader.deactivated` / `reader.activated`."""
    target = f"reader {reader.handle}"
    done = []
    flags = {"is_active": is_active, "is_staff": is_staff, "is_superuser": is_superuser}
    changed = [field for field, value in flags.items() if getattr(reader, field) != value]
    groups = list(groups)
    roles_change = bool({"is_staff", "is_superuser"} & set(changed)) or set(groups) != set(
        reader.groups.all()
    )
    if actor is not None and not actor.is_superuser:
        # The ceiling: whoever may change readers but is not an administrator must
        # not be able to make anyone (themselves included) staff or an administrator,
        # nor switch a staff account off.
        if roles_change:
            raise ModerationRefused(
                _("Only an administrator can change roles, staff or administrator status.")
            )
        if "is_active" in changed and (reader.is_staff or reader.is_superuser):
            raise ModerationRefused(
                _("Only an administrator can switch a staff account off or on.")
            )
    for field in changed:
        on = flags[field]
        setattr(reader, field, on)
        if field == "is_active":
            action, reason = ("reader.activated" if on else "reader.deactivated"), ""
        else:
            action = "role.granted" if on else "role.revoked"
            reason = "staff status" if field == "is_staff" else "superuser status"
        audit(actor=actor, action=action, target=target, reason=reason)
        done.append(action)
    if changed:
        reader.save(update_fields=changed)
    before = set(reader.groups.all())
    after = set(groups)
    reader.groups.add(*(after - before))
    reader.groups.remove(*(before - after))
    for group in sorted(after - before, key=lambda g: g.name):
        audit(actor=actor, action="role.granted", target=target, reason=group.name)
        done.append("role.granted")
    for group in sorted(before - after, key=lambda g: g.name):
        audit(actor=actor, action="role.revoked", target=target, reason=group.name)
        done.append("role.revoked")
    return done


def report_comment(*, comment: Comment, reporter, reason: str, text: str = "") -> Report:
    """A reader reports a comment; a second report by the same reader is refused, and
    so is any report by a banned or suspended reader."""
    if reason not in Report.Reason.values:
        raise ModerationRefused(_("Please choose a reason for the report."))
    if comment.author_id == reporter.pk:
        raise ModerationRefused(_("You cannot report your own comment."))
    try:
        # Banned and suspended readers cannot fill the queue with reports either.
        check_may_take_part(reporter)
    except CommentRejected as refusal:
        raise ModerationRefused(str(refusal)) from refusal
    try:
        with transaction.atomic():
            report = Report.objects.create(
                comment=comment, reporter=reporter, reason=reason, text=text.strip()[:500]
            )
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
    except IntegrityError as error:
        raise ModerationRefused(_("You have already reported this comment.")) from error
    return report


def _count_as_visible(comment: Comment, delta: int) -> None:
    discussion = Discussion.objects.select_for_update().get(article_id=comment.article_id)
    discussion.save(
        update_fields=count_as_visible(discussion, quote_anchor=comment.quote_anchor, delta=delta)
    )


@transaction.atomic
def approve_comment(*, comment: Comment, moderator, reason: str = "") -> Comment:
    """Publish a held comment, restore a rejected one, or clear the reports of a
    published one."""
    locked = (
        Comment.objects.select_for_update().select_related("article", "author").get(pk=comment.pk)
    )
    # A rejected comment coming back is counted and shown live like a held one.
    was_pending = (locked.is_pending or locked.is_rejected) and not locked.is_deleted
    locked.status = Comment.Status.VISIBLE
    locked.report_count = 0
    locked.moderation_reason, locked.moderation_params = "", {}
    locked.save(update_fields=["status", "report_count", "moderation_reason", "moderation_params"])
    set_comment_search_status(comment=locked)
    if was_pending:
        _count_as_visible(locked, +1)
        record_event(article_id=locked.article_id, event=events.comment_posted(locked))
        if settings.BROADSHEET_NOTIFICATIONS:
            queue_comment_for_notifications(comment=locked)
            notification_tasks.notify_about_decision.enqueue(locked.pk, "approved")
        comment_changed(event="comment.posted", comment=locked, actor=moderator)
    comment_changed(event="comment.approved", comment=locked, actor=moderator)
    audit(actor=moderator, action="comment.approved", target=_comment_label(locked), reason=reason)
    return locked


@transaction.atomic
def reject_comment(*, comment: Comment, moderator, reason: str) -> Comment:
    """Remove a comment from the discussion; a placeholder keeps its number."""
    if not reason.strip():
        raise ModerationRefused(_("Say why the comment is rejected."))
    locked = (
        Comment.objects.select_for_update().select_related("article", "author").get(pk=comment.pk)
    )
    if locked.is_rejected:
        return locked
    was_public = locked.status == Comment.Status.VISIBLE and not locked.is_deleted
    if was_public:
        _count_as_visible(locked, -1)
    locked.status = Comment.Status.REJECTED
    locked.report_count = 0
    locked.moderation_reason, locked.moderation_params = reason.strip()[:200], {}
    locked.save(update_fields=["status", "report_count", "moderation_reason", "moderation_params"])
    set_comment_search_status(comment=locked)
    erase_comment_from_events(article_id=locked.article_id, number=locked.number)
    withdraw_notifications_about(comment=locked)
    record_event(article_id=locked.article_id, event=events.comment_removed(locked))
    if settings.BROADSHEET_NOTIFICATIONS:
        notification_tasks.notify_about_decision.enqueue(locked.pk, "rejected")
    if was_public:
        comment_changed(event="comment.withdrawn", comment=locked, actor=moderator)
    comment_changed(event="comment.rejected", comment=locked, actor=moderator)
    audit(actor=moderator, action="comment.rejected", target=_comment_label(locked), reason=reason)
    return locked


def _holds_a_role(reader: Reader) -> bool:
    # grant_role makes every role's holder staff, but a role's group ticked in the
    # admin's Groups field does not, so the groups are asked too.
    if reader.is_staff or reader.is_superuser:
        return True
    return reader.groups.filter(name__in=[role.group for role in ROLES.values()]).exists()


def may_change_readers(actor) -> bool:
    """Whether `actor` may change readers' accounts (None: the shell, which may)."""
    return actor is None or actor.has_perm("readers.change_reader")


def check_may_restrict(*, actor, reader: Reader, lifting_ban: bool = False) -> None:
    """Refuse, with ModerationRefused, a ban, suspension or reinstatement that is
    above `actor`'s role.

    Roles have a ceiling: moderating comments lets one restrict readers, not the
    staff (else one moderator could silence the others, or an editor); only those
    who may change readers' accounts restrict staff or lift a ban (a ban is the
    decision a moderator cannot take back alone), and only a superuser touches
    another superuser. `actor` None is the shell, which the operator runs.
    """
    if actor is None:
        return
    if not (actor.has_perm("discussion.moderate_comment") or may_change_readers(actor)):
        raise ModerationRefused(_("Only moderators can ban, suspend or reinstate readers."))
    if reader.is_superuser and not actor.is_superuser:
        raise ModerationRefused(
            _("Only an administrator can ban, suspend or reinstate %(handle)s.")
            % {"handle": reader.handle}
        )
    if _holds_a_role(reader) and not may_change_readers(actor):
        raise ModerationRefused(
            _(
                "%(handle)s is a member of staff: only someone who may change readers' "
                "accounts can ban, suspend or reinstate them."
            )
            % {"handle": reader.handle}
        )
    if lifting_ban and not may_change_readers(actor):
        raise ModerationRefused(_("Only someone who may change readers' accounts can lift a ban."))


@transaction.atomic
def suspend_reader(*, reader: Reader, moderator, until: datetime, reason: str) -> Reader:
    """The reader can read but not post or vote until `until`."""
    check_may_restrict(actor=moderator, reader=reader)
    if until <= timezone.now():
        raise ModerationRefused(_("A suspension must end in the future."))
    reader.suspended_until = until
    reader.save(update_fields=["suspended_until"])
    reader_restricted(event="reader.suspended", reader=reader, actor=moderator)
    audit(
        actor=moderator,
        action="reader.suspended",
        target=f"reader {reader.handle}",
        reason=f"until {until:%Y-%m-%d %H:%M}: {reason}",
    )
    return reader


@transaction.atomic
def ban_reader(*, reader: Reader, moderator, reason: str) -> Reader:
    """The reader can read but never post, vote or report again, unless reinstated."""
    check_may_restrict(actor=moderator, reader=reader)
    reader.banned_at = timezone.now()
    reader.save(update_fields=["banned_at"])
    reader_restricted(event="reader.banned", reader=reader, actor=moderator)
    audit(actor=moderator, action="reader.banned", target=f"reader {reader.handle}", reason=reason)
    return reader


@transaction.atomic
def lift_restrictions(*, reader: Reader, moderator, reason: str = "") -> Reader:
    """End a reader's suspension or ban."""
    # Asked of the database, not the object handed in, which may predate the ban.
    banned = Reader.objects.filter(pk=reader.pk, banned_at__isnull=False).exists()
    check_may_restrict(actor=moderator, reader=reader, lifting_ban=banned)
    reader.banned_at = None
    reader.suspended_until = None
    reader.save(update_fields=["banned_at", "suspended_until"])
    audit(
        actor=moderator, action="reader.reinstated", target=f"reader {reader.handle}", reason=reason
    )
    return reader


@transaction.atomic
def reject_comment_and_restrict_author(
    *, comment: Comment, moderator, reason: str, suspend_until: datetime | None = None
) -> Comment:
    """Reject a comment and ban its author (or, given `suspend_until`, suspend them).

    One decision, one transaction: if the author is beyond this moderator's reach
    (staff), the refusal undoes the rejection too, and the item stays in the queue.
    """
    rejected = reject_comment(comment=comment, moderator=moderator, reason=reason)
    if suspend_until is None:
        ban_reader(reader=rejected.author, moderator=moderator, reason=reason)
    else:
        suspend_reader(
            reader=rejected.author, moderator=moderator, until=suspend_until, reason=reason
        )
    return rejected


@transaction.atomic
def set_discussion_mode(*, article, editor, mode: str, reason: str = "") -> Discussion:
    """Open, pre-moderate or close an article's discussion ("" = the site default)."""
    if mode and mode not in Discussion.Mode.values:
        raise ModerationRefused(_("Unknown discussion mode."))
    discussion = Discussion.objects.select_for_update().get(article=article)
    discussion.mode = mode
    discussion.save(update_fields=["mode"])
    announce_page_change(article_id=article.pk)
    audit(
        actor=editor,
        action="discussion.mode",
        target=f"article {article.slug}",
        reason=f"{mode or 'site default'}: {reason}".strip(": "),
    )
    return discussion
