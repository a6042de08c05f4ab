# ruff: noqa: RUF001 - Russian text is the point here
"""`broadsheet translate SLUG --to LANG` drafts a machine-translated edition."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from broadsheet.articles.models import Article
from broadsheet.translation.blocks import translate_markdown
from tests.translation.conftest import RUSSIAN_BODY

pytestmark = pytest.mark.django_db


def translate(*args, **options) -> str:
    out = StringIO()
    call_command("translate", *args, stdout=out, **options)
    return out.getvalue()


def test_drafts_an_edition_for_review(standin, original):
    output = translate("posledniy-parom", to="en")
    edition = Article.objects.get(slug="posledniy-parom-en")
    assert "drafted /articles/posledniy-parom-en/" in output
    assert f"/admin/articles/article/{edition.pk}/change/" in output
    assert edition.status == Article.Status.DRAFT
    assert edition.machine_translated
    assert edition.translation_of == original
    assert edition.language == "en"
    assert edition.byline == original.byline
    assert edition.title == "[en] Last ferry"
    assert edition.lead == "[en] Ferry leaves утром."
    # Paragraph for paragraph: the structure is kept, so every paragraph aligns.
    assert len(edition.paragraph_outline) == len(original.paragraph_outline)
    assert len(edition.aligned_paragraphs) == len(original.paragraphs)
    assert sorted(edition.aligned_paragraphs.values()) == sorted(original.paragraphs)
    assert "## [en] Городское собрание" in edition.body_markdown
    assert "> [en] «Мы просим" in edition.body_markdown
    assert "](/static/demo/ferry.svg" in edition.body_markdown
    assert not edition.is_visible


def test_a_slug_of_ones_own(standin, original):
    translate("posledniy-parom", "--to", "en", "--slug", "the-last-ferry")
    assert Article.objects.get(slug="the-last-ferry").translation_of == original


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-article", "--to", "en"], "no article “no-such-article”"),
        (["posledniy-parom", "--to", "ru"], "is written in ru already"),
        (["the-last-ferry-en", "--to", "ru"], "is itself an edition"),
        (["posledniy-parom", "--to", "en"], "has an edition in en already: “the-last-ferry-en”"),
    ],
)
def test_clear_refusals(standin, original, edition, args, message):
    with pytest.raises(CommandError, match=message):
        translate(*args)
    assert standin.calls() == 0


def test_refuses_a_slug_that_is_taken(standin, original, make_article):
    make_article("taken")
    with pytest.raises(CommandError, match="“taken” exists already"):
        translate("posledniy-parom", "--to", "en", "--slug", "taken")


def test_without_a_service(settings, original):
    settings.BROADSHEET_TRANSLATION_URL = ""
    with pytest.raises(CommandError, match="no translation service"):
        translate("posledniy-parom", to="en")


def test_a_failing_service_saves_nothing(standin, original):
    standin.behave("error500")
    with pytest.raises(CommandError, match=r"nothing saved: .*HTTP 500"):
        translate("posledniy-parom", to="en")
    assert not Article.objects.filter(translation_of=original).exists()


def test_markdown_keeps_its_structure():
    def upper(text: str) -> str:
        return text.upper()

    assert translate_markdown(RUSSIAN_BODY, upper) == (
        "ПАРОМ ОТХОДИТ ОТ ПИРСА В ШЕСТЬ УТРА.\n\n"
        "## ГОРОДСКОЕ СОБРАНИЕ\n\n"
        "> «МЫ ПРОСИМ ТОТ ПАРОМ, КОТОРЫЙ У НАС УЖЕ ЕСТЬ», — СКАЗАЛА ФАРМАЦЕВТ.\n\n"
        '![ПИРС НА РАССВЕТЕ](/static/demo/ferry.svg "ПИРС. ИЛЛЮСТРАЦИЯ: BROADSHEET")\n\n'
        "P.S. РАСПИСАНИЕ ВИСИТ НА ПИРСЕ.\n"
    )


def test_a_service_that_adds_blank_lines_cannot_add_paragraphs():
    assert translate_markdown("One.\n\nTwo.\n", lambda text: f"{text}\n\n\nextra") == (
        "One.\nextra\n\nTwo.\nextra\n"
    )


def test_code_and_lists():
    source = "- один\n- два\n\n```\nкод\n```\n"
    assert translate_markdown(source, str.upper) == "- ОДИН\n- ДВА\n\n```\nкод\n```\n"
