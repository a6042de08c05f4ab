from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Doors for other systems: importers of other comment systems' exports, and
    Broadsheet's own export, restore and backup."""

    name = "broadsheet.integrations"
    label = "integrations"
    verbose_name = "Integrations"
