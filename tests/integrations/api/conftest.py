"""Callers of the API: a reader's token of each scope, and a client that sends it."""

import json

import pytest

from broadsheet.readers.operations import create_api_token


class ApiClient:
    """Django's test client speaking JSON to /api/v1/, with or without a token."""

    def __init__(self, client, secret: str | None = None):
        self.client = client
        self.secret = secret

    def _headers(self, headers: dict | None) -> dict:
        sent = dict(headers or {})
        if self.secret:
            sent.setdefault("Authorization", f"Bearer {self.secret}")
        return sent

    def get(self, path: str, **kwargs):
        return self.client.get(
            "/api/v1" + path, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def send(
        self,
        method: str,
        path: str,
        data=None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        headers: dict | None = None,
    ):
        body = raw if raw is not None else json.dumps(data).encode()
        return getattr(self.client, method)(
            "/api/v1" + path, body, content_type=content_type, headers=self._headers(headers)
        )

    def post(self, path: str, data=None, **kwargs):
        return self.send("post", path, data, **kwargs)

    def patch(self, path: str, data=None, **kwargs):
        return self.send("patch", path, data, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(
            "/api/v1" + path, headers=self._headers(kwargs.pop("headers", None))
        )


def token_for(reader, scope: str = "write") -> str:
    return create_api_token(reader=reader, name=f"test {scope}", scope=scope).secret


@pytest.fixture
def anonymous_api(client) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def kestrel_api(client, kestrel) -> ApiClient:
    return ApiClient(client, token_for(kestrel, "write"))


@pytest.fixture
def kestrel_reader_api(client, kestrel) -> ApiClient:
    return ApiClient(client, token_for(kestrel, "read"))


@pytest.fixture
def nikolai_api(client, nikolai) -> ApiClient:
    return ApiClient(client, token_for(nikolai, "write"))


@pytest.fixture
def moderator_api(client, moderator) -> ApiClient:
    return ApiClient(client, token_for(moderator, "moderate"))


def assert_problem(response, status: int, code: str | None = None, pointer: str | None = None):
    """The answer is a problem of this status whose errors name `code` at `pointer`."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "status", "detail", "errors"} <= problem.keys()
    if code is not None:
        assert any(
            e["code"] == code and (pointer is None or e["pointer"] == pointer)
            for e in problem["errors"]
        ), problem
    return problem
