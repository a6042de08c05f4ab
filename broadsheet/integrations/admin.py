# The admin of each part of integrations lives beside it; Django looks here.
from broadsheet.integrations.webhooks import admin as webhooks_admin  # noqa: F401
