"""The graph's logs over a citizen's whole journey: JSON lines an operator can follow, and
nothing in them that would let a reader act as, or identify, the citizen."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mychangsha.observability.logs import scrub
from tests.api.hospital_journey import book_tomorrow, decode_id
from tests.api.identity_client import Device, random_person, random_phone
from tests.conftest import SimulatorAdmin
from tests.support.graphs import extra_graph

OPERATIONS = Path(__file__).resolve().parents[2] / "clients" / "operations"
CITIZEN_HASH = re.compile(r"^[0-9a-f]{16}$")
TRACED_REQUEST_ID = f"journey-{uuid.uuid4().hex[:12]}"


def operation(name: str) -> str:
    """A document the app ships, as the app would send it."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


@dataclass
class Journey:
    """What a citizen did (and what must never be logged), and the lines the graph wrote."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    citizen_id: str = ""

    def access(self) -> list[dict[str, Any]]:
        """The access lines: one per HTTP request."""
        return [line for line in self.lines if line.get("logger") == "mychangsha.access"]


def _walk(device: Device, sms: SimulatorAdmin, realname: SimulatorAdmin, journey: Journey) -> None:
    """Sign in (one wrong code first), verify, look, book, refresh, sign out."""
    phone = random_phone()
    name, id_number = random_person()
    httpx.put(
        f"{realname.base_url}/__admin/records", json={"name": name, "idNumber": id_number}
    ).raise_for_status()
    device.post(operation("RequestSignInCode"), {"phone": phone})
    code = device.latest_code(phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    device.post(operation("SignInWithCode"), {"phone": phone, "code": wrong})
    signed_in = device.post(operation("SignInWithCode"), {"phone": phone, "code": code})
    session = signed_in["data"]["authOtpLogin"]
    assert session["__typename"] == "AuthSession", signed_in
    device.access_token, device.refresh_token = session["accessToken"], session["refreshToken"]
    first_access, first_refresh = device.access_token, device.refresh_token
    verified = device.post(operation("VerifyRealName"), {"name": name, "idNumber": id_number})
    assert verified["data"]["citizenVerifyRealName"]["__typename"] == "Citizen", verified
    me = device.http.post(
        "/graphql",
        json={"query": operation("Me")},
        headers={
            "authorization": f"Bearer {device.access_token}",
            "x-request-id": TRACED_REQUEST_ID,
            "x-forwarded-for": device.ip,
        },
    ).json()
    journey.citizen_id = decode_id(me["data"]["me"]["id"])[1]
    book_tomorrow(device)
    forged = device.post(operation("Me"), token=first_access[:-4] + "AAAA")
    assert forged["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", forged
    refreshed = device.post(operation("RefreshSession"), {"refreshToken": device.refresh_token})
    renewed = refreshed["data"]["authRefresh"]
    device.access_token = renewed["accessToken"]
    device.post(operation("SignOut"))
    journey.secrets = {
        "phone": phone,
        "national phone digits": phone[-11:],
        "sign-in code": code,
        "wrong code": wrong,
        "ID number": id_number,
        "name": name,
        "first access token": first_access,
        "first refresh token": first_refresh,
        "second access token": renewed["accessToken"],
        "second refresh token": renewed["refreshToken"],
    }


@pytest.fixture(scope="module")
def journey(
    graph_url: str,  # the session's graph has mirrored the hospital catalogue this one reads
    graph_env: dict[str, str],
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
    tmp_path_factory: pytest.TempPathFactory,
) -> Journey:
    """A graph logging at INFO to a file, a citizen's journey through it, then its lines."""
    log_file = tmp_path_factory.mktemp("logs") / "graph.log"
    walked = Journey()
    with extra_graph(graph_env, log_file=log_file, LOG_LEVEL="INFO", LOG_FORMAT="json") as url:
        device = Device(url, sms_simulator.base_url)
        try:
            _walk(device, sms_simulator, realname_simulator, walked)
        finally:
            device.close()
    text = log_file.read_text(encoding="utf-8")
    walked.lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return walked


def test_every_line_is_a_json_object_with_time_level_and_logger(journey: Journey) -> None:
    assert len(journey.access()) >= 10
    for line in journey.lines:
        assert {"ts", "level", "logger", "msg"} <= line.keys(), line


def test_a_request_is_one_access_line_under_its_request_id(journey: Journey) -> None:
    traced = [line for line in journey.lines if line.get("request_id") == TRACED_REQUEST_ID]
    assert len(traced) == 1, traced
    (line,) = traced
    assert line["operation"] == "Me"
    assert line["operation_type"] == "query"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert "codes" not in line


def test_every_access_line_has_its_own_request_id(journey: Journey) -> None:
    ids = [line["request_id"] for line in journey.access()]
    assert len(ids) == len(set(ids))


def test_the_citizen_is_named_by_a_keyed_hash_only(journey: Journey) -> None:
    signed_in = [line for line in journey.access() if "citizen" in line]
    hashes = {line["citizen"] for line in signed_in}
    assert len(hashes) == 1, hashes
    (citizen,) = hashes
    assert CITIZEN_HASH.match(citizen)
    assert {line.get("operation") for line in signed_in} >= {"Me", "VerifyRealName", "SignOut"}
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in journey.lines)
    assert journey.citizen_id not in everything


def test_error_codes_are_on_the_access_line(journey: Journey) -> None:
    refused = [line for line in journey.access() if line.get("codes") == ["UNAUTHENTICATED"]]
    assert [line["operation"] for line in refused] == ["Me"]
    assert "citizen" not in refused[0]


def test_no_token_code_id_number_phone_or_name_is_logged(journey: Journey) -> None:
    for line in journey.lines:
        for key, value in line.items():
            if key in {"ts", "request_id", "citizen", "duration_ms"}:
                continue  # made by the graph itself, of hex or digits that may look alike
            text = json.dumps(value, ensure_ascii=False)
            for what, secret in journey.secrets.items():
                found = re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text)
                assert found is None, f"{what} in a log line: {line}"


def test_scrubbing_hides_what_slipped_into_a_message() -> None:
    leaked = (
        "upstream said: Bearer abc.def-ghi for +86 13912345678, id 43010219900101123X, "
        "token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaXQifQ.c2lnbmF0dXJl"
    )
    clean = scrub(leaked)
    assert "abc.def-ghi" not in clean
    assert "13912345678" not in clean
    assert "43010219900101123X" not in clean
    assert "eyJ" not in clean
    assert clean.count("[token]") == 2
    assert "[phone]" in clean and "[id-number]" in clean
