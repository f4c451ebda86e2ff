"""The catalogue as served: services generated from the families, bundles over them.

Names, codes, materials and fields are fixed by the data modules, so codes stay the same for
every seed (the graph's mirrors and tests can name them); the seed varies what a real
catalogue varies between cities and revisions — promised time limits within each family's
range, which services are fully online, when each entry was last revised.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from mychangsha.simulators.base import ApiError
from mychangsha.simulators.government.bundles import build_bundles
from mychangsha.simulators.government.catalogue_data import (
    DEPARTMENTS,
    FEES,
    FIELDS,
    KINDS,
    LIFE_EVENTS,
    MATERIALS,
    Family,
)
from mychangsha.simulators.government.model import Bundle, FormField, Material, Service, Target
from mychangsha.simulators.government.services_business import BUSINESS_FAMILIES
from mychangsha.simulators.government.services_people import PEOPLE_FAMILIES

__all__ = ["REGION_CODE", "SHANGHAI", "Catalogue", "build_catalogue", "build_services"]

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
REGION_CODE: Final = "430100"  # 长沙市
_FIRST_REVISION: Final = datetime(2025, 1, 6, 9, 0, tzinfo=SHANGHAI)
_BUNDLES_REVISED: Final = "2025-11-03T10:00:00+08:00"
# 行政许可法 art. 42: a licence is decided within 20 (working) days unless a law says otherwise.
_LICENCE_DAYS: Final = 20
_OTHER_DAYS: Final = 15


def _keys(spec: str) -> list[tuple[str, bool]]:
    """`"居民身份证 授权委托书?"` → [("居民身份证", True), ("授权委托书", False)]."""
    return [(key.rstrip("?"), not key.endswith("?")) for key in spec.split()]


def _materials(spec: str) -> tuple[Material, ...]:
    materials = []
    for name, required in _keys(spec):
        description, types = MATERIALS[name]
        materials.append(Material(name, required, types, description))
    return tuple(materials)


def _fields(spec: str) -> tuple[FormField, ...]:
    fields = []
    for name, required in _keys(spec):
        label, kind, options = FIELDS[name]
        fields.append(FormField(name, label, kind, required, options))
    return tuple(fields)


def _service(family: Family, name: str, code: str, seed: int) -> Service:
    rng = random.Random(f"{seed}:{name}")
    low, high = family.days
    days = rng.randint(low, high)
    legal = max(days, _LICENCE_DAYS if family.kind == "XK" else _OTHER_DAYS)
    revised = _FIRST_REVISION + timedelta(days=rng.randrange(300), minutes=rng.randrange(540))
    department_name, _ = DEPARTMENTS[family.department]
    return Service(
        code=code,
        name=name,
        kind_code=family.kind,
        kind=KINDS[family.kind],
        department_code=family.department,
        department=department_name,
        life_events=tuple(family.events.split()),
        materials=_materials(family.materials),
        form_fields=_fields(family.fields),
        time_limit_days=days,
        legal_time_limit_days=legal,
        fee_fen=FEES.get(name, 0),
        fully_online=rng.random() < family.online,
        issues_certificate=family.issues,
        updated_at=revised.isoformat(),
    )


def build_services(seed: int) -> list[Service]:
    """Every service, coded `430100-<kind>-<nnnn>` in the order the families list them."""
    numbers: Counter[str] = Counter()
    services: list[Service] = []
    seen: set[str] = set()
    for family in (*PEOPLE_FAMILIES, *BUSINESS_FAMILIES):
        for event in family.events.split():
            if event not in LIFE_EVENTS:
                raise ValueError(f"unknown life event {event!r} in {family.names[0]}")
        for name in family.names:
            if name in seen:
                raise ValueError(f"service {name!r} is listed twice")
            seen.add(name)
            numbers[family.kind] += 1
            code = f"{REGION_CODE}-{family.kind}-{numbers[family.kind]:04d}"
            services.append(_service(family, name, code, seed))
    return services


@dataclass
class Catalogue:
    """Services and bundles by code, with the look-ups the endpoints need."""

    services: dict[str, Service]
    bundles: dict[str, Bundle]

    def service(self, code: str) -> Service:
        """One service, or 404 in the error shape."""
        service = self.services.get(code)
        if service is None:
            raise ApiError(404, f"no service with code {code!r}")
        return service

    def bundle(self, code: str) -> Bundle:
        """One bundle, or 404 in the error shape."""
        bundle = self.bundles.get(code)
        if bundle is None:
            raise ApiError(404, f"no bundle with code {code!r}")
        return bundle

    def target(self, code: str) -> Target | None:
        """A service or bundle by code, or None."""
        return self.services.get(code) or self.bundles.get(code)

    def sorted_services(self) -> list[Service]:
        """Ordered by code: the stable paging order."""
        return [self.services[code] for code in sorted(self.services)]

    def life_events_json(self) -> list[dict[str, Any]]:
        """Every life event with how many services and bundles serve it."""
        return [
            {
                "id": event_id,
                "name": name,
                "serviceCount": sum(name in s.life_events for s in self.services.values()),
                "bundleCount": sum(b.life_event == name for b in self.bundles.values()),
            }
            for name, event_id in LIFE_EVENTS.items()
        ]

    def departments_json(self) -> list[dict[str, Any]]:
        """Every department with its number of services."""
        counts = Counter(service.department_code for service in self.services.values())
        return [
            {"code": code, "name": name, "shortName": short, "serviceCount": counts[code]}
            for code, (name, short) in DEPARTMENTS.items()
        ]

    def replace_service(self, service: Service) -> None:
        """Put a changed service in place, and in every bundle that combines it."""
        self.services[service.code] = service
        for code, bundle in self.bundles.items():
            if any(s.code == service.code for s in bundle.services):
                services = tuple(self.services[s.code] for s in bundle.services)
                self.bundles[code] = dataclasses.replace(bundle, services=services)


def build_catalogue(seed: int) -> Catalogue:
    """The catalogue of a fresh simulator."""
    services = build_services(seed)
    bundles = build_bundles({s.name: s for s in services}, _BUNDLES_REVISED)
    return Catalogue({s.code: s for s in services}, {b.code: b for b in bundles})
