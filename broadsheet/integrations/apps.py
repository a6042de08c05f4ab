from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Doors for other systems: the JSON API, importers of other comment systems'
    exports, and Broadsheet's own export, restore and backup."""

    name = "broadsheet.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from broadsheet.background.worker import register_duty
        from broadsheet.integrations.api.operations import sweep_expired_keys
        from broadsheet.integrations.importing.operations import claim_imported_comments
        from broadsheet.readers.operations import on_address_verified

        # A reader who verifies the address an import knew gets those comments.
        on_address_verified(claim_imported_comments)
        # The API's Idempotency-Keys are kept a day; the worker deletes older ones.
        register_duty(sweep_expired_keys)
