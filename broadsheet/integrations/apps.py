from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Doors for other systems: the JSON API, importers of other comment systems'
    exports, Broadsheet's own export, restore and backup, and webhooks."""

    name = "broadsheet.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from broadsheet.background.worker import register_duty
        from broadsheet.discussion.operations import comment_changed
        from broadsheet.integrations.api.operations import sweep_expired_keys
        from broadsheet.integrations.importing.operations import claim_imported_comments
        from broadsheet.integrations.webhooks.tasks import (
            hear_comment_change,
            hear_reader_restriction,
        )
        from broadsheet.moderation.operations import reader_restricted
        from broadsheet.readers.operations import on_address_verified

        # A reader who verifies the address an import knew gets those comments.
        on_address_verified(claim_imported_comments)
        # The API's Idempotency-Keys are kept a day; the worker deletes older ones.
        register_duty(sweep_expired_keys)
        # Comments and moderators' decisions become webhooks, queued in the
        # operation's own transaction (integrations/webhooks/tasks.py).
        comment_changed.register(hear_comment_change)
        reader_restricted.register(hear_reader_restriction)
