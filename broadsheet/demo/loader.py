# ruff: noqa: RUF001 - the demo's Russian comments are Russian on purpose
"""The demo edition: an article, five readers and a discussion, so that a
newcomer's first `broadsheet serve` shows a living page.

It goes through the same write operations as real content, so the demo is
also a smoke test of the write path.
"""

import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from broadsheet.articles.front_matter import read_article_source
from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import ImportedHistory, post_comment, vote_on_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim, normalize_passage, split_leading_quote
from broadsheet.readers.models import Reader
from broadsheet.readers.operations import create_reader_without_password

DEMO_DIR = Path(__file__).resolve().parent / "demo_content"

DEMO_READERS = [
    ("unc-2", "Nikolai Malyugin"),
    ("kestrel-7", "Anna Petrova"),
    ("old_salt", "Pavel Orlov"),
    ("marina-v", "Marina Volkova"),
    ("tern", "Elena Sokolova"),
]

DEMO_COMMENTS = [
    (
        "unc-2",
        "2023-06-20 14:30",
        "Good that somebody finally wrote about this. My mother crosses on the Zarya "
        "twice a month for her dialysis.\n\n"
        "Without the ferry it is a three-hour round trip by bus, and the bus runs twice a day.",
    ),
    (
        "kestrel-7",
        "2023-06-20 14:52",
        "> Ticket sales cover a fifth of the running costs; the rest, about 11 million "
        "roubles a year, came from the regional budget.\n\n"
        "Then the tickets are simply too cheap. Double the fare for cars and keep it for "
        "pensioners, and the gap is half as big. Nobody at that meeting wanted to say it.",
    ),
    (
        "old_salt",
        "2023-06-20 15:07",
        "> The region runs fourteen river crossings. Nine of them carry fewer than a "
        "hundred people a day.\n\n"
        "And the Zarya is not one of the nine. Compare what the same ministry said in "
        "spring:\n\n"
        '> "Lenta.ru": the ministry does not plan to close crossings that remain in '
        "demand, a spokesman said.\n\n"
        "Forty people every morning sounds like demand to me ;)",
    ),
    (
        "marina-v",
        "2023-06-20 16:20",
        "@kestrel-7 doubling the fare would hit the people who take the car to the "
        "hospital, not tourists. :sad:\n\nThe fund is the right idea, but it only buys "
        "one summer.",
    ),
    (
        "tern",
        "2023-06-21 08:15",
        "Crossed this morning. The repaired engine is *much* quieter, and the captain "
        "thanked everyone who gave to the fund. :smile:",
    ),
]


# Written under the Russian original (comment 6 quotes its first paragraph); the
# English edition's readers see them with a "Русский" label.
DEMO_COMMENTS_RU = [
    (
        "marina-v",
        "2023-06-21 09:40",
        "> Для большинства из них паром — единственный способ добраться до больницы\n\n"
        "И до школы: осенью на нём ездят двенадцать детей из Заречья.",
    ),
    (
        "unc-2",
        "2023-06-21 10:05",
        "#4 согласен, фонд — это на одно лето. Нужен договор с областью хотя бы на три года.",
    ),
]


def _aware(value: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.strptime(value, "%Y-%m-%d %H:%M"))


@transaction.atomic
def load_demo() -> Article:
    """Load the demo and return its English edition, the page a newcomer is shown:
    the story was first written in Russian, and both editions share one discussion
    (comments in both languages)."""
    original_source = read_article_source(DEMO_DIR / "posledniy-parom.md")
    original, _created = save_article(**original_source.as_kwargs())
    source = read_article_source(DEMO_DIR / "last-ferry.md")
    article, _created = save_article(**source.as_kwargs(), translation_of=original)
    readers = {}
    for handle, display_name in DEMO_READERS:
        reader = Reader.objects.by_handle(handle).first()
        if reader is None:
            reader = create_reader_without_password(
                handle=handle,
                email=f"{handle}@demo.invalid",
                display_name=display_name,
                date_joined=_aware("2021-03-01 10:00"),
                # Made-up addresses of made-up readers: marked verified, so that
                # the demo shows what a verified reader sees (no mail is sent).
                email_verified=True,
            )
        readers[handle] = reader
    if not original.comments.exists():
        _post_demo_discussion(article, readers)
    return article


# Which demo comments quote the article (their opening `>` passage is anchored
# to its paragraph), which answer another, and who voted for what.
DEMO_ARTICLE_QUOTES = {2, 3}
DEMO_REPLIES = {4: 2}  # comment 4 answers comment 2
DEMO_VOTES = [
    ("unc-2", 2, 1),
    ("marina-v", 1, 1),
    ("tern", 1, 1),
    ("tern", 3, 1),
    ("unc-2", 3, 1),
    ("old_salt", 2, -1),
    ("kestrel-7", 5, 1),
]


def _quote_of(page: Article, body: str) -> ArticleQuoteClaim:
    passage = normalize_passage(split_leading_quote(body)[0])
    anchor = next(a for a, text in page.paragraphs.items() if passage in text)
    return ArticleQuoteClaim(anchor=anchor, text=passage)


def _post_demo_discussion(edition: Article, readers: dict[str, Reader]) -> None:
    """The English comments under the English edition, then two Russian ones under
    the original: one discussion, numbered 1 to 7."""
    original = edition.original
    posted = {}
    for number, (handle, when, body) in enumerate(DEMO_COMMENTS, start=1):
        posted[number] = post_comment(
            article=original,
            edition=edition,
            language="en",
            author=readers[handle],
            body=body,
            parent=posted.get(DEMO_REPLIES.get(number, 0)),
            quote=_quote_of(edition, body) if number in DEMO_ARTICLE_QUOTES else None,
            history=ImportedHistory(posted_at=_aware(when)),
        )
    for offset, (handle, when, body) in enumerate(DEMO_COMMENTS_RU):
        number = len(DEMO_COMMENTS) + 1 + offset
        posted[number] = post_comment(
            article=original,
            language="ru",
            author=readers[handle],
            body=body,
            quote=_quote_of(original, body) if body.startswith(">") else None,
            history=ImportedHistory(posted_at=_aware(when)),
        )
    for handle, number, value in DEMO_VOTES:
        vote_on_comment(comment=posted[number], voter=readers[handle], value=value)


def load_demo_if_site_is_empty() -> bool:
    """Load the demo into a site with no articles and no readers; say whether it did."""
    if Article.objects.exists() or Reader.objects.exists():
        return False
    load_demo()
    return True
