"""Personas and factories shared by every test.

Tests run against a real database: SQLite by default, PostgreSQL when
BROADSHEET_DATABASE_URL is set (the test command runs the suite on both).
"""

import contextlib
import datetime as dt
import itertools

import pytest
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.articles.operations import save_article
from broadsheet.discussion.operations import post_comment
from broadsheet.readers.models import Reader

# The OpenID Connect provider the social sign-in tests run against (a real process).
pytest_plugins = ["tests.oidc_provider.fixtures"]

PASSWORD = "correct horse battery staple"

ARTICLE_BODY = """\
The ferry leaves the pier at ten past six every morning.

## A town meeting

> "We are asking for the boat we already have," said a pharmacist.

![The pier at dawn](/static/demo/ferry.svg "The pier. Illustration: Broadsheet")

PS. The timetable is posted at the pier.
"""

_sequence = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _connections_close_after_each_request():
    """No persistent connections in tests: the ASGI server threads of browser tests
    would otherwise keep sessions open on the test database and block its removal."""
    from django.db import connections

    connections.settings["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Argon2 is slow on purpose (about a tenth of a second and 100 MB per hash),
    and nearly every test makes readers: tests hash with MD5. The test that a real
    sign-up stores an Argon2 hash puts the site's own hashers back
    (tests/readers/test_views.py); servers started as processes use them too."""
    from django.test import override_settings

    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()
    yield
    fast.disable()


@pytest.fixture
def site_password_hashers(settings):
    """The site's own password hashers (Argon2 first), for a test of hashing itself
    and for readers made here who sign in to a server process, which knows no MD5."""
    from broadsheet import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


@pytest.fixture(scope="session", autouse=True)
def _static_files_collected():
    """Pages name static files by the hashed names in the manifest that `broadsheet
    serve` collects before it starts; the test run collects it the same way, once."""
    from broadsheet.serving.static_files import collect_static_files

    collect_static_files()


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters():
    """Rate-limit counters and pages live in caches, which outlive each test's
    transaction; so do the comment HTML and page parts a process remembers (ids are reused)."""
    from django.core.cache import caches

    from broadsheet.discussion.fragments import forget_kept_html
    from broadsheet.serving.kept_html import forget_kept_parts

    for cache in caches.all(initialized_only=False):
        cache.clear()
    forget_kept_html()
    forget_kept_parts()
    yield
    for cache in caches.all(initialized_only=False):
        cache.clear()
    forget_kept_html()
    forget_kept_parts()


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Most tests post many comments a second; the rate-limit and flood tests turn
    the limit and breaking-news mode back on."""
    settings.BROADSHEET_COMMENTS_PER_MINUTE = 0
    settings.BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = 0
    settings.BROADSHEET_BREAKING_NEWS_PER_MINUTE = 0


@pytest.fixture(autouse=True)
def _staff_second_factor_optional(settings):
    """Tests of staff features sign staff in with force_login and no second factor;
    the requirement itself (BROADSHEET_STAFF_MFA=required, the default) is tested
    in tests/readers/test_second_factor.py and tests/browser/test_second_factor.py,
    which put it back."""
    settings.BROADSHEET_STAFF_MFA = "optional"


@pytest.fixture
def rules(settings):
    """The moderation rules configured: one banned word, one suspect word, one
    blocked domain, at most two links."""
    settings.BROADSHEET_BANNED_WORDS = ["scumbag"]
    settings.BROADSHEET_SUSPECT_WORDS = ["idiot"]
    settings.BROADSHEET_BLOCKED_DOMAINS = ["spam.example"]
    settings.BROADSHEET_MAX_LINKS = 2
    return settings


@pytest.fixture
def mail_server(settings):
    """A real SMTP server (aiosmtpd) on loopback, and the site's mail settings
    pointed at it."""
    from aiosmtpd.controller import Controller

    from tests.mail import MailServer
    from tests.servers import free_port

    server = MailServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.release.set()
    controller.stop()


@pytest.fixture
def mailoutbox(mailoutbox):
    """Django's test outbox as the worker fills it (tests/mail.py)."""
    from tests.mail import WorkerOutbox

    return WorkerOutbox(mailoutbox)


@pytest.fixture
def make_reader(db):
    def make(handle: str | None = None, display_name: str | None = None, **fields) -> Reader:
        n = next(_sequence)
        handle = handle or f"reader-{n}"
        return Reader.objects.create_user(
            handle=handle,
            email=fields.pop("email", f"{handle}@example.org"),
            password=fields.pop("password", PASSWORD),
            display_name=display_name or f"Reader {n}",
            **fields,
        )

    return make


@pytest.fixture
def kestrel(make_reader) -> Reader:
    """Our usual reader: handle kestrel-7, display name Anna Petrova."""
    return make_reader("kestrel-7", "Anna Petrova")


@pytest.fixture
def nikolai(make_reader) -> Reader:
    return make_reader("unc-2", "Nikolai Malyugin")


@pytest.fixture
def moderator(make_reader) -> Reader:
    from django.core.management import call_command

    reader = make_reader("mod-1", "Maria Moderator")
    call_command("grant", "mod-1", "moderator")
    return reader


@pytest.fixture
def make_article(db):
    def make(slug: str | None = None, **fields) -> Article:
        n = next(_sequence)
        article, _created = save_article(
            slug=slug or f"article-{n}",
            title=fields.pop("title", f"Article number {n}"),
            body_markdown=fields.pop("body_markdown", ARTICLE_BODY),
            lead=fields.pop("lead", "A lead paragraph."),
            byline=fields.pop("byline", "Irina Lebedeva"),
            published_at=fields.pop("published_at", timezone.now() - dt.timedelta(hours=1)),
            **fields,
        )
        return article

    return make


@pytest.fixture
def article(make_article) -> Article:
    return make_article("the-last-ferry", title="The last ferry keeps running")


@pytest.fixture
def make_comment():
    def make(article: Article, author: Reader, body: str | None = None, **kw):
        # Distinct by default: the same text twice in ten minutes is held as repetition.
        body = body or f"A thoughtful comment, number {next(_sequence)}."
        return post_comment(article=article, author=author, body=body, **kw)

    return make


@pytest.fixture
def signed_in_client(client, kestrel):
    client.force_login(kestrel)
    return client


@pytest.fixture
def asgi_server(transactional_db):
    """The site served over ASGI by Uvicorn in a thread of this process, on the test
    database: live streams need a real ASGI server (pytest-django's live_server is WSGI)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with serve_asgi_in_thread(port) as base:
        yield base


@contextlib.contextmanager
def serve_asgi_in_thread(port: int):
    """Serve the site on 127.0.0.1:`port` in a thread until the block ends (for a test
    that must know the port first: a provider registers the site's address)."""
    import threading
    import time

    import uvicorn

    from broadsheet.asgi import application

    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
