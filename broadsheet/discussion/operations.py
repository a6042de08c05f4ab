"""Write operations on discussions: the only code that creates or changes comments and votes.

The browser forms, the demo loader and (later) the API and importers all come
through here, so numbering, threading, quoting, rendering and limits hold for
every door.
"""

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from broadsheet.core.hooks import Hook
from broadsheet.discussion import events
from broadsheet.discussion.models import MAX_DEPTH, Comment, Discussion, Vote
from broadsheet.discussion.quotes import (
    AnchoredQuote,
    ArticleQuoteClaim,
    verify_article_quote,
)
from broadsheet.discussion.refusals import CommentRejected, check_editable
from broadsheet.discussion.rendering import render_comment_markdown
from broadsheet.live.publishing import (
    announce_page_change,
    drop_comment_events,
    erase_comment_from_events,
    record_event,
)
from broadsheet.metrics import COMMENTS_POSTED, COMMENTS_REFUSED
from broadsheet.moderation import reasons
from broadsheet.moderation.audit import audit
from broadsheet.moderation.reasons import Hold
from broadsheet.moderation.rules import check_comment, check_rate
from broadsheet.notifications.operations import (
    queue_comment_for_notifications,
    withdraw_notifications_about,
)
from broadsheet.prepared import insert_row, prepared_rows, update_row
from broadsheet.readers.models import Reader
from broadsheet.search.operations import (
    comment_words,
    index_comment,
    index_new_comment,
    index_new_comments,
    reassign_search_author,
    unindex_comment,
)
from broadsheet.translation.models import CommentTranslation

PATH_DIGITS = 10

# Told, inside the operation's transaction, of each change to a comment that the
# public may hear of: `comment_changed(event=..., comment=..., actor=...)` with
# event "comment.posted" (it became public: posted unheld, or approved),
# "comment.edited" (a public comment's new text), "comment.deleted" (a public
# comment deleted by its author), "comment.withdrawn" (a public comment left the
# page: a held edit, a rejection), and the moderators' "comment.approved" and
# "comment.rejected". Filled by the apps above (integrations sends webhooks) in
# their AppConfig.ready, so that discussion imports none of them. Imports
# (`history`) and generated comments are not news and are not told.
comment_changed = Hook("comment_changed")


def open_discussion(*, article) -> Discussion:
    """Make sure the article has its discussion row (and so its counters)."""
    discussion, _created = Discussion.objects.get_or_create(article=article)
    return discussion


def validate_comment_body(body: str) -> str:
    """Return the body as it will be stored, or raise CommentRejected saying why."""
    # Normalise line endings only: the text is otherwise kept as the author wrote it.
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise CommentRejected(_("The comment is empty. Please write something first."), "empty")
    limit = settings.BROADSHEET_COMMENT_MAX_LENGTH
    if len(body) > limit:
        raise CommentRejected(
            ngettext(
                "The comment is too long: %(length)d character, the limit is %(limit)d.",
                "The comment is too long: %(length)d characters, the limit is %(limit)d.",
                len(body),
            )
            % {"length": len(body), "limit": limit},
            "too_long",
        )
    return body


def _render(article, body: str) -> str:
    # Rendered in the article's language, not the poster's: emoticons' alt text
    # is baked into the stored HTML, and every reader of this edition shares it.
    with translation.override(article.language):
        return render_comment_markdown(body, article=article)


@dataclass(frozen=True)
class JudgedText:
    """What a text becomes: stored as `body`, shown as `body_html`."""

    body: str
    body_html: str
    hold: Hold | None  # why a rule holds it for a moderator, or None
    anchored: AnchoredQuote | None = None


def judge_comment_text(
    *,
    article,
    author,
    body: str,
    quote: ArticleQuoteClaim | None = None,
    editing: Comment | None = None,
) -> JudgedText:
    """Decide what a text may become, whichever door it comes through (a post, an
    edit, the API, an importer), or raise CommentRejected saying why not.

    The text is rendered once, here, and the rules judge that rendering: the
    links and words the page will show, not a guess made from the source.
    Whether the discussion itself holds the comment (pre-moderation, new
    readers) is asked afterwards, under the discussion's row lock.
    """
    body = validate_comment_body(body)
    anchored = verify_article_quote(article=article, body=body, claim=quote) if quote else None
    if anchored is not None:
        body = anchored.remaining_body
        if not body:
            raise CommentRejected(_("Add your own words below the quote."), "empty")
    body_html = _render(article, body)
    verdict = check_comment(body=body, body_html=body_html, author=author, editing=editing)
    if verdict.refuse:
        raise CommentRejected(verdict.refuse, "rule")
    return JudgedText(body=body, body_html=body_html, hold=verdict.hold, anchored=anchored)


