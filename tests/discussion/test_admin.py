"""The Comment admin reads; it neither changes nor deletes (operations do, and tell
open pages and caches)."""

import pytest

from broadsheet.discussion.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss_client(client, make_reader):
    client.force_login(make_reader("boss-1", is_staff=True, is_superuser=True))
    return client


def test_a_comment_cannot_be_deleted_or_rewritten_in_the_admin(
    boss_client, article, kestrel, make_comment
):
    comment = make_comment(article, kestrel, "Kept as written")
    base = f"/admin/discussion/comment/{comment.pk}"
    assert boss_client.get(f"{base}/change/").status_code == 200  # to read
    assert boss_client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    boss_client.post(f"{base}/change/", {})
    comment.refresh_from_db()
    assert comment.body_markdown == "Kept as written" and not comment.is_deleted
    assert Comment.objects.filter(pk=comment.pk).exists()
