from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "broadsheet.readers"
    label = "readers"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save

        from broadsheet.background.worker import register_duty
        from broadsheet.readers import signals
        from broadsheet.readers.models import Reader
        from broadsheet.readers.tasks import look_after_readers_data

        register_duty(look_after_readers_data)
        # Every door that signs a reader in (the form, sign-up, single sign-on,
        # the admin) goes through django.contrib.auth.login: the session list,
        # the sign-in history and a cancelled deletion see them all.
        user_logged_in.connect(signals.signed_in, dispatch_uid="readers.signed_in")
        user_logged_out.connect(signals.signed_out, dispatch_uid="readers.signed_out")
        user_login_failed.connect(signals.sign_in_failed, dispatch_uid="readers.sign_in_failed")
        post_save.connect(signals.reader_saved, sender=Reader, dispatch_uid="readers.reader_saved")
