"""The verification service's population: fictional Changsha citizens with well-formed ID numbers.

Every ID number follows GB 11643-1999: a six-digit region code of one of Changsha's districts
and counties, the birth date, a three-digit sequence (odd for men, even for women) and the
ISO 7064 MOD 11-2 check character. The people are invented; the structure is real, so the
graph's own ID validation, age rules (minors, elderly parents) and masking meet realistic
input. A few records fail in known ways, the way real citizens sometimes do.

Tests elsewhere pick identities from `RECORDS` (or the `ADULTS`, `MINORS`, `ELDERLY` subsets
of records that verify as a match).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

__all__ = [
    "ADULTS",
    "DEREGISTERED",
    "ELDERLY",
    "MINORS",
    "NAME_CHANGED",
    "RECORDS",
    "REGIONS",
    "AgeGroup",
    "CitizenRecord",
    "RecordStatus",
    "check_character",
]

REGIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "430102": "芙蓉区",
        "430103": "天心区",
        "430104": "岳麓区",
        "430105": "开福区",
        "430111": "雨花区",
        "430112": "望城区",
        "430121": "长沙县",
        "430181": "浏阳市",
        "430182": "宁乡市",
    }
)

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character (0-9 or X) of an ID number's first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


class RecordStatus(enum.Enum):
    """How the registry holds a person: normally, or in one of the known failing ways."""

    ACTIVE = "active"
    # The registry already has the person's new name; the name they give still is the old
    # one on their card, so every check answers "mismatch".
    NAME_CHANGED = "name_changed"
    # The household registration was cancelled (emigrated, deceased): "not_found".
    DEREGISTERED = "deregistered"


class AgeGroup(enum.Enum):
    """The ages the graph treats differently: family members are minors or elderly parents."""

    MINOR = "minor"  # born 2012-2020: under 18 until at least 2030
    ADULT = "adult"
    ELDERLY = "elderly"  # born in the 1940s and 1950s


@dataclass(frozen=True, slots=True)
class CitizenRecord:
    """One person as the verification service holds them."""

    name: str
    id_number: str
    status: RecordStatus = RecordStatus.ACTIVE

    @property
    def region_code(self) -> str:
        """The six-digit administrative division code of the place of registration."""
        return self.id_number[:6]

    @property
    def district(self) -> str:
        """The district or county name of the region code."""
        return REGIONS[self.region_code]

    @property
    def birth_date(self) -> date:
        """Digits 7-14 of the ID number."""
        digits = self.id_number[6:14]
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))

    @property
    def is_male(self) -> bool:
        """The 17th digit is odd for men, even for women."""
        return int(self.id_number[16]) % 2 == 1

    @property
    def age_group(self) -> AgeGroup:
        """Minor, adult or elderly by birth year (stable for this data until 2030)."""
        year = self.birth_date.year
        if year >= 2012:
            return AgeGroup.MINOR
        if year < 1960:
            return AgeGroup.ELDERLY
        return AgeGroup.ADULT

    @property
    def verifies(self) -> bool:
        """Whether checking this record's own name and number answers "match"."""
        return self.status is RecordStatus.ACTIVE


def _citizen(
    name: str, region: str, born: str, sequence: str, status: RecordStatus = RecordStatus.ACTIVE
) -> CitizenRecord:
    if region not in REGIONS:
        raise ValueError(f"{region} is not a Changsha region code")
    first17 = region + born + sequence
    return CitizenRecord(name, first17 + check_character(first17), status)


RECORDS: Final[tuple[CitizenRecord, ...]] = (
    # Adults of working age, one or more in every district and county.
    _citizen("张伟", "430102", "19850312", "011"),
    _citizen("李娜", "430103", "19900726", "024"),
    _citizen("王芳", "430104", "19880105", "042"),
    _citizen("刘洋", "430105", "19920918", "037"),
    _citizen("陈静", "430111", "19951130", "068"),
    _citizen("杨帆", "430112", "19780422", "015"),
    _citizen("赵磊", "430121", "19830609", "053"),
    _citizen("黄丽", "430181", "19870214", "026"),
    _citizen("周建军", "430182", "19930803", "071"),
    _citizen("吴敏", "430102", "20010517", "082"),
    _citizen("谭晓东", "430104", "19760930", "019"),
    _citizen("欧阳倩", "430103", "19970611", "040"),
    # Minors: the children the graph's family members book and pay for.
    _citizen("张小宇", "430102", "20150608", "033"),
    _citizen("李思涵", "430103", "20180221", "044"),
    _citizen("刘子轩", "430105", "20120915", "057"),
    _citizen("陈雨桐", "430111", "20200130", "062"),
    _citizen("杨一诺", "430112", "20161011", "079"),
    # Elderly parents.
    _citizen("张德明", "430102", "19480823", "015"),
    _citizen("李秀英", "430103", "19520402", "028"),
    _citizen("王桂兰", "430104", "19450117", "046"),
    _citizen("刘建国", "430105", "19490930", "031"),
    _citizen("周淑珍", "430181", "19560612", "064"),
    _citizen("谭国强", "430182", "19510305", "093"),
    # Known failures.
    _citizen("彭丽华", "430111", "19910419", "086", RecordStatus.NAME_CHANGED),
    _citizen("蒋志远", "430121", "19640727", "035", RecordStatus.DEREGISTERED),
)

ADULTS: Final = tuple(r for r in RECORDS if r.verifies and r.age_group is AgeGroup.ADULT)
MINORS: Final = tuple(r for r in RECORDS if r.verifies and r.age_group is AgeGroup.MINOR)
ELDERLY: Final = tuple(r for r in RECORDS if r.verifies and r.age_group is AgeGroup.ELDERLY)
NAME_CHANGED: Final = next(r for r in RECORDS if r.status is RecordStatus.NAME_CHANGED)
DEREGISTERED: Final = next(r for r in RECORDS if r.status is RecordStatus.DEREGISTERED)
