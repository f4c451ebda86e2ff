"""What the government-service fields mean: applying with materials, following, supplementing.

Applying is all or nothing. Materials are checked and stored first (GridFS), then streamed to
the platform with our application id as its idempotency key; any refusal on the way deletes
what was stored. Status changes arrive by signed webhook and by a poller that catches what a
webhook missed; both go through `apply_status_change`, which records a change once and tells
the citizen's open subscriptions through Redis, whichever replica holds them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from strawberry import relay

from mychangsha.auth.permissions import ensure_may_act_for
from mychangsha.cache.responses import forget_private_answers
from mychangsha.context import Context
from mychangsha.errors import BadUserInput, Forbidden, NotFound
from mychangsha.i18n import msg
from mychangsha.integrations.government.client import (
    InvalidField,
    InvalidMaterials,
    MissingMaterials,
    SupplementNotExpected,
    UnknownService,
)
from mychangsha.integrations.government.models import (
    Applicant,
    Application,
    MaterialFile,
    StatusChange,
)
from mychangsha.integrations.government.webhooks import verify_webhook
from mychangsha.middleware import request_id_var
from mychangsha.platform.clock import today_in_changsha
from mychangsha.resolvers.identity import FamilyMemberByIdLoader, current_citizen
from mychangsha.resolvers.notifications import notify_application_status
from mychangsha.resolvers.patients import verified_citizen
from mychangsha.services import Services
from mychangsha.storage.applications import ApplicationRecord, TimelineEntry
from mychangsha.storage.materials import IncomingMaterial, StoredMaterial, UploadRejected

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/callbacks/government"
APPLICATION = "Application"


def channel_of(citizen_id: str) -> str:
    """The live-update channel of one citizen's applications."""
    return f"applications:{citizen_id}"


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    """Required materials were not provided."""

    names: list[str]


@dataclass(frozen=True)
class BadField:
    """A form field is missing or malformed."""

    field: str
    message: str


@dataclass(frozen=True)
class BadMaterial:
    """A file is not acceptable (type by content, size, count)."""

    material_name: str
    reason: str


@dataclass(frozen=True)
class NotAwaitingSupplement:
    """The application is not waiting for materials."""


# --- applying ---------------------------------------------------------------------------------


async def _applicant(context: Context, patient_id: relay.GlobalID | None) -> Applicant:
    citizen = await verified_citizen(context)
    if patient_id is None or (
        patient_id.type_name == "Citizen" and patient_id.node_id == citizen.id
    ):
        return Applicant(
            name=citizen.name or "", id_number=citizen.id_number or "", phone=citizen.phone
        )
    if patient_id.type_name != "FamilyMember":
        raise BadUserInput("patientId must be you or a family member.", field="input.patientId")
    member = await context.loader(FamilyMemberByIdLoader).load(patient_id.node_id)
    if member is None or member.owner_id != citizen.id:
        raise NotFound("No such family member.")
    ensure_may_act_for(citizen, member, today=today_in_changsha())
    return Applicant(name=member.name, id_number=member.id_number, phone=citizen.phone)


def _check_locally(
    required: Sequence[str], known: Sequence[str], given: Sequence[str]
) -> Missing | BadMaterial | None:
    unknown = [name for name in given if name not in known]
    if unknown:
        return BadMaterial(unknown[0], "this service does not ask for such a material")
    missing = [name for name in required if name not in given]
    return Missing(missing) if missing else None


def _extension(stored: StoredMaterial) -> str:
    return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        stored.media_type, ""
    )


async def _files(services: Services, stored: Sequence[StoredMaterial]) -> list[MaterialFile]:
    return [
        MaterialFile(
            material_name=s.material_name,
            filename=s.filename,
            media_type=s.media_type,
            stream=services.materials.read(s.id),
        )
        for s in stored
    ]