def check_may_reply_to(*, parent: Comment, article, reader) -> None:
    """Refuse a reply to a comment the replier cannot see (another reader's held
    comment, say), in the words a missing one gets: a reply must not reveal it."""
    if (
        parent.article_id != article.pk
        or not Comment.objects.visible_to(reader).filter(pk=parent.pk).exists()
    ):
        raise CommentRejected(_("The comment you are replying to does not exist."), "no_parent")


@dataclass(frozen=True)
class ImportedHistory:
    """A comment of the past being posted now (by an importer, or the demo): when
    it was really written.

    Its comments keep that time, and the reader's rate limits are not asked: they
    judge how fast someone posts now, and an import replays years in seconds.
    Everything else (the rules, numbering, the discussion's mode) holds as for any
    post. This is the only way to skip the rate limits, so that no door does it
    by accident.
    """

    posted_at: datetime


def _counted(post: Callable[..., Comment]) -> Callable[..., Comment]:
    """Count what became of each new comment for /metrics: published, held, or
    refused and why (the refusal's code, one of a few fixed words)."""

    @functools.wraps(post)
    def counted(**kwargs) -> Comment:
        try:
            comment = post(**kwargs)
        except CommentRejected as refusal:
            COMMENTS_REFUSED.labels(refusal.code).inc()
            raise
        if kwargs.get("history") is None:
            held = comment.status == Comment.Status.PENDING
            COMMENTS_POSTED.labels("held" if held else "published").inc()
        return comment

    return counted


@_counted
def post_comment(
    *,
    article,
    author,
    body: str,
    parent: Comment | None = None,
    quote: ArticleQuoteClaim | None = None,
    submission_key: uuid.UUID | None = None,
    history: "ImportedHistory | None" = None,
    edition=None,
    language: str = "",
) -> Comment:
    """Post a comment (or a reply to `parent`) and give it the next number in the article.

    The number comes from the discussion's counter, read and bumped under a row
    lock inside the same transaction as the insert: PostgreSQL holds the lock
    until commit and SQLite runs one IMMEDIATE writer at a time, so two comments
    posted at once cannot get the same number, and a rolled-back insert gives
    its number back. A repeated `submission_key` from the same author returns
    the comment that key already made, so a retried form post never doubles.
    A claimed article quote is kept as an anchored quote only if its passage
    really is in that paragraph; otherwise it stays in the body as a plain quote.
    `history` posts a comment of the past (an import, the demo): see ImportedHistory.
    `edition` is the page it was posted under when that is an edition of `article`
    (whose discussion every edition shares): a quote is verified against that
    edition's text, and the comment is in its language unless `language` names
    another of the site's languages.
    """
    if article.translation_of_id is not None:
        # Posted to an edition: the comment joins its original's discussion.
        article, edition = article.translation_of, edition or article
    if parent is not None and parent.article_id != article.pk:
        raise CommentRejected(_("You can only reply to a comment under the same article."))
    page = edition if edition is not None else article
    if page.pk != article.pk and page.translation_of_id != article.pk:
        raise CommentRejected(_("An edition shares its own original's discussion only."))
    if language not in dict(settings.LANGUAGES):
        language = page.language
    check_may_take_part(author)
    validate_comment_body(body)
    try:
        return _post_new_comment(
            article=article, page=page, author=author, body=body, parent=parent, quote=quote,
            submission_key=submission_key, history=history, language=language,
        )  # fmt: skip
    except (IntegrityError, CommentRejected):
        # A retried submission (the same author, the same key) is not looked up
        # beforehand, which would cost every post a query: it meets its first copy
        # at the unique constraint on (author, submission key), or at a refusal the
        # first copy made true (the rate limit it counts in). Either way, nothing of
        # it was stored: answer with the first copy.
        if submission_key is not None:
            existing = _find_submitted(author=author, submission_key=submission_key)
            if existing is not None:
                return existing
        raise


