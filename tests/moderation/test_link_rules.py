# ruff: noqa: RUF001 - look-alike and full-width letters are the point of these tests
"""Link rules judge the links the page will show, by the host a browser would go to
(issue 10, point 3)."""

import pytest

from broadsheet.discussion.models import Comment
from broadsheet.discussion.operations import CommentRejected, post_comment
from broadsheet.moderation.rules import check_comment, link_host

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(settings):
    settings.BROADSHEET_BLOCKED_DOMAINS = ["evil.example", "пример.рф"]
    settings.BROADSHEET_MAX_LINKS = 2
    return settings


@pytest.mark.parametrize(
    "body",
    [
        "<http://evil.example/offer>",
        "[cheap](http://evil.example)",
        "[cheap](HTTPS://EVIL.EXAMPLE:443/x)",
        "[cheap](//evil.example/x)",
        "[cheap](http:evil.example)",
        "[cheap](https:/evil.example)",
        "[cheap](http://good.example@evil.example/)",
        "[cheap](http://trusted.org:pw@evil.example)",
        "[cheap](http://evil%2Eexample)",
        "[cheap](http://evil%2eexample/)",
        "[cheap](http://evil。example)",
        "[cheap](http://evil．example)",
        "[cheap](http://evil｡example)",
        "[cheap](http://evil.example.)",
        "[cheap](http://www.EVIL.example)",
        "[cheap](http&#58;//evil.example)",
        "[cheap](http://пример.рф/)",
        "[cheap](http://xn--e1afmkfd.xn--p1ai/)",
        "[mail me](mailto:sales@evil.example)",
        "<sales@evil.example>",
        "plain text http://evil.example/offer is refused too",
        "and so is www.evil.example written out",
    ],
)
def test_a_blocked_domain_is_refused_however_its_link_is_spelled(rules, kestrel, body):
    verdict = check_comment(body=body, author=kestrel)
    assert verdict.refuse.startswith("Links to "), (body, verdict)


@pytest.mark.parametrize(
    "body",
    ["[fine](https://notevil.example)", "[fine](https://evil.example.org)", "evil.example"],
)
def test_other_domains_and_plain_words_pass(rules, kestrel, body):
    assert not check_comment(body=body, author=kestrel).refuse


@pytest.mark.parametrize(
    ("href", "host"),
    [
        ("http://EVIL.example", "evil.example"),
        ("//evil.example/path", "evil.example"),
        ("http:evil.example", "evil.example"),
        ("http:\\\\evil.example", "evil.example"),
        ("/\\evil.example", "evil.example"),
        ("http://user:pw@evil.example:8080/", "evil.example"),
        ("http://evil%252Eexample", "evil.example"),
        ("http://ｅｖｉｌ．ｅｘａｍｐｌｅ", "evil.example"),
        ("http://evi\u00adl.example", "evil.example"),
        ("http://пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("/articles/the-last-ferry/", ""),
        ("#comment-3", ""),
    ],
)
def test_a_link_is_judged_by_the_host_a_browser_would_visit(href, host):
    assert link_host(href) == host


def test_the_link_count_counts_autolinks_and_markdown_links(rules, article, kestrel):
    body = "See <https://a.example>, [b](https://b.example) and [c](//c.example)."
    comment = post_comment(article=article, author=kestrel, body=body)
    assert (comment.status, comment.moderation_reason) == ("pending", "too_many_links")
    assert comment.moderation_params == {"count": 3}


def test_bare_addresses_are_text_not_links_and_are_not_counted(rules, article, kestrel):
    body = "https://a.example https://b.example https://c.example"
    comment = post_comment(article=article, author=kestrel, body=body)
    assert "<a " not in comment.body_html
    assert comment.status == "visible"


def test_mentions_and_comment_references_are_not_counted_as_links(rules, article, kestrel, nikolai):
    post_comment(article=article, author=nikolai, body="First")
    body = "@unc-2 see #1, and #1 again, and @unc-2 once more"
    comment = post_comment(article=article, author=kestrel, body=body)
    assert comment.body_html.count("<a ") == 4
    assert comment.status == "visible"


def test_a_comment_with_a_disguised_blocked_link_stores_nothing(rules, article, kestrel):
    with pytest.raises(CommentRejected, match=r"evil\.example"):
        post_comment(article=article, author=kestrel, body="[x](http://good.org@EVIL%2Eexample)")
    assert not Comment.objects.exists()


def test_a_banned_word_split_by_markup_is_refused_as_the_page_shows_it(settings, kestrel):
    settings.BROADSHEET_BANNED_WORDS = ["scumbag"]
    # The source has three stars between the halves; the page shows one word.
    assert check_comment(body="You scum***bag***", author=kestrel).refuse