async def submit(
    context: Context,
    *,
    service_code: str | None,
    bundle_code: str | None,
    patient_id: relay.GlobalID | None,
    fields: Mapping[str, str],
    materials: Sequence[IncomingMaterial],
) -> ApplicationRecord | Missing | BadField | BadMaterial:
    """Apply for a service or a bundle (level 2), with the materials it asks for."""
    if (service_code is None) == (bundle_code is None):
        raise BadUserInput("Give exactly one of serviceId and bundleId.", field="input")
    services = context.services
    applicant = await _applicant(context, patient_id)
    citizen = await current_citizen(context)
    if service_code is not None:
        service = (await services.gov_services.by_codes([service_code])).get(service_code)
        if service is None:
            raise NotFound("No such service.")
        title, wanted = service.name, service.materials
    else:
        bundle = (await services.gov_services.bundle_by_codes([bundle_code or ""])).get(
            bundle_code or ""
        )
        if bundle is None:
            raise NotFound("No such bundle.")
        title, wanted = bundle.name, bundle.materials
    local = _check_locally(
        [m.name for m in wanted if m.required],
        [m.name for m in wanted],
        [m.material_name for m in materials],
    )
    if local is not None:
        return local
    application_id = uuid.uuid4().hex
    try:
        stored = await services.materials.store_all(materials, owner_id=application_id)
    except UploadRejected as exc:
        return BadMaterial(exc.material_name, exc.reason)
    accepted = {m.name: m.accepted_types for m in wanted}
    wrong = [s for s in stored if _extension(s) not in accepted.get(s.material_name, ())]
    if wrong:
        await services.materials.delete([s.id for s in stored])
        types = "/".join(accepted.get(wrong[0].material_name, ())).upper()
        return BadMaterial(
            wrong[0].material_name, msg("this material accepts {types} files", types=types)
        )
    try:
        application = await services.government.submit(
            service_code=service_code,
            bundle_code=bundle_code,
            applicant=applicant,
            fields=fields,
            materials=await _files(services, stored),
            external_id=application_id,
            callback_url=services.settings.public_base_url.rstrip("/") + WEBHOOK_PATH,
        )
    except MissingMaterials as exc:
        await services.materials.delete([s.id for s in stored])
        return Missing(list(exc.names))
    except InvalidField as exc:
        await services.materials.delete([s.id for s in stored])
        return BadField(exc.field, exc.message)
    except InvalidMaterials as exc:
        await services.materials.delete([s.id for s in stored])
        return BadMaterial(exc.names[0] if exc.names else "materials", exc.message)
    except UnknownService as exc:
        await services.materials.delete([s.id for s in stored])
        raise NotFound("The platform no longer offers this service.") from exc
    except BaseException:
        await services.materials.delete([s.id for s in stored])
        raise
    return await services.applications.create(
        application_id=application_id,
        citizen_id=citizen.id,
        service_code=service_code,
        bundle_code=bundle_code,
        title=title,
        number=application.number,
        status=application.status.value,
        timeline=_timeline(application),
        material_ids=[s.id for s in stored],
    )


def _timeline(application: Application) -> list[TimelineEntry]:
    return [TimelineEntry(e.status.value, e.at, e.note) for e in application.timeline]


async def owned_application(context: Context, application_id: str) -> ApplicationRecord:
    """One of the caller's applications; FORBIDDEN for anyone else's. Reads are audited."""
    citizen = await current_citizen(context)
    record = await context.services.applications.get(application_id)
    if record is None:
        raise NotFound("No such application.")
    if record.citizen_id != citizen.id:
        raise Forbidden("This is not your application.")
    await context.services.audit.append(
        actor_citizen_id=citizen.id,
        subjects=[("Citizen", citizen.id, citizen.id)],
        resource=APPLICATION,
        resource_id=record.id,
        action="read",
        request_id=request_id_var.get(),
    )
    return record


