"""What an export holds: generic over the models of our apps, minus derived and
transient tables, with secrets only when asked for.

Generic on purpose: a model or a field added to any `broadsheet.*` app flows into
exports and restores with no change here. Only a table that must *not* travel is
named below, with the reason; tests/integrations/test_export.py fails when a
field that looks like a secret is named in neither SECRET_FIELDS nor NOT_SECRETS.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.serializers import sort_dependencies
from django.db import connection, models
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "broadsheet-export"
VERSION = 1

# Tables of our apps an export leaves out: each is derived from the others or is
# work in flight of the running site, and a restored site must not inherit it.
EXCLUDED_MODELS: dict[str, str] = {
    "search.searchentry": (
        "derived: the search index, rebuilt from articles and comments after a restore "
        "(the code `broadsheet reindex` runs); its full-text half lives in tables of "
        "the database's own kind (FTS5 or tsvector) that cannot move across anyway"
    ),
    "live.liveevent": (
        "the live journal: a day of events for open pages of the old site to resume "
        "from; no page of the new site has seen them"
    ),
    "notifications.queuedcomment": (
        "work in flight of the old site's worker; notifications already made travel "
        "as Notification rows, the last few seconds' are not told twice by two sites"
    ),
    "translation.commenttranslation": (
        "a cache of machine translations of comments, made again on a reader's "
        "request by the new site's own translation service (or by none)"
    ),
    "readers.readersession": (
        "the old site's signed-in browsers: sessions do not travel (readers sign in "
        "again), so neither does their list"
    ),
    "readers.dataexport": (
        "a reader's download in flight, its file in the old site's data folder and "
        "its link signed with the old site's secret key"
    ),
    "notifications.outboxmessage": (
        "e-mail being or already delivered by the old site, its links signed with "
        "the old site's secret key; Notification rows keep what readers were told, "
        "without their message (email_message is cleared)"
    ),
    "integrations.idempotencykey": (
        "answers to API retries, kept a day: a client retrying against the new site "
        "with an old key would be answered with the old site's comment"
    ),
    "integrations.webhookdelivery": (
        "the old site's webhook log and work in flight: a restored site must not send "
        "the old site's pending messages again"
    ),
    "integrations.webhookattempt": "the old site's webhook log (attempts of its deliveries)",
}

# Django's own tables that travel. Roles are Django groups (moderation/roles.py);
# they are written by name, their permissions and readers' memberships by natural
# key, because permission and content type ids differ between two databases.
# Everything else of Django's and of the packages we use stays out: sessions
# (readers sign in again), content types and permissions (migrate makes them),
# django-axes attempts and lockouts, django-tasks results and queued tasks (work
# in flight), the admin's own change log (our audit log is moderation.AuditEntry).
DJANGO_MODELS: tuple[type[models.Model], ...] = (Group,)

# Secrets: written only with `--with-secrets`. Without, a secret field is written as
# an unusable password (a `password` field) or as the field's default, and a model
# named in SECRET_MODELS is left out whole.
SECRET_FIELDS: dict[str, dict[str, str]] = {
    # Password hashes open accounts wherever they are restored; without them every
    # reader gets an unusable password and signs in again through a reset.
    "readers.reader": {"password": "a password hash opens the account"},
}
SECRET_MODELS: dict[str, str] = {
    "readers.apitoken": (
        "personal API tokens: only their SHA-256 is stored, but a restored hash keeps "
        "the old token working on the new site, so they travel only when asked"
    ),
    "readers.replyfeedkey": (
        "the id in a private replies feed's address (the HMAC beside it needs the "
        "site's SECRET_KEY): a capability, not content"
    ),
    # Second factors (docs/mfa.md): without them a restored site's readers sign in
    # with the password and add their factors again (staff are sent to).
    "readers.passkey": "a passkey's public key and counter, a second factor of its reader",
    "readers.totpdevice": "the secret of a reader's authenticator app: it makes their codes",
    "readers.recoverycode": "hashes of recovery codes, each enough for a second step",
    "integrations.webhookendpoint": (
        "a webhook endpoint's signing secret lets whoever holds it send messages its "
        "receiver trusts as the site's; without secrets, editors register endpoints again"
    ),
}
# Fields whose names look like secrets but are not, and why.
NOT_SECRETS: dict[str, str] = {
    "discussion.comment.submission_key": "the form's idempotency key, useless to anyone else",
    "readers.reader.last_login": "a time",
    "readers.usedssotoken.token_id": (
        "the hash of a single sign-on token already used up: it signs nobody in, and "
        "travelling keeps it used on the restored site until it expires"
    ),
}


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def is_ours(model: type[models.Model]) -> bool:
    return model._meta.app_config.name.startswith("broadsheet.")


def _travels(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        meta.managed and not meta.proxy and not meta.swapped and label(model) not in EXCLUDED_MODELS
    )


def exported_models(*, with_secrets: bool = True) -> list[type[models.Model]]:
    """The models an export writes, each after the ones it refers to by natural key
    (Django's sort_dependencies: groups before the readers in them). Other
    references are by primary key and need no order: both databases check foreign
    keys at commit (Django makes them deferrable), and restore is one transaction."""
    app_list = [
        (config, None) for config in apps.get_app_configs() if config.name.startswith("broadsheet.")
    ]
    app_list.append((apps.get_app_config("auth"), list(DJANGO_MODELS)))
    ordered = sort_dependencies(app_list, allow_cycles=True)
    return [
        model
        for model in ordered
        if _travels(model) and (with_secrets or label(model) not in SECRET_MODELS)
    ]


def restorable_models() -> dict[str, type[models.Model]]:
    """Every model a restore accepts records of, by label."""
    return {label(model): model for model in exported_models(with_secrets=True)}


def cleared_references(model: type[models.Model]) -> list[models.ForeignKey]:
    """The model's foreign keys to a table that does not travel: written as null.
    A reference that cannot be null would make a row that cannot be restored, so
    such a model may not travel without its target (checked by a test)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.is_relation and label(field.related_model) in EXCLUDED_MODELS
    ]


def applied_migrations() -> dict[str, list[str]]:
    """Our apps' migrations this database has, by app: a restore refuses an export
    whose schema it does not know (one made by a newer Broadsheet)."""
    ours = {model._meta.app_label for model in exported_models() if is_ours(model)}
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if app in ours:
            applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}
