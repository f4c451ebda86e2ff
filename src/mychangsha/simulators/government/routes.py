"""The platform's public API: catalogue, applications, supplements, e-certificates.

Counted and faultable like every simulator's API routes (see `simulators.base`). Lists page the
way the tourism platform does (`items`, `page`, `pageSize`, `total`, `next`); the wire shapes
are in `openapi.py` and `docs/government-platform.md`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import ApiError, OrjsonResponse
from mychangsha.simulators.government.applications import STATUSES, Application, StoredFile
from mychangsha.simulators.government.catalogue import SHANGHAI
from mychangsha.simulators.government.errors import GovError, material_error
from mychangsha.simulators.government.model import Bundle
from mychangsha.simulators.government.pdf import certificate_pdf
from mychangsha.simulators.government.state import GovernmentState
from mychangsha.simulators.government.submission import (
    Upload,
    check_applicant,
    check_fields,
    check_materials,
    parse_application,
    read_multipart,
    valid_id_number,
)

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "GovernmentApi"]

MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 20
_DIGITS: Final = re.compile(r"[0-9]{1,9}")


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def _page(request: Request, items: list[Any], path: str, query: dict[str, str]) -> dict[str, Any]:
    """One page of `items` with a relative `next` link (null on the last page)."""
    page = _int_param(request, "page", 1, 1, 1_000_000)
    size = _int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    start = (page - 1) * size
    more = start + size < len(items)
    following = urlencode({**query, "page": page + 1, "pageSize": size})
    return {
        "items": items[start : start + size],
        "page": page,
        "pageSize": size,
        "total": len(items),
        "next": f"{path}?{following}" if more else None,
    }


def _since(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        hint = " (percent-encode the '+' of the offset as %2B)" if " " in raw else ""
        raise ApiError(400, f"updatedSince is not an ISO 8601 time: {raw!r}{hint}") from exc
    if moment.tzinfo is None:
        raise ApiError(400, "updatedSince needs an explicit offset, e.g. +08:00")
    return moment


def _stored(uploads: list[tuple[Upload, str]], at: datetime, round_: int) -> list[StoredFile]:
    return [
        StoredFile(
            material=upload.material,
            file_name=upload.file_name,
            content_type=content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            uploaded_at=at,
            round=round_,
        )
        for upload, content_type in uploads
    ]


class GovernmentApi:
    """Endpoints bound to one simulator's state, so two apps in a process never share it."""

    def __init__(self, state: GovernmentState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """The platform's public API."""
        return [
            Route("/v1/services", self.list_services, methods=["GET"]),
            Route("/v1/services/{code}", self.get_service, methods=["GET"]),
            Route("/v1/bundles", self.list_bundles, methods=["GET"]),
            Route("/v1/bundles/{code}", self.get_bundle, methods=["GET"]),
            Route("/v1/life-events", self.life_events, methods=["GET"]),
            Route("/v1/departments", self.departments, methods=["GET"]),
            Route("/v1/applications", self.submit, methods=["POST"]),
            Route("/v1/applications", self.list_applications, methods=["GET"]),
            Route("/v1/applications/{number}", self.get_application, methods=["GET"]),
            Route("/v1/applications/{number}/supplements", self.supplement, methods=["POST"]),
            Route("/v1/certificates", self.list_certificates, methods=["GET"]),
            Route("/v1/certificates/{certificate_id}", self.get_certificate, methods=["GET"]),
            Route("/v1/certificates/{certificate_id}/file", self.certificate_file, methods=["GET"]),
        ]

    # --- catalogue ------------------------------------------------------------------------

    async def list_services(self, request: Request) -> Response:
        """One page of the catalogue, ordered by code."""
        items = [service.to_json() for service in self.state.catalogue.sorted_services()]
        return OrjsonResponse(_page(request, items, "/v1/services", {}))

    async def get_service(self, request: Request) -> Response:
        """One service by code."""
        return OrjsonResponse(self.state.catalogue.service(request.path_params["code"]).to_json())

    async def list_bundles(self, request: Request) -> Response:
        """Every 一件事 bundle (a short list: no paging)."""
        bundles = self.state.catalogue.bundles
        items = [bundles[code].to_json() for code in sorted(bundles)]
        return OrjsonResponse({"items": items, "total": len(items)})

    async def get_bundle(self, request: Request) -> Response:
        """One bundle by code."""
        return OrjsonResponse(self.state.catalogue.bundle(request.path_params["code"]).to_json())

    async def life_events(self, request: Request) -> Response:
        """The life events the catalogue is browsed by."""
        return OrjsonResponse({"items": self.state.catalogue.life_events_json()})

    async def departments(self, request: Request) -> Response:
        """The departments and how many services each offers."""
        return OrjsonResponse({"items": self.state.catalogue.departments_json()})

    # --- applications ---------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        """Apply with fields and materials; the same `externalId` again answers the same one."""
        body = await read_multipart(request)
        parsed = parse_application(body.application)
        code = parsed.service_code or parsed.bundle_code or ""
        target = self.state.catalogue.target(code)
        if target is None or isinstance(target, Bundle) != (parsed.bundle_code is not None):
            kind = "bundle" if parsed.bundle_code is not None else "service"
            raise GovError(422, "UNKNOWN_SERVICE", f"no {kind} with code {code!r}")
        existing = self.state.by_external_id.get(parsed.external_id)
        if existing is not None:
            if (existing.target.code, existing.applicant.id_number) != (
                target.code,
                parsed.applicant.id_number,
            ):
                message = "externalId was already used for another application"
                raise GovError(409, "IDEMPOTENCY_CONFLICT", message)
            self.state.progress()
            return OrjsonResponse(existing.to_json(), status_code=200)
        applicant = check_applicant(parsed)
        fields = check_fields(target, parsed.fields)
        required = tuple(material.name for material in target.materials if material.required)
        typed = check_materials(target, body.uploads, required)
        now = self.state.now()
        application = Application(
            number=self.state.next_number(now),
            external_id=parsed.external_id,
            target=target,
            applicant=applicant,
            fields=fields,
            callback_url=parsed.callback_url,
            submitted_at=now,
        )
        application.files = _stored(typed, now, 0)
        self.state.add(application)
        location = f"/v1/applications/{application.number}"
        return OrjsonResponse(
            application.to_json(), status_code=201, headers={"Location": location}
        )

    async def list_applications(self, request: Request) -> Response:
        """Applications changed since a time (inclusive), oldest change first: for pollers."""
        self.state.progress()
        params = request.query_params
        query = {
            key: params[key]
            for key in ("applicantIdNumber", "updatedSince", "externalId", "status")
            if key in params
        }
        since = _since(query["updatedSince"]) if "updatedSince" in query else None
        if "status" in query and query["status"] not in STATUSES:
            raise ApiError(400, f"status must be one of {', '.join(STATUSES)}")
        found = [
            application
            for application in self.state.applications.values()
            if (since is None or application.updated_at >= since)
            and query.get("applicantIdNumber", application.applicant.id_number)
            == application.applicant.id_number
            and query.get("externalId", application.external_id) == application.external_id
            and query.get("status", application.status) == application.status
        ]
        found.sort(key=lambda application: (application.updated_at, application.number))
        items = [application.to_json() for application in found]
        return OrjsonResponse(_page(request, items, "/v1/applications", query))

    async def get_application(self, request: Request) -> Response:
        """One application with its timeline."""
        return OrjsonResponse(self.state.application(request.path_params["number"]).to_json())

    async def supplement(self, request: Request) -> Response:
        """Upload the materials the reviewer asked for; only while it needs a supplement."""
        application = self.state.application(request.path_params["number"])
        body = await read_multipart(request)
        if body.application is not None:
            raise ApiError(400, "a supplement has only material parts and an optional note")
        request_ = application.supplement
        if application.status != "needs_supplement" or request_ is None:
            message = f"application {application.number} is {application.status}, not awaiting"
            raise GovError(409, "NOT_AWAITING_SUPPLEMENT", f"{message} a supplement")
        if not body.uploads and not request_.names:
            raise material_error("MISSING_MATERIALS", [], "请至少上传一份补正材料")
        typed = check_materials(application.target, body.uploads, request_.names)
        round_ = max((stored.round for stored in application.files), default=0) + 1
        application.files.extend(_stored(typed, self.state.now(), round_))
        names = list(dict.fromkeys(upload.material for upload, _ in typed))
        self.state.resume(application, names, body.note)
        return OrjsonResponse(application.to_json())

    # --- e-certificates -------------------------------------------------------------------

    async def list_certificates(self, request: Request) -> Response:
        """Every certificate of one citizen, by ID number."""
        id_number = request.query_params.get("idNumber", "")
        if not valid_id_number(id_number):
            raise ApiError(400, "idNumber must be a valid 18-character ID number")
        today = self.state.now().astimezone(SHANGHAI).date()
        items = [c.to_json(today) for c in self.state.certificates.for_holder(id_number)]
        return OrjsonResponse({"items": items})

    async def get_certificate(self, request: Request) -> Response:
        """One certificate by id."""
        certificate = self.state.certificates.get(request.path_params["certificate_id"])
        return OrjsonResponse(certificate.to_json(self.state.now().astimezone(SHANGHAI).date()))

    async def certificate_file(self, request: Request) -> Response:
        """The certificate as a PDF (版式文件)."""
        certificate = self.state.certificates.get(request.path_params["certificate_id"])
        lines = [
            f"持证人：{certificate.holder_name}",
            f"证照编号：{certificate.number}",
            f"颁发机构：{certificate.issuer}",
            f"颁发日期：{certificate.issued_on.isoformat()}",
            f"有效期至：{certificate.valid_until or '长期'}",
            *(f"{key}：{value}" for key, value in certificate.data.items()),
            f"证照标识：{certificate.id}",
        ]
        content = certificate_pdf(f"{certificate.type}（电子证照）", lines)
        disposition = f'inline; filename="{certificate.id}.pdf"'
        return Response(
            content, media_type="application/pdf", headers={"Content-Disposition": disposition}
        )
