from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "broadsheet.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from broadsheet.background.worker import register_duty
        from broadsheet.notifications.tasks import tell_readers_of_queued_comments

        register_duty(tell_readers_of_queued_comments)
