"""Real-name verification, family members, guardianship and consent, over real HTTP."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from mychangsha.simulators.realname.data import RECORDS, AgeGroup, CitizenRecord
from tests.api.identity_client import ME, Device, error_codes, valid_id_number
from tests.conftest import SimulatorAdmin

VERIFY = """
mutation($name: String!, $id: String!) { citizenVerifyRealName(name: $name, idNumber: $id) {
  __typename
  ... on Citizen { id name maskedIdNumber verificationLevel }
  ... on VerificationFailed { message }
  ... on InvalidInput { field message }
} }"""

ADD = """
mutation($name: String!, $id: String!, $relation: FamilyRelation!) {
  familyMemberAdd(input: {name: $name, idNumber: $id, relation: $relation}) {
  __typename
  ... on FamilyMember { id name relation maskedIdNumber age isMinor mayActFor consentGranted }
  ... on UserError { message }
  ... on InvalidInput { field }
  ... on FamilyFull { maxMembers }
} }"""

FAMILY = "{ me { family { id maskedIdNumber } } }"

DETAILS = """
query($id: ID!) { node(id: $id) { ... on FamilyMember { name details { birthDate sex age } } } }
"""


@pytest.fixture
def make_device(graph_url: str, sms_simulator: SimulatorAdmin) -> Iterator[Any]:
    devices: list[Device] = []

    def make() -> Device:
        device = Device(graph_url, sms_simulator.base_url)
        devices.append(device)
        return device

    yield make
    for device in devices:
        device.close()


_used: set[str] = set()


def _unused_record(*, minor: bool = False) -> CitizenRecord:
    """A simulator identity no other test of this run has verified."""
    candidates = [
        r for r in RECORDS if r.id_number not in _used and _is_matchable(r) and _minor(r) == minor
    ]
    record = random.choice(candidates)
    _used.add(record.id_number)
    return record


def _is_matchable(record: CitizenRecord) -> bool:
    return record.verifies


def _minor(record: CitizenRecord) -> bool:
    return record.age_group is AgeGroup.MINOR


def _verified(make_device: Any) -> tuple[Device, CitizenRecord]:
    device: Device = make_device()
    device.sign_in()
    record = _unused_record()
    result = device.post(VERIFY, {"name": record.name, "id": record.id_number})
    assert result["data"]["citizenVerifyRealName"]["__typename"] == "Citizen", result
    return device, record


def test_verification_raises_the_level_and_masks(make_device: Any) -> None:
    device, record = _verified(make_device)
    me = device.post(ME)["data"]["me"]
    assert me["verificationLevel"] == 2 and me["name"] == record.name
    assert me["maskedIdNumber"] == record.id_number[:3] + "*" * 11 + record.id_number[-4:]


def test_a_bad_check_digit_never_reaches_the_service(
    make_device: Any, realname_simulator: SimulatorAdmin
) -> None:
    device: Device = make_device()
    device.sign_in()
    good = valid_id_number("19900307")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = realname_simulator.count("POST /v1/verifications")
    result = device.post(VERIFY, {"name": "张三", "id": bad})["data"]["citizenVerifyRealName"]
    assert result["__typename"] == "InvalidInput" and result["field"] == "idNumber"
    assert result["message"] == "身份证号无效：校验位不正确。"  # zh-CN unless asked for en
    assert realname_simulator.count("POST /v1/verifications") == before


def test_an_unknown_person_fails_verification(make_device: Any) -> None:
    device: Device = make_device()
    device.sign_in()
    result = device.post(VERIFY, {"name": "王小明", "id": valid_id_number("19851111")})
    assert result["data"]["citizenVerifyRealName"]["__typename"] == "VerificationFailed"
    assert device.post(ME)["data"]["me"]["verificationLevel"] == 1


def test_consent_requests_need_level_two(make_device: Any) -> None:
    device: Device = make_device()
    device.sign_in()
    body = device.post("{ me { id consentRequests { granted } } }")
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["requiredLevel"] == 2
    assert body["data"] is None  # consentRequests is non-null, so `me` goes with it


def test_family_needs_verification(make_device: Any) -> None:
    device: Device = make_device()
    device.sign_in()
    variables = {"name": "李小花", "id": valid_id_number("20150601"), "relation": "CHILD"}
    result = device.post(ADD, variables)["data"]["familyMemberAdd"]
    assert result["__typename"] == "VerificationRequired"


def test_guardian_sees_a_minor_but_not_an_adult_without_consent(make_device: Any) -> None:
    parent, _ = _verified(make_device)
    child_id = valid_id_number("20160815")
    child = parent.post(ADD, {"name": "刘小雨", "id": child_id, "relation": "CHILD"})
    child = child["data"]["familyMemberAdd"]
    assert child["__typename"] == "FamilyMember" and child["isMinor"] and child["mayActFor"]

    grandmother_device, grandmother = _verified(make_device)
    adult = parent.post(
        ADD, {"name": grandmother.name, "id": grandmother.id_number, "relation": "PARENT"}
    )["data"]["familyMemberAdd"]
    assert adult["__typename"] == "FamilyMember" and not adult["isMinor"]
    assert adult["mayActFor"] is False

    seen = parent.post(DETAILS, {"id": child["id"]})
    assert seen["data"]["node"]["details"]["birthDate"] == "2016-08-15"
    refused = parent.post(DETAILS, {"id": adult["id"]})
    assert error_codes(refused) == ["FORBIDDEN"]

    # The adult consents from their own account; then the relative may act for them.
    requests = grandmother_device.post("{ me { consentRequests { familyMemberId granted } } }")
    listed = requests["data"]["me"]["consentRequests"]
    assert {"familyMemberId": adult["id"], "granted": False} in listed
    granted = grandmother_device.post(
        "mutation($id: ID!) { familyConsentGrant(familyMemberId: $id) }", {"id": adult["id"]}
    )
    assert granted["data"] == {"familyConsentGrant": True}
    assert parent.post(DETAILS, {"id": adult["id"]})["data"]["node"]["details"]["age"] >= 18


def test_another_citizen_cannot_see_my_family(make_device: Any) -> None:
    parent, _ = _verified(make_device)
    child = parent.post(
        ADD, {"name": "周小宝", "id": valid_id_number("20190101"), "relation": "CHILD"}
    )["data"]["familyMemberAdd"]
    stranger: Device = make_device()
    stranger.sign_in()
    assert error_codes(stranger.post(DETAILS, {"id": child["id"]})) == ["FORBIDDEN"]
    removal = stranger.post(
        "mutation($id: ID!) { familyMemberRemove(id: $id) { id } }", {"id": child["id"]}
    )
    assert error_codes(removal) == ["NOT_FOUND"]


def test_at_most_five_family_members_even_when_racing(make_device: Any) -> None:
    import concurrent.futures

    parent, _ = _verified(make_device)
    ids = [valid_id_number(f"201{i}0101", serial=100 + i) for i in range(8)]

    def add(id_number: str) -> str:
        result = parent.post(ADD, {"name": "陈小乐", "id": id_number, "relation": "CHILD"})
        return str(result["data"]["familyMemberAdd"]["__typename"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(add, ids))
    assert outcomes.count("FamilyMember") == 5
    assert outcomes.count("FamilyFull") == 3
    family = parent.post(FAMILY)["data"]["me"]["family"]
    assert len(family) == 5
    removed = parent.post(
        "mutation($id: ID!) { familyMemberRemove(id: $id) { id } }", {"id": family[0]["id"]}
    )
    assert removed["data"]["familyMemberRemove"]["id"] == family[0]["id"]
    # The freed place can be taken; an ID number already in the family cannot come twice.
    refused = [i for i, outcome in zip(ids, outcomes, strict=True) if outcome == "FamilyFull"]
    accepted = [i for i, outcome in zip(ids, outcomes, strict=True) if outcome == "FamilyMember"]
    again = parent.post(ADD, {"name": "陈小乐", "id": refused[0], "relation": "CHILD"})
    assert again["data"]["familyMemberAdd"]["__typename"] == "FamilyMember"
    parent.post(
        "mutation($id: ID!) { familyMemberRemove(id: $id) { id } }",
        {"id": again["data"]["familyMemberAdd"]["id"]},
    )
    still_listed = {m["maskedIdNumber"][-4:] for m in parent.post(FAMILY)["data"]["me"]["family"]}
    present = next(i for i in accepted if i[-4:] in still_listed)
    twice = parent.post(ADD, {"name": "陈小乐", "id": present, "relation": "CHILD"})
    assert twice["data"]["familyMemberAdd"]["__typename"] == "AlreadyInFamily"
