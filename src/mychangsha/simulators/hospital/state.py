"""The simulator's state: every hospital's catalogue and book, the clock, and counters.

Slots are computed on demand from the clock (see `sessions.py`); only what bookings change
(taken numbers, capacity overrides) is stored. All of it hangs off one `HospitalSimulator`
on `app.state`, so two apps in one process never share anything.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mychangsha.simulators.base import SimulatorClock, aware_now
from mychangsha.simulators.hospital.data import Doctor, HospitalCatalogue, build_catalogue
from mychangsha.simulators.hospital.records import HospitalBook
from mychangsha.simulators.hospital.sessions import (
    SESSIONS,
    SlotKey,
    local,
    parse_slot_id,
    published_days,
)

_HISTORY_DAYS = 30  # past slots stay readable by id this long (appointments point to them)


@dataclass(frozen=True, slots=True)
class SlotView:
    """A slot as served right now: its session, doctor, capacity and places taken."""

    key: SlotKey
    doctor: Doctor
    capacity: int
    booked: int
    ended: bool

    @property
    def status(self) -> str:
        """`free` while a place is left and the session has not ended, else `busy`."""
        return "busy" if self.ended or self.booked >= self.capacity else "free"


@dataclass
class Hospital:
    """One hospital's catalogue and book, with the slot arithmetic that joins them."""

    catalogue: HospitalCatalogue
    seed: int
    book: HospitalBook = field(default_factory=HospitalBook)

    @property
    def code(self) -> str:
        """The hospital code."""
        return self.catalogue.code

    def capacity(self, slot_id: str) -> int:
        """Places of a session: an admin override, else 10-30 drawn from the seed."""
        override = self.book.capacities.get(slot_id)
        if override is not None:
            return override
        return random.Random(f"{self.seed}:{self.code}:{slot_id}").randint(10, 30)

    def view(self, key: SlotKey, doctor: Doctor, now: datetime) -> SlotView:
        """The slot of a key whose doctor is known to work then."""
        booked = len(self.book.taken(key.id))
        return SlotView(key, doctor, self.capacity(key.id), booked, now >= key.end)

    def slot(self, slot_id: str, now: datetime) -> SlotView | None:
        """A slot by id: published, or past but recent; None for anything else."""
        key = parse_slot_id(slot_id)
        if key is None:
            return None
        doctor = self.catalogue.by_role.get(key.role_id)
        if doctor is None or not doctor.works(key.day.weekday(), key.session.code):
            return None
        days = published_days(now)
        if key.day > days[-1] or key.day < days[0] - timedelta(days=_HISTORY_DAYS):
            return None
        return self.view(key, doctor, now)

    def published_slots(self, now: datetime, doctors: Iterable[Doctor]) -> list[SlotView]:
        """Every published slot of these doctors, by start then id."""
        days = published_days(now)
        views = [
            self.view(SlotKey(doctor.role_id, day, session), doctor, now)
            for doctor in doctors
            for day in days
            for session in SESSIONS.values()
            if doctor.works(day.weekday(), session.code)
        ]
        return sorted(views, key=lambda view: (view.key.start, view.key.id))

    def is_published(self, key: SlotKey, now: datetime) -> bool:
        """Whether the slot's day is released (not merely readable as history)."""
        days = published_days(now)
        return days[0] <= key.day <= days[-1]

    def next_bill_number(self, now: datetime) -> str:
        """The hospital's own bill number: code, local date, sequence."""
        self.book.bill_sequence += 1
        return f"{self.code.upper()}{local(now):%Y%m%d}{self.book.bill_sequence:05d}"


@dataclass
class HospitalSimulator:
    """All hospitals, the injected clock, the booking lock and per-hospital counters."""

    clock: SimulatorClock
    seed: int
    hospitals: dict[str, Hospital] = field(init=False)
    counters: dict[str, Counter[str]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        catalogue = build_catalogue(self.seed)
        self.hospitals = {code: Hospital(item, self.seed) for code, item in catalogue.items()}

    def now(self) -> datetime:
        """The injected clock's time (timezone-aware)."""
        return aware_now(self.clock)

    def reset(self) -> None:
        """Empty every book and the per-hospital counters; the catalogue never changes."""
        for hospital in self.hospitals.values():
            hospital.book = HospitalBook()
        self.counters.clear()

    def count(self, code: str, key: str) -> None:
        """One request reached a hospital's route."""
        self.counters.setdefault(code, Counter())[key] += 1

    def counters_json(self) -> dict[str, dict[str, int]]:
        """`{code: {"GET Slot": n, ...}}` for hospitals that saw requests."""
        return {
            code: dict(sorted(counts.items())) for code, counts in sorted(self.counters.items())
        }
