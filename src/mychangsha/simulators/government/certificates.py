"""E-certificates (电子证照): the model, the registry by holder, and issuing on completion.

Citizens known to the real-name simulator hold a deterministic set of certificates
(`seeded_certificates.py`); a completed application whose service issues a certificate (企业设立
→ 营业执照, 结婚登记 → 结婚证, 转移登记 → 不动产权证书, 残疾人证新办 → 残疾人证) adds one for its
applicant. Numbers follow the real formats, including the check characters of the 统一社会信用代码
(GB 32100-2015), so the graph's parsing meets realistic values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from mychangsha.simulators.base import ApiError

__all__ = ["Certificate", "CertificateRegistry", "credit_code", "digest_number"]

_USCC_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


def digest_number(*parts: object) -> int:
    """A large deterministic number from the parts: seeds every generated detail."""
    text = ":".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def credit_code(category: str, region: str, seed: int) -> str:
    """A well-formed 统一社会信用代码: `9` + category + region + organisation code + check."""
    body = f"{seed % 10**8:08d}"
    org_check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    org = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = f"9{category}{region}{org}"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_CHARS[(31 - total % 31) % 31]


@dataclass(frozen=True, slots=True)
class Certificate:
    """One certificate as the licence library (证照库) holds it."""

    id: str
    type: str
    number: str
    holder_name: str
    holder_id_number: str
    issuer: str
    issued_on: date
    valid_until: date | None
    data: dict[str, str] = field(default_factory=dict)

    def status(self, today: date) -> str:
        """`valid` or `expired` on the given day."""
        return "expired" if self.valid_until is not None and self.valid_until < today else "valid"

    def to_json(self, today: date) -> dict[str, Any]:
        """The wire shape; `validUntil` null means 长期 (no expiry)."""
        return {
            "id": self.id,
            "type": self.type,
            "number": self.number,
            "holderName": self.holder_name,
            "holderIdNumber": self.holder_id_number,
            "issuer": self.issuer,
            "issuedOn": self.issued_on.isoformat(),
            "validUntil": None if self.valid_until is None else self.valid_until.isoformat(),
            "status": self.status(today),
            "data": dict(self.data),
            "fileUrl": f"/v1/certificates/{self.id}/file",
        }


@dataclass
class CertificateRegistry:
    """Seeded certificates plus those issued since the last reset, by id and by holder."""

    seed: int
    seeded: tuple[Certificate, ...]
    issued: list[Certificate] = field(default_factory=list)

    def for_holder(self, id_number: str) -> list[Certificate]:
        """Every certificate of one ID number, seeded first, then in the order issued."""
        return [c for c in (*self.seeded, *self.issued) if c.holder_id_number == id_number]

    def get(self, certificate_id: str) -> Certificate:
        """One certificate, or 404 in the error shape."""
        for certificate in (*self.seeded, *self.issued):
            if certificate.id == certificate_id:
                return certificate
        raise ApiError(404, f"no certificate with id {certificate_id!r}")

    def issue(
        self,
        *,
        kind: str,
        application_number: str,
        holder_name: str,
        holder_id_number: str,
        issuer: str,
        issued_on: date,
        fields: dict[str, Any],
    ) -> Certificate:
        """The certificate a completed application yields, stored under the applicant."""
        n = digest_number(self.seed, application_number, kind)
        number, data, holder = _issued_details(
            kind, n, holder_name, holder_id_number, fields, issued_on.year
        )
        data["applicationNumber"] = application_number
        certificate = Certificate(
            id=f"cert-{n:016x}",
            type=kind,
            number=number,
            holder_name=holder,
            holder_id_number=holder_id_number,
            issuer=issuer,
            issued_on=issued_on,
            valid_until=None,
            data=data,
        )
        self.issued.append(certificate)
        return certificate

    def reset(self) -> None:
        """Only the seeded certificates again."""
        self.issued.clear()


def _issued_details(
    kind: str, n: int, name: str, id_number: str, fields: dict[str, Any], year: int
) -> tuple[str, dict[str, str], str]:
    """(number, data, holder name) of a newly issued certificate of `kind`."""
    region = id_number[:6]
    if kind == "营业执照":
        entity = str(fields.get("enterpriseType", "有限责任公司"))
        holder = str(fields.get("companyName") or f"{name}个体工商户")
        data = {
            "entityType": entity,
            "legalRepresentative": name,
            "registeredCapital": f"{fields.get('registeredCapital', 0)}万元",
            "businessAddress": str(fields.get("businessAddress", "")),
            "businessScope": str(fields.get("businessScope", "")),
        }
        return credit_code("2" if entity == "个体工商户" else "1", region, n), data, holder
    if kind == "结婚证":
        data = {"spouseName": str(fields.get("spouseName", ""))}
        return f"J{region}-{year}-{n % 10**6:06d}", data, name
    if kind == "不动产权证书":
        data = {
            "location": str(fields.get("propertyLocation", "")),
            "floorArea": f"{fields.get('floorArea', '')}㎡",
            "use": "住宅",
        }
        return f"湘（{year}）长沙市不动产权第{n % 10**7:07d}号", data, name
    if kind == "残疾人证":
        categories = ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾")
        category = str(fields.get("disabilityCategory", "肢体残疾"))
        level = str(fields.get("disabilityLevel", "四级"))
        digit = str(categories.index(category) + 1) if category in categories else "7"
        level_digit = str("一二三四".index(level[0]) + 1) if level[:1] in "一二三四" else "4"
        return id_number + digit + level_digit, {"category": category, "level": level}, name
    return f"{kind}-{n % 10**10:010d}", {}, name
