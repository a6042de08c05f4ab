"""What the moderation queue shows, most urgent first."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery

from broadsheet.discussion.models import Comment
from broadsheet.moderation.models import Report


def _count_of_authors_comments(**filters) -> Subquery:
    return Subquery(
        Comment.objects.filter(author=OuterRef("author"), **filters)
        .order_by()
        .values("author")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def list_queue(*, limit: int = 50) -> list[Comment]:
    """Comments that need a decision: reported ones by number of reports, then held
    ones, oldest first within each (they have waited longest)."""
    return list(
        Comment.objects.filter(
            Q(status=Comment.Status.PENDING)
            | Q(status=Comment.Status.VISIBLE, report_count__gt=0, deleted_at__isnull=True)
        )
        .select_related("article", "author", "parent")
        .prefetch_related(
            Prefetch(
                "reports", queryset=Report.objects.order_by("created_at"), to_attr="queue_reports"
            )
        )
        .annotate(
            author_comments=_count_of_authors_comments(),
            author_rejected=_count_of_authors_comments(status=Comment.Status.REJECTED),
        )
        .order_by("-report_count", "created_at")[:limit]
    )
