from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "broadsheet.background"
    label = "background"
    verbose_name = "Background work"
