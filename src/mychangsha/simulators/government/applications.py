"""Applications (办件): their statuses, the legal transitions between them, and the wire shape.

submitted → accepted → in_review → (needs_supplement → in_review) → approved | rejected, and
approved → completed. `needs_supplement` is left only by the applicant supplementing materials
(or an admin); `rejected` and `completed` are final. What moves an application along — the
clock, the admin API, a supplement — lives in `state.py`; this module only knows the rules.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal

from mychangsha.simulators.government.catalogue import SHANGHAI
from mychangsha.simulators.government.model import Bundle, Target

__all__ = [
    "FINAL",
    "STATUSES",
    "STATUS_TEXT",
    "Applicant",
    "Application",
    "Status",
    "StoredFile",
    "SupplementRequest",
    "TimelineEntry",
    "iso",
    "path_to",
    "to_millis",
]

Status = Literal[
    "submitted", "accepted", "in_review", "needs_supplement", "approved", "rejected", "completed"
]
STATUSES: Final[tuple[Status, ...]] = (
    "submitted",
    "accepted",
    "in_review",
    "needs_supplement",
    "approved",
    "rejected",
    "completed",
)
STATUS_TEXT: Final[Mapping[Status, str]] = MappingProxyType(
    {
        "submitted": "已提交",
        "accepted": "已受理",
        "in_review": "审查中",
        "needs_supplement": "待补正",
        "approved": "审批通过",
        "rejected": "不予批准",
        "completed": "已办结",
    }
)
_NEXT: Final[Mapping[Status, tuple[Status, ...]]] = MappingProxyType(
    {
        "submitted": ("accepted",),
        "accepted": ("in_review",),
        "in_review": ("approved", "needs_supplement", "rejected"),
        "needs_supplement": ("in_review",),
        "approved": ("completed",),
        "rejected": (),
        "completed": (),
    }
)
FINAL: Final = frozenset({"rejected", "completed"})


def path_to(current: Status, wanted: Status) -> list[Status] | None:
    """The shortest chain of legal transitions from `current` to `wanted` (None: unreachable)."""
    previous: dict[Status, Status | None] = {current: None}
    queue = deque([current])
    while queue:
        status = queue.popleft()
        for following in _NEXT[status]:
            if following not in previous:
                previous[following] = status
                queue.append(following)
    if wanted == current or wanted not in previous:
        return None
    chain: list[Status] = []
    step: Status | None = wanted
    while step is not None and step != current:
        chain.append(step)
        step = previous[step]
    return chain[::-1]


def to_millis(moment: datetime) -> datetime:
    """Millisecond precision: what the wire carries, so `updatedSince` round-trips exactly."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 in Changsha's offset, to the millisecond."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Applicant:
    """Who applies: the platform identifies citizens by name and ID number."""

    name: str
    id_number: str
    phone: str

    def to_json(self) -> dict[str, str]:
        """The wire shape."""
        return {"name": self.name, "idNumber": self.id_number, "phone": self.phone}


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An uploaded material file: the simulator keeps its fingerprint, not its bytes."""

    material: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    round: int  # 0: with the application; 1, 2, …: supplements

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {
            "material": self.material,
            "fileName": self.file_name,
            "contentType": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploadedAt": iso(self.uploaded_at),
            "round": self.round,
        }


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One status change, with the note the official wrote."""

    status: Status
    at: datetime
    note: str

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"status": self.status, "at": iso(self.at), "note": self.note}


@dataclass(slots=True)
class SupplementRequest:
    """What the reviewer asked for (补正告知): the materials to upload again, and why."""

    names: tuple[str, ...]
    reason: str
    requested_at: datetime
    fulfilled_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {
            "names": list(self.names),
            "reason": self.reason,
            "requestedAt": iso(self.requested_at),
            "fulfilledAt": None if self.fulfilled_at is None else iso(self.fulfilled_at),
        }


@dataclass(slots=True)
class Application:
    """One application and everything that happened to it."""

    number: str
    external_id: str
    target: Target
    applicant: Applicant
    fields: dict[str, Any]
    callback_url: str | None
    submitted_at: datetime
    status: Status = "submitted"
    updated_at: datetime = field(init=False)
    files: list[StoredFile] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    supplement: SupplementRequest | None = None
    certificate_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.updated_at = self.submitted_at

    @property
    def supplement_asked(self) -> bool:
        """A reviewer asks for a supplement at most once per application."""
        return self.supplement is not None

    def due_date(self) -> date:
        """承诺办结日期: the promised time limit counted from submission (calendar days)."""
        submitted = self.submitted_at.astimezone(SHANGHAI).date()
        return submitted + timedelta(days=self.target.time_limit_days)

    @property
    def changed_at(self) -> datetime:
        """When the current status was reached (the timeline's time, not the recording time)."""
        return self.timeline[-1].at if self.timeline else self.submitted_at

    def record(self, status: Status, at: datetime, note: str, *, recorded_at: datetime) -> None:
        """Move to `status` as of `at`, and write it into the timeline.

        `updatedAt` is when the platform recorded the change (never before `at`): pollers
        filter on it, so a step taken late, with an earlier `at`, is still seen by a poll that
        started after the previous one.
        """
        self.status = status
        self.updated_at = max(recorded_at, at)
        self.timeline.append(TimelineEntry(status, at, note))

    def to_json(self) -> dict[str, Any]:
        """The wire shape (`GET /v1/applications/{number}`)."""
        is_bundle = isinstance(self.target, Bundle)
        return {
            "applicationNumber": self.number,
            "externalId": self.external_id,
            "serviceCode": None if is_bundle else self.target.code,
            "bundleCode": self.target.code if is_bundle else None,
            "title": self.target.name,
            "serviceCodes": [service.code for service in self.target.services],
            "departments": list(dict.fromkeys(s.department for s in self.target.services)),
            "applicant": self.applicant.to_json(),
            "fields": dict(self.fields),
            "materials": [stored.to_json() for stored in self.files],
            "status": self.status,
            "statusText": STATUS_TEXT[self.status],
            "submittedAt": iso(self.submitted_at),
            "updatedAt": iso(self.updated_at),
            "dueDate": self.due_date().isoformat(),
            "supplementRequest": None if self.supplement is None else self.supplement.to_json(),
            "certificateIds": list(self.certificate_ids),
            "callbackUrl": self.callback_url,
            "timeline": [entry.to_json() for entry in self.timeline],
        }
