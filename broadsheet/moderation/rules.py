"""Rules that stop or hold back a comment before it is posted or edited.

Each rule names itself: a refused comment tells its author why; a held one
carries the rule's code and values (moderation/reasons.py), which the
moderation queue puts into words in the moderator's language. The word lists
are settings, matched on word boundaries after undoing simple disguises
(letter case, digits for letters, dots or spaces between letters), in the text
as typed and in the text the page will show (so `scum&#98;ag` is caught too).

Link rules judge the links of the rendered HTML, the ones a reader can click,
by the host a browser would go to: a regular expression over the source text
misses `<http://…>` autolinks' and `[text](url)` links' many spellings
(`//host`, `http:host`, `user@host`, `%2E`, full-width dots, punycode). Bare
URLs are plain text on the page (linkify is off), so they do not count as
links, but one naming a blocked domain is refused all the same.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from broadsheet.discussion.models import Comment
from broadsheet.discussion.rendering import render_comment_markdown
from broadsheet.moderation import reasons
from broadsheet.moderation.reasons import Hold

_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# A web address written out in the page's text (not a link): `http(s):`, `//` or `www.`.
_BARE_URL = re.compile(r"(?:\bhttps?:|(?<![\w:/])//|\bwww\.)[^\s<>\"'()\]]+", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
# Browsers treat these as the dot between labels of a host name (UTS 46).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# Links the renderer makes itself, to this site: @mentions and #N references.
_OWN_LINK_CLASSES = {"mention", "comment-ref"}


@dataclass(frozen=True)
class Verdict:
    refuse: str = ""  # a message for the author: the comment is not posted
    hold: Hold | None = None  # a reason for the queue: the comment waits for a moderator


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


def normalise_host(host: str) -> str:
    """A host name as a browser resolves it: lower-case ASCII, punycode for
    other scripts, full-width letters and dots folded, no trailing dot."""
    # Invisible format characters (soft hyphen, zero-width joiners) vanish in
    # browsers' IDNA mapping, so `evi\u00adl.com` is evil.com.
    host = "".join(ch for ch in host if unicodedata.category(ch) != "Cf")
    host = unicodedata.normalize("NFKC", host).translate(_DOTS).lower().strip().rstrip(".")
    labels = []
    for label in host.split("."):
        labels.append(label if label.isascii() else "xn--" + label.encode("punycode").decode())
    return ".".join(labels)


def link_host(href: str) -> str:
    """The host a browser would go to from a link to `href`, normalised; "" for a
    link within this site (a relative one). Errs on the side of finding a host."""
    # Browsers drop tabs and line breaks anywhere in a URL, spaces at its ends,
    # and read a backslash as a slash in http(s) URLs.
    url = re.sub(r"[\t\n\r]", "", href).strip(" \x00-\x1f").replace("\\", "/")
    scheme = _SCHEME.match(url)
    if scheme:
        rest = url[scheme.end() :]
        if scheme.group(1).lower() == "mailto":
            return normalise_host(unquote(rest).split("?", 1)[0].rpartition("@")[2])
        # `http:host`, `http:/host` and `http:///host` all go to host.
        rest = rest.lstrip("/")
    elif url.startswith("//"):
        rest = url.lstrip("/")  # protocol-relative: another site all the same
    else:
        return ""
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    for _round in range(3):  # `%252E` too: decode until nothing changes
        decoded = unquote(authority)
        if decoded == authority:
            break
        authority = decoded
    # `http://good.example@evil.example` goes to evil.example: drop the user part.
    host = authority.rpartition("@")[2]
    # Then the port; an IPv6 address keeps its colons inside its brackets.
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    return normalise_host(host)


class _PageReading(HTMLParser):
    """What a rendered comment shows: its clickable links and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        href, css_class = attributes.get("href"), attributes.get("class")
        if tag == "a" and href and css_class not in _OWN_LINK_CLASSES:
            self.hrefs.append(href)

    def handle_data(self, data):
        self.text.append(data)


@dataclass(frozen=True)
class PageContent:
    link_hosts: list[str]  # hosts of the links that leave this site, in order
    text: str  # the words a reader sees
    text_hosts: list[str]  # hosts of URLs written out as plain text