def _post_new_comment(
    *, article, page, author, body: str, parent, quote, submission_key, history, language: str
) -> Comment:
    """post_comment's work once the caller's arguments are settled: judge, number and
    store the comment in one transaction (post_comment answers a retry)."""
    if parent is not None:
        check_may_reply_to(parent=parent, article=article, reader=author)
    judged = judge_comment_text(article=page, author=author, body=body, quote=quote)
    anchored = judged.anchored
    # The comment as it will be stored, but for what only the discussion's lock
    # decides (its number, and so its thread and path; its time; whether it is
    # held). Its live event's HTML is drawn now, with a stand-in number, so that
    # the write lock is not held while a template renders (docs/posting.md, round 4).
    comment = Comment(
        article=article,
        number=events.NUMBER_HOLE,
        author=author,
        body_markdown=judged.body,
        body_html=judged.body_html,
        created_at=history.posted_at if history else timezone.now(),
        submission_key=submission_key,
        language=language,
    )
    place_in_thread(comment, parent)
    if anchored is not None:
        comment.quote_anchor = anchored.anchor
        comment.quote_text = anchored.text
        comment.quote_revision = page.revision
        comment.quote_language = page.language if page.pk != article.pk else ""
    # A comment a rule holds is never news: nothing to draw.
    drawn = events.draw_comment_posted(comment) if judged.hold is None else None
    words = comment_words(body_html=judged.body_html, article=article)
    with transaction.atomic():
        discussion = _lock_discussion(article_id=article.pk)
        if discussion.effective_mode == Discussion.Mode.CLOSED:
            raise CommentRejected(_("The discussion of this article is closed."), "closed")
        too_fast = check_rate(author=author, discussion=discussion) if history is None else ""
        if too_fast:
            raise CommentRejected(too_fast, "too_fast")
        held_because = judged.hold or _hold_reason(discussion, author)
        discussion.last_number += 1
        update_fields = ["last_number"]
        if not held_because:
            update_fields += count_as_visible(
                discussion, quote_anchor=anchored.anchor if anchored else "", delta=+1
            )
        update_row(discussion, fields=update_fields)
        comment.number = discussion.last_number
        place_in_thread(comment, parent)
        if history is None:
            comment.created_at = timezone.now()
        if held_because:
            comment.status = Comment.Status.PENDING
            comment.moderation_reason = held_because.code
            comment.moderation_params = held_because.params
        insert_row(comment)
        index_new_comment(comment=comment, words=words)
        if parent is not None:
            Comment.objects.filter(article=article, number=comment.thread).update(
                reply_count=F("reply_count") + 1
            )
        comment.article, comment.author = article, author
        if not held_because:
            # A held comment is news only to its author; pages learn of it on approval.
            event = drawn.event(comment) if drawn else events.comment_posted(comment)
            record_event(article_id=article.pk, event=event)
            if history is None and settings.BROADSHEET_NOTIFICATIONS:
                # A row in this transaction: whoever it concerns is told by
                # the worker, never while the poster waits.
                queue_comment_for_notifications(comment=comment)
            if history is None:
                comment_changed(event="comment.posted", comment=comment, actor=author)
        _update_breaking_news(discussion)
    return comment


def _locked_discussion_query(*, article_id: int):
    return (
        Discussion.objects.select_for_update()
        .filter(article_id=article_id)
        .values_list(*(field.attname for field in Discussion._meta.concrete_fields))
    )


def _lock_discussion(*, article_id: int) -> Discussion:
    """The article's discussion row, locked until the transaction ends (FOR UPDATE on
    PostgreSQL; on SQLite the transaction's BEGIN IMMEDIATE holds the write lock).
    Read by a prepared query: it is the first statement of every post."""
    rows = prepared_rows(_locked_discussion_query, values={"article_id": article_id})
    if not rows:
        raise Discussion.DoesNotExist("Discussion matching query does not exist.")
    names = [field.attname for field in Discussion._meta.concrete_fields]
    return Discussion.from_db("default", names, rows[0])


def count_as_visible(discussion: Discussion, *, quote_anchor: str, delta: int) -> list[str]:
    """Add (+1) or remove (-1) a visible comment from the discussion's counters.

    The caller holds the discussion row locked and saves the returned fields;
    posting, deleting, approving and rejecting all count through here.
    """
    discussion.comment_count = max(0, discussion.comment_count + delta)
    fields = ["comment_count"]
    if quote_anchor:
        counts = dict(discussion.quote_counts)
        counts[quote_anchor] = counts.get(quote_anchor, 0) + delta
        if counts[quote_anchor] <= 0:
            del counts[quote_anchor]
        discussion.quote_counts = counts
        fields.append("quote_counts")
    return fields


