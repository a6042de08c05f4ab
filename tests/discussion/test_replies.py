import pytest

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import CommentRejected, delete_comment, post_comment

pytestmark = pytest.mark.django_db


def test_a_reply_keeps_its_own_article_wide_number_and_knows_its_parent(article, kestrel, nikolai):
    first = post_comment(article=article, author=kestrel, body="Top")
    other = post_comment(article=article, author=nikolai, body="Another top")
    reply = post_comment(article=article, author=nikolai, body="Answer", parent=first)
    assert reply.number == 3
    assert (reply.parent_id, reply.thread, reply.depth) == (first.pk, first.number, 1)
    assert reply.path.startswith(first.path + ".")
    assert Comment.objects.get(pk=first.pk).reply_count == 1
    assert Comment.objects.get(pk=other.pk).reply_count == 0


def test_nesting_stops_at_a_readable_depth_but_still_names_the_parent(article, kestrel):
    parent = post_comment(article=article, author=kestrel, body="Level 0")
    for level in range(1, 7):
        parent = post_comment(article=article, author=kestrel, body=f"Level {level}", parent=parent)
        assert parent.depth == min(level, 3)
    deepest = Comment.objects.get(pk=parent.pk)
    assert deepest.parent.number == deepest.number - 1
    assert Comment.objects.get(number=1).reply_count == 6


def test_replying_to_a_comment_of_another_article_is_refused(make_article, kestrel):
    a, b = make_article(), make_article()
    on_a = post_comment(article=a, author=kestrel, body="On a")
    with pytest.raises(CommentRejected, match="under the same article"):
        post_comment(article=b, author=kestrel, body="Sneaky", parent=on_a)


def test_replying_to_a_deleted_comment_works(article, kestrel, nikolai):
    first = post_comment(article=article, author=kestrel, body="Regrettable")
    delete_comment(comment=first, deleter=kestrel)
    reply = post_comment(article=article, author=nikolai, body="Still answering", parent=first)
    assert reply.number == 2 and reply.parent_id == first.pk


def test_the_page_shows_replies_under_their_parent_with_in_reply_to(
    client, article, kestrel, nikolai
):
    first = post_comment(article=article, author=kestrel, body="First top")
    post_comment(article=article, author=kestrel, body="Second top")
    post_comment(article=article, author=nikolai, body="Reply to first", parent=first)
    html = client.get("/articles/the-last-ferry/").content.decode()
    assert html.index("First top") < html.index("Reply to first") < html.index("Second top")
    assert "in reply to #1" in html
    assert 'class="comment comment--depth-1' in html


def test_a_reply_form_can_be_opened_without_javascript(signed_in_client, article, nikolai):
    post_comment(article=article, author=nikolai, body="Answer me")
    html = signed_in_client.get("/articles/the-last-ferry/?reply_to=1").content.decode()
    assert 'name="parent" value="1"' in html
    assert "Replying to #1 by unc-2." in html


def test_posting_a_reply_through_the_form(signed_in_client, article, nikolai):
    post_comment(article=article, author=nikolai, body="Answer me")
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/", {"body": "Answered", "parent": "1"}
    )
    assert response["Location"] == "/articles/the-last-ferry/comments/2/"
    assert Comment.objects.get(number=2).parent.number == 1


def test_replying_to_a_missing_comment_says_so(signed_in_client, article):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/", {"body": "Hello?", "parent": "99"}
    )
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_busy_thread_shows_a_capped_number_of_replies_and_links_to_the_rest(
    client, article, kestrel, settings
):
    settings.BROADSHEET_REPLIES_PER_THREAD = 5
    top = post_comment(article=article, author=kestrel, body="Busy")
    for n in range(8):
        post_comment(article=article, author=kestrel, body=f"Reply {n}", parent=top)
    html = client.get("/articles/the-last-ferry/").content.decode()
    assert "Reply 4" in html and "Reply 5" not in html
    assert "3 more replies in this thread" in html
    thread = client.get("/articles/the-last-ferry/?thread=1").content.decode()
    assert "Reply 7" in thread and "Showing the thread of #1." in thread


def test_a_permalink_to_a_reply_past_the_cap_opens_its_thread(client, article, kestrel, settings):
    settings.BROADSHEET_REPLIES_PER_THREAD = 5
    top = post_comment(article=article, author=kestrel, body="Busy")
    for n in range(8):
        post_comment(article=article, author=kestrel, body=f"Reply {n}", parent=top)
    html = client.get("/articles/the-last-ferry/comments/9/").content.decode()
    assert "Reply 7" in html
    assert 'comment--highlighted" id="comment-9"' in html


def test_a_reply_to_another_readers_held_comment_is_refused_as_if_it_were_missing(
    article, kestrel, nikolai, settings
):
    settings.BROADSHEET_SUSPECT_WORDS = ["idiot"]
    held = post_comment(article=article, author=nikolai, body="You idiot")
    assert held.status == "pending"
    with pytest.raises(CommentRejected, match="does not exist"):
        post_comment(article=article, author=kestrel, body="Found you", parent=held)
    assert Comment.objects.count() == 1
    # Its author may answer it: they can see it.
    assert post_comment(article=article, author=nikolai, body="Myself", parent=held).parent == held


def test_the_reply_form_gives_a_held_parent_the_answer_a_missing_one_gets(
    signed_in_client, article, nikolai, settings
):
    settings.BROADSHEET_SUSPECT_WORDS = ["idiot"]
    post_comment(article=article, author=nikolai, body="You idiot")
    url = "/articles/the-last-ferry/comments/"
    hidden = signed_in_client.post(url, {"body": "Found you", "parent": "1"})
    missing = signed_in_client.post(url, {"body": "Found you", "parent": "99"})
    assert hidden.status_code == missing.status_code == 400
    assert "does not exist" in hidden.content.decode()
    assert "You idiot" not in hidden.content.decode()
    assert Comment.objects.count() == 1


def test_generated_comments_are_laid_out_as_posted_ones(make_article, kestrel, nikolai):
    """The scale tests and benchmark sites insert comments in bulk; pages must read
    them exactly as comments posted one by one (threads deeper than MAX_DEPTH too)."""
    from django.utils import timezone

    from broadsheet.discussion.models import Discussion
    from broadsheet.discussion.operations import GeneratedComment, insert_generated_comments

    posted, generated = make_article(), make_article()
    replies_to = [None, 1, 2, 3, 4, 5, None, 7, 1, None]  # 1 ← 2 ← 3 ← 4 ← 5 ← 6, ...
    made: dict[int, Comment] = {}
    for number, reply_to in enumerate(replies_to, start=1):
        made[number] = post_comment(
            article=posted,
            author=(kestrel, nikolai)[number % 2],
            body=f"Comment {number}",
            parent=made.get(reply_to),
        )
    insert_generated_comments(
        article=generated,
        comments=[
            GeneratedComment(
                author=(kestrel, nikolai)[number % 2],
                body_markdown=f"Comment {number}",
                body_html=f"<p>Comment {number}</p>",
                created_at=timezone.now(),
                reply_to=reply_to,
            )
            for number, reply_to in enumerate(replies_to, start=1)
        ],
    )

    def layout(article):
        return list(
            Comment.objects.filter(article=article)
            .order_by("number")
            .values_list("number", "thread", "depth", "path", "parent__number", "reply_count")
        )

    def counters(article):
        return Discussion.objects.filter(article=article).values_list(
            "last_number", "comment_count", "quote_counts"
        )[0]

    assert layout(generated) == layout(posted)
    assert counters(generated) == counters(posted)