def read_page_content(body_html: str) -> PageContent:
    """The links and text of a comment's rendered (and sanitized) HTML."""
    reading = _PageReading()
    reading.feed(body_html)
    reading.close()
    text = "".join(reading.text)
    link_hosts = [host for host in map(link_host, reading.hrefs) if host]
    text_hosts = []
    for url in _BARE_URL.findall(text):
        host = link_host(url if not url.lower().startswith("www.") else "//" + url)
        if host:
            text_hosts.append(host)
    return PageContent(link_hosts=link_hosts, text=text, text_hosts=text_hosts)


def _domain_blocked(host: str, blocked: list[str]) -> bool:
    host = normalise_host(host)
    for domain in blocked:
        domain = normalise_host(domain)
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def check_comment(*, body: str, author, body_html: str | None = None, editing=None) -> Verdict:
    """What the rules say about this text from this author.

    `body_html` is the text as the page will show it (rendered here when not
    given); `editing` is the comment being edited, which is not a repeat of itself.
    """
    if body_html is None:
        body_html = render_comment_markdown(body)
    page = read_page_content(body_html)
    both = f"{body}\n{page.text}"
    banned = _find_word(both, settings.BROADSHEET_BANNED_WORDS)
    if banned:
        return Verdict(refuse=_("Your comment contains words that are not allowed here."))
    blocked = settings.BROADSHEET_BLOCKED_DOMAINS
    if blocked:
        for host in [*page.link_hosts, *page.text_hosts]:
            if _domain_blocked(host, blocked):
                return Verdict(refuse=_("Links to %(host)s are not allowed here.") % {"host": host})
    suspect = _find_word(both, settings.BROADSHEET_SUSPECT_WORDS)
    if suspect:
        return Verdict(hold=Hold(reasons.SUSPECT_WORD, {"word": suspect}))
    if len(page.link_hosts) > settings.BROADSHEET_MAX_LINKS:
        return Verdict(hold=Hold(reasons.TOO_MANY_LINKS, {"count": len(page.link_hosts)}))
    if _posted_same_text_recently(author, body, editing=editing):
        return Verdict(hold=Hold(reasons.REPEATED_TEXT))
    return Verdict()


# Only the author's latest comments are compared: the check then costs the same
# for a reader with ten comments and one with ten thousand in the window (anyone
# posting faster than this meets the rate limits first).
REPEATS_COMPARED = 20


def _posted_same_text_recently(author, body: str, *, editing=None) -> bool:
    since = timezone.now() - timedelta(minutes=10)
    recent = Comment.objects.filter(author=author, created_at__gte=since)
    if editing is not None:
        recent = recent.exclude(pk=editing.pk)
    latest = recent.order_by("-created_at").values_list("body_markdown", flat=True)[
        :REPEATS_COMPARED
    ]
    return body in latest


def check_rate(*, author, discussion) -> str:
    """A message if the author is posting too fast, else "".

    Called by post_comment with the discussion row it has just locked, so slow
    mode is read from the row itself, not fetched again. Every limit is counted
    in one query over the author's latest comments (the limits themselves keep
    those few).
    """
    now = timezone.now()
    per_minute = settings.BROADSHEET_COMMENTS_PER_MINUTE
    per_article = settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE
    slow_mode = discussion.in_breaking_news_mode
    if not (per_minute or per_article or slow_mode):
        return ""  # every limit is off: no query to build
    minute_ago = now - timedelta(minutes=1)
    gap = settings.BROADSHEET_SLOW_MODE_SECONDS
    gap_ago = now - timedelta(seconds=gap) if slow_mode else minute_ago
    here = Q(article_id=discussion.article_id)
    counts = Comment.objects.filter(
        author=author, created_at__gte=min(minute_ago, gap_ago)
    ).aggregate(
        in_minute=Count("pk", filter=Q(created_at__gte=minute_ago)),
        here_in_minute=Count("pk", filter=here & Q(created_at__gte=minute_ago)),
        here_in_gap=Count("pk", filter=here & Q(created_at__gte=gap_ago)),
    )
    if per_minute and counts["in_minute"] >= per_minute:
        return _("You are posting too fast: at most %(count)d comments a minute.") % {
            "count": per_minute
        }
    if per_article and counts["here_in_minute"] >= per_article:
        return _(
            "You are posting too fast here: at most %(count)d comments a minute on one article."
        ) % {"count": per_article}
    if slow_mode and counts["here_in_gap"]:
        return _("This article is busy: one comment per reader every %(seconds)d seconds.") % {
            "seconds": gap
        }
    return ""
