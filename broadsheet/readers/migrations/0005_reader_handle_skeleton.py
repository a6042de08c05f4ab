# Written by hand: the skeleton column is filled for existing readers before its
# unique constraint is added.

import django.core.validators
from django.db import migrations, models

import broadsheet.readers.models


def fill_handle_skeletons(apps, schema_editor):
    """Give every existing reader the skeleton of their handle.

    Readers who already share a skeleton (signed up before look-alikes were
    refused) all keep their handles: the oldest takes the plain skeleton, each
    later one the skeleton and "#" and its id, a value no handle can produce, so
    the constraint holds and a new look-alike of either is still refused.
    """
    from broadsheet.readers.identity import handle_skeleton

    Reader = apps.get_model("readers", "Reader")
    taken = set()
    for reader in Reader.objects.order_by("pk").only("pk", "handle").iterator():
        skeleton = handle_skeleton(reader.handle)
        if skeleton in taken:
            skeleton = f"{skeleton}#{reader.pk}"
        taken.add(skeleton)
        Reader.objects.filter(pk=reader.pk).update(handle_skeleton=skeleton)


class Migration(migrations.Migration):

    dependencies = [
        ("readers", "0004_reader_banned_at_reader_suspended_until"),
    ]

    operations = [
        migrations.AddField(
            model_name="reader",
            name="handle_skeleton",
            field=models.CharField(default="", editable=False, max_length=60),
            preserve_default=False,
        ),
        migrations.RunPython(fill_handle_skeletons, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="reader",
            constraint=models.UniqueConstraint(
                fields=("handle_skeleton",), name="reader_handle_skeleton_unique"
            ),
        ),
        migrations.AlterField(
            model_name="reader",
            name="handle",
            field=models.CharField(
                help_text="3 to 30 characters: Latin letters, digits, “-” and “_”. Shown on every comment.",
                max_length=30,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9_-]{3,30}$",
                        "A handle is 3 to 30 characters: Latin letters, digits, “-” and “_”.",
                        code="invalid_handle",
                    ),
                    broadsheet.readers.models.validate_handle_is_no_lookalike,
                ],
                verbose_name="handle",
            ),
        ),
    ]
