"""Disqus's export (the XML file its admin mails: Moderation > Export).

    <disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
      <category dsq:id="1">...</category>
      <thread dsq:id="2"><id>identifier</id><link>URL</link><title>...</title>
        <createdAt>2013-05-01T12:00:00Z</createdAt><isDeleted>false</isDeleted>...</thread>
      <post dsq:id="3"><message><![CDATA[<p>HTML</p>]]></message><createdAt>...</createdAt>
        <isDeleted>false</isDeleted><isSpam>false</isSpam>
        <author><email/><name/><isAnonymous/><username/></author>
        <thread dsq:id="2"/><parent dsq:id="..."/></post>
    </disqus>

Every thread comes first, then every post in any order; a post names its thread
and its parent by their dsq:id.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from broadsheet.integrations.importing.xml import (
    attribute,
    child,
    child_text,
    is_true,
    local_name,
    parse_when,
    top_level_elements,
)

MAX_BODY = 100_000


def read_export(path: Path, progress: Progress | None = None) -> Iterator[Record]:
    for element in top_level_elements(path, root_tag="disqus", progress=progress):
        kind = local_name(element.tag)
        if kind == "thread":
            yield _thread(element)
        elif kind == "post":
            yield _post(element)


def _thread(element) -> Record:
    source_id = attribute(element, "id")
    if not source_id:
        return SkippedRecord("thread without a dsq:id")
    if is_true(child_text(element, "isDeleted")):
        return SkippedRecord("thread deleted in Disqus", source_id)
    return ImportedThread(
        source_id=source_id,
        url=child_text(element, "link", 1000),
        identifier=child_text(element, "id", 255),
        title=child_text(element, "title", 300),
        created_at=parse_when(child_text(element, "createdAt")),
        closed=is_true(child_text(element, "isClosed")),
    )


def _post(element) -> Record:
    source_id = attribute(element, "id")
    if not source_id:
        return SkippedRecord("comment without a dsq:id")
    thread_id = attribute(child(element, "thread"), "id")
    if not thread_id:
        return SkippedRecord("comment that names no thread", source_id)
    message = child_text(element, "message", MAX_BODY + 1)
    if len(message) > MAX_BODY:
        return SkippedRecord("text over the length limit", source_id)
    author = child(element, "author")
    anonymous = is_true(child_text(author, "isAnonymous"))
    if is_true(child_text(element, "isSpam")):
        state = CommentState.SPAM
    elif is_true(child_text(element, "isDeleted")):
        state = CommentState.DELETED
    else:
        state = CommentState.PUBLISHED
    return ImportedComment(
        source_id=source_id,
        thread_id=thread_id,
        parent_id=attribute(child(element, "parent"), "id"),
        author=ImportedAuthor(
            name=child_text(author, "name", 200),
            email=child_text(author, "email", 254),
            # A Disqus account's username; an anonymous (guest) post has none.
            key="" if anonymous else child_text(author, "username", 200),
        ),
        body=message,
        body_format=BodyFormat.HTML,
        created_at=parse_when(child_text(element, "createdAt")),
        state=state,
    )
