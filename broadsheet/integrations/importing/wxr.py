"""WordPress's export (WXR: Tools > Export > All content), an RSS file with wp: fields.

    <rss><channel>
      <item><title/><link/><dc:creator/><content:encoded/><wp:post_id/>
        <wp:post_date_gmt/><wp:post_name/><wp:status/><wp:post_type/>
        <wp:comment><wp:comment_id/><wp:comment_author/><wp:comment_author_email/>
          <wp:comment_date_gmt/><wp:comment_content/><wp:comment_approved/>
          <wp:comment_type/><wp:comment_parent/><wp:comment_user_id/></wp:comment>
      </item>
    </channel></rss>

Each published post or page becomes an article here (unless one with its
address or slug is here already), its comments that article's discussion. An
item arrives whole, comments and all, so one item at a time is what is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from django.utils.text import slugify

from broadsheet.integrations.importing.records import (
    BodyFormat,
    CommentState,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    Progress,
    Record,
    SkippedRecord,
)
from broadsheet.integrations.importing.text import wordpress_paragraphs
from broadsheet.integrations.importing.xml import (
    child_text,
    local_name,
    parse_when,
    top_level_elements,
)

MAX_BODY = 100_000
MAX_ARTICLE = 1_000_000
_ARTICLE_TYPES = {"post", "page"}
# comment_approved: "1" shown, "0" awaiting moderation, "spam", "trash" (and
# "post-trashed": its post went to the trash).
_STATES = {
    "1": CommentState.PUBLISHED,
    "0": CommentState.PENDING,
    "spam": CommentState.SPAM,
    "trash": CommentState.DELETED,
    "post-trashed": CommentState.DELETED,
}


def read_export(path: Path, progress: Progress | None = None) -> Iterator[Record]:
    for element in top_level_elements(path, root_tag="rss", depth=2, progress=progress):
        if local_name(element.tag) == "item":
            yield from _item(element)


def _item(item) -> Iterator[Record]:
    post_id = child_text(item, "post_id", 40)
    post_type = child_text(item, "post_type", 40)
    comments = [c for c in item if local_name(c.tag) == "comment"]
    if not post_id:
        yield SkippedRecord("item without a wp:post_id")
        return
    if post_type not in _ARTICLE_TYPES:
        if comments:
            yield SkippedRecord(f"comments on a WordPress {post_type or 'item'}", post_id)
        return
    status = child_text(item, "status", 40)
    if status != "publish":
        yield SkippedRecord(
            f"WordPress {post_type} not published ({status or 'no status'})", post_id
        )
        return
    content = child_text(item, "encoded", MAX_ARTICLE + 1)  # content:encoded
    if len(content) > MAX_ARTICLE:
        yield SkippedRecord("post longer than 1,000,000 characters", post_id)
        return
    name = unquote(child_text(item, "post_name", 400))
    yield ImportedThread(
        source_id=post_id,
        url=child_text(item, "link", 1000),
        identifier=name[:255],
        title=child_text(item, "title", 300),
        created_at=parse_when(child_text(item, "post_date_gmt"))
        or parse_when(child_text(item, "post_date")),
        article_body_html=content or "<p></p>",
        article_slug=(slugify(name)[:120].strip("-") or f"post-{post_id}"),
        article_author=child_text(item, "creator", 200),
        closed=child_text(item, "comment_status", 20) == "closed",
    )
    for comment in comments:
        yield _comment(comment, post_id)


def _comment(element, post_id: str) -> Record:
    source_id = child_text(element, "comment_id", 40)
    if not source_id:
        return SkippedRecord("comment without a wp:comment_id")
    if child_text(element, "comment_type", 40) in {"pingback", "trackback"}:
        return SkippedRecord("pingback or trackback", source_id)
    content = child_text(element, "comment_content", MAX_BODY + 1)
    if len(content) > MAX_BODY:
        return SkippedRecord("text over the length limit", source_id)
    approved = child_text(element, "comment_approved", 20)
    state = _STATES.get(approved)
    if state is None:
        return SkippedRecord(f"comment of unknown state “{approved[:20]}”", source_id)
    parent = child_text(element, "comment_parent", 40)
    user = child_text(element, "comment_user_id", 40)
    return ImportedComment(
        source_id=source_id,
        thread_id=post_id,
        parent_id="" if parent in {"", "0"} else parent,
        author=ImportedAuthor(
            name=child_text(element, "comment_author", 200),
            email=child_text(element, "comment_author_email", 254),
            url=child_text(element, "comment_author_url", 1000),
            # A WordPress account of the site: the same person in every comment.
            key="" if user in {"", "0"} else f"user-{user}",
        ),
        body=wordpress_paragraphs(content),
        body_format=BodyFormat.HTML,
        # The site's local time is the fallback when the GMT time is missing or zero.
        created_at=parse_when(child_text(element, "comment_date_gmt"))
        or parse_when(child_text(element, "comment_date")),
        state=state,
    )
