from datetime import timedelta

import pytest
from django.utils import timezone

from broadsheet.readers.access import find_api_token, hash_api_token
from broadsheet.readers.models import ApiToken
from broadsheet.readers.operations import (
    create_api_token,
    record_api_token_use,
    revoke_api_token,
)


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(kestrel):
    issued = create_api_token(reader=kestrel, name="my script", scope="write")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret.startswith("bs_") and len(issued.secret) > 40
    assert stored.token_hash == hash_api_token(issued.secret)
    assert issued.secret not in str(ApiToken.objects.values().get(pk=stored.pk))
    assert stored.prefix == issued.secret[:10]
    assert find_api_token(issued.secret).reader == kestrel


def test_scopes_include_the_weaker_ones(kestrel):
    token = create_api_token(reader=kestrel, name="m", scope="moderate").token
    assert token.allows("read") and token.allows("write") and token.allows("moderate")
    read_only = create_api_token(reader=kestrel, name="r").token
    assert read_only.allows("read") and not read_only.allows("write")


def test_an_unknown_scope_is_refused(kestrel):
    with pytest.raises(ValueError, match="unknown scope"):
        create_api_token(reader=kestrel, name="x", scope="admin")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("secret", ["", "bs_nope", "x" * 5000, "bs_ключ"])
def test_unknown_and_malformed_secrets_find_nothing(kestrel, secret):
    create_api_token(reader=kestrel, name="t")
    assert find_api_token(secret) is None


def test_revoked_expired_and_deactivated_tokens_find_nothing(kestrel, make_reader):
    revoked = create_api_token(reader=kestrel, name="a")
    revoke_api_token(token=revoked.token)
    assert find_api_token(revoked.secret) is None

    short = create_api_token(reader=kestrel, name="b", lifetime=timedelta(minutes=5))
    assert find_api_token(short.secret) is not None
    later = timezone.now() + timedelta(minutes=6)
    assert find_api_token(short.secret, now=later) is None

    gone = make_reader(handle="gone-reader")
    theirs = create_api_token(reader=gone, name="c")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assert find_api_token(theirs.secret) is None


def test_last_use_is_written_at_most_once_a_minute(kestrel, django_assert_num_queries):
    token = create_api_token(reader=kestrel, name="t").token
    now = timezone.now()
    with django_assert_num_queries(1):
        record_api_token_use(token=token, now=now)
    with django_assert_num_queries(0):
        record_api_token_use(token=token, now=now + timedelta(seconds=30))
    with django_assert_num_queries(1):
        record_api_token_use(token=token, now=now + timedelta(seconds=61))
