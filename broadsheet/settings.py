"""Django settings for Broadsheet.

Every setting of our own is named `BROADSHEET_*` and read from the environment
variable of the same name, once, here and nowhere else, through the helpers of
broadsheet/env.py (a bad value stops the start-up naming the variable and the
value); README.md documents each one with its default.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from broadsheet.data_dir import get_data_dir, load_or_create_secret_key
from broadsheet.env import env_bool, env_choice, env_float, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = get_data_dir()

SECRET_KEY = env_str("BROADSHEET_SECRET_KEY", "") or load_or_create_secret_key(DATA_DIR)
DEBUG = env_bool("BROADSHEET_DEBUG", False)
ALLOWED_HOSTS = env_list("BROADSHEET_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("BROADSHEET_CSRF_TRUSTED_ORIGINS", "")
BROADSHEET_SITE_NAME = env_str("BROADSHEET_SITE_NAME", "Broadsheet")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    # django-ninja: the JSON API (broadsheet/integrations/api/); listed so its
    # reference page's Swagger UI files are served from our own static files.
    "ninja",
    "broadsheet.readers",
    "broadsheet.articles",
    "broadsheet.discussion",
    "broadsheet.moderation",
    "broadsheet.search",
    "broadsheet.live",
    "broadsheet.demo",
    "broadsheet.core",
    "broadsheet.serving",
    "broadsheet.background",
    "broadsheet.notifications",
    "broadsheet.translation",
    "broadsheet.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files answer before the private mark: they are the same for everyone,
    # and a signed-in browser sends its session cookie with them too.
    "broadsheet.serving.middleware.StaticFilesMiddleware",
    "broadsheet.serving.middleware.private_pages_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "broadsheet.readers.middleware.PresenceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Second factors: staff sessions that have not passed the second step (docs/mfa.md).
    "broadsheet.readers.middleware.StaffSecondStepMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "broadsheet.urls"
ASGI_APPLICATION = "broadsheet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "broadsheet.core.context_processors.site",
                "broadsheet.notifications.context_processors.unread_notifications",
                "broadsheet.translation.context_processors.translation",
            ],
        },
    },
]

# --- Storage -----------------------------------------------------------------

SQLITE_PATH = DATA_DIR / "broadsheet.sqlite3"
BROADSHEET_DATABASE_URL = env_str("BROADSHEET_DATABASE_URL", "")

SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock when a transaction starts, so two writers
    # queue on the busy timeout instead of one failing with "database is locked"
    # when it tries to upgrade a read lock.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # WAL lets readers proceed while one writer commits; synchronous=FULL makes
    # every acknowledged commit survive a power cut, not only a process crash
    # (NORMAL would lose the last commits on power loss).
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
}

# Writers to SQLite take turns on a file lock beside the database, handed on as
# soon as it is free, before SQLite's own lock, whose busy handler sleeps up to
# 100 ms between tries (core/sqlite, docs/adr/0026-sqlite-writer-queue.md).
BROADSHEET_SQLITE_WRITE_QUEUE = env_bool("BROADSHEET_SQLITE_WRITE_QUEUE", True)

# PostgreSQL connections per app process, kept open in a pool (Django's, over
# psycopg_pool). A request borrows one and gives it back when it ends, so most
# requests skip PostgreSQL's connection set-up (a new server process each time).
# Requests beyond the maximum wait for a free one, which also caps the load one
# process puts on the database: app processes x BROADSHEET_DATABASE_POOL_MAX must
# stay below PostgreSQL's max_connections (docs/deploy.md). A maximum of 0 turns
# the pool off (e.g. behind PgBouncer).
BROADSHEET_DATABASE_POOL_MIN = env_int("BROADSHEET_DATABASE_POOL_MIN", 2)
BROADSHEET_DATABASE_POOL_MAX = env_int("BROADSHEET_DATABASE_POOL_MAX", 10)
# A pooled connection idle for longer than this is checked (an empty query) before
# it is lent; one given back sooner by a request that had no database error is
# lent as it is, saving a round trip per request (core/postgresql, ADR 0030).
# 0 checks every connection lent.
BROADSHEET_DATABASE_CHECK_IDLE_SECONDS = env_float("BROADSHEET_DATABASE_CHECK_IDLE_SECONDS", 1.0)

# SQLite connections are kept open between requests: each process runs its
# synchronous code in one thread (serving/asgi_handler.py), so the connection is
# reused, not left behind by a finished request's thread.
SQLITE_CONN_MAX_AGE = None

if BROADSHEET_DATABASE_URL:
    # PostgreSQL connections are borrowed from the pool for one request (Django's
    # pool requires CONN_MAX_AGE=0), and open live streams give theirs back
    # between reads (live/streams.py), so no stream pins one.
    DATABASES = {"default": dj_database_url.parse(BROADSHEET_DATABASE_URL, conn_max_age=0)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # A SQLite file named by URL gets the same safety settings as the default one.
        DATABASES["default"]["ENGINE"] = "broadsheet.core.sqlite"
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
        DATABASES["default"]["CONN_MAX_AGE"] = SQLITE_CONN_MAX_AGE
    elif "postgresql" in DATABASES["default"]["ENGINE"] and BROADSHEET_DATABASE_POOL_MAX:
        # Django's backend, checking a pooled connection only when it has sat idle
        # (core/postgresql): the pool itself checks none.
        DATABASES["default"]["ENGINE"] = "broadsheet.core.postgresql"
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(BROADSHEET_DATABASE_POOL_MIN, BROADSHEET_DATABASE_POOL_MAX),
            "max_size": BROADSHEET_DATABASE_POOL_MAX,
            # Seconds a request waits for a free connection before it fails: a
            # reader would rather see an error page than wait longer.
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, its writers queued on a file lock (core/sqlite).
            "ENGINE": "broadsheet.core.sqlite",
            "NAME": SQLITE_PATH,
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": SQLITE_CONN_MAX_AGE,
            "TEST": {
                # A file, not memory: concurrency tests need several connections
                # to see one database, exactly as several app threads do.
                "NAME": env_str("BROADSHEET_TEST_SQLITE_PATH", str(DATA_DIR / "test.sqlite3")),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# With Redis, live events and presence reach pages connected to any app process;
# without it, each process serves the pages connected to it (enough for one process).
BROADSHEET_REDIS_URL = env_str("BROADSHEET_REDIS_URL", "")

# Rate-limit counters have a cache of their own ("ratelimit"); in Redis they hold
# across processes.
RATELIMIT_USE_CACHE = "ratelimit"
if BROADSHEET_REDIS_URL:
    # Django's Redis cache, keeping one client object per pool (core/redis_cache.py).
    CACHES = {
        "default": {
            "BACKEND": "broadsheet.core.redis_cache.RedisCache",
            "LOCATION": BROADSHEET_REDIS_URL,
            "KEY_PREFIX": "broadsheet",
        },
        "ratelimit": {
            "BACKEND": "broadsheet.core.redis_cache.RedisCache",
            # Another Redis database (or server) keeps the counters out of the
            # page cache's eviction (docs/deploy.md).
            "LOCATION": env_str("BROADSHEET_RATELIMIT_REDIS_URL", BROADSHEET_REDIS_URL),
            "KEY_PREFIX": "broadsheet-limits",
        },
    }
    # Sessions are read from Redis, so a signed-in request costs the database no
    # query for them, and written through to the database when they change (sign
    # in, sign out). Not the cache-only engine: Redis also holds the page cache and
    # may evict keys when full, or lose them all in a restart, and nothing in
    # Redis needs a backup; a reader signed out by that mid-comment would lose the
    # comment. With cached_db a missing key is read back from the database.
    SESSION_ENGINE = "broadsheet.core.sessions.cached_db"
else:
    # Bounded in bytes, not entries: it holds finished pages (serving/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "broadsheet.serving.cache.BoundedLocMemCache",
            "OPTIONS": {
                "MAX_BYTES": env_int("BROADSHEET_CACHE_MB", 64) * 1024 * 1024,
                "MAX_ENTRIES": 100_000,
            },
        },
        # Counters apart from pages: anyone can fill the page cache (a new page
        # for every ?from=), and an evicted counter would start again at zero.
        # A counter is a few dozen bytes; past MAX_ENTRIES the least recently used
        # go first, so resetting a reader's counter takes a stranger 100,000 fresh
        # keys, which the per-address limits themselves slow down.
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "broadsheet-rate-limits",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
    # Sessions in the database: a process-local cache would sign a reader out
    # whenever a request reached another worker process.
    SESSION_ENGINE = "broadsheet.core.sessions.db"

# --- Readers -----------------------------------------------------------------

AUTH_USER_MODEL = "readers.Reader"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-in attempts while their account and
    # address are locked out, before a password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "broadsheet.readers.backends.HandleOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "readers:sign_in"
LOGIN_REDIRECT_URL = "articles:home"
LOGOUT_REDIRECT_URL = "articles:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("BROADSHEET_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# A reader counts as Online for this long after their last request; their
# last-seen time is written at most once per BROADSHEET_PRESENCE_WRITE_INTERVAL.
BROADSHEET_ONLINE_WINDOW_SECONDS = env_int("BROADSHEET_ONLINE_WINDOW_SECONDS", 300)
BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS = env_int(
    "BROADSHEET_PRESENCE_WRITE_INTERVAL_SECONDS", 60
)
# A reader's own data (docs/your-data.md): how often a session's "last active" is
# written, how long sign-ins are remembered, how long a "Download my data" link
# works (and how many a reader may ask for a day), and the grace period of "Delete
# my account" and what becomes of the comments of an erased account.
BROADSHEET_SESSION_TOUCH_SECONDS = env_int("BROADSHEET_SESSION_TOUCH_SECONDS", 60, minimum=1)
BROADSHEET_SIGN_IN_HISTORY_DAYS = env_int("BROADSHEET_SIGN_IN_HISTORY_DAYS", 90, minimum=1)
BROADSHEET_DATA_EXPORT_HOURS = env_int("BROADSHEET_DATA_EXPORT_HOURS", 24, minimum=1)
BROADSHEET_DATA_EXPORTS_PER_DAY = env_int("BROADSHEET_DATA_EXPORTS_PER_DAY", 3, minimum=1)
BROADSHEET_ACCOUNT_DELETION_DAYS = env_int("BROADSHEET_ACCOUNT_DELETION_DAYS", 7, minimum=0)
BROADSHEET_DELETED_READER_COMMENTS = env_choice(
    "BROADSHEET_DELETED_READER_COMMENTS", "erase", ("erase", "keep")
)

# --- Second factors (docs/mfa.md) ----------------------------------------------

# "required": moderators, editors and admins must pass a second factor (passkey,
# one-time code or recovery code) in their session before the admin or the
# moderation doors open; "optional" leaves second factors to each reader's choice.
BROADSHEET_STAFF_MFA = env_choice("BROADSHEET_STAFF_MFA", "required", ["required", "optional"])
# The WebAuthn relying party id for passkeys (the site's domain); empty: the host
# the request came to. Passkeys are bound to it, so set it before staff add any.
BROADSHEET_WEBAUTHN_RP_ID = env_str("BROADSHEET_WEBAUTHN_RP_ID", "")

# --- Discussion ----------------------------------------------------------------

BROADSHEET_COMMENT_MAX_LENGTH = env_int("BROADSHEET_COMMENT_MAX_LENGTH", 5000, minimum=1)
BROADSHEET_COMMENTS_PER_PAGE = env_int("BROADSHEET_COMMENTS_PER_PAGE", 50, minimum=1)
# Each emoticon is an <img> element in the stored HTML; past this many in one
# comment the rest stay as typed text, so a comment of shortcodes stays small.
BROADSHEET_EMOTICONS_PER_COMMENT = env_int("BROADSHEET_EMOTICONS_PER_COMMENT", 20)

# --- Feeds and sitemaps --------------------------------------------------------

# Items in one feed (the site's articles, an article's comments, a reader's
# comments, replies to a reader): each feed is one bounded query.
BROADSHEET_FEED_ITEMS = env_int("BROADSHEET_FEED_ITEMS", 50, minimum=1)
# Articles listed on one page of /sitemap.xml (`?p=2` for the next; the sitemap
# index names every page). The sitemap protocol allows 50,000; fewer keep one
# request's cost down.
BROADSHEET_SITEMAP_PAGE_SIZE = env_int("BROADSHEET_SITEMAP_PAGE_SIZE", 10000, minimum=1)

# --- Email ----------------------------------------------------------------------

EMAIL_HOST = env_str("BROADSHEET_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("BROADSHEET_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("BROADSHEET_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("BROADSHEET_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("BROADSHEET_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("BROADSHEET_FROM_EMAIL", "Broadsheet <noreply@localhost>")

# --- Language and time -------------------------------------------------------

LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LANGUAGE_CODE = env_choice("BROADSHEET_LANGUAGE", "en", [code for code, _name in LANGUAGES])
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["broadsheet.formats"]
TIME_ZONE = env_str("BROADSHEET_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------

STATIC_URL = "/static/"
# Pages name static files by hashed names (core/broadsheet.3f2a1c9e0b7d.css),
# which WhiteNoise serves with far-future, immutable caching; compressed copies
# are made once, when collected. `broadsheet serve` collects into STATIC_ROOT
# by itself whenever the files changed (serving/static_files.py), so no manual
# collectstatic step; a proxy may serve this folder directly (docs/deploy.md).
STATIC_ROOT = Path(env_str("BROADSHEET_STATIC_ROOT", "") or DATA_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "uploads"
# With BROADSHEET_DEBUG, pages use plain names and WhiteNoise reads the apps'
# folders on every request, so an edited stylesheet shows without collecting.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security headers ------------------------------------------------------------

# No inline scripts or styles anywhere: a comment that slipped past the sanitizer
# still could not run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# Browsers that reached the site over HTTPS keep to HTTPS for this long. Django
# sends the header only on HTTPS responses (behind a proxy: X-Forwarded-Proto from
# 127.0.0.1, which Uvicorn trusts), so a plain-HTTP install is never locked out.
SECURE_HSTS_SECONDS = env_int("BROADSHEET_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("BROADSHEET_HSTS_INCLUDE_SUBDOMAINS", False)

# Request bodies larger than this are refused with 413 before they are read
# (serving/request_limits.py): a comment is at most a few tens of kilobytes, and
# Django's ASGI handler would otherwise spool any body to disk in full first.
BROADSHEET_MAX_REQUEST_BYTES = env_int("BROADSHEET_MAX_REQUEST_KB", 1024, minimum=1) * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = BROADSHEET_MAX_REQUEST_BYTES
# Request lines in the access log are cut to this many characters.
BROADSHEET_ACCESS_LOG_MAX_PATH = env_int("BROADSHEET_ACCESS_LOG_MAX_PATH", 500)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"

# `json`: one JSON object per line (time, level, logger, message, and the
# request's fields on access-log lines), for a log collector; `plain` for people.
BROADSHEET_LOG_FORMAT = env_choice("BROADSHEET_LOG_FORMAT", "plain", ["plain", "json"])
LOG_FORMATTERS = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": LOG_FORMATTERS[BROADSHEET_LOG_FORMAT]},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "BROADSHEET_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
        ),
    },
}

# Reader.handle is unique regardless of case through a functional unique
# constraint, which this check does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# An author may change a comment for this long after posting it.
BROADSHEET_EDIT_WINDOW_SECONDS = env_int("BROADSHEET_EDIT_WINDOW_SECONDS", 900)
# Replies shown under a top-level comment on a page; the rest are one link away.
BROADSHEET_REPLIES_PER_THREAD = env_int("BROADSHEET_REPLIES_PER_THREAD", 30, minimum=1)

# --- Live updates ------------------------------------------------------------------

# A page that missed more events than this reloads its discussion instead.
BROADSHEET_LIVE_RESUME_LIMIT = env_int("BROADSHEET_LIVE_RESUME_LIMIT", 200)
# Seconds between keep-alive comments on an idle live connection.
BROADSHEET_LIVE_KEEPALIVE_SECONDS = env_float("BROADSHEET_LIVE_KEEPALIVE_SECONDS", 20)
# Presence changes are gathered and sent to pages at most this often.
BROADSHEET_PRESENCE_BATCH_SECONDS = env_float("BROADSHEET_PRESENCE_BATCH_SECONDS", 1)
# Live streams one client address may hold open at once, per app process (0: no
# limit); past it the stream answers 429. Each costs a connection and a share of
# every fan-out for hours, so one address must not take them all. Twenty covers a
# reader with many tabs, or an office behind one address; with several processes
# an address may hold this many in each.
BROADSHEET_LIVE_STREAMS_PER_ADDRESS = env_int("BROADSHEET_LIVE_STREAMS_PER_ADDRESS", 20)
# Events one live stream may have waiting to be written (its client not reading
# them fast enough). Past it the stream is told to reload and closed, so a client
# that stops reading costs a bounded amount of memory (docs/live-streams.md).
# How many younger garbage collections a full one waits for, in a process that
# holds live streams (CPython's default: 10). Thousands of open streams make a
# full collection a pause of most of a second for every page; 0 leaves
# CPython's defaults (docs/adr/0023-live-streams-outside-django.md).
BROADSHEET_LIVE_GC_GEN2_THRESHOLD = env_int("BROADSHEET_LIVE_GC_GEN2_THRESHOLD", 1000)
BROADSHEET_LIVE_STREAM_BUFFER_EVENTS = env_int(
    "BROADSHEET_LIVE_STREAM_BUFFER_EVENTS", 100, minimum=1
)

# --- Page cache ----------------------------------------------------------------------

# Signed-out readers' pages are kept as finished bytes for at most this long
# (presence markers on them may be this stale; the page's script updates them).
BROADSHEET_PAGE_CACHE_SECONDS = env_int("BROADSHEET_PAGE_CACHE_SECONDS", 60)
# Each comment's HTML is kept this long after it is drawn (discussion/fragments.py,
# docs/rendering.md): its key changes with anything it shows. 0: draw it every time.
BROADSHEET_COMMENT_FRAGMENT_SECONDS = env_int("BROADSHEET_COMMENT_FRAGMENT_SECONDS", 3600)
# The front cache (serving/front_cache.py) answers repeat requests before Django.
BROADSHEET_FRONT_CACHE = env_bool("BROADSHEET_FRONT_CACHE", True)
BROADSHEET_FRONT_CACHE_MB = env_int("BROADSHEET_FRONT_CACHE_MB", 64)
# `broadsheet serve --workers N` tells its processes N. Several processes without
# Redis do not hear of each other's writes, so each asks Django again (a cheap
# 304 when nothing changed) once a stored page is this old; with Redis or one
# process, writes reach every front cache as they commit.
BROADSHEET_WORKERS = env_int("BROADSHEET_WORKERS", 1, minimum=1)
BROADSHEET_FRONT_CACHE_REVALIDATE_SECONDS = env_float(
    "BROADSHEET_FRONT_CACHE_REVALIDATE_SECONDS",
    1 if BROADSHEET_WORKERS > 1 and not BROADSHEET_REDIS_URL else BROADSHEET_PAGE_CACHE_SECONDS,
)

# A signed-in reader's personal layer (docs/personal-layer.md) is kept per session
# in the front cache for at most this long: it is dropped at once when the
# discussion or the reader changes in this machine's processes; this bounds what
# another machine's change (with Redis) or a new notification leaves stale, and
# how long presence goes without news of a reader who only reloads pages.
BROADSHEET_PERSONAL_LAYER_SECONDS = env_int("BROADSHEET_PERSONAL_LAYER_SECONDS", 30)
# At most this many of the reader's own held comments travel in one layer; past
# it the layer says how many more there are and links the full page.
BROADSHEET_PERSONAL_LAYER_MAX_HELD = env_int("BROADSHEET_PERSONAL_LAYER_MAX_HELD", 20, minimum=1)
# Layers Django draws per reader (or address) a minute: what the front cache
# answers is not counted; each one drawn costs a discussion page's queries.
BROADSHEET_PERSONAL_LAYERS_PER_MINUTE = env_int("BROADSHEET_PERSONAL_LAYERS_PER_MINUTE", 120)

# --- Moderation ---------------------------------------------------------------------

# "open" (comments appear at once, moderated after), "premoderated" or "closed".
BROADSHEET_DISCUSSION_MODE = env_choice(
    "BROADSHEET_DISCUSSION_MODE", "open", ["open", "premoderated", "closed"]
)
# A new reader's first comments wait for a moderator (0 turns this off).
BROADSHEET_PREMODERATE_FIRST_COMMENTS = env_int("BROADSHEET_PREMODERATE_FIRST_COMMENTS", 0)

# Rules (comma-separated lists). Banned words and blocked domains refuse a
# comment; suspect words, too many links and repeated text hold it for a moderator.
BROADSHEET_BANNED_WORDS = env_list("BROADSHEET_BANNED_WORDS", "")
BROADSHEET_SUSPECT_WORDS = env_list("BROADSHEET_SUSPECT_WORDS", "")
BROADSHEET_BLOCKED_DOMAINS = env_list("BROADSHEET_BLOCKED_DOMAINS", "")
BROADSHEET_MAX_LINKS = env_int("BROADSHEET_MAX_LINKS", 3)
# Rate limit, counted in the database so it holds across processes.
BROADSHEET_COMMENTS_PER_MINUTE = env_int("BROADSHEET_COMMENTS_PER_MINUTE", 10)
BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE = env_int(
    "BROADSHEET_COMMENTS_PER_ARTICLE_PER_MINUTE", 5
)
# Breaking-news mode: past this many comments a minute on one article, the
# article slows down (one comment per reader per BROADSHEET_SLOW_MODE_SECONDS) and
# holds comments of readers younger than a day; below the calm rate it returns.
BROADSHEET_BREAKING_NEWS_PER_MINUTE = env_int("BROADSHEET_BREAKING_NEWS_PER_MINUTE", 100)
BROADSHEET_BREAKING_NEWS_CALM_PER_MINUTE = env_int("BROADSHEET_BREAKING_NEWS_CALM_PER_MINUTE", 30)
BROADSHEET_SLOW_MODE_SECONDS = env_int("BROADSHEET_SLOW_MODE_SECONDS", 30)

# Sign-in lockout (django-axes): after this many failures for one account from one
# address, that pair is locked out for BROADSHEET_SIGNIN_LOCKOUT_MINUTES. Locking
# the pair (not the account) means an attacker elsewhere cannot lock a reader out,
# and the lockout always ends by itself.
BROADSHEET_SIGNIN_FAILURES = env_int("BROADSHEET_SIGNIN_FAILURES", 5, minimum=1)
BROADSHEET_SIGNIN_LOCKOUT_MINUTES = env_int("BROADSHEET_SIGNIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = BROADSHEET_SIGNIN_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=BROADSHEET_SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form's field is "username" (handle or email), not the model's
# USERNAME_FIELD; one account is one counter whatever the letter case.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "broadsheet.readers.backends.sign_in_name"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "readers/locked_out.html"
AXES_VERBOSE = False
# Rate limits (django-ratelimit, counted in the cache), per address or per reader.
BROADSHEET_SIGNUPS_PER_HOUR = env_int("BROADSHEET_SIGNUPS_PER_HOUR", 5)
BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR = env_int("BROADSHEET_SIGNIN_ATTEMPTS_PER_HOUR", 30)
# Each password reset request may send a mail: limited per address (429 past it),
# and every mail about signing in (reset links, "someone tried to sign up with
# your address") per account, quietly, so that the limit never shows whether an
# account exists and nobody can fill a reader's inbox from many addresses.
BROADSHEET_PASSWORD_RESETS_PER_HOUR = env_int("BROADSHEET_PASSWORD_RESETS_PER_HOUR", 5)
BROADSHEET_ACCOUNT_EMAILS_PER_HOUR = env_int("BROADSHEET_ACCOUNT_EMAILS_PER_HOUR", 3)
# Email verification: how long a link sent to an address stays good, and whether
# a reader whose address is not verified yet may post, reply and vote (reading
# never needs it; notifications always do).
BROADSHEET_EMAIL_VERIFICATION_HOURS = env_int("BROADSHEET_EMAIL_VERIFICATION_HOURS", 72, minimum=1)
BROADSHEET_UNVERIFIED_MAY_COMMENT = env_bool("BROADSHEET_UNVERIFIED_MAY_COMMENT", True)
BROADSHEET_VOTES_PER_MINUTE = env_int("BROADSHEET_VOTES_PER_MINUTE", 60)
BROADSHEET_REPORTS_PER_HOUR = env_int("BROADSHEET_REPORTS_PER_HOUR", 20)
# Every edit is rendered, judged by the rules and sent to every open page of the
# article: without a limit one reader could keep all of them busy.
BROADSHEET_EDITS_PER_MINUTE = env_int("BROADSHEET_EDITS_PER_MINUTE", 10)

# --- background work -------------------------------------------------------------
# django-tasks (the backport of Django 6's tasks framework) with its database
# backend: a task is a row written in the transaction that enqueues it, so one that
# commits is never lost and one that rolls back never runs, and one machine needs
# nothing else. `broadsheet worker` runs them (`serve` starts one itself).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "email", "webhooks"],
    }
}
BROADSHEET_WORKER_INTERVAL_SECONDS = env_float("BROADSHEET_WORKER_INTERVAL_SECONDS", 1)
# A task that fails in a way that may pass (a mail server away) runs again this
# much later, doubling each time, up to BROADSHEET_TASK_ATTEMPTS attempts in all.
BROADSHEET_TASK_RETRY_SECONDS = env_int("BROADSHEET_TASK_RETRY_SECONDS", 30, minimum=1)
BROADSHEET_TASK_ATTEMPTS = env_int("BROADSHEET_TASK_ATTEMPTS", 6, minimum=1)
# A task still running after this long lost its worker and is put back.
BROADSHEET_TASK_STALE_SECONDS = env_int("BROADSHEET_TASK_STALE_SECONDS", 300, minimum=1)
# Finished tasks (their outcome, for the admin) are kept this long.
BROADSHEET_TASK_RESULTS_KEEP_DAYS = env_int("BROADSHEET_TASK_RESULTS_KEEP_DAYS", 7, minimum=1)

# --- notifications -----------------------------------------------------------------
# Off: nothing tells readers of replies, mentions or decisions (the benchmark
# compares posting with and without them).
BROADSHEET_NOTIFICATIONS = env_bool("BROADSHEET_NOTIFICATIONS", True)
# The site's public address, for links in e-mail (sent by the worker, which has
# no request to take it from).
# Defaults to the first of BROADSHEET_CSRF_TRUSTED_ORIGINS, which a site behind
# HTTPS sets already (docs/deploy.md).
BROADSHEET_SITE_URL = env_str(
    "BROADSHEET_SITE_URL",
    CSRF_TRUSTED_ORIGINS[0] if CSRF_TRUSTED_ORIGINS else "http://127.0.0.1:8000",
)
# A notification's e-mail waits this long, so several become one message, and a
# reader who saw them on the site in the meantime gets none.
BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS = env_int(
    "BROADSHEET_NOTIFICATION_EMAIL_DELAY_SECONDS", 300
)
# The local hour (BROADSHEET_TIME_ZONE) daily digests go out.
BROADSHEET_DIGEST_HOUR = env_int("BROADSHEET_DIGEST_HOUR", 8, maximum=23)
# At most this many readers are told of one comment's @mentions and quotes.
BROADSHEET_NOTIFIED_MENTIONS = env_int("BROADSHEET_NOTIFIED_MENTIONS", 10)
# Permanent refusals (5xx) of an address before we stop sending to it.
BROADSHEET_EMAIL_FAILURES_BEFORE_SUPPRESSION = env_int(
    "BROADSHEET_EMAIL_FAILURES_BEFORE_SUPPRESSION", 3, minimum=1
)
BROADSHEET_EMAIL_TIMEOUT_SECONDS = env_int("BROADSHEET_EMAIL_TIMEOUT_SECONDS", 30, minimum=1)
# Open pages report the comments they showed live (so no e-mail repeats them).
BROADSHEET_SEEN_REPORTS_PER_MINUTE = env_int("BROADSHEET_SEEN_REPORTS_PER_MINUTE", 60)
# Search (/search/): what one query may cost. A longer query is refused with a
# message; pages past the last one are not served (a stranger cannot make the
# database skip a million matches); searches per minute per address.
BROADSHEET_SEARCH_MAX_QUERY_LENGTH = env_int("BROADSHEET_SEARCH_MAX_QUERY_LENGTH", 200, minimum=1)
BROADSHEET_SEARCH_RESULTS_PER_PAGE = env_int("BROADSHEET_SEARCH_RESULTS_PER_PAGE", 20, minimum=1)
BROADSHEET_SEARCH_MAX_PAGES = env_int("BROADSHEET_SEARCH_MAX_PAGES", 10, minimum=1)
BROADSHEET_SEARCHES_PER_MINUTE = env_int("BROADSHEET_SEARCHES_PER_MINUTE", 30)

# --- machine translation -----------------------------------------------------------
# Off unless BROADSHEET_TRANSLATION_URL names a LibreTranslate service (self-hosted:
# `libretranslate --host 127.0.0.1`, then http://127.0.0.1:5000). With it, readers
# of an edition may ask for a comment in another language in the page's language,
# and `broadsheet translate` drafts editions; the worker asks the service.
BROADSHEET_TRANSLATION_URL = env_str("BROADSHEET_TRANSLATION_URL", "")
BROADSHEET_TRANSLATION_API_KEY = env_str("BROADSHEET_TRANSLATION_API_KEY", "")
BROADSHEET_TRANSLATION_TIMEOUT_SECONDS = env_float("BROADSHEET_TRANSLATION_TIMEOUT_SECONDS", 10)
# The most characters sent in one request: a longer comment is not translated.
BROADSHEET_TRANSLATION_MAX_CHARACTERS = env_int(
    "BROADSHEET_TRANSLATION_MAX_CHARACTERS", 5000, minimum=1
)
# Translation requests per minute per reader (per address when signed out); the
# page's polling while a translation is made counts too.
BROADSHEET_TRANSLATIONS_PER_MINUTE = env_int("BROADSHEET_TRANSLATIONS_PER_MINUTE", 60)

# --- backups -----------------------------------------------------------------------
# `broadsheet backup DIR` keeps this many backups in DIR, deleting the oldest beyond
# it (0: keeps every one); `--keep N` says otherwise for one run.
BROADSHEET_BACKUPS_KEEP = env_int("BROADSHEET_BACKUPS_KEEP", 7)
# The pg_dump that backs up a PostgreSQL site: a name looked up on PATH, or a path.
# It must be of the server's major version or newer.
BROADSHEET_PG_DUMP = env_str("BROADSHEET_PG_DUMP", "pg_dump")

# --- doors for other software: the API and the embedded discussion ------------------
# Origins (scheme://host[:port]) whose pages may embed a discussion with /embed.js
# and ask the API for comment counts from the browser. A page of any other origin
# gets nothing: no frame, no discussion created for its URL, no CORS answer.
BROADSHEET_EMBED_ORIGINS = [
    origin.rstrip("/") for origin in env_list("BROADSHEET_EMBED_ORIGINS", "") if origin
]
# A new external page's discussion is opened on its first view in a frame; a client
# address may open at most this many an hour (429 past it), so nobody fills the
# database with made-up addresses. Pages already open cost nothing.
BROADSHEET_EMBED_PAGES_PER_HOUR = env_int("BROADSHEET_EMBED_PAGES_PER_HOUR", 30)
# The longest page address taken, after normalising (Article.external_url holds 1000).
BROADSHEET_EMBED_URL_MAX_LENGTH = env_int(
    "BROADSHEET_EMBED_URL_MAX_LENGTH", 500, minimum=40, maximum=1000
)
# Signing in from an embedded discussion makes a write-scope API token that lives
# this long (the frame keeps it in memory, and in its own sessionStorage where allowed).
BROADSHEET_EMBED_TOKEN_HOURS = env_int("BROADSHEET_EMBED_TOKEN_HOURS", 12, minimum=1)
# Sign-ins through the embed's popup (tokens made) per reader an hour.
BROADSHEET_EMBED_SIGN_INS_PER_HOUR = env_int("BROADSHEET_EMBED_SIGN_INS_PER_HOUR", 30)

# --- seeing it in production -------------------------------------------------------
# Addresses or networks that may read /metrics (Prometheus); everyone else gets 404.
BROADSHEET_METRICS_ADDRESSES = env_list("BROADSHEET_METRICS_ADDRESSES", "127.0.0.1,::1")
for _scraper in BROADSHEET_METRICS_ADDRESSES:
    try:
        ipaddress.ip_network(_scraper, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"BROADSHEET_METRICS_ADDRESSES: {_scraper!r} is not an address or a network"
        ) from None

# --- single sign-on with the newsroom's own accounts (docs/sso.md) -----------------
# /accounts/sso/ signs in a reader the newsroom vouches for with a JWT. Off (404)
# unless a key is given: an HS256 secret shared with the newsroom, or the address of
# the newsroom's JSON Web Key Set for RS256/ES256 (or both).
BROADSHEET_SSO_SECRET = env_str("BROADSHEET_SSO_SECRET", "")
BROADSHEET_SSO_JWKS_URL = env_str("BROADSHEET_SSO_JWKS_URL", "")
# How long the fetched key set is trusted before it is fetched again; a token naming
# a key the set lacks fetches it again at most once per BROADSHEET_SSO_JWKS_COOLDOWN_SECONDS
# (so a stranger's made-up key ids cannot make us hammer the newsroom's server).
BROADSHEET_SSO_JWKS_CACHE_SECONDS = env_int("BROADSHEET_SSO_JWKS_CACHE_SECONDS", 300, minimum=1)
BROADSHEET_SSO_JWKS_COOLDOWN_SECONDS = env_int("BROADSHEET_SSO_JWKS_COOLDOWN_SECONDS", 30)
BROADSHEET_SSO_JWKS_TIMEOUT_SECONDS = env_float("BROADSHEET_SSO_JWKS_TIMEOUT_SECONDS", 5)
# When set, a token's `aud` must name this site, and its `iss` the newsroom.
BROADSHEET_SSO_AUDIENCE = env_str("BROADSHEET_SSO_AUDIENCE", "")
BROADSHEET_SSO_ISSUER = env_str("BROADSHEET_SSO_ISSUER", "")
# Whether the newsroom has verified the addresses it sends: then an SSO reader's
# address counts as verified here (notifications go to it at once).
BROADSHEET_SSO_EMAIL_VERIFIED = env_bool("BROADSHEET_SSO_EMAIL_VERIFIED", False)
# DANGEROUS: lets a token whose `email` is a local reader's verified address sign in
# AS that reader (and link the account to the newsroom's `sub` for good). Anyone who
# controls an account at the newsroom with that address gets the local account, so
# only for a newsroom that verifies addresses (requires BROADSHEET_SSO_EMAIL_VERIFIED).
# Off: such a token gets a new account of its own, without the address (ADR 0016).
BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS = env_bool(
    "BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS", False
)
# Where signing out sends a reader who signed in through the newsroom, so the
# newsroom ends its own session too (empty: our own home page).
BROADSHEET_SSO_LOGOUT_URL = env_str("BROADSHEET_SSO_LOGOUT_URL", "")
# Bounds on what a stranger can send: a token's length, and how far in the future
# its `exp` may lie (a used token's id is remembered until then); the clock skew
# allowed between the newsroom and us.
BROADSHEET_SSO_MAX_TOKEN_LENGTH = env_int("BROADSHEET_SSO_MAX_TOKEN_LENGTH", 4096, minimum=256)
BROADSHEET_SSO_MAX_TOKEN_LIFETIME_SECONDS = env_int(
    "BROADSHEET_SSO_MAX_TOKEN_LIFETIME_SECONDS", 3600, minimum=1
)
BROADSHEET_SSO_LEEWAY_SECONDS = env_int("BROADSHEET_SSO_LEEWAY_SECONDS", 30)
# SSO sign-ins (page and token exchange) per minute per address (0: no limit).
BROADSHEET_SSO_SIGNINS_PER_MINUTE = env_int("BROADSHEET_SSO_SIGNINS_PER_MINUTE", 20)
# The lifetime of the write-scope API token POST /accounts/sso/token hands the
# embedded discussion.
BROADSHEET_SSO_API_TOKEN_SECONDS = env_int("BROADSHEET_SSO_API_TOKEN_SECONDS", 3600, minimum=60)

# RFC 7518 asks for an HMAC key at least as long as the hash: a short shared secret
# can be found from one token by trying guesses offline.
if BROADSHEET_SSO_SECRET and len(BROADSHEET_SSO_SECRET.encode()) < 32:
    raise ImproperlyConfigured("BROADSHEET_SSO_SECRET is too short; expected at least 32 bytes")
for _name, _url in (
    ("BROADSHEET_SSO_JWKS_URL", BROADSHEET_SSO_JWKS_URL),
    ("BROADSHEET_SSO_LOGOUT_URL", BROADSHEET_SSO_LOGOUT_URL),
):
    if _url and not _url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"{_name} is {_url!r}; expected an http(s) URL")
if BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS and not BROADSHEET_SSO_EMAIL_VERIFIED:
    raise ImproperlyConfigured(
        "BROADSHEET_SSO_TRUST_EMAIL_TO_LINK_ACCOUNTS needs BROADSHEET_SSO_EMAIL_VERIFIED=true"
    )
if BROADSHEET_SSO_LOGOUT_URL:
    # Signing out is a form whose answer redirects to the newsroom, and browsers hold
    # a form's redirects to form-action too: the newsroom's origin joins 'self' there.
    _scheme, _, _rest = BROADSHEET_SSO_LOGOUT_URL.partition("://")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
        "'self'",
        f"{_scheme}://{_rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}",
    ]

# The JSON API (/api/v1/, docs/api.md). A list answers at most this many comments
# or articles at once, whatever `limit` asks.
BROADSHEET_API_PAGE_SIZE = env_int("BROADSHEET_API_PAGE_SIZE", 100, minimum=1)
# GET /api/v1/counts answers at most this many pages (slugs and addresses) at once.
BROADSHEET_API_COUNTS_MAX = env_int("BROADSHEET_API_COUNTS_MAX", 100, minimum=1)
# Requests to the API per caller (a reader, else an address) per minute; 0: no limit.
BROADSHEET_API_REQUESTS_PER_MINUTE = env_int("BROADSHEET_API_REQUESTS_PER_MINUTE", 600)
# How long an Idempotency-Key's answer is kept for a retry.
BROADSHEET_API_IDEMPOTENCY_HOURS = env_int("BROADSHEET_API_IDEMPOTENCY_HOURS", 24, minimum=1)
# New personal API tokens a reader may make per hour (settings page, API).
BROADSHEET_API_TOKENS_PER_HOUR = env_int("BROADSHEET_API_TOKENS_PER_HOUR", 10)

# --- Sign-in with other accounts: OpenID Connect and OAuth 2 (docs/social-sign-in.md) ---
# django-allauth speaks the protocols (state, PKCE, token exchange, ID token checks);
# only its socialaccount part is wired to URLs (readers/urls.py), and every sign-in it
# completes is handed to readers.operations.sign_in_with_social_identity (ADR 0017).
# allauth's own account pages (/accounts/login/ …) are never routed: ours serve.
import os  # noqa: E402

from broadsheet.readers.social_config import read_social_providers  # noqa: E402

INSTALLED_APPS += [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.apple",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.yandex",
    "allauth.socialaccount.providers.vk",
]
# allauth requires its middleware (it turns an ImmediateHttpResponse into the answer).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware"),
    "allauth.account.middleware.AccountMiddleware",
)
_social = read_social_providers(os.environ)
SOCIALACCOUNT_PROVIDERS = _social.allauth
# The buttons on the sign-in and sign-up pages, in the order configured; none: the
# provider URLs answer 404.
BROADSHEET_OIDC_BUTTONS = _social.buttons
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += _social.origins
SOCIALACCOUNT_ADAPTER = "broadsheet.readers.social.SocialAccountAdapter"
ACCOUNT_ADAPTER = "broadsheet.readers.social.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# Social sign-ins (the start and the provider's return) per minute per address.
BROADSHEET_OIDC_SIGNINS_PER_MINUTE = env_int("BROADSHEET_OIDC_SIGNINS_PER_MINUTE", 20)
# How long allauth waits for a provider's token, user info and key endpoints.
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("BROADSHEET_OIDC_TIMEOUT_SECONDS", 5, minimum=1)
# --- webhooks (docs/webhooks.md) -----------------------------------------------------
# Editors register endpoints in the admin; the worker POSTs each event to them, signed
# (Standard Webhooks). One attempt takes at most this long, connecting included,
# whatever the receiver does (a slow one cannot hold the worker).
BROADSHEET_WEBHOOK_TIMEOUT_SECONDS = env_float(
    "BROADSHEET_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=0.1
)
# Seconds to wait before each retry of a failed attempt (a non-2xx answer, a timeout,
# no connection): one attempt, then one more per number; after the last, the delivery
# has failed. The default is Standard Webhooks' own: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h.
_webhook_retries = env_list("BROADSHEET_WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000")
try:
    BROADSHEET_WEBHOOK_RETRY_SCHEDULE = [int(seconds) for seconds in _webhook_retries]
    if any(seconds < 0 for seconds in BROADSHEET_WEBHOOK_RETRY_SCHEDULE):
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        f"BROADSHEET_WEBHOOK_RETRY_SCHEDULE={','.join(_webhook_retries)!r}: "
        "expected whole seconds separated by commas, such as 5,300,1800"
    ) from None
# After this many deliveries in a row failed (every attempt), an endpoint is switched off.
BROADSHEET_WEBHOOK_FAILURES_BEFORE_DISABLING = env_int(
    "BROADSHEET_WEBHOOK_FAILURES_BEFORE_DISABLING", 5, minimum=1
)
# After a secret is rotated, deliveries carry a signature with the old one too for
# this long, so a receiver can change its secret without losing a message.
BROADSHEET_WEBHOOK_OLD_SECRET_HOURS = env_int("BROADSHEET_WEBHOOK_OLD_SECRET_HOURS", 24)
# How long a process trusts what it knows of which events have an endpoint (after
# a change in another process without Redis); a post with no endpoint costs nothing.
BROADSHEET_WEBHOOK_ENDPOINTS_CACHE_SECONDS = env_int(
    "BROADSHEET_WEBHOOK_ENDPOINTS_CACHE_SECONDS", 10
)
# Dangerous: lets webhooks reach loopback, private and link-local addresses (the
# machine itself, the newsroom's network, a cloud's metadata service). Off, an
# endpoint's name must resolve to public addresses only, checked as it is sent.
BROADSHEET_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool(
    "BROADSHEET_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False
)
