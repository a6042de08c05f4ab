"""Readers with verified addresses, for the e-mail tests (the SMTP server is
tests/conftest.py's `mail_server`)."""

import pytest


@pytest.fixture
def verified(make_reader):
    """A reader with a verified address."""
    from django.utils import timezone

    def make(handle: str, **fields):
        return make_reader(
            handle, email=f"{handle}@example.org", email_verified_at=timezone.now(), **fields
        )

    return make
