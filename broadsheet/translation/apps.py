from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TranslationConfig(AppConfig):
    name = "broadsheet.translation"
    label = "translation"
    verbose_name = _("Machine translation")

    def ready(self) -> None:
        from broadsheet.background.worker import register_duty
        from broadsheet.translation.tasks import forget_translations_of_hidden_comments

        register_duty(forget_translations_of_hidden_comments)
