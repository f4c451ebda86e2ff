"""Everything one simulator holds, and what moves applications along.

Applications advance by themselves: each automatic step (submitted → accepted → in_review →
approved → completed) happens `stepSeconds` after the previous change, by the injected clock.
`progress()` takes every step that is due; the app's background ticker calls it several times a
second, and every read calls it first, so a test that moves its clock sees the change on its
next request and the webhook goes out without any request at all. Which applications a reviewer
sends back for a supplement, or rejects, is set through the admin API (`Progression`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from mychangsha.simulators.base import ApiError, SimulatorClock, aware_now
from mychangsha.simulators.government.applications import (
    FINAL,
    Application,
    Status,
    SupplementRequest,
    path_to,
    to_millis,
)
from mychangsha.simulators.government.catalogue import (
    REGION_CODE,
    SHANGHAI,
    Catalogue,
    build_catalogue,
)
from mychangsha.simulators.government.certificates import CertificateRegistry
from mychangsha.simulators.government.seeded_certificates import seeded_certificates
from mychangsha.simulators.government.webhooks import Webhooks

__all__ = ["GovernmentState", "Progression"]

_NOTES: Final[dict[Status, str]] = {
    "submitted": "申请已提交，等待窗口受理",
    "accepted": "材料齐全，符合法定形式，予以受理",
    "in_review": "已进入审查环节",
    "needs_supplement": "经审查，申请材料需补正",
    "approved": "经审查，符合办理条件，审批通过",
    "rejected": "经审查，不符合办理条件，不予批准",
    "completed": "已办结，结果已送达",
}


# The steps that need no decision; in_review's outcome is decided by the progression settings.
_AUTOMATIC: Final[Mapping[Status, Status]] = MappingProxyType(
    {"submitted": "accepted", "accepted": "in_review", "approved": "completed"}
)


class Progression(BaseModel):
    """How applications move by themselves; replaced as a whole by `PUT /__admin/progression`.

    `stepSeconds` null stops automatic steps (only the admin API moves applications);
    `supplementFor` and `reject` match service codes, service names, bundle codes or names.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    step_seconds: float | None = Field(default=15.0, alias="stepSeconds", ge=0, le=86_400)
    supplement_for: tuple[str, ...] = Field(default=(), alias="supplementFor", max_length=500)
    reject: tuple[str, ...] = Field(default=(), max_length=500)

    def to_json(self) -> dict[str, object]:
        """The admin API's camelCase shape."""
        return self.model_dump(by_alias=True, mode="json")


def _matches(names: tuple[str, ...], application: Application) -> bool:
    target = application.target
    keys = {target.code, target.name}
    for service in target.services:
        keys.update((service.code, service.name))
    return not keys.isdisjoint(names)


