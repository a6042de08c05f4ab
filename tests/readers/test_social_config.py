"""Reading the sign-in providers from the environment (readers/social_config.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from broadsheet.readers.social_config import read_social_providers


def test_nothing_configured_means_no_providers():
    social = read_social_providers({})
    assert social.allauth == {} and social.buttons == [] and social.origins == []


def test_presets_and_a_generic_provider_in_the_order_given():
    social = read_social_providers(
        {
            "BROADSHEET_OIDC_PROVIDERS": "yandex, Google,newsroom,github,vk",
            "BROADSHEET_OIDC_YANDEX_CLIENT_ID": "y-id",
            "BROADSHEET_OIDC_YANDEX_SECRET": "y-secret",
            "BROADSHEET_OIDC_GOOGLE_CLIENT_ID": "g-id",
            "BROADSHEET_OIDC_GOOGLE_SECRET": "g-secret",
            "BROADSHEET_OIDC_GITHUB_CLIENT_ID": "gh-id",
            "BROADSHEET_OIDC_GITHUB_SECRET": "gh-secret",
            "BROADSHEET_OIDC_VK_CLIENT_ID": "vk-id",
            "BROADSHEET_OIDC_VK_SECRET": "vk-secret",
            "BROADSHEET_OIDC_NEWSROOM_ISSUER": "https://id.example.org/realms/staff/",
            "BROADSHEET_OIDC_NEWSROOM_CLIENT_ID": "n-id",
            "BROADSHEET_OIDC_NEWSROOM_SECRET": "n-secret",
            "BROADSHEET_OIDC_NEWSROOM_NAME": "Example Newsroom",
        }
    )

    assert [(b["id"], b["name"]) for b in social.buttons] == [
        ("yandex", "Yandex"),
        ("google", "Google"),
        ("newsroom", "Example Newsroom"),
        ("github", "GitHub"),
        ("vk", "VK ID"),
    ]
    assert social.allauth["google"]["APPS"] == [{"client_id": "g-id", "secret": "g-secret"}]
    assert social.allauth["google"]["OAUTH_PKCE_ENABLED"] is True
    assert social.allauth["openid_connect"]["APPS"] == [
        {
            "client_id": "n-id",
            "secret": "n-secret",
            "provider_id": "newsroom",
            "name": "Example Newsroom",
            "settings": {"server_url": "https://id.example.org/realms/staff"},
        }
    ]
    assert "https://id.example.org" in social.origins
    assert "https://accounts.google.com" in social.origins
    assert "https://github.com" in social.origins


def test_apple_reads_its_key_from_a_file(tmp_path):
    key = tmp_path / "AuthKey.p8"
    key.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    social = read_social_providers(
        {
            "BROADSHEET_OIDC_PROVIDERS": "apple",
            "BROADSHEET_OIDC_APPLE_CLIENT_ID": "org.example.news",
            "BROADSHEET_OIDC_APPLE_KEY_ID": "KEY123",
            "BROADSHEET_OIDC_APPLE_TEAM_ID": "TEAM456",
            "BROADSHEET_OIDC_APPLE_PRIVATE_KEY_FILE": str(key),
        }
    )
    (app,) = social.allauth["apple"]["APPS"]
    assert app["client_id"] == "org.example.news"
    assert app["secret"] == "KEY123" and app["key"] == "TEAM456"
    assert "BEGIN PRIVATE KEY" in app["settings"]["certificate_key"]


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"BROADSHEET_OIDC_PROVIDERS": "google"}, "BROADSHEET_OIDC_GOOGLE_CLIENT_ID"),
        (
            {
                "BROADSHEET_OIDC_PROVIDERS": "newsroom",
                "BROADSHEET_OIDC_NEWSROOM_CLIENT_ID": "x",
                "BROADSHEET_OIDC_NEWSROOM_SECRET": "y",
            },
            "BROADSHEET_OIDC_NEWSROOM_ISSUER",
        ),
        (
            {
                "BROADSHEET_OIDC_PROVIDERS": "newsroom",
                "BROADSHEET_OIDC_NEWSROOM_CLIENT_ID": "x",
                "BROADSHEET_OIDC_NEWSROOM_SECRET": "y",
                "BROADSHEET_OIDC_NEWSROOM_ISSUER": "javascript:alert(1)",
            },
            "BROADSHEET_OIDC_NEWSROOM_ISSUER",
        ),
        ({"BROADSHEET_OIDC_PROVIDERS": "news/room"}, "BROADSHEET_OIDC_PROVIDERS"),
        (
            {
                "BROADSHEET_OIDC_PROVIDERS": "apple",
                "BROADSHEET_OIDC_APPLE_CLIENT_ID": "a",
                "BROADSHEET_OIDC_APPLE_KEY_ID": "b",
                "BROADSHEET_OIDC_APPLE_TEAM_ID": "c",
                "BROADSHEET_OIDC_APPLE_PRIVATE_KEY_FILE": "/nonexistent/key.p8",
            },
            "BROADSHEET_OIDC_APPLE_PRIVATE_KEY_FILE",
        ),
    ],
)
def test_a_bad_configuration_stops_the_start_naming_the_variable(environment, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        read_social_providers(environment)
