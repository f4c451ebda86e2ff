"""A citizen's device talking to the graph over real HTTP: its own IP, its own tokens."""

from __future__ import annotations

import random
from typing import Any

import httpx

from mychangsha.auth.idcard import check_digit

OTP_REQUEST = """
mutation($phone: String!) { authOtpRequest(phone: $phone) {
  __typename
  ... on OtpSent { expiresInSeconds retryAfterSeconds }
  ... on RateLimited { retryAfterSeconds message }
  ... on InvalidInput { field message }
} }"""

OTP_LOGIN = """
mutation($phone: String!, $code: String!, $binding: String) {
  authOtpLogin(phone: $phone, code: $code, bindingToken: $binding) {
  __typename
  ... on AuthSession { accessToken refreshToken expiresIn citizen { id verificationLevel } }
  ... on InvalidCode { attemptsLeft message }
  ... on RateLimited { retryAfterSeconds }
  ... on InvalidInput { field message }
  ... on InvalidBindingToken { message }
} }"""

REFRESH = """
mutation($token: String!) { authRefresh(refreshToken: $token) {
  __typename
  ... on AuthSession { accessToken refreshToken expiresIn }
  ... on InvalidRefreshToken { message }
} }"""

ME = "{ me { id name maskedPhone maskedIdNumber verificationLevel } }"


def random_phone() -> str:
    """A mainland mobile number nobody else in the run uses (with high probability)."""
    return f"139{random.randrange(10**8):08d}"


def random_ip() -> str:
    """A client address of its own, so per-IP limits of one test never touch another."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def valid_id_number(birth: str, *, region: str = "430104", serial: int | None = None) -> str:
    """A resident ID number with a correct check digit; birth as YYYYMMDD."""
    seq = f"{serial if serial is not None else random.randrange(1000):03d}"
    first17 = f"{region}{birth}{seq}"
    return first17 + check_digit(first17)


class Device:
    """One phone or mini-program: an address, and the tokens it holds."""

    def __init__(self, graph_url: str, sms_url: str, ip: str | None = None) -> None:
        self.http = httpx.Client(base_url=graph_url, timeout=20)
        self.sms = httpx.Client(base_url=sms_url, timeout=10)
        self.ip = ip or random_ip()
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    def close(self) -> None:
        """Close both HTTP clients."""
        self.http.close()
        self.sms.close()

    def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Run a document as this device; the JSON body."""
        headers = {"x-forwarded-for": self.ip}
        bearer = token if token is not None else self.access_token
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def latest_code(self, phone: str) -> str:
        """The newest code the SMS gateway sent to a phone, read from its outbox."""
        items = self.sms.get("/outbox", params={"phone": phone}).raise_for_status().json()["items"]
        assert items, f"no SMS to {phone}"
        return str(items[0]["params"]["code"])

    def request_code(self, phone: str) -> dict[str, Any]:
        """authOtpRequest's result."""
        result: dict[str, Any] = self.post(OTP_REQUEST, {"phone": phone})["data"]["authOtpRequest"]
        return result

    def login(self, phone: str, code: str, binding: str | None = None) -> dict[str, Any]:
        """authOtpLogin's result; a session's tokens are kept."""
        body = self.post(OTP_LOGIN, {"phone": phone, "code": code, "binding": binding})
        result: dict[str, Any] = body["data"]["authOtpLogin"]
        if result["__typename"] == "AuthSession":
            self.access_token = result["accessToken"]
            self.refresh_token = result["refreshToken"]
        return result

    def sign_in(self, phone: str | None = None) -> dict[str, Any]:
        """The whole phone sign-in; the AuthSession."""
        phone = phone or random_phone()
        sent = self.request_code(phone)
        assert sent["__typename"] == "OtpSent", sent
        session = self.login(phone, self.latest_code(phone))
        assert session["__typename"] == "AuthSession", session
        return session

    def refresh(self, token: str | None = None) -> dict[str, Any]:
        """authRefresh's result; a new session's tokens are kept."""
        result: dict[str, Any] = self.post(
            REFRESH, {"token": token or self.refresh_token}, token=""
        )["data"]["authRefresh"]
        if result["__typename"] == "AuthSession":
            self.access_token = result["accessToken"]
            self.refresh_token = result["refreshToken"]
        return result


def error_codes(body: dict[str, Any]) -> list[str]:
    """The `extensions.code` of every error of a response."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def skip_resend_wait(redis_url: str, phone: str) -> None:
    """Let a phone ask for a new code now instead of a minute later (as if time had passed)."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        client.delete(f"otp:cooldown:{phone}")


VERIFY_REAL_NAME = """
mutation($name: String!, $id: String!) { citizenVerifyRealName(name: $name, idNumber: $id) {
  __typename ... on Citizen { id name verificationLevel }
} }"""

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


_issued_id_numbers: set[str] = set()


def random_person(birth_year: int | None = None) -> tuple[str, str]:
    """A name and a valid ID number no other call of this test run returned (an adult's)."""
    while True:
        name = random.choice(_SURNAMES) + random.choice(_GIVEN) + random.choice(_GIVEN)
        year = birth_year or random.randrange(1960, 2000)
        birth = f"{year}{random.randrange(1, 13):02d}{random.randrange(1, 29):02d}"
        id_number = valid_id_number(birth, region="430102", serial=random.randrange(1000))
        if id_number not in _issued_id_numbers:
            _issued_id_numbers.add(id_number)
            return name, id_number


def verified_device(
    graph_url: str, sms_url: str, realname_url: str, *, person: tuple[str, str] | None = None
) -> tuple[Device, dict[str, Any]]:
    """A signed-in, real-name verified (level 2) citizen's device, and its `me`.

    The person is first registered with the verification service's admin API, as the public
    security registry would already know them.
    """
    name, id_number = person or random_person()
    httpx.put(
        f"{realname_url}/__admin/records", json={"name": name, "idNumber": id_number}, timeout=10
    ).raise_for_status()
    device = Device(graph_url, sms_url)
    device.sign_in()
    result = device.post(VERIFY_REAL_NAME, {"name": name, "id": id_number})
    verified = result["data"]["citizenVerifyRealName"]
    assert verified["__typename"] == "Citizen", result
    return device, verified