def check_may_take_part(reader) -> None:
    """Refuse, saying why, a banned or suspended reader's post, edit, vote or report,
    and an unverified one's when the site asks for verified addresses
    (BROADSHEET_UNVERIFIED_MAY_COMMENT off)."""
    if getattr(reader, "is_banned", False):
        raise CommentRejected(_("Your account may no longer post or vote."), "banned")
    if getattr(reader, "must_verify_email_to_take_part", False):
        raise CommentRejected(
            _(
                "Please verify your email address first: open the link we sent you, or send "
                "it again from your account settings. Until then you can read, but not "
                "post, reply or vote."
            ),
            "unverified",
        )
    if getattr(reader, "is_suspended", False):
        until = timezone.localtime(reader.suspended_until)
        raise CommentRejected(
            _("Your account is suspended until %(until)s: you can read, but not post or vote.")
            % {"until": date_format(until, "DATETIME_FORMAT")},
            "suspended",
        )


def _hold_reason(discussion: Discussion, author) -> Hold | None:
    """Why a new or edited comment should wait for a moderator, or None to publish it."""
    if discussion.effective_mode == Discussion.Mode.PREMODERATED:
        return Hold(reasons.PREMODERATED)
    if discussion.in_breaking_news_mode and timezone.now() - author.date_joined < timedelta(days=1):
        return Hold(reasons.BREAKING_NEWS_NEW_READER)
    first = settings.BROADSHEET_PREMODERATE_FIRST_COMMENTS
    if (
        first
        and not Comment.objects.filter(author=author, status=Comment.Status.VISIBLE)[:first].count()
        >= first
    ):
        return Hold(reasons.NEW_READER, {"count": first})
    return None


def _update_breaking_news(discussion: Discussion) -> None:
    """Switch breaking-news mode on when comments pour in, off when they calm down.

    Runs inside the posting transaction, with the discussion row locked, so two
    posts cannot both switch it.
    """
    if not discussion.in_breaking_news_mode:
        threshold = settings.BROADSHEET_BREAKING_NEWS_PER_MINUTE
        if threshold and _count_last_minute(discussion, up_to=threshold) >= threshold:
            _switch_breaking_news(
                discussion,
                since=timezone.now(),
                reason=f"at least {threshold} comments in a minute",
            )
    else:
        calm = settings.BROADSHEET_BREAKING_NEWS_CALM_PER_MINUTE
        if _count_last_minute(discussion, up_to=calm + 1) <= calm:
            _switch_breaking_news(
                discussion, since=None, reason=f"at most {calm} comments in a minute"
            )


def _last_minute_query(*, limit: int, article_id: int, since: datetime):
    recent = Comment.objects.filter(article_id=article_id, created_at__gte=since)
    return recent.values_list("pk")[:limit]


def _count_last_minute(discussion: Discussion, *, up_to: int) -> int:
    """How many comments (of any state) the article got in the last minute, counted
    up to `up_to`. Asked on every post, so a prepared query (broadsheet.prepared):
    Django built the count's query afresh each time, which cost more than SQLite's
    answer from the (article, created_at) index."""
    rows = prepared_rows(
        _last_minute_query,
        shape={"limit": up_to},
        values={
            "article_id": discussion.article_id,
            "since": timezone.now() - timedelta(minutes=1),
        },
    )
    return len(rows)


def _switch_breaking_news(discussion: Discussion, *, since, reason: str) -> None:
    discussion.breaking_news_since = since
    discussion.save(update_fields=["breaking_news_since"])
    announce_page_change(article_id=discussion.article_id)
    # The audit log is where moderators look first; the queue shows the held comments.
    audit(
        actor=None,
        action="discussion.breaking_news_on" if since else "discussion.breaking_news_off",
        target=f"article {discussion.article_id}",
        reason=reason,
    )


def _segment(number: int) -> str:
    return str(number).zfill(PATH_DIGITS)


