"""Calls to the government-service platform, through the shared upstream client.

The contract is `docs/government-platform.md` (served as OpenAPI at `/openapi.json`). Catalogue
reads feed the MongoDB mirror (the sync job), so they are not cached here; applications and
certificates are live and never cached either: a status must not be stale.

Applying is idempotent by our `externalId` (the platform answers the earlier application for
the same id, code and applicant), so a submit is retried after a timeout or 502/503/504 without
risk of a second application, provided every file can be read again. A supplement is not:
the platform answers a repeat with 409, so a failed supplement is checked by reading the
application instead of by sending it again. The platform's refusals with a meaning for the
citizen become the exceptions below; anything else surfaces as `UpstreamError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar
from urllib.parse import quote

import orjson
from pydantic import BaseModel, ValidationError

from mychangsha.integrations.errors import (
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from mychangsha.integrations.government.models import (
    Applicant,
    Application,
    Certificate,
    GovBundle,
    GovDepartment,
    GovService,
    LifeEvent,
    MaterialFile,
    Notice,
)
from mychangsha.integrations.government.webhooks import (
    InvalidWebhook,
    first_delivery,
    verify_webhook,
)
from mychangsha.integrations.government.wire import (
    ApplicationJson,
    ApplicationPageJson,
    BundleJson,
    BundleListJson,
    CertificateJson,
    CertificateListJson,
    DepartmentListJson,
    ErrorJson,
    LifeEventListJson,
    NoticeListJson,
    ServiceJson,
    ServicePageJson,
)
from mychangsha.integrations.http import MultipartFile, UpstreamClient

__all__ = [
    "PAGE_SIZE",
    "ApplicationRefused",
    "GovernmentClient",
    "IdempotencyConflict",
    "InvalidField",
    "InvalidMaterials",
    "InvalidWebhook",
    "MissingMaterials",
    "SupplementNotExpected",
    "UnknownService",
    "first_delivery",
    "verify_webhook",
]

PAGE_SIZE: Final = 100
_APPLICATIONS: Final = "/v1/applications"
_Model = TypeVar("_Model", bound=BaseModel)


# --- refusals -------------------------------------------------------------------------------


class ApplicationRefused(Exception):
    """The platform refused an application or supplement; `code` is its stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class MissingMaterials(ApplicationRefused):
    """Required materials came without a file (MISSING_MATERIALS); `names` lists them."""

    def __init__(self, names: Sequence[str], message: str) -> None:
        super().__init__("MISSING_MATERIALS", message)
        self.names = list(names)


class InvalidMaterials(ApplicationRefused):
    """Files the platform refused: wrong type by content, empty, too large, or not asked for.

    `code` is INVALID_MATERIAL or UNKNOWN_MATERIAL; `names` lists the materials concerned.
    """

    def __init__(self, code: str, names: Sequence[str], message: str) -> None:
        super().__init__(code, message)
        self.names = list(names)


