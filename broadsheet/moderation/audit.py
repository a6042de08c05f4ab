"""The audit log's one writer.

Its own module, importing only moderation's models, so that every app's write
operations can audit (discussion's breaking-news switch, say) without importing
moderation.operations, which imports discussion.operations.
"""

from broadsheet.moderation.models import AuditEntry


def audit(*, actor, action: str, target: str, reason: str = "") -> AuditEntry:
    """Write one entry of the audit log, inside the caller's transaction."""
    return AuditEntry.objects.create(actor=actor, action=action, target=target, reason=reason[:500])
