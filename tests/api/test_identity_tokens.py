"""Forged and stale access tokens are refused; key rotation logs nobody out; JWKS publishes keys."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pymongo import MongoClient

from mychangsha.auth.crypto import FieldCipher
from mychangsha.auth.keys import KEY_PURPOSE
from tests.api.identity_client import ME, Device, error_codes
from tests.conftest import GRAPH_TEST_SETTINGS, SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

ISSUER = "https://api.mychangsha.cn"
AUDIENCE = "mychangsha-app"


@pytest.fixture
def device(graph_url: str, sms_simulator: SimulatorAdmin) -> Iterator[Device]:
    client = Device(graph_url, sms_simulator.base_url)
    yield client
    client.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _active_private_key(mongo_url: str) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The graph's signing key, read as an attacker with the database and master key would."""
    cipher = FieldCipher.from_setting(GRAPH_TEST_SETTINGS["MASTER_KEY"])
    with MongoClient(mongo_url) as client:
        doc = client["mychangsha_test"]["signing_keys"].find_one(
            {"retired_at": None}, sort=[("created_at", -1)]
        )
    assert doc is not None
    key = serialization.load_pem_private_key(
        cipher.decrypt_bytes(doc["private_key"], purpose=KEY_PURPOSE), password=None
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return str(doc["_id"]), key


def _signed(mongo_url: str, claims: dict[str, Any], **header: Any) -> str:
    kid, key = _active_private_key(mongo_url)
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, **header})


def _refused(device: Device, token: str) -> None:
    body = device.post(ME, token=token)
    assert body["data"] is None, body
    assert error_codes(body) == ["UNAUTHENTICATED"], body


def test_a_real_token_works(device: Device) -> None:
    session = device.sign_in()
    claims = _claims(session["accessToken"])
    assert set(claims) >= {"iss", "aud", "sub", "iat", "exp", "jti", "sid", "lvl"}
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE and claims["lvl"] == 1
    assert jwt.get_unverified_header(session["accessToken"])["alg"] == "ES256"
    assert device.post(ME)["data"]["me"]["id"] == session["citizen"]["id"]
    assert base64.b64decode(session["citizen"]["id"]).decode() == f"Citizen:{claims['sub']}"


def test_alg_none_is_refused(device: Device) -> None:
    claims = _claims(device.sign_in()["accessToken"])
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    _refused(device, f"{header}.{_b64(json.dumps(claims).encode())}.")


def test_hs256_signed_with_the_public_key_is_refused(device: Device, graph_url: str) -> None:
    token = device.sign_in()["accessToken"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwks = httpx.get(f"{graph_url}/.well-known/jwks.json").json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    public_pem = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(jwk)).public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps(_claims(token)).encode())
    import hashlib
    import hmac

    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    _refused(device, f"{header}.{payload}.{_b64(signature)}")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"exp": -120, "iat": -1000}, "expired"),
        ({"iat": 3600, "exp": 4500}, "issued in the future"),
        ({"nbf": 3600}, "not yet valid"),
        ({"aud": "someone-else"}, "wrong audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
    ],
)
def test_claims_that_do_not_hold_are_refused(
    device: Device, mongo_url: str, change: dict[str, Any], why: str
) -> None:
    claims = _claims(device.sign_in()["accessToken"])
    now = int(time.time())
    for name, value in change.items():
        claims[name] = now + value if name in {"exp", "iat", "nbf"} else value
    _refused(device, _signed(mongo_url, claims))


def test_a_correctly_signed_token_is_accepted_by_the_same_check(
    device: Device, mongo_url: str
) -> None:
    """The forgery tests above sign the same way: prove that signing itself is sound."""
    session = device.sign_in()
    claims = _claims(session["accessToken"])
    claims["jti"] = "re-signed"
    me = device.post(ME, token=_signed(mongo_url, claims))["data"]["me"]
    assert me["id"] == session["citizen"]["id"]


def test_unknown_kid_is_refused(device: Device) -> None:
    claims = _claims(device.sign_in()["accessToken"])
    stranger = ec.generate_private_key(ec.SECP256R1())
    _refused(device, jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "nope"}))


def test_tampered_payload_is_refused(device: Device) -> None:
    token = device.sign_in()["accessToken"]
    header, _, signature = token.split(".")
    claims = _claims(token)
    claims["lvl"] = 2
    _refused(device, f"{header}.{_b64(json.dumps(claims).encode())}.{signature}")


def test_revoked_session_is_refused(device: Device) -> None:
    token = device.sign_in()["accessToken"]
    assert device.post("mutation { authLogout }")["data"]["authLogout"] is True
    _refused(device, token)


def test_garbage_is_refused(device: Device) -> None:
    _refused(device, "not-a-token")


def test_rotation_keeps_old_tokens_valid_and_publishes_both_keys(
    device: Device, graph_url: str, graph_env: dict[str, str]
) -> None:
    old_token = device.sign_in()["accessToken"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    rotated = subprocess.run(
        [sys.executable, "-m", "mychangsha", "keys", "rotate", "--activate-in", "0"],
        env=graph_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.split()[3].rstrip(";")
    assert new_kid != old_kid

    # The old token still verifies: rotation logs nobody out.
    assert device.post(ME, token=old_token)["data"]["me"] is not None
    # Every process publishes the new key once its key cache refreshes (seconds in tests).
    deadline = time.monotonic() + 20
    while True:
        jwks = httpx.get(f"{graph_url}/.well-known/jwks.json")
        kids = [k["kid"] for k in jwks.json()["keys"]]
        if new_kid in kids or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert jwks.headers["cache-control"].startswith("public")
    assert old_kid in kids and new_kid in kids
    keys = jwks.json()["keys"]
    assert all(k["kty"] == "EC" and k["crv"] == "P-256" and "d" not in k for k in keys)

    # New sign-ins are signed with the new key once the process has picked it up.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        fresh = device.sign_in()["accessToken"]
        if jwt.get_unverified_header(fresh)["kid"] == new_kid:
            break
        time.sleep(2)
    else:
        pytest.fail("the graph never signed with the rotated key")
    assert device.post(ME, token=fresh)["data"]["me"] is not None
