from django.apps import AppConfig


class ServingConfig(AppConfig):
    """An app only for its management command, `serve`; it has no models."""

    name = "broadsheet.serving"
    label = "serving"
