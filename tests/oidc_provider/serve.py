"""Start the test OpenID Connect provider: `python -m tests.oidc_provider.serve`.

Reads OIDC_TEST_DIR (a fresh folder holding users.json), OIDC_TEST_PORT,
OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET and OIDC_TEST_REDIRECT_URIS (space
separated); writes an RSA key, migrates its own SQLite database, registers the
client and the users, then serves on 127.0.0.1 until killed.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main() -> None:
    state = Path(os.environ["OIDC_TEST_DIR"])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (state / "rsa.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from tests.oidc_provider.validator import load_users

    call_command("migrate", verbosity=0)
    for username, user in load_users().items():
        User.objects.create_user(username=username, password=user["password"])
    Application.objects.create(
        name="Broadsheet",
        client_id=os.environ["OIDC_TEST_CLIENT_ID"],
        client_secret=os.environ["OIDC_TEST_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["OIDC_TEST_REDIRECT_URIS"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )

    import uvicorn
    from django.core.asgi import get_asgi_application

    uvicorn.run(
        get_asgi_application(),
        host="127.0.0.1",
        port=int(os.environ["OIDC_TEST_PORT"]),
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
