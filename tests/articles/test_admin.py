import pytest

from broadsheet.articles.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, kestrel):
    from django.core.management import call_command

    call_command("grant", "kestrel-7", "editor")
    client.force_login(kestrel)
    return client


def test_an_editor_publishes_through_the_admin_and_the_article_is_rendered(editor_client):
    response = editor_client.post(
        "/admin/articles/article/add/",
        {
            "title": "From the admin",
            "slug": "from-the-admin",
            "lead": "Lead.",
            "byline": "Desk",
            "language": "en",
            "status": "published",
            "published_at_0": "2023-06-20",
            "published_at_1": "09:00:00",
            "body_markdown": "A paragraph.\n\n## Section\n\n<script>x</script>",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="from-the-admin")
    assert '<h2 id="s-section">' in article.body_html
    assert "&lt;script&gt;" in article.body_html
    assert article.discussion.comment_count == 0
    assert editor_client.get("/articles/from-the-admin/").status_code == 200


def test_editing_the_body_in_the_admin_bumps_the_revision(editor_client, article):
    form = {
        "title": article.title,
        "slug": article.slug,
        "lead": article.lead,
        "byline": article.byline,
        "language": "en",
        "status": "published",
        "published_at_0": article.published_at.strftime("%Y-%m-%d"),
        "published_at_1": article.published_at.strftime("%H:%M:%S"),
        "body_markdown": article.body_markdown + "\n\nOne more paragraph.",
    }
    response = editor_client.post(f"/admin/articles/article/{article.pk}/change/", form)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.revision == 2
    assert "One more paragraph." in article.body_html


def test_a_reader_without_a_role_cannot_reach_the_admin(signed_in_client):
    response = signed_in_client.get("/admin/articles/article/add/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_deleting_an_article_in_the_admin_is_audited_and_tells_the_page_caches(
    client, make_reader, article, monkeypatch
):
    from broadsheet.articles import operations
    from broadsheet.moderation.models import AuditEntry

    announced = []
    monkeypatch.setattr(
        operations, "announce_page_change", lambda *, article_id: announced.append(article_id)
    )
    boss = make_reader("boss-1", is_staff=True, is_superuser=True)
    client.force_login(boss)
    response = client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    assert announced == [article.pk]
    entry = AuditEntry.objects.get(action="article.deleted")
    assert (entry.actor, entry.target) == (boss, "article the-last-ferry")
    assert client.get("/articles/the-last-ferry/").status_code == 404
