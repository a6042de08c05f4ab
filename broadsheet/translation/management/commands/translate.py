from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from broadsheet.articles.models import Article
from broadsheet.translation.operations import draft_machine_edition
from broadsheet.translation.providers import TranslationUnavailable, get_provider


class Command(BaseCommand):
    help = (
        "Draft a machine-translated edition of an article, for an editor to review "
        "and publish: broadsheet translate SLUG --to LANGUAGE [--slug NEW]."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG", help="the original article's slug")
        parser.add_argument(
            "--to", required=True, metavar="LANGUAGE", help="the edition's language (en, ru, ...)"
        )
        parser.add_argument(
            "--slug",
            dest="new_slug",
            metavar="NEW",
            help="the edition's slug (default: SLUG-LANGUAGE)",
        )

    def handle(self, *args, slug: str, to: str, new_slug: str | None, **options):
        provider = get_provider()
        if provider is None:
            raise CommandError(
                "no translation service: set BROADSHEET_TRANSLATION_URL to a LibreTranslate "
                "address (README.md, “Machine translation”)"
            )
        language = to.strip().lower()
        original = Article.objects.select_related("translation_of").filter(slug=slug).first()
        if original is None:
            raise CommandError(f"no article “{slug}”")
        edition_slug = new_slug or f"{original.slug}-{language}"
        try:
            edition = draft_machine_edition(
                original=original, language=language, slug=edition_slug, provider=provider
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except TranslationUnavailable as error:
            raise CommandError(f"nothing saved: {error}") from error
        site = settings.BROADSHEET_SITE_URL.rstrip("/")
        admin = reverse("admin:articles_article_change", args=[edition.pk])
        self.stdout.write(
            f"drafted {edition.get_absolute_url()} ({edition.language}, machine-translated from "
            f"{original.slug}); review and publish it at {site}{admin}"
        )
