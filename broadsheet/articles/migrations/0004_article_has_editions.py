from django.db import migrations, models


def mark_originals_with_editions(apps, schema_editor):
    """Originals that already have an edition say so (posting trusts a False)."""
    Article = apps.get_model("articles", "Article")
    originals = Article.objects.filter(translation_of__isnull=False).values("translation_of_id")
    Article.objects.filter(pk__in=originals).update(has_editions=True)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_editions"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="has_editions",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_originals_with_editions, migrations.RunPython.noop),
    ]
