from django.core.management.base import BaseCommand

from broadsheet.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo edition: an article, five readers and their discussion."

    def handle(self, *args, **options):
        article = load_demo()
        self.stdout.write(f"demo article at {article.get_absolute_url()}")
