"""Export files of other systems, written by the tests: Disqus XML and WordPress WXR.

Small builders rather than checked-in files, so each test says which quirk it
is about (a reply before its parent, a spam post, a changed address) in the
test itself. The shapes follow the real exports field for field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class DisqusPost:
    id: str
    thread: str
    message: str
    created: str = "2019-03-01T10:00:00Z"
    parent: str = ""
    name: str = "Anna"
    email: str = ""
    username: str = ""
    anonymous: bool = False
    deleted: bool = False
    spam: bool = False


@dataclass
class DisqusThread:
    id: str
    link: str
    title: str = "A page"
    identifier: str = ""
    created: str = "2019-03-01T09:00:00Z"
    deleted: bool = False


@dataclass
class DisqusExport:
    threads: list[DisqusThread] = field(default_factory=list)
    posts: list[DisqusPost] = field(default_factory=list)

    def xml(self) -> str:
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
            '<category dsq:id="1"><forum>paper</forum><title>General</title>'
            "<isDefault>true</isDefault></category>",
        ]
        for t in self.threads:
            parts.append(
                f'<thread dsq:id="{t.id}"><id>{escape(t.identifier)}</id><forum>paper</forum>'
                f'<category dsq:id="1"/><link>{escape(t.link)}</link>'
                f"<title>{escape(t.title)}</title><message/>"
                f"<createdAt>{t.created}</createdAt><author><name>editor</name>"
                "<isAnonymous>false</isAnonymous><username>editor</username></author>"
                f"<isClosed>false</isClosed><isDeleted>{str(t.deleted).lower()}</isDeleted>"
                "</thread>"
            )
        for p in self.posts:
            parent = f'<parent dsq:id="{p.parent}"/>' if p.parent else ""
            parts.append(
                f'<post dsq:id="{p.id}"><id/><message>{cdata(p.message)}</message>'
                f"<createdAt>{p.created}</createdAt>"
                f"<isDeleted>{str(p.deleted).lower()}</isDeleted>"
                f"<isSpam>{str(p.spam).lower()}</isSpam>"
                f"<author><email>{escape(p.email)}</email><name>{escape(p.name)}</name>"
                f"<isAnonymous>{str(p.anonymous).lower()}</isAnonymous>"
                f"<username>{escape(p.username)}</username></author>"
                f'<ipAddress>127.0.0.1</ipAddress><thread dsq:id="{p.thread}"/>{parent}</post>'
            )
        parts.append("</disqus>\n")
        return "\n".join(parts)

    def write(self, path: Path) -> Path:
        path.write_text(self.xml(), encoding="utf-8")
        return path


@dataclass
class WxrComment:
    id: str
    content: str
    date_gmt: str = "2019-03-01 11:00:00"
    date: str = "2019-03-01 14:00:00"
    parent: str = "0"
    author: str = "Anna"
    email: str = ""
    approved: str = "1"
    type: str = "comment"
    user_id: str = "0"


@dataclass
class WxrItem:
    post_id: str
    title: str
    name: str
    content: str = "<p>The body of the post.</p>"
    link: str = ""
    status: str = "publish"
    post_type: str = "post"
    date_gmt: str = "2019-03-01 10:00:00"
    creator: str = "editor"
    comments: list[WxrComment] = field(default_factory=list)


@dataclass
class WxrExport:
    items: list[WxrItem] = field(default_factory=list)
    site: str = "https://blog.example.org"

    def xml(self) -> str:
        parts = [
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>',
            f"<title>Blog</title><link>{self.site}</link><wp:wxr_version>1.2</wp:wxr_version>",
            f"<wp:base_site_url>{self.site}</wp:base_site_url>",
        ]
        for item in self.items:
            link = item.link or f"{self.site}/2019/03/{item.name}/"
            parts.append(
                f"<item><title>{escape(item.title)}</title><link>{escape(link)}</link>"
                f"<pubDate>Fri, 01 Mar 2019 10:00:00 +0000</pubDate>"
                f"<dc:creator>{cdata(item.creator)}</dc:creator>"
                f'<guid isPermaLink="false">{self.site}/?p={item.post_id}</guid>'
                f"<description></description><content:encoded>{cdata(item.content)}"
                "</content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>"
                f"<wp:post_id>{item.post_id}</wp:post_id>"
                f"<wp:post_date_gmt>{item.date_gmt}</wp:post_date_gmt>"
                "<wp:comment_status>open</wp:comment_status>"
                f"<wp:post_name>{cdata(item.name)}</wp:post_name>"
                f"<wp:status>{cdata(item.status)}</wp:status>"
                f"<wp:post_type>{cdata(item.post_type)}</wp:post_type>"
            )
            for c in item.comments:
                parts.append(
                    f"<wp:comment><wp:comment_id>{c.id}</wp:comment_id>"
                    f"<wp:comment_author>{cdata(c.author)}</wp:comment_author>"
                    f"<wp:comment_author_email>{escape(c.email)}</wp:comment_author_email>"
                    "<wp:comment_author_url></wp:comment_author_url>"
                    "<wp:comment_author_IP>192.0.2.1</wp:comment_author_IP>"
                    f"<wp:comment_date>{c.date}</wp:comment_date>"
                    f"<wp:comment_date_gmt>{c.date_gmt}</wp:comment_date_gmt>"
                    f"<wp:comment_content>{cdata(c.content)}</wp:comment_content>"
                    f"<wp:comment_approved>{cdata(c.approved)}</wp:comment_approved>"
                    f"<wp:comment_type>{cdata(c.type)}</wp:comment_type>"
                    f"<wp:comment_parent>{c.parent}</wp:comment_parent>"
                    f"<wp:comment_user_id>{c.user_id}</wp:comment_user_id></wp:comment>"
                )
            parts.append("</item>")
        parts.append("</channel>\n</rss>\n")
        return "\n".join(parts)

    def write(self, path: Path) -> Path:
        path.write_text(self.xml(), encoding="utf-8")
        return path
