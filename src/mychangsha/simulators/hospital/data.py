"""The generated part of the catalogue: departments, doctors and their weekly clinic sessions.

Hospitals are real (`hospitals.py`); who works there is invented, deterministically from the
seed, so every run (and every replica of the simulator) serves the same doctors with the same
ids, names, titles, fees and sessions. Ids are derived from stable slugs and a per-department
number, never from list positions of other hospitals, so adding a hospital moves nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from mychangsha.simulators.hospital.departments import POOLS, DepartmentInfo
from mychangsha.simulators.hospital.hospitals import HOSPITALS, HospitalInfo

SESSION_CODES: Final = ("am", "pm")

# Registration fee by title, in fen (the FHIR extension carries yuan).
FEES_FEN: Final[Mapping[str, int]] = MappingProxyType(
    {"主任医师": 5000, "副主任医师": 3000, "主治医师": 1500, "住院医师": 750}
)
_JUNIOR_TITLES: Final = ("副主任医师", "主治医师", "主治医师", "住院医师")

_SURNAMES: Final = (
    *"王李张刘陈杨黄周吴罗谭彭曾肖易贺廖龚唐邓胡朱蒋袁汤向谢郭何邹颜夏石毛文姜陶宋",
    "欧阳",
    "司马",
)
_MALE: Final = tuple("伟强军勇杰涛斌磊超明志建华平辉峰鹏浩波宇湘岳立新国庆俊文")
_FEMALE: Final = tuple("芳娟敏静丽艳燕霞玲婷慧琳洁红萍颖雪倩琴湘蓉佳梅兰")


@dataclass(frozen=True, slots=True)
class Department:
    """A department of one hospital (FHIR HealthcareService `dept-{slug}`)."""

    id: str
    info: DepartmentInfo


@dataclass(frozen=True, slots=True)
class Doctor:
    """A doctor in one department: Practitioner, PractitionerRole and Schedule in FHIR."""

    number: int
    department: Department
    family: str
    given: str
    gender: str
    title: str
    expertise: tuple[str, ...]
    sessions: frozenset[tuple[int, str]]  # (weekday 0 = Monday, "am" | "pm")

    @property
    def key(self) -> str:
        """`{slug}-{n}`: the stem of this doctor's ids."""
        return f"{self.department.info.slug}-{self.number}"

    @property
    def role_id(self) -> str:
        """The PractitionerRole id, the stem of slot ids."""
        return f"role-{self.key}"

    @property
    def practitioner_id(self) -> str:
        """The Practitioner id."""
        return f"pract-{self.key}"

    @property
    def schedule_id(self) -> str:
        """The Schedule id (one per doctor)."""
        return f"sched-{self.key}"

    @property
    def name(self) -> str:
        """Full name, family first."""
        return f"{self.family}{self.given}"

    @property
    def fee_fen(self) -> int:
        """Registration fee in fen."""
        return FEES_FEN[self.title]

    def works(self, weekday: int, session: str) -> bool:
        """Whether this doctor holds a clinic in that half-day of the week."""
        return (weekday, session) in self.sessions


@dataclass(frozen=True)
class HospitalCatalogue:
    """One hospital's published catalogue, with look-ups by FHIR id."""

    info: HospitalInfo
    departments: tuple[Department, ...]
    doctors: tuple[Doctor, ...]
    by_department: Mapping[str, Department] = field(init=False)
    by_role: Mapping[str, Doctor] = field(init=False)
    by_practitioner: Mapping[str, Doctor] = field(init=False)
    by_schedule: Mapping[str, Doctor] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_department", {d.id: d for d in self.departments})
        object.__setattr__(self, "by_role", {d.role_id: d for d in self.doctors})
        object.__setattr__(self, "by_practitioner", {d.practitioner_id: d for d in self.doctors})
        object.__setattr__(self, "by_schedule", {d.schedule_id: d for d in self.doctors})

    @property
    def code(self) -> str:
        """The hospital code."""
        return self.info.code


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator seeded from a readable key: the same key draws the same values forever."""
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _name(rng: random.Random, taken: set[str]) -> tuple[str, str, str]:
    """A (family, given, gender) whose full name is not yet taken in this hospital."""
    while True:
        gender = rng.choice(("male", "female"))
        pool = _MALE if gender == "male" else _FEMALE
        given = "".join(rng.sample(pool, rng.choice((1, 2, 2))))
        family = rng.choice(_SURNAMES)
        if family + given not in taken:
            taken.add(family + given)
            return family, given, gender


def _sessions(rng: random.Random) -> frozenset[tuple[int, str]]:
    everything = [(day, code) for day in range(7) for code in SESSION_CODES]
    return frozenset(rng.sample(everything, rng.randint(3, 6)))


def _doctors(seed: int, code: str, department: Department, taken: set[str]) -> list[Doctor]:
    rng = _rng(seed, code, department.info.slug)
    doctors = []
    for number in range(1, rng.randint(2, 4) + 1):
        family, given, gender = _name(rng, taken)
        title = "主任医师" if number == 1 else rng.choice(_JUNIOR_TITLES)
        expertise = tuple(rng.sample(department.info.expertise, 2))
        doctors.append(
            Doctor(number, department, family, given, gender, title, expertise, _sessions(rng))
        )
    return doctors


def build_hospital(seed: int, info: HospitalInfo) -> HospitalCatalogue:
    """One hospital's departments (5-10 of its kind's pool) and doctors (2-4 each)."""
    rng = _rng(seed, info.code)
    pool = POOLS[info.kind]
    count = min(rng.randint(5, 10), len(pool))
    picked = sorted(rng.sample(range(len(pool)), count))
    departments = tuple(Department(f"dept-{pool[i].slug}", pool[i]) for i in picked)
    taken: set[str] = set()
    doctors = tuple(d for dept in departments for d in _doctors(seed, info.code, dept, taken))
    return HospitalCatalogue(info, departments, doctors)


def build_catalogue(seed: int) -> dict[str, HospitalCatalogue]:
    """Every hospital's catalogue by code, in directory order."""
    return {info.code: build_hospital(seed, info) for info in HOSPITALS}