def place_in_thread(comment: Comment, parent: Comment | None) -> None:
    """Set a numbered comment's parent, thread, depth and path under `parent`.

    The one place the thread layout is written: post_comment and the bulk
    insertion of generated comments both come here, so pages read every
    discussion alike.
    """
    if parent is None:
        comment.thread, comment.depth, comment.path = comment.number, 0, _segment(comment.number)
        return
    comment.parent = parent
    comment.thread = parent.thread
    if parent.depth < MAX_DEPTH:
        comment.depth = parent.depth + 1
        comment.path = f"{parent.path}.{_segment(comment.number)}"
    else:
        # Too deep to indent further: sit beside the parent, after it.
        comment.depth = parent.depth
        comment.path = f"{parent.path.rsplit('.', 1)[0]}.{_segment(comment.number)}"


@dataclass(frozen=True)
class GeneratedComment:
    """One made-up comment for insert_generated_comments; `reply_to` is the number
    of the comment it answers, which must come before it."""

    author: Reader
    body_markdown: str
    body_html: str
    created_at: datetime
    reply_to: int | None = None
    quote_anchor: str = ""
    quote_text: str = ""
    score: int = 0


@transaction.atomic
def insert_generated_comments(
    *, article, comments: list[GeneratedComment], batch_size: int = 2000
) -> list[Comment]:
    """Add made-up comments to an article with no comments yet, in bulk: for the demo
    generator's large sites (benchmarks, development) and the scale tests.

    The rows are laid out as post_comment lays them out (numbers from 1, threads,
    paths, reply and quote counts, the discussion's counters), because a million
    comments through one transaction each would take hours. Nothing is judged,
    rate-limited, announced or audited: this is not a door for readers' words.
    """
    discussion = Discussion.objects.select_for_update().get(article=article)
    if discussion.last_number:
        raise CommentRejected("Generated comments go into an empty discussion only.")
    rows: list[Comment] = []
    for number, spec in enumerate(comments, start=1):
        comment = Comment(
            article=article,
            number=number,
            author=spec.author,
            body_markdown=spec.body_markdown,
            body_html=spec.body_html,
            created_at=spec.created_at,
            quote_anchor=spec.quote_anchor,
            quote_text=spec.quote_text,
            score=spec.score,
        )
        place_in_thread(comment, rows[spec.reply_to - 1] if spec.reply_to else None)
        rows.append(comment)
    # A parent has no id until it is inserted: replies learn theirs afterwards.
    replies_to = [(comment, comment.parent) for comment in rows if comment.parent is not None]
    for comment, _parent in replies_to:
        comment.parent = None
    Comment.objects.bulk_create(rows, batch_size=batch_size)
    if replies_to:
        if any(comment.pk is None for comment in rows):  # a database that returns no ids
            ids = dict(Comment.objects.filter(article=article).values_list("number", "pk"))
            for comment in rows:
                comment.pk = ids[comment.number]
        for comment, parent in replies_to:
            comment.parent = parent
        Comment.objects.bulk_update([c for c, _p in replies_to], ["parent"], batch_size=batch_size)
    index_new_comments(article=article, comments=rows, batch_size=batch_size)
    replies: dict[int, int] = {}
    for comment in rows:
        if comment.thread != comment.number:
            replies[comment.thread] = replies.get(comment.thread, 0) + 1
    for thread, total in replies.items():
        Comment.objects.filter(article=article, number=thread).update(reply_count=total)
    discussion.last_number = len(rows)
    discussion.comment_count = len(rows)
    quote_counts: dict[str, int] = {}
    for comment in rows:
        if comment.quote_anchor:
            quote_counts[comment.quote_anchor] = quote_counts.get(comment.quote_anchor, 0) + 1
    discussion.quote_counts = quote_counts
    discussion.save(update_fields=["last_number", "comment_count", "quote_counts"])
    announce_page_change(article_id=article.pk)
    return rows


@dataclass(frozen=True)
class HistoricalComment:
    """One comment of another system's past for post_history.

    `reply_to` is the comment it answers: a Comment already in the discussion,
    or the position (from 0) of an earlier entry of the same call. `hold` keeps
    it for moderators (spam, or unapproved where it came from); `deleted` makes
    it a placeholder that keeps its number, as a deletion here does.
    """

    author: Reader
    body: str
    posted_at: datetime
    reply_to: "Comment | int | None" = None
    hold: Hold | None = None
    deleted: bool = False
    score: int = 0


def check_historical_body(body: str) -> str:
    """The text of a comment of the past as it will be stored, or CommentRejected
    saying why: the same limits as any comment's."""
    return validate_comment_body(body)


