"""Rate-limit counters keep their own cache: a stranger who fills the page cache
(a new page for every ?from=) cannot reset a limit by pushing its counter out."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from broadsheet.core.limits import within_limit

pytestmark = pytest.mark.django_db


def test_filling_the_page_cache_does_not_reset_a_limit(settings):
    if settings.BROADSHEET_REDIS_URL:
        # One Redis holds both (under two key prefixes); clearing one cache there
        # flushes the database, and eviction is Redis's maxmemory policy's to
        # decide (docs/deploy.md).
        pytest.skip("the separate counter cache is the local one, without Redis")
    settings.BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = 3
    request = RequestFactory().post("/accounts/password-reset/")

    def one_more() -> bool:
        return within_limit(
            request,
            group="test.account_mail",
            value="victim@example.org",
            setting="BROADSHEET_ACCOUNT_EMAILS_PER_HOUR",
            period="h",
        )

    assert [one_more() for _ in range(4)] == [True, True, True, False]
    caches["default"].clear()  # as if pages had pushed everything else out
    assert one_more() is False
