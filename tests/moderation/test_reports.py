"""Reports: banned and suspended readers cannot report (issue 10, point 2)."""

import datetime as dt

import pytest
from django.utils import timezone

from broadsheet.moderation.models import Report
from broadsheet.moderation.operations import (
    ModerationRefused,
    ban_reader,
    report_comment,
    suspend_reader,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(article, nikolai, make_comment):
    return make_comment(article, nikolai, "A perfectly ordinary opinion")


def test_a_banned_reader_cannot_report(comment, kestrel, moderator):
    ban_reader(reader=kestrel, moderator=moderator, reason="Abuse")
    with pytest.raises(ModerationRefused, match="no longer"):
        report_comment(comment=comment, reporter=kestrel, reason="spam")
    assert not Report.objects.exists()


def test_a_suspended_reader_cannot_report_through_the_form(
    signed_in_client, comment, kestrel, moderator
):
    until = timezone.now() + dt.timedelta(days=1)
    suspend_reader(reader=kestrel, moderator=moderator, until=until, reason="Flooding")
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/1/report/", {"reason": "spam"}
    )
    assert response.status_code == 400
    assert "suspended until" in response.content.decode()
    assert not Report.objects.exists()
