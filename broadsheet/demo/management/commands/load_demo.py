from django.core.management.base import BaseCommand

from broadsheet.demo.generator import generate_site
from broadsheet.demo.loader import load_demo


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

    def handle(self, *args, articles: int, comments_per_article: int, **options):
        if articles:
            total = generate_site(articles=articles, comments_per_article=comments_per_article)
            self.stdout.write(f"generated {articles} articles and {total} comments")
            return
        article = load_demo()
        self.stdout.write(f"demo article at {article.get_absolute_url()}")
