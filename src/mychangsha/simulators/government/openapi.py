"""The government platform's OpenAPI 3.1 document, built in Python so it stays next to the code.

This module holds the catalogue and certificate paths and assembles the document; the parts are
`openapi_schemas.py`, `openapi_applications.py` (and the webhook) and `openapi_admin.py`. The
shared meta and admin paths (`/healthz`, `/__admin/counters|faults|reset`) and the `Faults` /
`Counters` schemas are added by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.government.notices import NOTICE_SCHEMAS, notice_paths
from mychangsha.simulators.government.openapi_admin import ADMIN_SCHEMAS, admin_paths
from mychangsha.simulators.government.openapi_applications import (
    APPLICATION_SCHEMAS,
    application_paths,
)
from mychangsha.simulators.government.openapi_common import (
    BAD,
    NOT_FOUND,
    PAGING,
    body,
    operation,
    path_param,
    query_param,
    reply,
)
from mychangsha.simulators.government.openapi_schemas import CATALOGUE_SCHEMAS

__all__ = ["openapi_document"]

_CERT_ID: Final = path_param("certificate_id", "Certificate id", "cert-7b51339fc7934352")


def _catalogue_paths() -> dict[str, Any]:
    code = path_param("code", "Service or bundle code", "430100-QR-0001")
    return {
        "/v1/services": {
            "get": operation(
                "listServices",
                "The catalogue, ordered by code, one page at a time",
                "catalogue",
                {"200": reply("ServicePage", "One page"), "400": BAD},
                parameters=PAGING,
            )
        },
        "/v1/services/{code}": {
            "get": operation(
                "getService",
                "One service",
                "catalogue",
                {"200": reply("Service", "The service"), "404": NOT_FOUND},
                parameters=[code],
            )
        },
        "/v1/bundles": {
            "get": operation(
                "listBundles",
                "Every 一件事 bundle",
                "catalogue",
                {"200": reply("BundleList", "The bundles")},
            )
        },
        "/v1/bundles/{code}": {
            "get": operation(
                "getBundle",
                "One bundle",
                "catalogue",
                {"200": reply("Bundle", "The bundle"), "404": NOT_FOUND},
                parameters=[code],
            )
        },
        "/v1/life-events": {
            "get": operation(
                "listLifeEvents",
                "Life events with their service and bundle counts",
                "catalogue",
                {"200": reply("LifeEventList", "The life events")},
            )
        },
        "/v1/departments": {
            "get": operation(
                "listDepartments",
                "Departments with their service counts",
                "catalogue",
                {"200": reply("DepartmentList", "The departments")},
            )
        },
    }


def _certificate_paths() -> dict[str, Any]:
    return {
        "/v1/certificates": {
            "get": operation(
                "listCertificates",
                "A citizen's e-certificates (电子证照)",
                "certificates",
                {"200": reply("CertificateList", "The certificates"), "400": BAD},
                parameters=[
                    {**query_param("idNumber", "The holder's ID number"), "required": True}
                ],
            )
        },
        "/v1/certificates/{certificate_id}": {
            "get": operation(
                "getCertificate",
                "One certificate",
                "certificates",
                {"200": reply("Certificate", "The certificate"), "404": NOT_FOUND},
                parameters=[_CERT_ID],
            )
        },
        "/v1/certificates/{certificate_id}/file": {
            "get": operation(
                "getCertificateFile",
                "The certificate as a PDF",
                "certificates",
                {
                    "200": {"description": "PDF", "content": {"application/pdf": {}}},
                    "404": NOT_FOUND,
                },
                parameters=[_CERT_ID],
            )
        },
    }


def _webhooks() -> dict[str, Any]:
    """OpenAPI 3.1 `webhooks`: what the platform posts to an application's `callbackUrl`."""
    headers = [
        {
            "name": "X-Gov-Timestamp",
            "in": "header",
            "required": True,
            "description": "Unix seconds of this delivery attempt",
            "schema": {"type": "string"},
        },
        {
            "name": "X-Gov-Signature",
            "in": "header",
            "required": True,
            "description": 'sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>',
            "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
        },
        {"name": "X-Gov-Event-Id", "in": "header", "required": True, "schema": {"type": "string"}},
    ]
    return {
        "applicationStatusChanged": {
            "post": {
                "operationId": "applicationStatusChanged",
                "summary": "Posted to callbackUrl on every status change; retried unless 2xx",
                "parameters": headers,
                "requestBody": body("WebhookEvent"),
                "responses": {"2XX": {"description": "Received; anything else is retried"}},
            }
        }
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the government platform's API, webhook and test controls."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Changsha government-service platform (simulator)",
            "version": "1.0.0",
            "description": (
                "互联网+政务服务 · 一件事一次办: the service catalogue and 一件事 bundles, "
                "applications with materials and their status timeline, signed status "
                "webhooks, e-certificates. JSON is camelCase, times ISO 8601 with +08:00, money "
                'integer fen. Errors are `{"error": {"code", "message", …}}`. See '
                "docs/government-platform.md."
            ),
        },
        "tags": [
            {"name": "catalogue", "description": "Services, bundles, life events, departments"},
            {"name": "applications", "description": "Applying, status, supplements"},
            {"name": "certificates", "description": "E-certificates (电子证照)"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": {
            **_catalogue_paths(),
            **application_paths(),
            **_certificate_paths(),
            **notice_paths(),
            **admin_paths(),
        },
        "webhooks": _webhooks(),
        "components": {
            "schemas": {
                **CATALOGUE_SCHEMAS,
                **APPLICATION_SCHEMAS,
                **ADMIN_SCHEMAS,
                **NOTICE_SCHEMAS,
            }
        },
    }