class InvalidField(ApplicationRefused):
    """A form field or applicant detail is wrong (INVALID_FIELD); `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("INVALID_FIELD", message)
        self.field = field


class UnknownService(ApplicationRefused):
    """No service or bundle has that code (UNKNOWN_SERVICE): our mirror is out of date."""


class IdempotencyConflict(ApplicationRefused):
    """The external id was used for another application (IDEMPOTENCY_CONFLICT): our bug."""


class SupplementNotExpected(ApplicationRefused):
    """The application is not waiting for a supplement (NOT_AWAITING_SUPPLEMENT)."""


def _refusal(exc: UpstreamRejected) -> ApplicationRefused | None:
    """The domain refusal a 409/422 stands for, or None when it has no meaning to citizens."""
    try:
        error = ErrorJson.model_validate(exc.body).error
    except ValidationError:
        return None
    if error.code == "MISSING_MATERIALS":
        return MissingMaterials(error.names, error.message)
    if error.code in ("INVALID_MATERIAL", "UNKNOWN_MATERIAL"):
        return InvalidMaterials(error.code, error.names, error.message)
    if error.code == "INVALID_FIELD":
        return InvalidField(error.field or "", error.message)
    simple: dict[str, type[ApplicationRefused]] = {
        "UNKNOWN_SERVICE": UnknownService,
        "IDEMPOTENCY_CONFLICT": IdempotencyConflict,
        "NOT_AWAITING_SUPPLEMENT": SupplementNotExpected,
    }
    kind = simple.get(error.code)
    return None if kind is None else kind(error.code, error.message)


def _files(materials: Sequence[MaterialFile]) -> list[MultipartFile]:
    """One `materials[<name>]` part per file, as the platform names them."""
    return [
        (f"materials[{m.material_name}]", (m.filename, m.stream, m.media_type)) for m in materials
    ]


def _since(moment: datetime) -> str:
    """ISO 8601 with its offset, truncated to the millisecond (inclusive: never skips one)."""
    if moment.utcoffset() is None:
        raise ValueError("since must be timezone-aware")
    return moment.isoformat(timespec="milliseconds")


NOTICE_CACHE_SECONDS = 300.0
NOTICE_STALE_SECONDS = 86_400.0  # an old notice beats none when the platform is down


class GovernmentClient:
    """The government platform's API as domain calls; the upstream client owns transport."""

    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream

    # --- catalogue --------------------------------------------------------------------------

    async def iter_services(self) -> AsyncIterator[GovService]:
        """Every service of the catalogue, following the platform's `next` links."""
        path: str | None = f"/v1/services?page=1&pageSize={PAGE_SIZE}"
        while path is not None:
            page = self._parse(ServicePageJson, await self._upstream.get_json(path))
            for item in page.items:
                yield item.to_domain()
            path = page.next

    async def service(self, code: str) -> GovService:
        """One service by code; `UpstreamNotFound` when the platform has none."""
        body = await self._upstream.get_json(f"/v1/services/{quote(code, safe='')}")
        return self._parse(ServiceJson, body).to_domain()

    async def bundles(self) -> list[GovBundle]:
        """Every 一件事 bundle (a short list the platform does not page)."""
        body = await self._upstream.get_json("/v1/bundles")
        return [item.to_domain() for item in self._parse(BundleListJson, body).items]

    async def bundle(self, code: str) -> GovBundle:
        """One bundle by code; `UpstreamNotFound` when the platform has none."""
        body = await self._upstream.get_json(f"/v1/bundles/{quote(code, safe='')}")
        return self._parse(BundleJson, body).to_domain()

    async def life_events(self) -> list[LifeEvent]:
        """The life events the catalogue is browsed by."""
        body = await self._upstream.get_json("/v1/life-events")
        return [item.to_domain() for item in self._parse(LifeEventListJson, body).items]

    async def notices(self, limit: int) -> list[Notice]:
        """The latest public notices, newest first; cached, they change a few times a day."""
        body = await self._upstream.get_json(
            "/v1/notices",
            {"limit": str(limit)},
            cache_ttl=NOTICE_CACHE_SECONDS,
            stale_ttl=NOTICE_STALE_SECONDS,
        )
        return [item.to_domain() for item in self._parse(NoticeListJson, body).items]

    async def departments(self) -> list[GovDepartment]:
        """The departments, with the short names citizens search by."""
        body = await self._upstream.get_json("/v1/departments")
        return [item.to_domain() for item in self._parse(DepartmentListJson, body).items]

    # --- applications -----------------------------------------------------------------------

    async def submit(
        self,
        *,
        service_code: str | None,
        bundle_code: str | None,
        applicant: Applicant,
        fields: Mapping[str, str],
        materials: Sequence[MaterialFile],
        external_id: str,
        callback_url: str | None,
    ) -> Application:
        """Apply for a service or a bundle with form fields and material files.

        Safe to call again with the same `external_id` (after a timeout, say): the platform
        answers the application it already has. Raises `MissingMaterials`, `InvalidField`,
        `InvalidMaterials`, `UnknownService`, `IdempotencyConflict`, or an `UpstreamError`.
        """
        if (service_code is None) == (bundle_code is None):
            raise ValueError("give exactly one of service_code and bundle_code")
        application: dict[str, Any] = {
            "applicant": {
                "name": applicant.name,
                "idNumber": applicant.id_number,
                "phone": applicant.phone,
            },
            "fields": dict(fields),
            "externalId": external_id,
        }
        if service_code is not None:
            application["serviceCode"] = service_code
        else:
            application["bundleCode"] = bundle_code
        if callback_url is not None:
            application["callbackUrl"] = callback_url
        body = await self._multipart(
            _APPLICATIONS,
            data={"application": orjson.dumps(application).decode()},
            materials=materials,
            idempotent=True,
        )
        return self._parse(ApplicationJson, body).to_domain()

    async def application(self, number: str) -> Application:
        """One application with its timeline, live; `UpstreamNotFound` when unknown."""
        body = await self._upstream.get_json(f"{_APPLICATIONS}/{quote(number, safe='')}")
        return self._parse(ApplicationJson, body).to_domain()

    async def changed_since(self, id_number: str | None, since: datetime) -> list[Application]:
        """Applications (of one applicant, or all) whose `updatedAt` is at or after `since`.

        The poller's query: keep the largest `updated_at` seen and ask from there next time.
        Pages restart from the newest change seen instead of counting pages, so an
        application that changes while we page cannot shift another one out of view; equal
        times too many for a page fall back to the platform's `next` link. Oldest change
        first, each application once, as its latest state.
        """
        filters = {} if id_number is None else {"applicantIdNumber": id_number}
        found: dict[str, Application] = {}
        cursor = since
        path: str = _APPLICATIONS
        params: dict[str, str] | None = self._poll_params(filters, cursor)
        while True:
            page = self._parse(ApplicationPageJson, await self._upstream.get_json(path, params))
            for item in page.items:
                application = item.to_domain()
                seen = found.get(application.number)
                if seen is None or seen.updated_at <= application.updated_at:
                    found[application.number] = application
            if page.next is None or not page.items:
                break
            newest = max(item.updated_at for item in page.items)
            if newest > cursor:
                cursor, path, params = newest, _APPLICATIONS, self._poll_params(filters, newest)
            else:
                path, params = page.next, None
        return sorted(found.values(), key=lambda a: (a.updated_at, a.number))

    @staticmethod
    def _poll_params(filters: Mapping[str, str], since: datetime) -> dict[str, str]:
        return {**filters, "updatedSince": _since(since), "page": "1", "pageSize": str(PAGE_SIZE)}

    async def supplement(
        self, number: str, materials: Sequence[MaterialFile], *, note: str | None = None
    ) -> Application:
        """Upload the materials the reviewer asked for; the review resumes.

        Raises `SupplementNotExpected` when the application is not waiting for one. Not
        retried: when the answer is lost, the application is read instead, and if it shows the
        supplement fulfilled, that answer is returned.
        """
        path = f"{_APPLICATIONS}/{quote(number, safe='')}/supplements"
        data = {} if note is None else {"note": note}
        try:
            body = await self._multipart(path, data=data, materials=materials, idempotent=False)
        except (UpstreamTimeout, UpstreamUnavailable):
            current = await self.application(number)
            request = current.supplement_request
            if request is not None and request.fulfilled_at is not None:
                return current
            raise
        return self._parse(ApplicationJson, body).to_domain()

    # --- e-certificates ---------------------------------------------------------------------

    async def certificates(self, id_number: str) -> list[Certificate]:
        """Every e-certificate of one citizen (empty for a citizen the library does not know)."""
        body = await self._upstream.get_json("/v1/certificates", {"idNumber": id_number})
        return [item.to_domain() for item in self._parse(CertificateListJson, body).items]

    async def certificate(self, certificate_id: str) -> Certificate:
        """One certificate by id; `UpstreamNotFound` when unknown."""
        body = await self._upstream.get_json(f"/v1/certificates/{quote(certificate_id, safe='')}")
        return self._parse(CertificateJson, body).to_domain()

    async def certificate_file(self, certificate_id: str) -> bytes:
        """The certificate's PDF (版式文件) as the platform renders it."""
        path = f"/v1/certificates/{quote(certificate_id, safe='')}/file"
        return await self._upstream.get_bytes(path, headers={"accept": "application/pdf"})

    # --- transport --------------------------------------------------------------------------

    async def _multipart(
        self,
        path: str,
        *,
        data: Mapping[str, str],
        materials: Sequence[MaterialFile],
        idempotent: bool,
    ) -> Any:
        """POST a multipart body; refusals with a meaning become `ApplicationRefused`."""
        try:
            _, body = await self._upstream.send_multipart(
                "POST", path, data=data, files=_files(materials), idempotent=idempotent
            )
        except UpstreamRejected as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            raise refusal from None
        return body

    def _parse(self, model: type[_Model], body: Any) -> _Model:
        try:
            return model.model_validate(body)
        except ValidationError:
            name = self._upstream.config.name
            raise UpstreamUnavailable(name, f"{name}: unexpected answer shape") from None
