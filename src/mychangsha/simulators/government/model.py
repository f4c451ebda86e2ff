"""The catalogue's shapes: materials, form fields, services (事项) and 一件事 bundles.

Frozen dataclasses with a `to_json()` in the platform's camelCase wire shape. A service and a
bundle are both things a citizen can apply for (`Target`): each has materials and form fields,
and a bundle's are its services' combined, deduplicated by name, so one upload of 居民身份证
serves every department in the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mychangsha.simulators.government.catalogue_data import FieldType

__all__ = [
    "Bundle",
    "FormField",
    "Material",
    "Service",
    "Target",
    "combine_fields",
    "combine_materials",
]


@dataclass(frozen=True, slots=True)
class Material:
    """A document the applicant uploads (申请材料)."""

    name: str
    required: bool
    accepted_types: tuple[str, ...]
    description: str

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {
            "name": self.name,
            "required": self.required,
            "acceptedTypes": list(self.accepted_types),
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class FormField:
    """One entry of the application form; `options` only for `select`."""

    name: str
    label: str
    type: FieldType
    required: bool
    options: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire shape; `options` is present only on select fields."""
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
        }
        if self.options is not None:
            body["options"] = list(self.options)
        return body


@dataclass(frozen=True, slots=True)
class Service:
    """One government service (政务服务事项) as the catalogue lists it."""

    code: str
    name: str
    kind_code: str
    kind: str
    department_code: str
    department: str
    life_events: tuple[str, ...]
    materials: tuple[Material, ...]
    form_fields: tuple[FormField, ...]
    time_limit_days: int
    legal_time_limit_days: int
    fee_fen: int
    fully_online: bool
    issues_certificate: str | None
    updated_at: str

    @property
    def services(self) -> tuple[Service, ...]:
        """What an application for this target is processed as: just this service."""
        return (self,)

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "kindCode": self.kind_code,
            "department": self.department,
            "departmentCode": self.department_code,
            "lifeEvents": list(self.life_events),
            "materials": [material.to_json() for material in self.materials],
            "formFields": [form_field.to_json() for form_field in self.form_fields],
            "timeLimitDays": self.time_limit_days,
            "legalTimeLimitDays": self.legal_time_limit_days,
            "feeFen": self.fee_fen,
            "fullyOnline": self.fully_online,
            "issuesCertificate": self.issues_certificate,
            "updatedAt": self.updated_at,
        }


def combine_materials(services: tuple[Service, ...]) -> tuple[Material, ...]:
    """Every material of the services once, in first-seen order; required if any requires it."""
    combined: dict[str, Material] = {}
    for service in services:
        for material in service.materials:
            seen = combined.get(material.name)
            if seen is None or (material.required and not seen.required):
                combined[material.name] = material
    return tuple(combined.values())


def combine_fields(services: tuple[Service, ...]) -> tuple[FormField, ...]:
    """Every form field of the services once, in first-seen order; required if any requires it."""
    combined: dict[str, FormField] = {}
    for service in services:
        for form_field in service.form_fields:
            seen = combined.get(form_field.name)
            if seen is None or (form_field.required and not seen.required):
                combined[form_field.name] = form_field
    return tuple(combined.values())


@dataclass(frozen=True, slots=True)
class Bundle:
    """A 一件事 bundle: one application handled jointly by several departments' services."""

    code: str
    name: str
    description: str
    life_event: str
    services: tuple[Service, ...]
    updated_at: str
    # Materials and fields one service of the bundle produces for the others (the 营业执照
    # and its credit code in 开办企业一件事): the applicant cannot and need not supply them.
    produced: frozenset[str] = frozenset()

    @property
    def materials(self) -> tuple[Material, ...]:
        """The services' materials, each name once: uploaded once for every department."""
        combined = combine_materials(self.services)
        return tuple(material for material in combined if material.name not in self.produced)

    @property
    def form_fields(self) -> tuple[FormField, ...]:
        """The services' form fields, each name once."""
        combined = combine_fields(self.services)
        return tuple(field for field in combined if field.name not in self.produced)

    @property
    def departments(self) -> tuple[str, ...]:
        """The departments involved, in the order their services come."""
        return tuple(dict.fromkeys(service.department for service in self.services))

    @property
    def time_limit_days(self) -> int:
        """Departments work in parallel: the bundle takes as long as its slowest service."""
        return max(service.time_limit_days for service in self.services)

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "lifeEvent": self.life_event,
            "serviceCodes": [service.code for service in self.services],
            "services": [
                {"code": s.code, "name": s.name, "department": s.department} for s in self.services
            ],
            "departments": list(self.departments),
            "materials": [material.to_json() for material in self.materials],
            "formFields": [form_field.to_json() for form_field in self.form_fields],
            "timeLimitDays": self.time_limit_days,
            "feeFen": sum(service.fee_fen for service in self.services),
            "fullyOnline": all(service.fully_online for service in self.services),
            "issuesCertificates": list(
                dict.fromkeys(s.issues_certificate for s in self.services if s.issues_certificate)
            ),
            "updatedAt": self.updated_at,
        }


Target = Service | Bundle
