"""Rules that stop or hold back a comment before it is posted.

Each rule names itself: a refused comment tells its author why; a held one
carries the rule's words as its reason in the moderation queue. The word lists
are settings, matched on word boundaries after undoing simple disguises
(letter case, digits for letters, dots or spaces between letters).
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_URL = re.compile(r"https?://[^\s<>()\]]+", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    refuse: str = ""  # a message for the author: the comment is not posted
    hold: str = ""  # a reason for the queue: the comment waits for a moderator


def _word_pattern(word: str) -> re.Pattern:
    letters = [re.escape(ch) for ch in word.lower().translate(_LEET) if not ch.isspace()]
    # "s.p.a.m", "s p a m", "sp-am": up to two non-letters between letters.
    return re.compile(r"(?<![^\W_])" + r"[\W_]{0,2}".join(letters) + r"(?![^\W_])")


def _find_word(text: str, words: list[str]) -> str | None:
    plain = text.lower().translate(_LEET)
    for word in words:
        if word and _word_pattern(word).search(plain):
            return word
    return None


def _domain_blocked(host: str, blocked: list[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in blocked)


def check_comment(*, body: str, author) -> Verdict:
    """What the rules say about this text from this author."""
    banned = _find_word(body, settings.BROADSHEET_BANNED_WORDS)
    if banned:
        return Verdict(refuse=_("Your comment contains words that are not allowed here."))
    links = _URL.findall(body)
    blocked = settings.BROADSHEET_BLOCKED_DOMAINS
    for link in links:
        host = urlsplit(link).hostname or ""
        if blocked and _domain_blocked(host, blocked):
            return Verdict(refuse=_("Links to %(host)s are not allowed here.") % {"host": host})
    suspect = _find_word(body, settings.BROADSHEET_SUSPECT_WORDS)
    if suspect:
        return Verdict(hold=f"suspect word “{suspect}”")
    if len(links) > settings.BROADSHEET_MAX_LINKS:
        return Verdict(hold=f"too many links ({len(links)})")
    if _posted_same_text_recently(author, body):
        return Verdict(hold="same text posted again")
    return Verdict()


# Only the author's latest comments are compared: the check then costs the same
# for a reader with ten comments and one with ten thousand in the window (anyone
# posting faster than this meets the rate limits first).
REPEATS_COMPARED = 20


def _posted_same_text_recently(author, body: str) -> bool:
    from broadsheet.discussion.models import Comment

    since = timezone.now() - timedelta(minutes=10)
    latest = (
        Comment.objects.filter(author=author, created_at__gte=since)
        .order_by("-created_at")
        .values_list("body_markdown", flat=True)[:REPEATS_COMPARED]
    )
    return body in latest


def check_rate(*, author, discussion) -> str:
    """A message if the author is posting too fast, else "".

    Called by post_comment with the discussion row it has just locked, so slow
    mode is read from the row itself, not fetched again.
    """
    from broadsheet.discussion.models import Comment

    now = timezone.now()
    per_minute = settings.BROADSHEET_COMMENTS_PER_MINUTE
    recent = Comment.objects.filter(author=author, created_at__gte=now - timedelta(minutes=1))
    if per_minute and recent[:per_minute].count() >= per_minute:
        return _("You are posting too fast: at most %(count)d comments a minute.") % {
            "count": per_minute
        }
    per_article = settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE
    on_article = recent.filter(article_id=discussion.article_id)
    if per_article and on_article[:per_article].count() >= per_article:
        return _(
            "You are posting too fast here: at most %(count)d comments a minute on one article."
        ) % {"count": per_article}
    if discussion.in_breaking_news_mode:
        gap = settings.BROADSHEET_SLOW_MODE_SECONDS
        if Comment.objects.filter(
            author=author,
            article_id=discussion.article_id,
            created_at__gte=now - timedelta(seconds=gap),
        ).exists():
            return _("This article is busy: one comment per reader every %(seconds)d seconds.") % {
                "seconds": gap
            }
    return ""
