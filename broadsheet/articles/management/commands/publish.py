from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from broadsheet.articles.front_matter import FrontMatterError, read_article_source
from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article


class Command(BaseCommand):
    help = "Publish (or update) an article from a Markdown file with front matter."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE.md")

    def handle(self, *args, files: list[Path], **options):
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                source = read_article_source(path)
            except FrontMatterError as error:
                raise CommandError(f"{path}: {error}") from error
            original = None
            if source.translation_of:
                original = Article.objects.filter(slug=source.translation_of).first()
                if original is None:
                    raise CommandError(
                        f"{path}: translation_of: no article “{source.translation_of}”; "
                        "publish the original first"
                    )
            try:
                article, created = save_article(**source.as_kwargs(), translation_of=original)
            except ValidationError as error:
                problems = "; ".join(
                    f"{field}: {' '.join(messages)}"
                    for field, messages in error.message_dict.items()
                )
                raise CommandError(f"{path}: {problems}") from error
            verb = "published" if created else "updated"
            state = "" if article.is_visible else f" ({article.status}, not yet visible)"
            self.stdout.write(f"{verb} {article.get_absolute_url()}{state}")
