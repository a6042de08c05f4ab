from django.core.management.base import BaseCommand, CommandError
from django.core.validators import slug_re

from broadsheet.demo.generator import generate_site
from broadsheet.demo.loader import load_demo, load_demo_if_site_is_empty


class Command(BaseCommand):
    help = (
        "Load the demo edition, or with --articles generate a large made-up site "
        "(broadsheet demo --articles 10000 --comments-per-article 100)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=0, help="made-up articles to publish")
        parser.add_argument(
            "--comments-per-article", type=int, default=0, help="comments under each of them"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="only into a site with no articles and no readers (what `serve` does)",
        )
        parser.add_argument(
            "--slug-prefix",
            default="generated",
            help="articles are named <prefix>-0, <prefix>-1, ... (existing ones are kept)",
        )

    def handle(
        self,
        *args,
        articles: int,
        comments_per_article: int,
        slug_prefix: str,
        if_empty: bool,
        **options,
    ):
        if if_empty:
            if load_demo_if_site_is_empty():
                self.stdout.write("This site was empty: loaded the demo edition.")
            return
        if not slug_re.fullmatch(slug_prefix):
            raise CommandError("--slug-prefix may hold only letters, digits, - and _")
        if articles:
            total = generate_site(
                articles=articles,
                comments_per_article=comments_per_article,
                slug_prefix=slug_prefix,
            )
            self.stdout.write(f"generated {articles} articles and {total} comments")
            return
        article = load_demo()
        self.stdout.write(f"demo article at {article.get_absolute_url()}")
