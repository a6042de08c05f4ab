"""Atom and RSS feeds of comments: an article's, a reader's, and the private
feed of replies to a reader.

Every feed shows only what a signed-out reader sees on the pages: no held,
rejected or deleted comment (a deleted one's words are gone anyway), and
nothing from an article that is not published. The queries say so
(`Comment.objects.live()`, `Article.objects.published()`), once, in queries.py.
"""

from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from broadsheet.articles.access import get_visible_article_or_404
from broadsheet.articles.feeds import BroadsheetFeed, FeedSubject
from broadsheet.discussion.models import Comment
from broadsheet.discussion.queries import (
    list_comments_by_reader,
    list_newest_comments_of_article,
    list_replies_to_reader,
)
from broadsheet.readers.access import get_reader_by_reply_feed_token_or_404
from broadsheet.readers.models import Reader


class CommentsFeed(BroadsheetFeed):
    """What all comment feeds share: one item per comment, its permalink, its
    sanitized HTML (rendered on write) and its author's name and handle."""

    feed_type = Rss201rev2Feed

    def items(self, subject: FeedSubject) -> list[Comment]:
        return subject.items

    def item_link(self, comment: Comment) -> str:
        return comment.get_absolute_url()

    def item_title(self, comment: Comment) -> str:
        return _("Comment %(number)s by %(name)s (%(handle)s)") % {
            "number": comment.number,
            "name": comment.author.display_name,
            "handle": comment.author.handle,
        }

    def item_author_name(self, comment: Comment) -> str:
        return f"{comment.author.display_name} ({comment.author.handle})"

    def item_pubdate(self, comment: Comment):
        return comment.created_at

    def item_updateddate(self, comment: Comment):
        return comment.edited_at or comment.created_at

    def shown_article_ids(self, subject: FeedSubject) -> list[int]:
        return sorted({comment.article_id for comment in subject.items})

    def get_feed(self, subject: FeedSubject, request):
        generator = super().get_feed(subject, request)
        # Links inside the comments (#N references, emoticons) are site-relative.
        for item in generator.items:
            item["description"] = subject.absolute_links(item["description"])
        return generator

    def item_description(self, comment: Comment) -> str:
        return comment.body_html


class ArticleCommentsFeed(CommentsFeed):
    def get_object(self, request, slug: str) -> FeedSubject:
        article = get_visible_article_or_404(slug)
        comments = list_newest_comments_of_article(article, limit=self.item_count())
        for comment in comments:
            comment.article = article  # the permalink needs its slug; no query per item
        return FeedSubject(request=request, obj=article, items=comments)

    def shown_article_ids(self, subject: FeedSubject) -> list[int]:
        # An edition's feed shows its original's discussion: a change to either renews it.
        return sorted({subject.obj.pk, subject.obj.translation_of_id or subject.obj.pk})

    def title(self, subject: FeedSubject) -> str:
        return _("Comments on “%(title)s”") % {"title": subject.obj.title}

    def description(self, subject: FeedSubject) -> str:
        return _("The newest comments on “%(title)s”") % {"title": subject.obj.title}

    def subtitle(self, subject: FeedSubject) -> str:
        return self.description(subject)

    def link(self, subject: FeedSubject) -> str:
        return subject.obj.get_absolute_url() + "#discussion"


class AtomArticleCommentsFeed(ArticleCommentsFeed):
    feed_type = Atom1Feed


class ReaderCommentsFeed(CommentsFeed):
    """A reader's public comments, as their profile lists them."""

    def get_object(self, request, handle: str) -> FeedSubject:
        reader = get_object_or_404(Reader, handle__iexact=handle, is_active=True)
        comments = list_comments_by_reader(reader, limit=self.item_count())
        for comment in comments:
            comment.author = reader
        return FeedSubject(
            request=request, obj=reader, items=comments, canonical=reader.handle == handle
        )

    def title(self, subject: FeedSubject) -> str:
        return _("Comments by %(name)s (%(handle)s)") % {
            "name": subject.obj.display_name,
            "handle": subject.obj.handle,
        }

    description = title
    subtitle = title

    def link(self, subject: FeedSubject) -> str:
        return subject.obj.get_absolute_url()

    def item_title(self, comment: Comment) -> str:
        return _("Comment %(number)s on “%(title)s”") % {
            "number": comment.number,
            "title": comment.article.title,
        }


class AtomReaderCommentsFeed(ReaderCommentsFeed):
    feed_type = Atom1Feed


class RepliesFeed(CommentsFeed):
    """Replies to one reader's comments, at an address only they know.

    Its items are public comments, but which reader wrote the comments they
    answer is the reader's own business: the response is private and no cache
    keeps it.
    """

    private = True

    def get_object(self, request, token: str) -> FeedSubject:
        reader = get_reader_by_reply_feed_token_or_404(token)
        replies = list_replies_to_reader(reader, limit=self.item_count())
        return FeedSubject(request=request, obj=reader, items=replies)

    def title(self, subject: FeedSubject) -> str:
        return _("Replies to %(handle)s") % {"handle": subject.obj.handle}

    def description(self, subject: FeedSubject) -> str:
        return _("Replies to the comments of %(name)s (%(handle)s)") % {
            "name": subject.obj.display_name,
            "handle": subject.obj.handle,
        }

    def subtitle(self, subject: FeedSubject) -> str:
        return self.description(subject)

    def link(self, subject: FeedSubject) -> str:
        return subject.obj.get_absolute_url()

    def feed_url(self, subject: FeedSubject) -> str:
        return subject.request.path

    def item_title(self, comment: Comment) -> str:
        return _("%(name)s (%(handle)s) replied to your comment %(parent)s on “%(title)s”") % {
            "name": comment.author.display_name,
            "handle": comment.author.handle,
            "parent": comment.parent.number,
            "title": comment.article.title,
        }


class AtomRepliesFeed(RepliesFeed):
    feed_type = Atom1Feed
