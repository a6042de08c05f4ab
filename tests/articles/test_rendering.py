from broadsheet.articles.rendering import render_article_markdown

BODY = """\
Opening paragraph with *emphasis*.

## What the ministry says

> "We have to choose," he said.

![The pier at dawn](/static/demo/ferry.svg "The pier. Illustration: Broadsheet")

<script>alert("editor")</script>

PS. The timetable is posted at the pier.
"""


def test_paragraphs_get_anchor_ids_and_headings_get_section_ids():
    rendered = render_article_markdown(BODY)
    assert '<h2 id="s-what-the-ministry-says">' in rendered.html
    for anchor in rendered.paragraphs:
        assert f'id="{anchor}"' in rendered.html
    assert "Opening paragraph with emphasis." in rendered.paragraphs.values()


def test_anchors_do_not_move_when_another_paragraph_is_inserted():
    before = render_article_markdown(BODY).paragraphs
    after = render_article_markdown("A new first paragraph.\n\n" + BODY).paragraphs
    assert set(before) < set(after)


def test_identical_paragraphs_get_distinct_anchors():
    rendered = render_article_markdown("Same.\n\nSame.\n")
    assert len(rendered.paragraphs) == 2


def test_a_lone_image_becomes_a_figure_with_its_caption():
    html = render_article_markdown(BODY).html
    assert "<figure>" in html
    assert 'alt="The pier at dawn"' in html
    assert "<figcaption>The pier. Illustration: Broadsheet</figcaption>" in html


def test_block_quotes_and_the_closing_ps_are_marked_up():
    html = render_article_markdown(BODY).html
    assert "<blockquote>" in html
    assert 'class="article-ps"' in html


def test_raw_html_in_an_article_is_shown_as_text():
    html = render_article_markdown(BODY).html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_javascript_links_are_dropped():
    html = render_article_markdown("[click](javascript:alert(1))").html
    assert 'href="javascript' not in html
