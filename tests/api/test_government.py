"""Government services through the graph over real HTTP and websockets: the 开办企业 journey."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from mychangsha.auth.jws import InvalidSignedPayload, verify_offline
from tests.api.identity_client import Device, error_codes, verified_device
from tests.conftest import SimulatorAdmin
from tests.simulators.government_support import valid_fields

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

SEARCH = """query($k: String!) { govServices(keyword: $k, first: 3) { edges { node {
  __typename ... on GovService { id name } ... on GovBundle { id name } } } } }"""
BUNDLE = """query($id: ID!) { govBundle(id: $id) { id name departments
  materials { name required acceptedTypes } formFields { name label type required options }
  services { name } } }"""
SUBMIT = """mutation($input: ApplicationSubmitInput!) { applicationSubmit(input: $input) {
  __typename
  ... on Application { id number status timeline { status } }
  ... on MissingMaterials { names }
  ... on MaterialRejected { materialName message }
  ... on InvalidField { field message }
} }"""
MINE = "{ myApplications { edges { node { id number status timeline { status } } } } }"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def citizen(
    graph_url: str, sms_simulator: SimulatorAdmin, realname_simulator: SimulatorAdmin
) -> Iterator[Device]:
    device, _ = verified_device(graph_url, sms_simulator.base_url, realname_simulator.base_url)
    yield device
    device.close()


def _names(device: Device, keyword: str) -> list[str]:
    edges = device.post(SEARCH, {"k": keyword})["data"]["govServices"]["edges"]
    return [e["node"]["name"] for e in edges]


def _bundle(device: Device) -> dict[str, Any]:
    hit = device.post(SEARCH, {"k": "kaiban qiye"})["data"]["govServices"]["edges"][0]["node"]
    bundle: dict[str, Any] = device.post(BUNDLE, {"id": hit["id"]})["data"]["govBundle"]
    return bundle


def _submit(
    device: Device,
    bundle: dict[str, Any],
    files: list[tuple[str, str, bytes]],
    *,
    csrf: bool = True,
) -> httpx.Response:
    """applicationSubmit as a GraphQL multipart request (one file per material)."""
    fields = [{"name": k, "value": str(v)} for k, v in valid_fields(bundle).items()]
    variables = {
        "input": {
            "bundleId": bundle["id"],
            "fields": fields,
            "materials": [{"name": name, "file": None} for name, _, _ in files],
        }
    }
    operations = json.dumps({"query": SUBMIT, "variables": variables})
    mapping = {str(i): [f"variables.input.materials.{i}.file"] for i in range(len(files))}
    headers = {"authorization": f"Bearer {device.access_token}", "x-forwarded-for": device.ip}
    if csrf:
        headers["apollo-require-preflight"] = "true"
    return device.http.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps(mapping)},
        files={
            str(i): (fn, content, "application/octet-stream")
            for i, (_, fn, content) in enumerate(files)
        },
        headers=headers,
    )


def _required(bundle: dict[str, Any]) -> list[str]:
    return [m["name"] for m in bundle["materials"] if m["required"]]


def _good_files(bundle: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    """One acceptable file per required material, of a type that material takes."""
    files = []
    for material in bundle["materials"]:
        if material["required"]:
            pdf = "pdf" in material["acceptedTypes"]
            files.append((material["name"], "scan.pdf" if pdf else "scan.png", PDF if pdf else PNG))
    return files


def test_search_in_chinese_pinyin_and_initials(citizen: Device) -> None:
    assert "开办企业一件事" in _names(citizen, "kaiban qiye")
    assert "开办企业一件事" in _names(citizen, "开办企业")
    for query in ("社保", "shebao", "sb"):
        assert any("社会保障" in n or "社保" in n for n in _names(citizen, query)), query


def test_the_journey_submit_follow_and_certificate(
    citizen: Device, graph_url: str, government_simulator: SimulatorAdmin
) -> None:
    bundle = _bundle(citizen)
    assert len(bundle["departments"]) >= 2
    files = _good_files(bundle)
    assert len(files) >= 2
    url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"Authorization": f"Bearer {citizen.access_token}"}
        ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        query = "subscription { applicationStatusChanged { applicationId number status } }"
        ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": query}}))
        time.sleep(0.3)  # the subscription's Redis listener is in place

        response = _submit(citizen, bundle, files)
        assert response.status_code == 200, response.text
        application = response.json()["data"]["applicationSubmit"]
        assert application["__typename"] == "Application", application
        assert application["number"] and application["status"] == "SUBMITTED"

        government_simulator.http.post(
            f"/__admin/applications/{application['number']}/advance", json={"to": "accepted"}
        ).raise_for_status()
        while True:
            message = json.loads(ws.recv(timeout=10))
            assert message["type"] == "next", message
            change = message["payload"]["data"]["applicationStatusChanged"]
            if change["status"] == "ACCEPTED":
                break
        assert change["applicationId"] == application["id"]
        assert change["number"] == application["number"]

    # The next change's webhook is lost: the poller still brings it.
    government_simulator.http.put("/__admin/webhook", json={"dropNext": 1}).raise_for_status()
    government_simulator.http.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "in_review"}
    ).raise_for_status()
    deadline = time.monotonic() + 15
    while True:
        mine = citizen.post(MINE)["data"]["myApplications"]["edges"][0]["node"]
        if mine["status"] == "IN_REVIEW" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert mine["status"] == "IN_REVIEW"
    assert [s["status"] for s in mine["timeline"]][:3] == ["SUBMITTED", "ACCEPTED", "IN_REVIEW"]

    government_simulator.http.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "completed"}
    ).raise_for_status()
    deadline = time.monotonic() + 15
    certificates: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        certificates = citizen.post("{ myCertificates { id type number qrPayload downloadUrl } }")[
            "data"
        ]["myCertificates"]
        if any(c["type"] == "营业执照" for c in certificates):
            break
        time.sleep(0.3)
    licence = next(c for c in certificates if c["type"] == "营业执照")
    jwks = httpx.get(f"{graph_url}/.well-known/jwks.json").json()
    claims = verify_offline(licence["qrPayload"], jwks, typ="cert+jws")
    assert claims["number"] == licence["number"] and claims["type"] == "营业执照"
    header, payload, signature = licence["qrPayload"].split(".")
    with pytest.raises(InvalidSignedPayload):
        verify_offline(f"{header}.{payload[:-3]}abc.{signature}", jwks, typ="cert+jws")
    pdf = httpx.get(licence["downloadUrl"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    forged = httpx.get(licence["downloadUrl"].split("?")[0] + "?t=" + licence["qrPayload"])
    assert forged.status_code == 403


def test_refusals_leave_nothing_behind(citizen: Device, mongo_url: str) -> None:
    from pymongo import MongoClient

    bundle = _bundle(citizen)
    required = _required(bundle)
    with MongoClient(mongo_url) as client:
        files = client["mychangsha_test"]["materials.files"]
        before = files.count_documents({})
        disguised = _submit(citizen, bundle, [(n, "scan.pdf", EXE) for n in required])
        refused = disguised.json()["data"]["applicationSubmit"]
        assert refused["__typename"] == "MaterialRejected"
        missing = _submit(citizen, bundle, [(required[0], "a.pdf", PDF)])
        assert missing.json()["data"]["applicationSubmit"] == {
            "__typename": "MissingMaterials",
            "names": required[1:],
        }
        too_many = _submit(citizen, bundle, [(required[0], f"{n}.pdf", PDF) for n in range(11)])
        assert too_many.json()["data"]["applicationSubmit"]["__typename"] in {
            "MaterialRejected",
            "MissingMaterials",
        }
        no_csrf = _submit(citizen, bundle, _good_files(bundle), csrf=False)
        assert no_csrf.status_code == 400
        assert files.count_documents({}) == before


def test_another_citizens_application_is_forbidden(
    citizen: Device,
    graph_url: str,
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
) -> None:
    bundle = _bundle(citizen)
    response = _submit(citizen, bundle, _good_files(bundle))
    application = response.json()["data"]["applicationSubmit"]
    read = citizen.post(
        "query($id: ID!) { application(id: $id) { id } }", {"id": application["id"]}
    )
    assert read["data"]["application"]["id"] == application["id"]
    log = citizen.post("{ me { dataAccessLog { edges { node { resource resourceId action } } } } }")
    newest = log["data"]["me"]["dataAccessLog"]["edges"][0]["node"]
    assert newest == {"resource": "Application", "resourceId": application["id"], "action": "read"}
    stranger, _ = verified_device(graph_url, sms_simulator.base_url, realname_simulator.base_url)
    try:
        body = stranger.post(
            "query($id: ID!) { application(id: $id) { id } }", {"id": application["id"]}
        )
        assert error_codes(body) == ["FORBIDDEN"]
        assert stranger.post(MINE)["data"]["myApplications"]["edges"] == []
    finally:
        stranger.close()


def test_forged_and_duplicate_webhooks(
    citizen: Device, graph_url: str, government_simulator: SimulatorAdmin
) -> None:
    forged = httpx.post(
        f"{graph_url}/callbacks/government",
        content=b'{"eventId":"x","applicationNumber":"n","status":"approved"}',
        headers={"x-gov-timestamp": str(int(time.time())), "x-gov-signature": "sha256=00"},
    )
    assert forged.status_code == 401
    bundle = _bundle(citizen)
    application = _submit(citizen, bundle, _good_files(bundle)).json()["data"]["applicationSubmit"]
    admin = government_simulator.http
    admin.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "accepted"}
    ).raise_for_status()
    deliveries: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        deliveries = admin.get(
            "/__admin/webhooks", params={"applicationNumber": application["number"]}
        ).json()["items"]
        if any(
            d["event"]["status"] == "accepted" and d["status"] == "delivered" for d in deliveries
        ):
            break
        time.sleep(0.2)
    accepted = next(d for d in deliveries if d["event"]["status"] == "accepted")
    timeline_before = citizen.post(MINE)["data"]["myApplications"]["edges"][0]["node"]["timeline"]
    admin.post(f"/__admin/webhooks/{accepted['eventId']}/redeliver").raise_for_status()
    admin.post(f"/__admin/webhooks/{accepted['eventId']}/redeliver", params={"tamper": 1})
    time.sleep(1.0)
    after = citizen.post(MINE)["data"]["myApplications"]["edges"][0]["node"]["timeline"]
    assert after == timeline_before
    tampered = [
        d
        for d in admin.get(
            "/__admin/webhooks", params={"applicationNumber": application["number"]}
        ).json()["items"]
        if d["kind"] == "tampered"
    ]
    assert tampered and all(a["statusCode"] == 401 for a in tampered[0]["attempts"])


def test_a_supplement_resumes_the_review(
    citizen: Device, government_simulator: SimulatorAdmin
) -> None:
    bundle = _bundle(citizen)
    application = _submit(citizen, bundle, _good_files(bundle)).json()["data"]["applicationSubmit"]
    government_simulator.http.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "needs_supplement"}
    ).raise_for_status()
    query = "query($id: ID!) { application(id: $id) { status requestedMaterials } }"
    deadline = time.monotonic() + 15
    while True:
        current = citizen.post(query, {"id": application["id"]})["data"]["application"]
        if current["status"] == "NEEDS_SUPPLEMENT" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert current["status"] == "NEEDS_SUPPLEMENT" and current["requestedMaterials"]
    wanted = set(current["requestedMaterials"])
    files = [f for f in _good_files(bundle) if f[0] in wanted] or [
        (name, "scan.pdf", PDF) for name in wanted
    ]
    mapping = {str(i): [f"variables.materials.{i}.file"] for i in range(len(files))}
    operations = json.dumps(
        {
            "query": """mutation($id: ID!, $materials: [MaterialInput!]!) {
              applicationSupplement(id: $id, materials: $materials) {
                __typename ... on Application { status } ... on UserError { message } } }""",
            "variables": {
                "id": application["id"],
                "materials": [{"name": name, "file": None} for name, _, _ in files],
            },
        }
    )
    response = citizen.http.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps(mapping)},
        files={
            str(i): (fn, body, "application/octet-stream") for i, (_, fn, body) in enumerate(files)
        },
        headers={
            "authorization": f"Bearer {citizen.access_token}",
            "x-forwarded-for": citizen.ip,
            "x-mychangsha-csrf": "1",
        },
    )
    result = response.json()["data"]["applicationSupplement"]
    assert result == {"__typename": "Application", "status": "IN_REVIEW"}, result
