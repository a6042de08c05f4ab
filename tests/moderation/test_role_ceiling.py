import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import post_comment
from broadsheet.moderation.models import AuditEntry
from broadsheet.moderation.operations import (
    ModerationRefused,
    ban_reader,
    lift_restrictions,
    suspend_reader,
)
from broadsheet.readers.models import Reader

pytestmark = pytest.mark.django_db

NEXT_WEEK = dt.timedelta(days=7)


@pytest.fixture
def make_staff(make_reader):
    def make(handle: str, role: str) -> Reader:
        make_reader(handle)
        call_command("grant", handle, role)
        return Reader.objects.get(handle=handle)  # fresh: grant changed flags in the database

    return make


@pytest.fixture
def administrator(make_staff):
    return make_staff("boss-1", "admin")


@pytest.mark.parametrize("role", ["moderator", "editor", "admin"])
def test_a_moderator_cannot_ban_suspend_or_reinstate_staff(moderator, make_staff, role):
    colleague = make_staff("colleague", role)
    colleague.suspended_until = timezone.now() + NEXT_WEEK
    colleague.save(update_fields=["suspended_until"])
    audited = AuditEntry.objects.count()
    with pytest.raises(ModerationRefused, match="colleague"):
        ban_reader(reader=colleague, moderator=moderator, reason="Disagreed with me")
    with pytest.raises(ModerationRefused, match="colleague"):
        suspend_reader(
            reader=colleague, moderator=moderator, until=timezone.now() + NEXT_WEEK, reason="x"
        )
    with pytest.raises(ModerationRefused, match="colleague"):
        lift_restrictions(reader=colleague, moderator=moderator, reason="x")
    colleague.refresh_from_db()
    assert colleague.banned_at is None and colleague.suspended_until is not None
    assert AuditEntry.objects.count() == audited


def test_a_role_given_only_through_the_group_still_protects_its_holder(moderator, make_reader):
    colleague = make_reader("colleague")
    colleague.groups.add(Group.objects.get(name="Moderators"))  # is_staff left unticked
    with pytest.raises(ModerationRefused, match="is a member of staff"):
        ban_reader(reader=colleague, moderator=moderator, reason="x")


def test_a_moderator_suspends_and_reinstates_a_reader_but_cannot_lift_a_ban(moderator, kestrel):
    suspend_reader(
        reader=kestrel, moderator=moderator, until=timezone.now() + NEXT_WEEK, reason="x"
    )
    lift_restrictions(reader=kestrel, moderator=moderator, reason="Served enough")
    ban_reader(reader=kestrel, moderator=moderator, reason="Abuse")
    with pytest.raises(ModerationRefused, match="lift a ban"):
        lift_restrictions(reader=kestrel, moderator=moderator, reason="Sorry")
    kestrel.refresh_from_db()
    assert kestrel.is_banned


def test_an_administrator_restricts_staff_and_lifts_bans(administrator, moderator):
    ban_reader(reader=moderator, moderator=administrator, reason="Abused the queue")
    lift_restrictions(reader=moderator, moderator=administrator, reason="Appeal accepted")
    assert [e.action for e in AuditEntry.objects.order_by("id")][-2:] == [
        "reader.banned",
        "reader.reinstated",
    ]


def test_a_reader_without_a_role_cannot_restrict_anyone(kestrel, nikolai):
    with pytest.raises(ModerationRefused, match="Only moderators can ban"):
        ban_reader(reader=nikolai, moderator=kestrel, reason="I do not like him")


