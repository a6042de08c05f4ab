# Email verification. Existing readers start unverified (email_verified_at is
# NULL): nobody has shown that their address is theirs; they verify from their
# account settings. Numbered 0007 beside another branch's 0006; the dependency
# on 0005 is to be moved to 0006 when both are merged.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('readers', '0006_reply_feed_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='reader',
            name='email_verified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='email verified at'),
        ),
        migrations.AddField(
            model_name='reader',
            name='pending_email',
            field=models.EmailField(blank=True, max_length=254, verbose_name='new email, not yet verified'),
        ),
        migrations.AddField(
            model_name='reader',
            name='pending_email_since',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
