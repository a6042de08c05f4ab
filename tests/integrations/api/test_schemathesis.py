"""schemathesis against the live OpenAPI document of a real server.

Uvicorn serves the site in a thread (the `asgi_server` fixture) on the test
database; schemathesis reads /api/v1/openapi.json from it and sends generated
requests, valid and invalid, as a reader with a write token: to random
addresses, and to a real article and comment. Every answer must be no 5xx and
match the document: status, content type and body (problems too, as
application/problem+json); invalid data must be refused with a 4xx. Bounded by
MAX_EXAMPLES per operation and kind.

(schemathesis's own pytest plugin, `from_fixture`, fails on this pytest, so the
operations are walked here with hypothesis directly.)
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integrations.api.conftest import token_for

MAX_EXAMPLES = 25

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _exercise(operation, strategy, base: str, headers: dict) -> None:
    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_the_api_keeps_to_its_document(asgi_server, kestrel, nikolai, make_article, make_comment):
    article = make_article("the-last-ferry")
    for n in range(3):
        make_comment(article, nikolai, f"Comment {n} on the ferry.")
    headers = {"Authorization": f"Bearer {token_for(kestrel, 'write')}"}
    schema = schemathesis.openapi.from_url(asgi_server + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:
        names = {parameter.name for parameter in operation.path_parameters}
        real = {"slug": article.slug, "number": 1, "comment_id": 1, "handle": "unc-2"}
        pinned = {name: value for name, value in real.items() if name in names}
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if pinned:
            strategies.append(
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters=pinned)
            )
        for strategy in strategies:
            _exercise(operation, strategy, asgi_server, headers)