@dataclass
class GovernmentState:
    """The catalogue, applications, certificates and webhooks of one simulator."""

    clock: SimulatorClock
    seed: int
    webhooks: Webhooks
    catalogue: Catalogue = field(init=False)
    certificates: CertificateRegistry = field(init=False)
    progression: Progression = field(default_factory=Progression)
    applications: dict[str, Application] = field(default_factory=dict)
    by_external_id: dict[str, Application] = field(default_factory=dict)
    # Numbers are unique forever on the real platform; a simulator that restarts (the dev
    # stack keeps the graph's data across restarts) starts at a random point so it does not
    # hand out a number the graph already holds.
    _sequence: int = field(default_factory=lambda: secrets.randbelow(900_000))

    def __post_init__(self) -> None:
        self.catalogue = build_catalogue(self.seed)
        self.certificates = CertificateRegistry(self.seed, seeded_certificates(self.seed))

    def reset(self) -> None:
        """The seed state: original catalogue, no applications, default progression."""
        self.catalogue = build_catalogue(self.seed)
        self.certificates.reset()
        self.progression = Progression()
        self.applications.clear()
        self.by_external_id.clear()
        self.webhooks.reset()  # numbering goes on: a number is never handed out twice

    def now(self) -> datetime:
        """The injected clock's time, to the millisecond."""
        return to_millis(aware_now(self.clock))

    def next_number(self, at: datetime) -> str:
        """办件编号: region, year of submission in Changsha, six-digit sequence."""
        self._sequence += 1
        return f"{REGION_CODE}-{at.astimezone(SHANGHAI).year}-{self._sequence:06d}"

    def application(self, number: str) -> Application:
        """One application, or 404 in the error shape."""
        self.progress()
        application = self.applications.get(number)
        if application is None:
            raise ApiError(404, f"no application numbered {number!r}")
        return application

    def add(self, application: Application) -> None:
        """Store a new application and announce its first status."""
        self.applications[application.number] = application
        self.by_external_id[application.external_id] = application
        submitted = application.submitted_at
        self._change(application, "submitted", _NOTES["submitted"], at=submitted, now=submitted)

    # --- moving applications along -------------------------------------------------------

    def _automatic_next(self, application: Application) -> Status | None:
        status = application.status
        if status == "in_review":
            if not application.supplement_asked and _matches(
                self.progression.supplement_for, application
            ):
                return "needs_supplement"
            return "rejected" if _matches(self.progression.reject, application) else "approved"
        return _AUTOMATIC.get(status)

    def progress(self) -> None:
        """Take every automatic step that is due by the clock, catching up after a clock jump.

        A step is due `stepSeconds` after the previous change and is dated then, so moving the
        clock an hour ahead yields the same history as an hour of real time would have.
        """
        step = self.progression.step_seconds
        if step is None:
            return
        now = self.now()
        for application in list(self.applications.values()):
            while application.status not in FINAL:
                due = application.changed_at + timedelta(seconds=step)
                following = self._automatic_next(application)
                if following is None or due > now:
                    break
                self._change(application, following, _NOTES[following], at=due)

    def advance(self, application: Application, wanted: Status | None, note: str | None) -> None:
        """Admin: walk the legal transitions to `wanted` (or take the next step); else 409."""
        if wanted is None:
            wanted = self._automatic_next(application) or (
                "in_review" if application.status == "needs_supplement" else None
            )
        chain = None if wanted is None else path_to(application.status, wanted)
        if chain is None:
            raise ApiError(409, f"cannot go from {application.status} to {wanted}")
        for status in chain:
            text = note if note and status == chain[-1] else _NOTES[status]
            self._change(application, status, text)

    def resume(self, application: Application, names: list[str], note: str | None) -> None:
        """A supplement arrived: the review goes on (and never asks for another one)."""
        assert application.supplement is not None
        application.supplement.fulfilled_at = self.now()
        text = f"申请人已补正材料：{'、'.join(names)}，继续审查"
        self._change(application, "in_review", f"{text}（{note}）" if note else text)

    def _change(
        self,
        application: Application,
        status: Status,
        note: str,
        *,
        at: datetime | None = None,
        now: datetime | None = None,
    ) -> None:
        """Record one status change (as of `at`, default now), announce it, issue certificates.

        `now` (the recording time, default the clock's) is given only for the first status,
        so a new application's `submittedAt`, `updatedAt` and first event agree to the ms.
        """
        now = now or self.now()
        when = max(at or now, application.changed_at)
        before = application.status if application.timeline else None
        if status == "needs_supplement":
            note = self._ask_for_supplement(application, when)
        application.record(status, when, note, recorded_at=now)
        if status == "completed":
            self._issue_certificates(application, when)
        self.webhooks.publish(
            application_number=application.number,
            external_id=application.external_id,
            status=status,
            previous=before,
            at=when,
            callback_url=application.callback_url,
        )

    def _ask_for_supplement(self, application: Application, now: datetime) -> str:
        materials = application.target.materials
        wanted = next((m for m in materials if m.required), materials[0] if materials else None)
        names = () if wanted is None else (wanted.name,)
        reason = f"{'、'.join(names) or '申请材料'}不清晰或信息不全，请重新上传清晰、完整的扫描件"
        application.supplement = SupplementRequest(names, reason, now)
        return f"{_NOTES['needs_supplement']}：{reason}"

    def _issue_certificates(self, application: Application, now: datetime) -> None:
        for service in application.target.services:
            if service.issues_certificate is None:
                continue
            certificate = self.certificates.issue(
                kind=service.issues_certificate,
                application_number=application.number,
                holder_name=application.applicant.name,
                holder_id_number=application.applicant.id_number,
                issuer=service.department,
                issued_on=now.astimezone(SHANGHAI).date(),
                fields=application.fields,
            )
            application.certificate_ids.append(certificate.id)
