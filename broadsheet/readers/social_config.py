"""Which other accounts readers may sign in with, read from the environment once, in
settings.py (docs/social-sign-in.md).

    BROADSHEET_OIDC_PROVIDERS=google,yandex,newsroom
    BROADSHEET_OIDC_GOOGLE_CLIENT_ID=…   BROADSHEET_OIDC_GOOGLE_SECRET=…
    BROADSHEET_OIDC_NEWSROOM_ISSUER=https://id.example.org   (any other name: a generic
    BROADSHEET_OIDC_NEWSROOM_NAME=Newsroom                    OpenID Connect provider)

The result is django-allauth's SOCIALACCOUNT_PROVIDERS (apps kept in settings, never in
the database, so the environment is the whole truth), the buttons our pages show, and
the origins the sign-in page's form-action must allow (a browser holds the redirect a
form's answer makes to form-action too). Plain Python: settings.py imports it before
any app is loaded.
"""

import dataclasses
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


@dataclasses.dataclass(frozen=True)
class Preset:
    """A provider readers use, with django-allauth's own provider for it."""

    allauth_provider: str
    name: str
    # Where the browser is sent to sign in: the sign-in page's form-action allows these.
    origins: tuple[str, ...]
    # Whether its answer carries an OpenID Connect ID token, so that a nonce binds the
    # token to this browser's sign-in (the others are plain OAuth 2: state and PKCE).
    id_token: bool
    settings: dict = dataclasses.field(default_factory=dict)


PRESETS: dict[str, Preset] = {
    "google": Preset("google", "Google", ("https://accounts.google.com",), id_token=True),
    "apple": Preset("apple", "Apple", ("https://appleid.apple.com",), id_token=True),
    # GitHub speaks OAuth 2, not OpenID Connect: allauth's provider reads /user/emails,
    # which says which addresses GitHub has verified.
    "github": Preset("github", "GitHub", ("https://github.com",), id_token=False),
    "yandex": Preset(
        "yandex", "Yandex", ("https://oauth.yandex.com", "https://oauth.yandex.ru"), id_token=False
    ),
    # VK ID (id.vk.ru), OAuth 2.1 with PKCE.
    "vk": Preset("vk", "VK ID", ("https://id.vk.ru", "https://id.vk.com"), id_token=False),
}

GENERIC = "openid_connect"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


@dataclasses.dataclass(frozen=True)
class SocialProviders:
    """What settings.py needs: allauth's provider settings, our buttons, form-action."""

    allauth: dict
    buttons: list[dict]  # {"id", "name", "id_token"} in the order configured
    origins: list[str]


def _origin(url: str, variable: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ImproperlyConfigured(f"{variable} is {url!r}; expected an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def read_social_providers(environ: Mapping[str, str]) -> SocialProviders:
    """The providers BROADSHEET_OIDC_PROVIDERS names, each with its variables; none: {}."""
    names = [
        name.strip().lower()
        for name in environ.get("BROADSHEET_OIDC_PROVIDERS", "").split(",")
        if name.strip()
    ]
    allauth: dict = {}
    buttons: list[dict] = []
    origins: list[str] = []
    for name in dict.fromkeys(names):
        if not _NAME.match(name):
            raise ImproperlyConfigured(
                f"BROADSHEET_OIDC_PROVIDERS names {name!r}; expected a lower-case name of"
                " Latin letters, digits and _"
            )
        prefix = f"BROADSHEET_OIDC_{name.upper()}_"

        def value(key: str, *, required: bool = True, prefix: str = prefix) -> str:
            found = environ.get(prefix + key, "").strip()
            if required and not found:
                raise ImproperlyConfigured(f"{prefix}{key} is not set")
            return found

        preset = PRESETS.get(name)
        display_name = value("NAME", required=False) or (preset.name if preset else name.title())
        if preset is not None and preset.allauth_provider == "apple":
            # Apple's client secret is a JWT we sign with a key Apple issued (allauth
            # makes it): the key's id, the team's id and the key itself.
            key_file = value("PRIVATE_KEY_FILE")
            try:
                with open(key_file, encoding="utf-8") as pem:
                    private_key = pem.read()
            except OSError as error:
                raise ImproperlyConfigured(
                    f"{prefix}PRIVATE_KEY_FILE: cannot read {key_file!r}: {error}"
                ) from None
            app = {
                "client_id": value("CLIENT_ID"),
                "secret": value("KEY_ID"),
                "key": value("TEAM_ID"),
                "settings": {"certificate_key": private_key},
            }
        else:
            app = {"client_id": value("CLIENT_ID"), "secret": value("SECRET")}
        if preset is not None:
            allauth.setdefault(preset.allauth_provider, {"OAUTH_PKCE_ENABLED": True, "APPS": []})
            allauth[preset.allauth_provider]["APPS"].append(app)
            if preset.allauth_provider == "google":
                allauth["google"]["SCOPE"] = ["openid", "profile", "email"]
            if preset.allauth_provider == "github":
                allauth["github"]["SCOPE"] = ["read:user", "user:email"]
            origins.extend(preset.origins)
            buttons.append({"id": name, "name": display_name, "id_token": preset.id_token})
            continue
        issuer = value("ISSUER").rstrip("/")
        origins.append(_origin(issuer, prefix + "ISSUER"))
        allauth.setdefault(GENERIC, {"OAUTH_PKCE_ENABLED": True, "APPS": []})
        allauth[GENERIC]["APPS"].append(
            {
                **app,
                "provider_id": name,
                "name": display_name,
                "settings": {"server_url": issuer},
            }
        )
        buttons.append({"id": name, "name": display_name, "id_token": True})
    return SocialProviders(allauth=allauth, buttons=buttons, origins=list(dict.fromkeys(origins)))
