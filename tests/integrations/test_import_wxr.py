# ruff: noqa: RUF001 - Russian text from other systems is the point here
"""`broadsheet import wxr`: WordPress posts become articles, their comments the discussions."""

import pytest

from broadsheet.articles.models import Article
from broadsheet.discussion.models import Comment
from broadsheet.integrations.importing.loading import run_import
from broadsheet.integrations.importing.records import ImportFileError
from broadsheet.moderation import reasons
from broadsheet.readers.models import Reader
from tests.integrations.exports import WxrComment, WxrExport, WxrItem

pytestmark = pytest.mark.django_db


def blog() -> WxrExport:
    return WxrExport(
        items=[
            WxrItem(
                post_id="12",
                title="The ferry & the bus",
                name="ferry",
                content="Opening paragraph.\n\n<h2>Timetable</h2>\n\nSecond <em>paragraph</em>."
                "<script>alert(1)</script>",
                comments=[
                    WxrComment(
                        id="6",
                        content="A reply\nover two lines",
                        parent="5",
                        date_gmt="2019-03-01 12:00:00",
                        author="Борис",
                        email="b@example.org",
                    ),
                    WxrComment(
                        id="5",
                        content="First thought.\n\nSecond thought.",
                        author="Anna",
                        email="anna@example.org",
                        user_id="3",
                    ),
                    WxrComment(
                        id="7",
                        content="Buy now",
                        approved="spam",
                        author="Bot",
                        date_gmt="2019-03-01 13:00:00",
                    ),
                    WxrComment(id="8", content="Waiting", approved="0", author="Newcomer"),
                    WxrComment(
                        id="9", content="Binned", approved="trash", author="Anna", user_id="3"
                    ),
                    WxrComment(id="10", content="Linked from elsewhere", type="pingback"),
                    WxrComment(
                        id="11",
                        content="No GMT time",
                        date_gmt="0000-00-00 00:00:00",
                        date="2019-03-02 08:00:00",
                        author="Late",
                    ),
                ],
            ),
            WxrItem(
                post_id="13",
                title="Черновик",
                name="%d1%87%d0%b5%d1%80",
                status="draft",
                comments=[WxrComment(id="20", content="On a draft")],
            ),
            WxrItem(post_id="14", title="logo.png", name="logo", post_type="attachment"),
            WxrItem(
                post_id="15",
                title="О пароме",
                name="%d0%be-%d0%bf%d0%b0%d1%80%d0%be%d0%bc%d0%b5",
                comments=[WxrComment(id="30", content="По-русски")],
            ),
        ]
    )


def test_posts_become_articles_and_comments_their_discussions(tmp_path):
    report = run_import("wxr", blog().write(tmp_path / "wp.xml"))
    ferry = Article.objects.get(slug="ferry")
    assert ferry.is_visible and not ferry.is_external_page
    assert ferry.title == "The ferry & the bus" and ferry.byline == "editor"
    assert "<h2" in ferry.body_html and "Timetable" in ferry.body_html
    assert "<script" not in ferry.body_html and "alert" not in ferry.body_html
    assert ferry.published_at.isoformat() == "2019-03-01T10:00:00+00:00"
    assert report.articles_created == 2

    comments = list(Comment.objects.filter(article=ferry).order_by("number"))
    bodies = [c.body_markdown for c in comments]
    assert bodies[0] == "First thought.\n\nSecond thought."
    reply = Comment.objects.get(body_markdown__startswith="A reply")
    assert reply.parent == comments[0] and reply.number > comments[0].number
    assert reply.body_markdown == "A reply  \nover two lines"  # a line break kept
    # Spam and unapproved comments are held for moderators; the binned one keeps a number.
    held = {c.body_markdown: c.moderation_reason for c in comments if c.is_pending}
    assert held == {"Buy now": reasons.IMPORTED_SPAM, "Waiting": reasons.IMPORTED_UNAPPROVED}
    assert sum(c.is_deleted for c in comments) == 1
    late = Comment.objects.get(body_markdown="No GMT time")
    assert late.created_at.isoformat() == "2019-03-02T08:00:00+00:00"
    assert report.skipped == {"pingback or trackback": 1, "WordPress post not published (draft)": 1}


def test_a_cyrillic_slug_falls_back_to_the_post_id(tmp_path):
    run_import("wxr", blog().write(tmp_path / "wp.xml"))
    article = Article.objects.get(slug="post-15")
    assert article.title == "О пароме"
    assert Comment.objects.get(article=article).body_markdown == "По-русски"


def test_an_article_already_here_keeps_its_text_and_gets_the_comments(tmp_path, make_article):
    mine = make_article("ferry", title="Our own ferry story")
    report = run_import("wxr", blog().write(tmp_path / "wp.xml"))
    mine.refresh_from_db()
    assert mine.title == "Our own ferry story"
    assert report.threads_to_articles == 1 and report.articles_created == 1
    assert Comment.objects.filter(article=mine).count() == 6


def test_a_wordpress_account_is_one_reader_across_comments(tmp_path):
    run_import("wxr", blog().write(tmp_path / "wp.xml"))
    anna = Reader.objects.get(imported_from="wxr", display_name="Anna", is_guest=False)
    assert Comment.objects.filter(author=anna).count() == 2  # her comment, and the binned one


def test_running_it_again_imports_nothing(tmp_path):
    path = blog().write(tmp_path / "wp.xml")
    run_import("wxr", path)
    again = run_import("wxr", path)
    assert again.comments_imported == 0 and again.articles_created == 0
    assert Article.objects.count() == 2


def test_a_file_that_is_not_wordpress_is_refused(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>')
    with pytest.raises(ImportFileError, match="not the expected export"):
        run_import("wxr", path)