@transaction.atomic
def post_history(*, article, entries: list[HistoricalComment]) -> list[Comment]:
    """Add comments of the past (an import) to an article's discussion, in one go.

    The explicit way to post history, apart from post_comment because a
    discussion of ten thousand imported comments through one transaction each
    would take minutes and announce itself ten thousand times. What holds for
    every comment holds here: the same length limits and rendering (Markdown
    subset, then the sanitizer), numbers given under the discussion's lock,
    after any comments already there (nothing there is renumbered), the same
    thread layout and counters. What does not: rate limits and the rules judge
    how someone posts now, and a closed discussion stays closed to readers, not
    to its own history; and history is news to nobody, so no live event and no
    notification is sent (the page cache is told, so pages show it).
    Entries must come in the order they get their numbers: a reply after the
    comment it answers.
    """
    if not entries:
        return []
    if article.translation_of_id is not None:
        article = article.translation_of  # an edition's comments are its original's
    discussion = Discussion.objects.select_for_update().get(article=article)
    rows: list[Comment] = []
    quote_anchor = ""
    visible = 0
    for position, entry in enumerate(entries):
        parent = entry.reply_to
        if isinstance(parent, int):
            if not 0 <= parent < position:
                raise CommentRejected(
                    f"Entry {position} answers entry {parent}, which is not before it."
                )
            parent = rows[parent]
        elif parent is not None and parent.article_id != article.pk:
            raise CommentRejected(_("You can only reply to a comment under the same article."))
        discussion.last_number += 1
        comment = Comment(
            article=article,
            number=discussion.last_number,
            author=entry.author,
            created_at=entry.posted_at,
            score=entry.score,
            upvotes=max(entry.score, 0),
            downvotes=max(-entry.score, 0),
        )
        if entry.deleted:
            comment.body_markdown = comment.body_html = ""
            comment.deleted_at = entry.posted_at
        else:
            comment.body_markdown = check_historical_body(entry.body)
            comment.body_html = _render(article, comment.body_markdown)
        if entry.hold is not None:
            comment.status = Comment.Status.PENDING
            comment.moderation_reason = entry.hold.code
            comment.moderation_params = entry.hold.params
        elif not entry.deleted:
            visible += 1
        place_in_thread(comment, parent)
        rows.append(comment)
    # A parent made in this call has no id until it is inserted: its replies learn
    # it afterwards, as in insert_generated_comments.
    replies_to = [(c, c.parent) for c in rows if c.parent is not None and c.parent.pk is None]
    for comment, _parent in replies_to:
        comment.parent = None
    Comment.objects.bulk_create(rows)
    if any(comment.pk is None for comment in rows):  # a database that returns no ids
        numbers = [comment.number for comment in rows]
        ids = dict(
            Comment.objects.filter(article=article, number__in=numbers).values_list("number", "pk")
        )
        for comment in rows:
            comment.pk = ids[comment.number]
    if replies_to:
        for comment, parent in replies_to:
            comment.parent = parent
        Comment.objects.bulk_update([c for c, _p in replies_to], ["parent"], batch_size=500)
    replies: dict[int, int] = {}
    for comment in rows:
        if comment.thread != comment.number:
            replies[comment.thread] = replies.get(comment.thread, 0) + 1
    for thread, added in replies.items():
        Comment.objects.filter(article=article, number=thread).update(
            reply_count=F("reply_count") + added
        )
    index_new_comments(article=article, comments=[c for c in rows if not c.is_deleted])
    update_fields = ["last_number"]
    if visible:
        update_fields += count_as_visible(discussion, quote_anchor=quote_anchor, delta=visible)
    discussion.save(update_fields=update_fields)
    announce_page_change(article_id=article.pk)
    return rows


@transaction.atomic
def transfer_comments(*, from_author: Reader, to_author: Reader) -> int:
    """Give every comment of one account to another (a reader claiming the comments
    imported under their address); returns how many moved. The pages that show
    them are told, so the new author's name appears at once."""
    articles = list(
        Comment.objects.filter(author=from_author).values_list("article_id", flat=True).distinct()
    )
    moved = Comment.objects.filter(author=from_author).update(author=to_author)
    reassign_search_author(from_author=from_author, to_author=to_author)
    for article_id in articles:
        announce_page_change(article_id=article_id)
    return moved


def _find_submitted(*, author, submission_key: uuid.UUID) -> Comment | None:
    # Almost always there is none: ask for the id alone (a cheap query to build
    # and read), and load the whole comment only for a real retry.
    found = Comment.objects.filter(author=author, submission_key=submission_key).values("pk")
    if not found:
        return None
    return Comment.objects.select_related("article", "author").get(pk=found[0]["pk"])


