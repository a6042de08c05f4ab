from django.db import migrations

from broadsheet.search.backends import backend_for
from broadsheet.search.operations import Tables, rebuild_search_index


def index_existing_rows(apps, schema_editor):
    """An upgraded site is searchable at once: its articles and comments are indexed
    here, with the historical models, by the code `broadsheet reindex` runs."""
    rebuild_search_index(
        tables=Tables(
            apps.get_model("articles", "Article"),
            apps.get_model("discussion", "Comment"),
            apps.get_model("search", "SearchEntry"),
        ),
        backend=backend_for(schema_editor.connection.vendor),
    )


class Migration(migrations.Migration):
    # Batches commit one by one: a million comments need not be one transaction.
    atomic = False

    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(index_existing_rows, migrations.RunPython.noop)]
