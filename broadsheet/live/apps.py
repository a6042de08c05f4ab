from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "broadsheet.live"
    label = "live"