def edit_comment(*, comment: Comment, editor, body: str, now: datetime | None = None) -> Comment:
    """Replace the text of a comment; only its author, only within the edit window.

    An edit is a post: the same checks of the reader, the same rules and the same
    discussion mode decide it, or a reader could post something harmless and
    then edit it into what the rules refuse. An edit that is held sends the
    comment back to the moderation queue: it leaves the public page and the
    counters, and open pages hear nothing of it until a moderator approves it.
    A held comment's edit stays held. Edits per reader are limited in the view
    (BROADSHEET_EDITS_PER_MINUTE).
    """
    now = now or timezone.now()
    check_editable(comment=comment, editor=editor, now=now)
    check_may_take_part(editor)
    if validate_comment_body(body) == comment.body_markdown:
        return comment  # nothing changed: nothing to judge, store or announce
    article = comment.article
    judged = judge_comment_text(article=article, author=editor, body=body, editing=comment)
    with transaction.atomic():
        discussion = Discussion.objects.select_for_update().get(article_id=comment.article_id)
        if discussion.effective_mode == Discussion.Mode.CLOSED:
            raise CommentRejected(_("The discussion of this article is closed."))
        # Read again under the lock: a moderator may have decided on it meanwhile.
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        check_editable(comment=locked, editor=editor, now=now)
        locked.article, locked.author = article, comment.author
        locked.body_markdown = judged.body
        locked.body_html = judged.body_html
        locked.edited_at = now
        update_fields = ["body_markdown", "body_html", "edited_at"]
        held_because = judged.hold or _hold_reason(discussion, editor)
        if held_because or locked.is_pending:
            if locked.status == Comment.Status.VISIBLE:
                discussion.save(
                    update_fields=count_as_visible(
                        discussion, quote_anchor=locked.quote_anchor, delta=-1
                    )
                )
                # The stored events of its public version go (a replay must not show
                # what a reload hides), and open pages take it away; no event carries
                # the held text.
                erase_comment_from_events(article_id=locked.article_id, number=locked.number)
                withdraw_notifications_about(comment=locked)
                record_event(article_id=locked.article_id, event=events.comment_withdrawn(locked))
                comment_changed(event="comment.withdrawn", comment=locked, actor=editor)
            locked.status = Comment.Status.PENDING
            update_fields.append("status")
            if held_because:  # else it was held already, and keeps its reason
                locked.moderation_reason = held_because.code
                locked.moderation_params = held_because.params
                update_fields += ["moderation_reason", "moderation_params"]
        locked.save(update_fields=update_fields)
        # Held now: the index keeps it for moderators, and readers' searches leave it out.
        index_comment(comment=locked)
        if not locked.is_pending:
            record_event(article_id=locked.article_id, event=events.comment_edited(locked))
            comment_changed(event="comment.edited", comment=locked, actor=editor)
    for field in update_fields:  # the caller's copy tells the truth too
        setattr(comment, field, getattr(locked, field))
    return locked


def delete_comment(*, comment: Comment, deleter, now: datetime | None = None) -> Comment:
    """Delete a comment by its author: a placeholder keeps its number and its replies."""
    if comment.author_id != deleter.pk:
        raise CommentRejected(_("Only the author can delete this comment."))
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.is_deleted:
            return locked
        was_public = locked.status == Comment.Status.VISIBLE
        if was_public:
            discussion = Discussion.objects.select_for_update().get(article_id=locked.article_id)
            discussion.save(
                update_fields=count_as_visible(
                    discussion, quote_anchor=locked.quote_anchor, delta=-1
                )
            )
        # Erase the words (the reader asked for them to go) but keep the row.
        locked.deleted_at = now or timezone.now()
        locked.body_markdown = ""
        locked.body_html = ""
        locked.quote_text = ""
        locked.save(update_fields=["deleted_at", "body_markdown", "body_html", "quote_text"])
        unindex_comment(comment=locked)
        erase_comment_from_events(article_id=locked.article_id, number=locked.number)
        withdraw_notifications_about(comment=locked)
        record_event(article_id=locked.article_id, event=events.comment_deleted(locked))
        if was_public:  # a held comment's number was never news
            comment_changed(event="comment.deleted", comment=locked, actor=deleter)
    return locked


