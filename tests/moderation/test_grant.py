import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_grant_editor_lets_the_reader_edit_articles_in_the_admin(kestrel):
    call_command("grant", "KESTREL-7", "editor")
    kestrel.refresh_from_db()
    assert kestrel.is_staff
    assert kestrel.has_perm("articles.change_article")
    assert not kestrel.has_perm("discussion.change_comment")


def test_grant_moderator(kestrel):
    call_command("grant", "kestrel-7", "moderator")
    kestrel.refresh_from_db()
    assert kestrel.has_perm("discussion.change_comment")


def test_granting_twice_is_harmless(kestrel):
    call_command("grant", "kestrel-7", "editor")
    call_command("grant", "kestrel-7", "editor")
    assert kestrel.groups.count() == 1


def test_an_unknown_role_or_reader_is_an_error(kestrel):
    with pytest.raises(CommandError, match="unknown role"):
        call_command("grant", "kestrel-7", "emperor")
    with pytest.raises(CommandError, match="no reader"):
        call_command("grant", "nobody", "editor")
