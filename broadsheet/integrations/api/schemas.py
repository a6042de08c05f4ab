"""What the API takes and gives, as pydantic models; the OpenAPI document is made
from these. Inputs are strict (no "3" for 3, no true for 1) and forbid unknown
fields, so a typo in a field name is an error, not a silently ignored wish."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from broadsheet.discussion.quotes import QUOTE_MAX_LENGTH

MAX_NUMBER = 2_147_483_647  # a comment number or id: what the database column holds


class StrictInput(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- out ---------------------------------------------------------------------------


class Problem(Schema):
    """RFC 9457 problem details; `errors` names each fault with a JSON pointer."""

    class Entry(Schema):
        pointer: str
        code: str
        detail: str

    type: str
    title: str
    status: int
    detail: str
    errors: list[Entry]


class Author(Schema):
    handle: str
    display_name: str
    online: bool


class Quote(Schema):
    anchor: str  # the quoted paragraph's id on the article page (p-…)
    text: str
    current: bool  # the paragraph still reads as it did


class CommentOut(Schema):
    number: int
    parent: int | None
    thread: int
    depth: int
    author: Author
    created_at: datetime
    edited_at: datetime | None
    state: Literal["visible", "held", "rejected", "deleted"]
    html: str | None  # the sanitized rendering; None for a deleted or removed comment
    body: str | None  # the Markdown as written: only to its author
    score: int
    my_vote: int  # the caller's vote: 1, -1 or 0
    reply_count: int
    quote: Quote | None
    language: str
    url: str


class CommentPage(Schema):
    items: list[CommentOut]
    next_after: int | None  # pass as ?after= for the next page; None: the end


class Edition(Schema):
    slug: str
    language: str
    title: str
    url: str


class ArticleOut(Schema):
    slug: str
    title: str
    lead: str
    byline: str
    language: str
    published_at: datetime | None
    url: str
    comment_count: int
    discussion: Literal["open", "premoderated", "closed"]
    original: str | None  # the slug of the original when this is an edition


class ArticleDetail(ArticleOut):
    editions: list[Edition]  # every published edition, this one and the original included
    languages: list[str]


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None  # pass as ?cursor= for the next page


class VoteOut(Schema):
    number: int
    score: int
    upvotes: int
    downvotes: int
    vote: int


class ReportOut(Schema):
    number: int
    reported: bool


class Me(Schema):
    handle: str
    display_name: str
    online: bool
    appear_offline: bool
    moderator: bool
    scope: Literal["read", "write", "moderate"] | None  # the token's; None for a session


class Counts(Schema):
    slugs: dict[str, int]
    urls: dict[str, int]


class QueueReport(Schema):
    reason: str
    text: str
    created_at: datetime


class QueueItem(Schema):
    id: int
    article: str  # slug
    comment: CommentOut
    reason: str  # why it is held, or "" for a published but reported comment
    reports: list[QueueReport]
    author_comments: int
    author_rejected: int


class Queue(Schema):
    items: list[QueueItem]


class Decision(Schema):
    id: int
    state: Literal["visible", "held", "rejected", "deleted"]


class ReaderState(Schema):
    handle: str
    banned: bool
    suspended_until: datetime | None


# --- in ----------------------------------------------------------------------------


class CommentIn(StrictInput):
    body: str
    parent: int | None = Field(default=None, ge=1, le=MAX_NUMBER)
    quote_anchor: str = Field(default="", max_length=40)
    quote_text: str = Field(default="", max_length=QUOTE_MAX_LENGTH * 2)
    language: str = Field(default="", max_length=12)


class CommentEdit(StrictInput):
    body: str


class VoteIn(StrictInput):
    value: Literal[1, -1, 0]


class ReportIn(StrictInput):
    reason: Literal["spam", "abuse", "off_topic", "other"]
    text: str = Field(default="", max_length=500)


class MePatch(StrictInput):
    appear_offline: bool


class DecisionIn(StrictInput):
    action: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=200)


class RestrictionIn(StrictInput):
    action: Literal["ban", "suspend"]
    reason: str = Field(min_length=1, max_length=500)
    days: int = Field(default=7, ge=1, le=3650)
