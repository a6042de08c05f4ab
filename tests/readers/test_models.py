import pytest
from django.db import IntegrityError, transaction

from broadsheet.readers.models import Reader

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_handle_that_differs_only_in_case(kestrel):
    with pytest.raises(IntegrityError), transaction.atomic():
        Reader.objects.create_user(handle="Kestrel-7", email="other@example.org", display_name="X")


def test_the_database_refuses_an_email_that_differs_only_in_case(kestrel):
    with pytest.raises(IntegrityError), transaction.atomic():
        Reader.objects.create_user(handle="other", email="KESTREL-7@example.org", display_name="X")