async def supplement(
    context: Context, application_id: str, materials: Sequence[IncomingMaterial]
) -> ApplicationRecord | BadMaterial | NotAwaitingSupplement:
    """Send the materials a reviewer asked for; the review resumes."""
    record = await owned_application(context, application_id)
    if record.number is None:
        return NotAwaitingSupplement()
    services = context.services
    try:
        stored = await services.materials.store_all(materials, owner_id=record.id)
    except UploadRejected as exc:
        return BadMaterial(exc.material_name, exc.reason)
    try:
        application = await services.government.supplement(
            record.number, await _files(services, stored)
        )
    except SupplementNotExpected:
        await services.materials.delete([s.id for s in stored])
        return NotAwaitingSupplement()
    except InvalidMaterials as exc:
        await services.materials.delete([s.id for s in stored])
        return BadMaterial(exc.names[0] if exc.names else "materials", exc.message)
    except BaseException:
        await services.materials.delete([s.id for s in stored])
        raise
    await services.applications.add_materials(record.id, [s.id for s in stored])
    await _apply_timeline(services, application)
    return await services.applications.get(record.id) or record


async def my_applications(
    context: Context, *, status: str | None, offset: int, limit: int
) -> list[ApplicationRecord]:
    """The caller's applications, most recently changed first."""
    citizen = await current_citizen(context)
    return await context.services.applications.of_citizen(
        citizen.id, status=status, offset=offset, limit=limit
    )


# --- status changes ---------------------------------------------------------------------------


async def apply_status_change(services: Services, change: StatusChange) -> bool:
    """Record one platform event once and tell the citizen's subscriptions; whether it changed."""
    record = await services.applications.apply_change(
        number=change.application_number,
        status=change.status.value,
        at=change.at,
        event_id=change.event_id,
    )
    if record is None:
        return False
    await forget_private_answers(services.response_cache, record.citizen_id)
    await services.broadcaster.publish(
        channel_of(record.citizen_id),
        {
            "applicationId": record.id,
            "number": record.number,
            "status": record.status,
            "previousStatus": change.previous.value if change.previous else None,
            "at": change.at.isoformat(),
        },
    )
    await notify_application_status(services, record, at=change.at)
    return True


class WebhookRejected(Exception):
    """Not a genuine, fresh platform webhook."""


async def apply_webhook(
    services: Services, headers: Mapping[str, str], body: bytes, *, now: float
) -> None:
    """Verify and apply one webhook; WebhookRejected when it is not genuine."""
    secret = services.settings.government_webhook_secret.get_secret_value().encode()
    try:
        change = verify_webhook(secret, headers, body, now=now)
    except Exception as exc:
        log.warning("government webhook rejected: %s", exc)
        raise WebhookRejected(str(exc)) from exc
    await apply_status_change(services, change)


async def _apply_timeline(services: Services, application: Application) -> int:
    """Apply every step of a platform timeline (the poller's view); how many were new."""
    applied = 0
    previous = None
    for entry in application.timeline:
        change = StatusChange(
            event_id=f"poll:{application.number}:{entry.status.value}:{entry.at.isoformat()}",
            application_number=application.number,
            status=entry.status,
            previous=previous,
            at=entry.at,
            external_id=application.external_id,
        )
        applied += await apply_status_change(services, change)
        previous = entry.status
    return applied


async def poll_open_applications(services: Services) -> int:
    """Catch changes a webhook missed: ask the platform about every unfinished application."""
    applied = 0
    for number, _ in await services.applications.open_numbers():
        try:
            application = await services.government.application(number)
        except Exception:
            log.warning("poller could not read application %s", number, exc_info=True)
            continue
        applied += await _apply_timeline(services, application)
    return applied


async def status_changes(context: Context) -> AsyncIterator[dict[str, object]]:
    """The caller's application status changes, live, from whichever replica hears them."""
    citizen = await current_citizen(context)
    async for event in context.services.broadcaster.listen(channel_of(citizen.id)):
        yield event


def parse_time(value: object) -> datetime:
    """An event's ISO timestamp."""
    return datetime.fromisoformat(str(value))
