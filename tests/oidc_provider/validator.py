import json
import os
from pathlib import Path

from oauth2_provider.oauth2_validators import OAuth2Validator


def load_users() -> dict[str, dict]:
    return json.loads((Path(os.environ["OIDC_TEST_DIR"]) / "users.json").read_text())


class ClaimsValidator(OAuth2Validator):
    """Claims from the users file: each user's address, and whether it is verified."""

    def get_additional_claims(self, request):
        user = load_users()[request.user.username]
        return {
            "email": user["email"],
            "email_verified": user["email_verified"],
            "preferred_username": user.get("preferred_username", request.user.username),
            "name": user["name"],
        }
