"""JSON Schemas of the catalogue and the e-certificates (OpenAPI 3.1 `components.schemas`).

Plain Python data built next to the code that produces the shapes, so both change together;
the application shapes are in `openapi_applications.py`.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.base import ERROR_SCHEMA
from mychangsha.simulators.government.openapi_common import (
    CODE,
    DATE,
    LIFE_EVENT,
    NULLABLE_STRING,
    STRING,
    TIME,
    array,
    obj,
    page_of,
    ref,
)

__all__ = ["CATALOGUE_SCHEMAS"]

_TYPES: Final = array({"type": "string", "enum": ["pdf", "jpg", "png"]})

CATALOGUE_SCHEMAS: Final[dict[str, Any]] = {
    "Material": obj(
        ["name", "required", "acceptedTypes", "description"],
        {
            "name": STRING,
            "required": {"type": "boolean"},
            "acceptedTypes": _TYPES,
            "description": STRING,
        },
    ),
    "FormField": obj(
        ["name", "label", "type", "required"],
        {
            "name": {**STRING, "description": "The key in an application's `fields`."},
            "label": STRING,
            "type": {"type": "string", "enum": ["text", "date", "number", "select"]},
            "required": {"type": "boolean"},
            "options": {**array(STRING), "description": "Only on select fields."},
        },
    ),
    "Service": obj(
        [
            "code",
            "name",
            "kind",
            "kindCode",
            "department",
            "departmentCode",
            "lifeEvents",
            "materials",
            "formFields",
            "timeLimitDays",
            "legalTimeLimitDays",
            "feeFen",
            "fullyOnline",
            "issuesCertificate",
            "updatedAt",
        ],
        {
            "code": {**CODE, "examples": ["430100-QR-0001"]},
            "name": {**STRING, "examples": ["个体工商户设立登记"]},
            "kind": {**STRING, "examples": ["行政许可", "行政确认", "公共服务"]},
            "kindCode": {"type": "string", "enum": ["XK", "QR", "GF", "ZS", "CJ", "QT", "GG"]},
            "department": {**STRING, "examples": ["长沙市市场监督管理局"]},
            "departmentCode": {**STRING, "examples": ["scjg"]},
            "lifeEvents": array(LIFE_EVENT),
            "materials": array(ref("Material")),
            "formFields": array(ref("FormField")),
            "timeLimitDays": {"type": "integer", "minimum": 0, "description": "承诺时限; 0 = 即办"},
            "legalTimeLimitDays": {"type": "integer", "minimum": 0, "description": "法定时限"},
            "feeFen": {"type": "integer", "minimum": 0},
            "fullyOnline": {"type": "boolean", "description": "全程网办"},
            "issuesCertificate": {**NULLABLE_STRING, "examples": ["营业执照", None]},
            "updatedAt": TIME,
        },
    ),
    "ServicePage": page_of("Service"),
    "Bundle": obj(
        [
            "code",
            "name",
            "description",
            "lifeEvent",
            "serviceCodes",
            "services",
            "departments",
            "materials",
            "formFields",
            "timeLimitDays",
            "feeFen",
            "fullyOnline",
            "issuesCertificates",
            "updatedAt",
        ],
        {
            "code": {**CODE, "examples": ["430100-YJS-002"]},
            "name": {**STRING, "examples": ["开办企业一件事"]},
            "description": STRING,
            "lifeEvent": LIFE_EVENT,
            "serviceCodes": array(CODE),
            "services": array(
                obj(
                    ["code", "name", "department"],
                    {"code": CODE, "name": STRING, "department": STRING},
                )
            ),
            "departments": array(STRING),
            "materials": {
                **array(ref("Material")),
                "description": "The services' materials, each name once, minus those the "
                "bundle produces itself (e.g. the 营业执照 in 开办企业一件事).",
            },
            "formFields": array(ref("FormField")),
            "timeLimitDays": {"type": "integer", "minimum": 0},
            "feeFen": {"type": "integer", "minimum": 0},
            "fullyOnline": {"type": "boolean"},
            "issuesCertificates": array(STRING),
            "updatedAt": TIME,
        },
    ),
    "BundleList": obj(
        ["items", "total"], {"items": array(ref("Bundle")), "total": {"type": "integer"}}
    ),
    "LifeEventList": obj(
        ["items"],
        {
            "items": array(
                obj(
                    ["id", "name", "serviceCount", "bundleCount"],
                    {
                        "id": {**STRING, "examples": ["birth"]},
                        "name": LIFE_EVENT,
                        "serviceCount": {"type": "integer"},
                        "bundleCount": {"type": "integer"},
                    },
                )
            )
        },
    ),
    "DepartmentList": obj(
        ["items"],
        {
            "items": array(
                obj(
                    ["code", "name", "shortName", "serviceCount"],
                    {
                        "code": STRING,
                        "name": STRING,
                        "shortName": STRING,
                        "serviceCount": {"type": "integer"},
                    },
                )
            )
        },
    ),
    "Certificate": obj(
        [
            "id",
            "type",
            "number",
            "holderName",
            "holderIdNumber",
            "issuer",
            "issuedOn",
            "validUntil",
            "status",
            "data",
            "fileUrl",
        ],
        {
            "id": STRING,
            "type": {
                **STRING,
                "examples": ["居民身份证", "居民户口簿", "结婚证", "营业执照", "不动产权证书"],
            },
            "number": STRING,
            "holderName": STRING,
            "holderIdNumber": STRING,
            "issuer": STRING,
            "issuedOn": DATE,
            "validUntil": {**DATE, "type": ["string", "null"], "description": "null: 长期"},
            "status": {"type": "string", "enum": ["valid", "expired"]},
            "data": {"type": "object", "additionalProperties": STRING},
            "fileUrl": STRING,
        },
    ),
    "CertificateList": obj(["items"], {"items": array(ref("Certificate"))}),
    "Error": dict(ERROR_SCHEMA),
}
