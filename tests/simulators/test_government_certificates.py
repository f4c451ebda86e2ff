"""E-certificates (电子证照) on the government platform simulator over real HTTP.

The PDF is checked structurally here (header, every cross-reference offset, trailer), and the
business licence's 统一社会信用代码 against GB 32100 recomputed from the standard, not from the
simulator's code.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from mychangsha.simulators.realname.data import ADULTS, DEREGISTERED, MINORS
from tests.simulators.government_support import (
    APPLICANT,
    base_url,
    bundle_named,
    clock,
    http,
    receiver,
    service_named,
    submit,
    valid_fields,
)

__all__ = ["base_url", "clock", "http", "receiver"]  # fixtures used by this module

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters, the last a weighted check over the first 17 (mod 31)."""
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    weights = [3**i % 31 for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, …
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code, weights, strict=False))
    return code[17] == USCC_CHARS[(31 - total % 31) % 31]


def assert_valid_pdf(content: bytes) -> None:
    """Header, trailer, and each xref entry pointing at its `N 0 obj`."""
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\s+(\d+)", content).group(1))  # type: ignore[union-attr]
    assert content[start:].startswith(b"xref")
    table = content[start:].split(b"trailer")[0].split(b"\n")
    first, count = (int(x) for x in table[1].split())
    entries = table[2 : 2 + count]
    for number, entry in enumerate(entries[1:], start=first + 1):
        offset = int(entry[:10])
        assert content[offset:].startswith(f"{number} 0 obj".encode()), number


def certificates(http: httpx.Client, id_number: str) -> list[dict[str, object]]:
    response = http.get("/v1/certificates", params={"idNumber": id_number})
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_known_citizens_hold_certificates_fitting_their_age(http: httpx.Client) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    for adult in ADULTS:
        held = certificates(http, adult.id_number)
        by_type = {c["type"]: c for c in held}
        assert {"居民身份证", "居民户口簿", "社会保障卡"} <= set(by_type)
        card = by_type["居民身份证"]
        assert card["number"] == adult.id_number and card["holderName"] == adult.name
        assert str(card["issuer"]).startswith(("长沙市公安局", adult.district))
        assert all(c["holderIdNumber"] == adult.id_number for c in held)
        assert all(c["fileUrl"] == f"/v1/certificates/{c['id']}/file" for c in held)
        for held_one in held:
            until = held_one["validUntil"]
            expired = until is not None and date.fromisoformat(str(until)) < today
            assert held_one["status"] == ("expired" if expired else "valid")
    for minor in MINORS:
        types = {c["type"] for c in certificates(http, minor.id_number)}
        assert "出生医学证明" in types and "居民身份证" not in types
    kinds = {c["type"] for a in ADULTS for c in certificates(http, a.id_number)}
    assert {"结婚证", "不动产权证书"} <= kinds
    assert certificates(http, ADULTS[0].id_number) == certificates(http, ADULTS[0].id_number)


def test_unknown_and_invalid_id_numbers(http: httpx.Client) -> None:
    assert certificates(http, DEREGISTERED.id_number) == []
    for bad in ("430102198503120115", "12345", ""):
        response = http.get("/v1/certificates", params={"idNumber": bad})
        assert response.status_code == 400
    assert http.get("/v1/certificates/cert-nope").status_code == 404
    assert http.get("/v1/certificates/cert-nope/file").status_code == 404


def test_a_certificate_downloads_as_a_pdf(http: httpx.Client) -> None:
    card = next(c for c in certificates(http, APPLICANT.id_number) if c["type"] == "居民身份证")
    assert http.get(f"/v1/certificates/{card['id']}").json() == card
    response = http.get(str(card["fileUrl"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert_valid_pdf(response.content)
    # The holder's name, in the UCS-2 hex the CJK font's encoding expects.
    assert APPLICANT.name.encode("utf-16-be").hex().upper().encode() in response.content


def test_an_approved_business_start_issues_a_business_licence(http: httpx.Client) -> None:
    bundle = bundle_named(http, "开办企业一件事")
    fields = {**valid_fields(bundle), "companyName": "长沙星城数字科技有限公司"}
    before = certificates(http, APPLICANT.id_number)
    number = submit(http, bundle, external_id="ext-kb", fields=fields).json()["applicationNumber"]
    approved = http.post(f"/__admin/applications/{number}/advance", json={"to": "approved"})
    assert approved.json()["certificateIds"] == [], "issued on completion, not approval"
    done = http.post(f"/__admin/applications/{number}/advance", json={"to": "completed"}).json()
    assert done["status"] == "completed" and len(done["certificateIds"]) == 1
    after = certificates(http, APPLICANT.id_number)
    assert after[: len(before)] == before
    (licence,) = after[len(before) :]
    assert licence["id"] == done["certificateIds"][0]
    assert licence["type"] == "营业执照"
    assert licence["holderName"] == "长沙星城数字科技有限公司"
    assert str(licence["number"]).startswith("91430102") and uscc_valid(str(licence["number"]))
    assert licence["issuer"] == "长沙市市场监督管理局"
    assert licence["issuedOn"] == date.fromisoformat(done["updatedAt"][:10]).isoformat()
    data = licence["data"]
    assert isinstance(data, dict)
    assert data["legalRepresentative"] == APPLICANT.name
    assert data["applicationNumber"] == number
    pdf = http.get(str(licence["fileUrl"]))
    assert pdf.content.startswith(b"%PDF")
    assert_valid_pdf(pdf.content)


def test_a_rejected_application_issues_nothing(http: httpx.Client) -> None:
    service = service_named(http, "个体工商户设立登记")
    before = certificates(http, APPLICANT.id_number)
    number = submit(http, service, external_id="ext-no").json()["applicationNumber"]
    rejected = http.post(f"/__admin/applications/{number}/advance", json={"to": "rejected"})
    assert rejected.json()["status"] == "rejected"
    assert certificates(http, APPLICANT.id_number) == before


def test_seeded_licences_carry_valid_credit_codes(http: httpx.Client) -> None:
    licences = [
        c for a in ADULTS for c in certificates(http, a.id_number) if c["type"] == "营业执照"
    ]
    assert licences
    assert all(uscc_valid(str(c["number"])) and str(c["number"])[:2] == "92" for c in licences)
    http.post("/__admin/reset").raise_for_status()
    assert [c for c in certificates(http, APPLICANT.id_number) if c["type"] == "营业执照"] == [
        c for c in licences if c["holderIdNumber"] == APPLICANT.id_number
    ]
