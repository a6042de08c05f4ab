from django.apps import AppConfig


class ServingConfig(AppConfig):
    """An app for its management command, `serve`, and the `kept_parts` template
    tags; it has no models."""

    name = "broadsheet.serving"
    label = "serving"
