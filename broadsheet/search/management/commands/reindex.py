from django.core.management.base import BaseCommand

from broadsheet.search.operations import rebuild_search_index


class Command(BaseCommand):
    help = "Rebuild the search index from the articles and comments, in batches."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, verbosity: int = 1, **options) -> None:
        def progress(done: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"{done} entries indexed")

        written = rebuild_search_index(batch_size=max(1, batch_size), progress=progress)
        self.stdout.write(f"Indexed {written} articles and comments.")
