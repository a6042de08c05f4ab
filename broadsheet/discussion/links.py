"""The addresses of comments: the one place that knows the comment URL scheme.

Pages, rendering (`#N` references), live events, feeds and the API all ask
`comment_url`; templates get the addresses from `Comment.get_absolute_url` and
the comment's controls (discussion/controls.py), and the page script gets
`comment_url_pattern` from a data attribute. The scheme itself is the URLconf's
(discussion/urls.py, and moderation/urls.py for reports).

Each pattern is reversed once per article and action, then filled in with the
number: reversing a URL costs far more than formatting a string, and a page of
fifty comments needs a few hundred addresses.
"""

from functools import lru_cache

from django.urls import get_script_prefix, reverse

# A number no comment has, put where the number goes and then swapped for it.
_MARK = 987654321
NUMBER_PLACEHOLDER = "{number}"

_ROUTES = {
    "": "discussion:comment",
    "edit": "discussion:edit_comment",
    "delete": "discussion:delete_comment",
    "vote": "discussion:vote",
    "report": "moderation:report",
}


@lru_cache(maxsize=4096)
def _pattern(slug: str, action: str, script_prefix: str) -> str:
    url = reverse(_ROUTES[action], kwargs={"slug": slug, "number": _MARK})
    # The last one: the number comes after the slug, which might hold the same digits.
    head, _mark, tail = url.rpartition(str(_MARK))
    return f"{head}{NUMBER_PLACEHOLDER}{tail}"


def comment_url(article, number: int, action: str = "") -> str:
    """The address of comment `number` of `article` (its permalink), or of one of
    its actions: "edit", "delete", "vote" or "report"."""
    return _pattern(article.slug, action, get_script_prefix()).replace(
        NUMBER_PLACEHOLDER, str(int(number))
    )


def comment_url_pattern(article, action: str = "") -> str:
    """comment_url with `{number}` where the number goes, for the page script."""
    return _pattern(article.slug, action, get_script_prefix())


class CommentLinks:
    """comment_url for the comments of one article, its patterns looked up once:
    a page of fifty threads asks for a few hundred addresses, and each lookup
    read the script prefix from a context-local."""

    def __init__(self, article) -> None:
        prefix = get_script_prefix()
        self.article_id = article.pk
        self._patterns = {action: _pattern(article.slug, action, prefix) for action in _ROUTES}

    def url(self, number: int, action: str = "") -> str:
        return self._patterns[action].replace(NUMBER_PLACEHOLDER, str(int(number)))
