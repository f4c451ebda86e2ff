"""What the hospital catalogue fields mean: search, departments, doctors and live slots.

The catalogue comes from the MongoDB mirror (search, geo and pinyin run locally and survive
an outage); slots are live from the hospital through a short cache. Loaders batch by
hospital, so a page of doctors costs one slot search per hospital and day.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from strawberry.dataloader import DataLoader

from mychangsha.errors import BadUserInput, NotFound
from mychangsha.geo import GeoPoint
from mychangsha.i18n import msg
from mychangsha.integrations.hospital.client import HospitalClient
from mychangsha.integrations.hospital.models import Department, Doctor, Hospital, Slot
from mychangsha.resolvers.pagination import PageWindow, window
from mychangsha.services import Services
from mychangsha.storage.hospitals import HospitalHit, Key
from mychangsha.storage.search_terms import EmptyQuery

MAX_RADIUS_KM = 200.0
MAX_KEYWORD_LENGTH = 50
BOOKING_HORIZON_DAYS = 7


async def hospital_client(services: Services, code: str) -> HospitalClient:
    """The FHIR client of a hospital the mirror knows; NOT_FOUND for an unknown code."""
    try:
        return services.hospital_clients.get(code)
    except KeyError:
        endpoint = (await services.hospitals.endpoints([code])).get(code)
        if endpoint is None:
            raise NotFound("No such hospital.") from None
        return services.hospital_clients.register(endpoint)


# --- loaders ----------------------------------------------------------------------------------


class HospitalByCodeLoader(DataLoader[str, Hospital | None]):
    """Mirrored hospitals by code."""

    def __init__(self, services: Services) -> None:
        async def load(codes: Sequence[str]) -> list[Hospital | None]:
            found = await services.hospitals.by_codes(codes)
            return [found.get(c) for c in codes]

        super().__init__(load_fn=load)


class DepartmentsByHospitalLoader(DataLoader[str, list[Department]]):
    """Each hospital's departments."""

    def __init__(self, services: Services) -> None:
        async def load(codes: Sequence[str]) -> list[list[Department]]:
            found = await services.hospitals.departments_of(codes)
            return [found.get(c, []) for c in codes]

        super().__init__(load_fn=load)


class DepartmentByKeyLoader(DataLoader[Key, Department | None]):
    """Departments by (hospital code, FHIR id)."""

    def __init__(self, services: Services) -> None:
        async def load(keys: Sequence[Key]) -> list[Department | None]:
            found = await services.hospitals.department_by_ids(keys)
            return [found.get(k) for k in keys]

        super().__init__(load_fn=load)


class DoctorsByDepartmentLoader(DataLoader[Key, list[Doctor]]):
    """Each department's doctors."""

    def __init__(self, services: Services) -> None:
        async def load(keys: Sequence[Key]) -> list[list[Doctor]]:
            found = await services.hospitals.doctors_of(keys)
            return [found.get(k, []) for k in keys]

        super().__init__(load_fn=load)


class DoctorByKeyLoader(DataLoader[Key, Doctor | None]):
    """Doctors by (hospital code, PractitionerRole id)."""

    def __init__(self, services: Services) -> None:
        async def load(keys: Sequence[Key]) -> list[Doctor | None]:
            found = await services.hospitals.doctor_by_ids(keys)
            return [found.get(k) for k in keys]

        super().__init__(load_fn=load)


SlotKey = tuple[str, str, date]  # hospital code, schedule id, day


class SlotsByScheduleDayLoader(DataLoader[SlotKey, list[Slot]]):
    """Live slots: one search per hospital and day, however many doctors a page shows."""

    def __init__(self, services: Services) -> None:
        async def load(keys: Sequence[SlotKey]) -> list[list[Slot] | BaseException]:
            groups: dict[tuple[str, date], list[str]] = defaultdict(list)
            for code, schedule_id, day in keys:
                groups[(code, day)].append(schedule_id)

            async def fetch(code: str, day: date, schedules: list[str]) -> list[Slot]:
                client = await hospital_client(services, code)
                return await client.slots(sorted(set(schedules)), day)

            group_keys = list(groups)
            results = await asyncio.gather(
                *(fetch(code, day, groups[(code, day)]) for code, day in group_keys),
                return_exceptions=True,
            )
            by_group = dict(zip(group_keys, results, strict=True))
            out: list[list[Slot] | BaseException] = []
            for code, schedule_id, day in keys:
                result = by_group[(code, day)]
                if isinstance(result, BaseException):
                    out.append(result)
                else:
                    out.append([s for s in result if s.schedule_id == schedule_id])
            return out

        super().__init__(load_fn=load)


# --- search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HospitalPage:
    """One page of a hospital search."""

    hits: list[HospitalHit]
    window: PageWindow
    has_next_page: bool


async def search_hospitals(
    services: Services,
    *,
    near: GeoPoint | None,
    radius_km: float | None,
    keyword: str | None,
    department: str | None,
    first: int,
    after: str | None,
) -> HospitalPage:
    """Hospitals near a point, by keyword (Chinese, pinyin, alias) and/or department name."""
    if radius_km is not None:
        if near is None:
            raise BadUserInput("radiusKm needs near", field="radiusKm")
        if not 0 < radius_km <= MAX_RADIUS_KM:
            raise BadUserInput(
                msg("radiusKm must be in (0, {max:g}]", max=MAX_RADIUS_KM), field="radiusKm"
            )
    if keyword is not None and len(keyword) > MAX_KEYWORD_LENGTH:
        raise BadUserInput(msg("keyword is longer than {n}", n=MAX_KEYWORD_LENGTH), field="keyword")
    page = window(first, after)
    if keyword is not None and not keyword.strip():
        keyword = None
    try:
        hits = await services.hospitals.search(
            near=near,
            radius_km=radius_km,
            keyword=keyword,
            department=department.strip() if department else None,
            offset=page.offset,
            limit=page.fetch,
        )
    except EmptyQuery as exc:
        raise BadUserInput("keyword has no searchable characters", field="keyword") from exc
    return HospitalPage(hits[: page.first], page, len(hits) > page.first)


def check_slot_day(day: date, today: date) -> None:
    """Slots exist from today for the booking horizon; other days are a client mistake."""
    if not 0 <= (day - today).days <= BOOKING_HORIZON_DAYS:
        raise BadUserInput(
            msg("date must be within the next {n} days", n=BOOKING_HORIZON_DAYS), field="date"
        )