@pytest.mark.parametrize("action", ["ban", "suspend"])
def test_reject_and_ban_of_a_staff_comment_in_the_queue_is_refused_whole(
    client, article, moderator, make_staff, action
):
    editor = make_staff("ed-1", "editor")
    comment = post_comment(article=article, author=editor, body="Editorial aside")
    client.force_login(moderator)
    response = client.post(
        f"/moderation/comments/{comment.pk}/decide/",
        {"action": action, "reason": "Spam"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    assert "ed-1 is a member of staff" in response.json()["error"]
    comment.refresh_from_db()
    editor.refresh_from_db()
    assert comment.status == Comment.Status.VISIBLE  # the rejection was undone with it
    assert editor.banned_at is None and editor.suspended_until is None
    # the plain form says so too
    response = client.post(
        f"/moderation/comments/{comment.pk}/decide/", {"action": action}, follow=True
    )
    assert "ed-1 is a member of staff" in response.content.decode()


def change_reader_in_the_admin(client, reader, **changes):
    data = {
        "handle": reader.handle,
        "display_name": reader.display_name,
        "email": reader.email,
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "10:00:00",
        "last_seen_at_0": "",
        "last_seen_at_1": "",
        "suspended_until_0": "",
        "suspended_until_1": "",
        "banned_at_0": "",
        "banned_at_1": "",
        "restriction_reason": "",
        **changes,
    }
    return client.post(f"/admin/readers/reader/{reader.pk}/change/", data)


def test_a_ban_set_in_the_admin_goes_through_the_operation_and_is_audited(
    client, administrator, kestrel
):
    client.force_login(administrator)
    response = change_reader_in_the_admin(
        client,
        kestrel,
        banned_at_0="2026-01-05",
        banned_at_1="10:00:00",
        restriction_reason="Threats",
    )
    assert response.status_code == 302
    kestrel.refresh_from_db()
    assert kestrel.is_banned
    entry = AuditEntry.objects.get(action="reader.banned")
    assert (entry.actor, entry.target, entry.reason) == (
        administrator,
        "reader kestrel-7",
        "Threats",
    )
    response = change_reader_in_the_admin(
        client, kestrel, restriction_reason="Appeal accepted"
    )  # banned_at cleared
    assert response.status_code == 302
    kestrel.refresh_from_db()
    assert not kestrel.is_banned
    assert AuditEntry.objects.filter(action="reader.reinstated", actor=administrator).exists()


def test_a_restriction_changed_in_the_admin_needs_a_reason(client, administrator, kestrel):
    client.force_login(administrator)
    until = timezone.localtime() + NEXT_WEEK
    response = change_reader_in_the_admin(
        client,
        kestrel,
        suspended_until_0=until.strftime("%Y-%m-%d"),
        suspended_until_1=until.strftime("%H:%M:%S"),
    )
    assert response.status_code == 200
    assert "the audit log keeps the reason" in response.content.decode()
    kestrel.refresh_from_db()
    assert kestrel.suspended_until is None
    assert not AuditEntry.objects.filter(action="reader.suspended").exists()


def test_the_admins_lift_action_refuses_a_moderator_what_is_above_them(
    client, moderator, administrator, kestrel, nikolai
):
    ban_reader(reader=kestrel, moderator=administrator, reason="Abuse")
    suspend_reader(
        reader=nikolai, moderator=administrator, until=timezone.now() + NEXT_WEEK, reason="x"
    )
    client.force_login(moderator)
    response = client.post(
        "/admin/readers/reader/",
        {"action": "lift_restrictions_action", "_selected_action": [kestrel.pk, nikolai.pk]},
        follow=True,
    )
    assert "lift a ban" in response.content.decode()
    kestrel.refresh_from_db()
    nikolai.refresh_from_db()
    assert kestrel.is_banned and not nikolai.is_suspended


def test_reject_and_restrict_is_one_operation_refused_whole(article, moderator, make_staff):
    from broadsheet.moderation.operations import reject_comment_and_restrict_author

    editor = make_staff("ed-1", "editor")
    comment = post_comment(article=article, author=editor, body="Editorial aside")
    with pytest.raises(ModerationRefused, match="ed-1 is a member of staff"):
        reject_comment_and_restrict_author(comment=comment, moderator=moderator, reason="Spam")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.VISIBLE
    assert not AuditEntry.objects.filter(action="comment.rejected").exists()


def test_staff_status_superuser_status_and_deactivation_in_the_admin_are_audited(
    client, administrator, kestrel
):
    client.force_login(administrator)
    response = change_reader_in_the_admin(client, kestrel, is_staff="on", is_superuser="on")
    assert response.status_code == 302
    kestrel.refresh_from_db()
    assert kestrel.is_staff and kestrel.is_superuser
    response = change_reader_in_the_admin(
        client, kestrel, is_active="", is_staff="on", is_superuser="on"
    )
    assert response.status_code == 302
    kestrel.refresh_from_db()
    assert not kestrel.is_active
    entries = AuditEntry.objects.filter(target="reader kestrel-7").order_by("id")
    assert [(e.actor, e.action, e.reason) for e in entries] == [
        (administrator, "role.granted", "staff status"),
        (administrator, "role.granted", "superuser status"),
        (administrator, "reader.deactivated", ""),
    ]


def test_the_admin_does_not_delete_readers(client, administrator, kestrel):
    client.force_login(administrator)
    response = client.post(f"/admin/readers/reader/{kestrel.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Reader.objects.filter(pk=kestrel.pk).exists()


def test_a_reader_added_in_the_admin_is_signed_up_by_the_operation(client, administrator):
    client.force_login(administrator)
    response = client.post(
        "/admin/readers/reader/add/",
        {
            "handle": "new-desk",
            "display_name": "New\u202e Desk",  # a bidi control, which sign-up strips
            "email": "desk@example.org",
            "password1": "a long enough pass phrase",
            "password2": "a long enough pass phrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reader = Reader.objects.get(handle="new-desk")
    assert reader.display_name == "New Desk"
    assert reader.check_password("a long enough pass phrase")


@pytest.fixture
def account_manager(make_reader):
    """Staff who may change readers' accounts, but is no administrator."""
    from django.contrib.auth.models import Permission

    manager = make_reader("accounts-1")
    group = Group.objects.create(name="Account managers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="readers", codename__in=["view_reader", "change_reader"]
        )
    )
    manager.groups.add(group)
    Reader.objects.filter(pk=manager.pk).update(is_staff=True)
    return Reader.objects.get(pk=manager.pk)


def test_who_may_change_readers_but_is_no_administrator_cannot_raise_anyones_role(
    account_manager, kestrel
):
    from broadsheet.moderation.operations import set_reader_access

    managers = Group.objects.get(name="Account managers")
    own_groups = [managers]
    attempts = [
        (account_manager, {"is_staff": True, "is_superuser": True, "groups": own_groups}),
        (kestrel, {"is_staff": False, "is_superuser": True, "groups": []}),
        (kestrel, {"is_staff": True, "is_superuser": False, "groups": []}),
        (kestrel, {"is_staff": False, "is_superuser": False, "groups": [managers]}),
    ]
    for target, access in attempts:
        with pytest.raises(ModerationRefused, match="Only an administrator"):
            set_reader_access(reader=target, actor=account_manager, is_active=True, **access)
    kestrel.refresh_from_db()
    account_manager.refresh_from_db()
    assert not kestrel.is_superuser and not kestrel.is_staff
    assert not kestrel.groups.exists()
    assert not account_manager.is_superuser
    assert not AuditEntry.objects.filter(action="role.granted").exists()


def test_the_admin_shows_roles_read_only_to_who_is_no_administrator(
    client, account_manager, kestrel
):
    client.force_login(account_manager)
    response = change_reader_in_the_admin(client, account_manager, is_staff="on", is_superuser="on")
    assert response.status_code == 302  # the details saved; the roles were not fields
    account_manager.refresh_from_db()
    assert not account_manager.is_superuser
    response = change_reader_in_the_admin(client, kestrel, display_name="Anna P.")
    assert response.status_code == 302
    kestrel.refresh_from_db()
    assert kestrel.display_name == "Anna P."