@dataclass(frozen=True)
class VoteResult:
    score: int
    upvotes: int
    downvotes: int
    value: int  # the voter's vote now: 1, -1 or 0


def vote_on_comment(*, comment: Comment, voter, value: int) -> VoteResult:
    """Vote +1 or -1 on a comment, or 0 to withdraw; changing a vote replaces it.

    The comment row is locked first, so two votes from one reader arriving at
    once are applied one after the other (the second sees the first), and the
    unique (comment, voter) constraint makes a double vote impossible anyway.
    """
    if value not in (-1, 0, 1):
        raise CommentRejected(_("A vote is up or down."))
    if comment.author_id == voter.pk:
        raise CommentRejected(_("You cannot vote on your own comment."))
    check_may_take_part(voter)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.is_deleted or locked.status != Comment.Status.VISIBLE:
            raise CommentRejected(_("This comment cannot be voted on."))
        previous = Vote.objects.filter(comment=locked, voter=voter).first()
        old = previous.value if previous else 0
        if old == value:
            return VoteResult(locked.score, locked.upvotes, locked.downvotes, value)
        if previous is not None and value == 0:
            previous.delete()
        elif previous is not None:
            previous.value = value
            previous.save(update_fields=["value", "created_at"])
        else:
            Vote.objects.create(comment=locked, voter=voter, value=value)
        locked.upvotes += (value == 1) - (old == 1)
        locked.downvotes += (value == -1) - (old == -1)
        locked.score += value - old
        locked.save(update_fields=["upvotes", "downvotes", "score"])
        Reader.objects.filter(pk=locked.author_id).update(rating=F("rating") + (value - old))
        record_event(article_id=locked.article_id, event=events.comment_voted(locked))
    return VoteResult(locked.score, locked.upvotes, locked.downvotes, value)


@dataclass(frozen=True)
class AuthorErased:
    comments: int  # the author's comments, every one kept with its number
    erased: int  # of which this erasure turned into placeholders
    votes: int  # the author's votes withdrawn
    articles: list[int]  # the discussions that changed


def erase_author_from_discussions(*, author: Reader, keep_text: bool) -> AuthorErased:
    """Take an erased account out of every discussion, in the caller's transaction:
    its votes are withdrawn (scores and ratings follow), and its comments either
    become placeholders (`keep_text` False: words, quote and translations gone) or
    keep their words; every comment keeps its number and its replies. The stored
    live events about its comments go (they carry its name), and every page that
    showed them is told to change. The caller has already replaced the author's
    name on their row, so whatever is shown from now on names nobody."""
    votes = _withdraw_votes_of(voter=author)
    comments = list(Comment.objects.filter(author=author).select_related("article"))
    numbers_by_article: dict[int, list[int]] = {}
    for comment in comments:
        numbers_by_article.setdefault(comment.article_id, []).append(comment.number)
    for article_id, numbers in numbers_by_article.items():
        drop_comment_events(article_id=article_id, numbers=numbers)
    erased = 0
    if not keep_text:
        for comment in comments:
            if comment.is_deleted:
                continue
            comment.author = author
            delete_comment(comment=comment, deleter=author)
            erased += 1
        CommentTranslation.objects.filter(comment__author=author).delete()
    articles = sorted({*numbers_by_article, *votes})
    for article_id in articles:
        announce_page_change(article_id=article_id)
    return AuthorErased(
        comments=len(comments), erased=erased, votes=sum(votes.values()), articles=articles
    )


def _withdraw_votes_of(*, voter: Reader) -> dict[int, int]:
    """Withdraw every vote of `voter`; how many per article."""
    per_article: dict[int, int] = {}
    for vote in Vote.objects.filter(voter=voter).order_by("comment_id"):
        locked = (
            Comment.objects.select_for_update().select_related("author").get(pk=vote.comment_id)
        )
        locked.upvotes -= vote.value == 1
        locked.downvotes -= vote.value == -1
        locked.score -= vote.value
        locked.save(update_fields=["upvotes", "downvotes", "score"])
        Reader.objects.filter(pk=locked.author_id).update(rating=F("rating") - vote.value)
        vote.delete()
        if locked.status == Comment.Status.VISIBLE and not locked.is_deleted:
            record_event(article_id=locked.article_id, event=events.comment_voted(locked))
        per_article[locked.article_id] = per_article.get(locked.article_id, 0) + 1
    return per_article
