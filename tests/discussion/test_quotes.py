import pytest

from broadsheet.articles.operations import save_article
from broadsheet.discussion.models import Comment, Discussion
from broadsheet.discussion.operations import delete_comment, post_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim, split_leading_quote

pytestmark = pytest.mark.django_db

PARAGRAPH = "The ferry leaves the pier at ten past six every morning."
PASSAGE = "leaves the pier at ten past six"


def anchor_of(article, text=PARAGRAPH):
    return next(anchor for anchor, words in article.paragraphs.items() if words == text)


def quote(article, passage=PASSAGE, anchor=None):
    return ArticleQuoteClaim(anchor=anchor or anchor_of(article), text=passage)


def test_a_verified_quote_is_stored_with_anchor_text_and_revision(article, kestrel):
    comment = post_comment(
        article=article,
        author=kestrel,
        body=f"> {PASSAGE}\n\nNot on Sundays.",
        quote=quote(article),
    )
    assert comment.quote_anchor == anchor_of(article)
    assert comment.quote_text == PASSAGE
    assert comment.quote_revision == article.revision
    assert comment.body_markdown == "Not on Sundays."
    assert Discussion.objects.get(article=article).quote_counts == {anchor_of(article): 1}


@pytest.mark.parametrize(
    "forgery",
    [
        "leaves the pier at noon",  # words the article never said
        "town meeting",  # real words, but from another paragraph
    ],
)
def test_a_forged_article_quote_is_kept_as_a_plain_quote_never_anchored(article, kestrel, forgery):
    comment = post_comment(
        article=article,
        author=kestrel,
        body=f"> {forgery}\n\nSee?",
        quote=quote(article, passage=forgery),
    )
    assert comment.quote_anchor == ""
    assert comment.quote_text == ""
    assert f"<blockquote>\n<p>{forgery}</p>" in comment.body_html
    assert Discussion.objects.get(article=article).quote_counts == {}


def test_a_quote_of_an_unknown_paragraph_is_not_anchored(article, kestrel):
    comment = post_comment(
        article=article,
        author=kestrel,
        body=f"> {PASSAGE}\n\nHm.",
        quote=quote(article, anchor="p-deadbeef"),
    )
    assert comment.quote_anchor == ""


def test_a_claim_that_does_not_match_the_quote_in_the_text_is_not_anchored(article, kestrel):
    comment = post_comment(
        article=article,
        author=kestrel,
        body="> something the reader typed instead\n\nHm.",
        quote=quote(article),
    )
    assert comment.quote_anchor == ""
    assert "something the reader typed instead" in comment.body_html


def test_the_page_links_an_anchored_quote_to_its_passage_and_counts_quotes_per_paragraph(
    client, article, kestrel, nikolai
):
    for reader in (kestrel, nikolai):
        post_comment(
            article=article, author=reader, body=f"> {PASSAGE}\n\nWords.", quote=quote(article)
        )
    html = client.get("/articles/the-last-ferry/").content.decode()
    anchor = anchor_of(article)
    assert f'href="/articles/the-last-ferry/#{anchor}"' in html
    assert f'data-passage="{PASSAGE}"' in html
    assert f'?quoting={anchor}#discussion">2 comments quote this</a>' in html
    listing = client.get(f"/articles/the-last-ferry/?quoting={anchor}").content.decode()
    assert listing.count('<li class="comment ') == 2


def test_deleting_a_quoting_comment_lowers_the_paragraph_count(article, kestrel):
    comment = post_comment(
        article=article, author=kestrel, body=f"> {PASSAGE}\n\nWords.", quote=quote(article)
    )
    delete_comment(comment=comment, deleter=kestrel)
    assert Discussion.objects.get(article=article).quote_counts == {}


def test_when_the_editor_changes_a_quoted_paragraph_the_comment_says_so(client, article, kestrel):
    post_comment(
        article=article, author=kestrel, body=f"> {PASSAGE}\n\nWords.", quote=quote(article)
    )
    assert "has changed since" not in client.get("/articles/the-last-ferry/").content.decode()
    save_article(
        slug=article.slug,
        title=article.title,
        body_markdown=article.body_markdown.replace("ten past six", "half past six"),
        published_at=article.published_at,
    )
    html = client.get("/articles/the-last-ferry/").content.decode()
    assert "The article has changed since this was quoted." in html
    assert PASSAGE in html  # the quote itself is kept as it was


def test_an_edit_elsewhere_in_the_article_leaves_the_quote_current(client, article, kestrel):
    post_comment(
        article=article, author=kestrel, body=f"> {PASSAGE}\n\nWords.", quote=quote(article)
    )
    save_article(
        slug=article.slug,
        title=article.title,
        body_markdown="A new opening paragraph.\n\n" + article.body_markdown,
        published_at=article.published_at,
    )
    assert "has changed since" not in client.get("/articles/the-last-ferry/").content.decode()


def test_quoting_a_comment_without_javascript_prefills_the_form(signed_in_client, article, nikolai):
    post_comment(article=article, author=nikolai, body="They run on Sundays.")
    html = signed_in_client.get("/articles/the-last-ferry/?quote_comment=1").content.decode()
    assert "&gt; #1 unc-2:\n&gt; They run on Sundays.\n\n</textarea>" in html


def test_a_number_reference_links_to_that_comment(article, kestrel):
    post_comment(article=article, author=kestrel, body="First")
    comment = post_comment(article=article, author=kestrel, body="> #1 kestrel-7:\n> First\n\nYes")
    assert '<a href="/articles/the-last-ferry/comments/1/" class="comment-ref"' in comment.body_html


def test_a_mention_links_to_the_profile_of_a_reader_who_exists(article, kestrel, nikolai):
    comment = post_comment(article=article, author=kestrel, body="@UNC-2 and @nobody-here")
    assert '<a href="/readers/unc-2/" class="mention"' in comment.body_html
    assert "@nobody-here" in comment.body_html and "/readers/nobody-here/" not in comment.body_html


def test_posting_an_anchored_quote_through_the_form(signed_in_client, article):
    response = signed_in_client.post(
        "/articles/the-last-ferry/comments/",
        {
            "body": f"> {PASSAGE}\n\nThrough the form.",
            "quote_anchor": anchor_of(article),
            "quote_text": PASSAGE,
        },
    )
    assert response.status_code == 302
    assert Comment.objects.get(number=1).quote_anchor == anchor_of(article)


def test_split_leading_quote():
    assert split_leading_quote("> a\n>b\n\nrest\n> not leading") == ("a\nb", "rest\n> not leading")
