"""Messages and labels in zh-CN by default and in English on `Accept-Language: en`, over HTTP
and websockets, for coded errors, typed errors and enum labels alike."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.api.identity_client import random_ip

ME = "{ me { id } }"
PAGE_TOO_SMALL = "{ attractions(first: 0) { edges { cursor } } }"
OTP_REQUEST = """mutation($phone: String!) { authOtpRequest(phone: $phone) {
  __typename ... on InvalidInput { field message } ... on UserError { message } } }"""
CROWD = "{ attraction(id: $id) { crowd { level levelLabel } } }"
CROWD_CHANGED = "subscription($ids: [ID!]!) { crowdLevelChanged(attractionIds: $ids) { level } }"

ZH = "zh-CN"
EN = "en"
# (Accept-Language header, the language the graph should answer in)
HEADERS: list[tuple[str | None, str]] = [
    (None, ZH),
    ("en", EN),
    ("en-US,en;q=0.9", EN),
    ("zh-CN,zh;q=0.9,en;q=0.8", ZH),
    ("zh-Hans", ZH),
    ("fr-FR,fr;q=0.9", ZH),
    ("fr-FR,en;q=0.5,zh;q=0.4", EN),
]


def _post(
    graph_url: str, query: str, variables: dict[str, Any] | None, language: str | None
) -> dict[str, Any]:
    headers = {"x-forwarded-for": random_ip()}
    if language is not None:
        headers["accept-language"] = language
    response = httpx.post(
        f"{graph_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=20,
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


def _only_error(body: dict[str, Any]) -> tuple[str, str]:
    assert len(body.get("errors", [])) == 1, body
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


@pytest.mark.parametrize(("header", "language"), HEADERS)
def test_a_coded_error_speaks_the_requested_language(
    graph_url: str, header: str | None, language: str
) -> None:
    code, message = _only_error(_post(graph_url, ME, None, header))
    assert code == "UNAUTHENTICATED"
    assert message == {ZH: "请先登录。", EN: "Sign in to see this."}[language]


@pytest.mark.parametrize(("header", "language"), [(None, ZH), ("en", EN)])
def test_a_coded_error_with_a_parameter(graph_url: str, header: str | None, language: str) -> None:
    code, message = _only_error(_post(graph_url, PAGE_TOO_SMALL, None, header))
    assert code == "BAD_USER_INPUT"
    expected = {ZH: "first 须在 1 到 100 之间", EN: "first must be between 1 and 100"}
    assert message == expected[language]


@pytest.mark.parametrize(("header", "language"), HEADERS)
def test_a_typed_error_speaks_the_requested_language(
    graph_url: str, header: str | None, language: str
) -> None:
    body = _post(graph_url, OTP_REQUEST, {"phone": "1380013"}, header)
    result = body["data"]["authOtpRequest"]
    assert result["__typename"] == "InvalidInput" and result["field"] == "phone", body
    expected = {
        ZH: "手机号无效：应为 11 位数字。",
        EN: "Not a mainland mobile number: must be 11 digits.",
    }
    assert result["message"] == expected[language]


@pytest.mark.parametrize(
    ("header", "labels"),
    [
        (None, {"COMFORTABLE": "舒适", "BUSY": "较拥挤", "CROWDED": "拥挤"}),
        ("en-US,en;q=0.9", {"COMFORTABLE": "Comfortable", "BUSY": "Busy", "CROWDED": "Crowded"}),
    ],
)
def test_an_enum_label_speaks_the_requested_language(
    graph_url: str, header: str | None, labels: dict[str, str]
) -> None:
    attraction = base64.b64encode(b"Attraction:att-yuelushan").decode()
    query = "query($id: ID!) " + CROWD
    body = _post(graph_url, query, {"id": attraction}, header)
    crowd = body["data"]["attraction"]["crowd"]
    assert crowd is not None, body
    assert crowd["levelLabel"] == labels[crowd["level"]]


@pytest.mark.parametrize(
    ("header", "init_payload", "expected"),
    [
        (None, {}, "不是有效的景点 ID。"),
        ("en", {}, "Not an Attraction id."),
        (None, {"acceptLanguage": "en-US,en;q=0.9"}, "Not an Attraction id."),
        ("en", {"acceptLanguage": "zh-CN"}, "不是有效的景点 ID。"),
    ],
)
def test_websocket_language_from_the_upgrade_or_the_init_payload(
    graph_url: str, header: str | None, init_payload: dict[str, str], expected: str
) -> None:
    """The init payload's acceptLanguage wins: browsers cannot set headers on the upgrade."""
    url = graph_url.replace("http://", "ws://") + "/graphql"
    headers = {} if header is None else {"Accept-Language": header}
    with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=10,
    ) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": init_payload}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        hospital = base64.b64encode(b"Hospital:xiangya").decode()
        payload = {"query": CROWD_CHANGED, "variables": {"ids": [hospital]}}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = json.loads(ws.recv(timeout=10))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [(e["extensions"]["code"], e["message"]) for e in errors] == [
        ("BAD_USER_INPUT", expected)
    ], message
