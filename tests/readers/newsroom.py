"""A stand-in newsroom for the single sign-on tests: the tokens it signs (with the
shared secret, or with RSA and EC keys made here) and its key set, served as JWKS by
a real HTTP server on 127.0.0.1 in a thread."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SECRET = "the newsroom and Broadsheet share this secret, 48 bytes"


def claims(**overrides) -> dict:
    """The claims of a sign-in token for Anna Petrova, valid for five minutes."""
    now = int(time.time())
    base = {
        "sub": "newsroom-1001",
        "handle": "anna",
        "name": "Anna Petrova",
        "email": "anna@newsroom.example",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def hs256_token(secret: str = SECRET, **overrides) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


class NewsroomKeys:
    """An RSA and an EC key pair, published as a JWKS by an HTTP server on loopback."""

    def __init__(self):
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        rsa_jwk = RSAAlgorithm.to_jwk(self.rsa_key.public_key(), as_dict=True)
        ec_jwk = ECAlgorithm.to_jwk(self.ec_key.public_key(), as_dict=True)
        rsa_jwk.update(kid="rsa-2026", use="sig", alg="RS256")
        ec_jwk.update(kid="ec-2026", use="sig", alg="ES256")
        self.jwks = {"keys": [rsa_jwk, ec_jwk]}
        self.requests = 0
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                keys.requests += 1
                body = json.dumps(keys.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def rs256_token(self, kid: str = "rsa-2026", **overrides) -> str:
        key, headers = self.rsa_key, {"kid": kid}
        return jwt.encode(claims(**overrides), key, algorithm="RS256", headers=headers)

    def es256_token(self, kid: str = "ec-2026", **overrides) -> str:
        key, headers = self.ec_key, {"kid": kid}
        return jwt.encode(claims(**overrides), key, algorithm="ES256", headers=headers)

    def public_rsa_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade_token(header: dict, payload: dict, hmac_key: bytes | None = None) -> str:
    """A JWT put together by hand, as an attacker would: `alg: none` with no signature,
    or HS256 with any bytes as its key (an RSA public key, say), which PyJWT itself
    refuses to sign with."""
    import hashlib
    import hmac

    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = b""
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
