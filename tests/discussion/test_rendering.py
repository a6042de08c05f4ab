from html.parser import HTMLParser

import pytest

from broadsheet.discussion.rendering import render_comment_markdown

XSS_CASES = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    '"><script>alert(1)</script>',
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<style>body{display:none}</style>",
    ':wink:" onerror="alert(1)',
]


class _ElementCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def live_elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The elements a browser would build from this HTML (escaped text is not one)."""
    collector = _ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("attack", XSS_CASES)
def test_hostile_input_never_becomes_live_markup(attack):
    for tag, attrs in live_elements(render_comment_markdown(attack)):
        assert tag in {"p", "br", "em", "strong", "a", "blockquote", "code", "img"}
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for url_attribute in ("href", "src"):
            url = (attrs.get(url_attribute) or "").strip().lower()
            assert not url.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("/static/discussion/emoticons/")


def test_raw_html_is_shown_as_text():
    html = render_comment_markdown("<b>bold?</b> <script>alert(1)</script>")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_paragraphs_line_breaks_and_emphasis():
    html = render_comment_markdown("First *line*\nsecond **line**\n\nNew paragraph")
    assert html == (
        "<p>First <em>line</em><br>\nsecond <strong>line</strong></p>\n<p>New paragraph</p>\n"
    )


def test_links_are_marked_nofollow_ugc_noopener():
    html = render_comment_markdown("[source](https://example.org/a)")
    assert '<a href="https://example.org/a" rel="nofollow ugc noopener">source</a>' in html


def test_quotes_including_a_named_outside_source():
    html = render_comment_markdown('> "Lenta.ru": the ministry said\n\nI disagree.')
    assert '<blockquote>\n<p><cite>"Lenta.ru"</cite>: the ministry said</p>\n</blockquote>' in html


def test_a_quoted_source_with_a_link_keeps_its_name_and_address():
    html = render_comment_markdown("> [Lenta.ru](https://lenta.ru/news/1): the ministry said")
    assert (
        '<cite><a href="https://lenta.ru/news/1" rel="nofollow ugc noopener">Lenta.ru</a></cite>'
        ": the ministry said" in html
    )


@pytest.mark.parametrize(
    ("text", "alt"), [(":wink:", "winked"), (";)", "winked"), (":)", "smiled")]
)
def test_emoticons_become_images_with_alternative_text(text, alt):
    html = render_comment_markdown(f"Sure {text}")
    assert f'alt="{alt}"' in html
    assert 'class="emoticon"' in html
    assert "/static/discussion/emoticons/" in html


def test_text_that_only_looks_like_an_emoticon_stays_text():
    html = render_comment_markdown("call f(x;) and :notaface: here")
    assert "<img" not in html


def test_images_from_elsewhere_are_not_embedded():
    html = render_comment_markdown("![tracker](https://evil.example/pixel.gif)")
    assert "<img" not in html


def test_emoticons_past_the_limit_stay_as_text(settings):
    settings.BROADSHEET_EMOTICONS_PER_COMMENT = 3
    html = render_comment_markdown(":wink: ;) :smile: :wink: :)")
    assert html.count("<img") == 3
    assert html.endswith(":wink: :)</p>\n")


def test_a_comment_of_nothing_but_shortcodes_stays_small(settings):
    text = ":wink:" * (settings.BROADSHEET_COMMENT_MAX_LENGTH // len(":wink:"))
    html = render_comment_markdown(text)
    assert html.count("<img") == settings.BROADSHEET_EMOTICONS_PER_COMMENT
    assert len(html) < 20_000  # 257 KB before emoticons were bounded
