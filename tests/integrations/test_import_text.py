"""Imported text: HTML made into the Markdown a reader would have typed."""

import random

import pytest
from markdownify import markdownify

from broadsheet.discussion.rendering import render_comment_markdown
from broadsheet.integrations.importing import text

pytestmark = pytest.mark.django_db  # rendering looks up @mentions

WORDS = [
    "Hello", "world", "a*b", "snake_case", "&amp;", "&lt;tag&gt;", "Я", "😊", "x\\y", "[l](u)",
    "`c`", "#3", "&gt;q", "- item", "1. one", "**bold**", "_it_", "http://e.org/a_b",
    "@kestrel-7", "#12", ":)", "  ",
]  # fmt: skip


def markdownify_way(cleaned: str) -> str:
    converted = markdownify(cleaned, heading_style="ATX", bullets="-", escape_misc=False)
    return text._BLANK_LINES.sub("\n\n", converted).strip()


def test_plain_paragraphs_render_as_markdownify_would_have_them():
    """The fast path for paragraphs of text renders to the same page as markdownify's
    Markdown does, on a few thousand made-up comments full of Markdown's own signs."""
    rng = random.Random(3)
    compared = 0
    for _ in range(600):
        paragraphs = []
        for _p in range(rng.randint(1, 4)):
            lines = [
                " ".join(rng.choice(WORDS) for _w in range(rng.randint(1, 6)))
                for _l in range(rng.randint(1, 3))
            ]
            paragraphs.append("<p>" + rng.choice(["<br>", "<br>\n", "<br/>"]).join(lines) + "</p>")
        html = rng.choice(["", "\n"]).join(paragraphs)
        fast = text.html_to_markdown(html)
        cleaned = text.nh3.clean(
            html, tags=text._KEPT_TAGS, attributes=text._KEPT_ATTRIBUTES, link_rel=None
        )
        assert text._PLAIN_PARAGRAPHS.fullmatch(cleaned)
        assert render_comment_markdown(fast) == render_comment_markdown(markdownify_way(cleaned))
        compared += 1
    assert compared == 600


def test_richer_html_goes_through_markdownify():
    assert text.html_to_markdown('<p>See <a href="https://e.org/">this</a></p>') == (
        "See [this](https://e.org/)"
    )
    assert text.html_to_markdown("<blockquote><p>Quoted</p></blockquote><p>Mine</p>") == (
        "> Quoted\n\nMine"
    )


def test_scripts_styles_and_their_contents_are_gone():
    html = "<p>Hi<script>steal()</script><style>p{}</style><iframe src=x></iframe></p>"
    assert text.html_to_markdown(html) == "Hi"


def test_wordpress_blank_lines_are_paragraphs():
    assert text.wordpress_paragraphs("One\ntwo\n\nThree") == "<p>One<br>two</p><p>Three</p>"
    assert text.html_to_markdown(text.wordpress_paragraphs("One\ntwo\n\nThree")) == (
        "One  \ntwo\n\nThree"
    )
