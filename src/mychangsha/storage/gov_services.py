"""The government catalogue mirror: services, 一件事 bundles, life events and departments.

The platform publishes 300+ services; browsing by life event or department and searching in
Chinese and pinyin run here, locally, and survive a platform outage. Search follows
`search_terms.py` (terms arrays, no text index) and adds what citizens actually type: the
colloquial short forms officials never write in a service's name — 社保 for 社会保障 /
社会保险, 公积金, 婚姻登记, 身份证, 户口 … — and the certificate a service issues (营业执照
finds 企业设立登记). Each alias ranks like the name itself: "shebao" and "sb" put 社保 first.

One search covers both kinds: a bundle (开办企业一件事) is what a citizen should find for
"kaiban qiye", so hits are `GovService | GovBundle`, best match first and, on equal relevance,
bundles before services (the joint service is the one to recommend), shorter names first.
Browsing without a keyword lists the matching bundles first, then services by code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pymongo import ASCENDING, DeleteMany, IndexModel, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.integrations.government.models import (
    FormField,
    GovBundle,
    GovDepartment,
    GovService,
    LifeEvent,
    Material,
    ServiceRef,
)
from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document
from mychangsha.storage.search_terms import index_terms, normalize, query_terms, rank

__all__ = [
    "BUNDLES",
    "DEPARTMENTS",
    "LIFE_EVENTS",
    "SERVICES",
    "GovCatalogueSync",
    "GovHit",
    "GovServiceRepository",
    "aliases_of",
]

SERVICES: Final = "gov_services"
BUNDLES: Final = "gov_bundles"
LIFE_EVENTS: Final = "life_events"
DEPARTMENTS: Final = "gov_departments"
MAX_KEYWORD_CANDIDATES: Final = 2000
# Between an exact name (100) and a name prefix (80) in `search_terms.rank`: the whole pinyin
# or initials of the name or an alias ("shebao", "sb" for 社保).
_SPELLED_EXACTLY: Final = 90
# (the short form citizens search for, words of official names it stands for, words of names
# it covers less directly). An alias from the second list ranks one point lower, so 社保 puts
# 社会保障卡申领 above 失业保险金申领.
_ALIASES: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = (
    ("社保", ("社会保障", "社会保险"), ("养老保险", "失业保险", "工伤保险", "参保")),
    ("医保", ("医疗保险",), ()),
    ("公积金", ("住房公积金",), ()),
    ("婚姻登记", ("结婚登记", "离婚登记"), ()),
    ("身份证", ("居民身份证",), ()),
    ("户口", ("户口", "户籍"), ("落户", "入户")),
    ("驾照", ("驾驶证",), ()),
    ("低保", ("最低生活保障",), ()),
    ("个税", ("个人所得税",), ()),
    ("房产证", ("不动产权证书", "房屋所有权"), ()),
)

GovHit = GovService | GovBundle


@dataclass(frozen=True, slots=True)
class GovCatalogueSync:
    """What one sync changed: documents written and removed per collection."""

    services: int
    bundles: int
    life_events: int
    departments: int
    removed_services: int
    removed_bundles: int
    removed_life_events: int
    removed_departments: int


def aliases_of(name: str, issues: Iterable[str] = ()) -> dict[str, int]:
    """The short forms a name is searched by, and the certificates its service issues.

    Each with its penalty: 0 ranks like the name, 1 one point below (a less direct alias).
    Kept even when the name contains the alias (居民身份证 → 身份证), so that "sfz", spelling
    the alias exactly, ranks the service like its name.
    """
    found: dict[str, int] = {}
    for alias, direct, indirect in _ALIASES:
        if any(word in name for word in direct):
            found[alias] = 0
        elif any(word in name for word in indirect):
            found.setdefault(alias, 1)
    for certificate in issues:
        found.setdefault(certificate, 0)
    found.pop(name, None)
    return found


def _spelled(name: str, penalty: int = 0) -> Document:
    """A name or alias with its pinyin and initials, so an alias can rank like the name."""
    search = index_terms(name)
    return {
        "name": name,
        "pinyin": search.pinyin,
        "initials": search.initials,
        "penalty": penalty,
    }


def _search_fields(name: str, aliases: Mapping[str, int], others: Iterable[str]) -> Document:
    search = index_terms(name, aliases=list(aliases), others=[o for o in others if o])
    return {
        "terms": search.terms,
        "nameTerms": search.name_terms,
        "pinyin": search.pinyin,
        "initials": search.initials,
        "aliasNames": [_spelled(alias, penalty) for alias, penalty in aliases.items()],
    }


# --- documents ----------------------------------------------------------------------------------


def _materials_doc(materials: Sequence[Material]) -> list[Document]:
    return [
        {
            "name": m.name,
            "required": m.required,
            "acceptedTypes": list(m.accepted_types),
            "description": m.description,
        }
        for m in materials
    ]


def _fields_doc(fields: Sequence[FormField]) -> list[Document]:
    return [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "required": f.required,
            "options": None if f.options is None else list(f.options),
        }
        for f in fields
    ]


def _materials(docs: Iterable[Document]) -> tuple[Material, ...]:
    return tuple(
        Material(d["name"], d["required"], tuple(d["acceptedTypes"]), d.get("description", ""))
        for d in docs
    )


def _fields(docs: Iterable[Document]) -> tuple[FormField, ...]:
    return tuple(
        FormField(
            d["name"],
            d["label"],
            d["type"],
            d["required"],
            None if d.get("options") is None else tuple(d["options"]),
        )
        for d in docs
    )


@dataclass(frozen=True, slots=True)
class _Lookups:
    """Names to ids and codes, so filters accept what a client has: 出生 or birth, rsj or 人社局."""

    event_ids: Mapping[str, str]  # life event name → id
    departments: Mapping[str, GovDepartment]  # full name → department

    def event_keys(self, names: Iterable[str]) -> list[str]:
        return sorted({key for n in names for key in (n, self.event_ids.get(n)) if key})

    def department_keys(self, names: Iterable[str]) -> list[str]:
        keys: set[str] = set()
        for name in names:
            keys.add(name)
            department = self.departments.get(name)
            if department is not None:
                keys.update((department.code, department.short_name))
        return sorted(keys)

    def short_names(self, names: Iterable[str]) -> list[str]:
        return [d.short_name for n in names if (d := self.departments.get(n)) is not None]


def _service_document(service: GovService, lookups: _Lookups, now: datetime) -> Document:
    issues = () if service.issues_certificate is None else (service.issues_certificate,)
    aliases = aliases_of(service.name, issues)
    others = [
        service.department,
        *lookups.short_names([service.department]),
        *service.life_events,
        service.kind,
    ]
    return {
        "_id": service.code,
        "name": service.name,
        "kind": service.kind,
        "kindCode": service.kind_code,
        "department": service.department,
        "departmentCode": service.department_code,
        "lifeEvents": list(service.life_events),
        "materials": _materials_doc(service.materials),
        "formFields": _fields_doc(service.form_fields),
        "timeLimitDays": service.time_limit_days,
        "legalTimeLimitDays": service.legal_time_limit_days,
        "feeFen": service.fee_fen,
        "fullyOnline": service.fully_online,
        "issuesCertificate": service.issues_certificate,
        "updatedAt": service.updated_at,
        "syncedAt": now,
        "lifeEventKeys": lookups.event_keys(service.life_events),
        "departmentKeys": sorted(
            {*lookups.department_keys([service.department]), service.department_code}
        ),
        **_search_fields(service.name, aliases, others),
    }


def _service(doc: Document) -> GovService:
    return GovService(
        code=doc["_id"],
        name=doc["name"],
        kind=doc["kind"],
        kind_code=doc["kindCode"],
        department=doc["department"],
        department_code=doc["departmentCode"],
        life_events=tuple(doc["lifeEvents"]),
        materials=_materials(doc["materials"]),
        form_fields=_fields(doc["formFields"]),
        time_limit_days=doc["timeLimitDays"],
        legal_time_limit_days=doc["legalTimeLimitDays"],
        fee_fen=doc["feeFen"],
        fully_online=doc["fullyOnline"],
        issues_certificate=doc.get("issuesCertificate"),
        updated_at=doc["updatedAt"],
    )


def _bundle_document(bundle: GovBundle, lookups: _Lookups, now: datetime) -> Document:
    aliases = aliases_of(bundle.name, bundle.issues_certificates)
    others = [
        bundle.description,
        bundle.life_event,
        *bundle.departments,
        *lookups.short_names(bundle.departments),
        *(s.name for s in bundle.services),
    ]
    return {
        "_id": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "lifeEvent": bundle.life_event,
        "serviceCodes": list(bundle.service_codes),
        "services": [
            {"code": s.code, "name": s.name, "department": s.department} for s in bundle.services
        ],
        "departments": list(bundle.departments),
        "materials": _materials_doc(bundle.materials),
        "formFields": _fields_doc(bundle.form_fields),
        "timeLimitDays": bundle.time_limit_days,
        "feeFen": bundle.fee_fen,
        "fullyOnline": bundle.fully_online,
        "issuesCertificates": list(bundle.issues_certificates),
        "updatedAt": bundle.updated_at,
        "syncedAt": now,
        "lifeEventKeys": lookups.event_keys([bundle.life_event]),
        "departmentKeys": lookups.department_keys(bundle.departments),
        **_search_fields(bundle.name, aliases, others),
    }


def _bundle(doc: Document) -> GovBundle:
    return GovBundle(
        code=doc["_id"],
        name=doc["name"],
        description=doc.get("description", ""),
        life_event=doc["lifeEvent"],
        service_codes=tuple(doc["serviceCodes"]),
        services=tuple(ServiceRef(s["code"], s["name"], s["department"]) for s in doc["services"]),
        departments=tuple(doc["departments"]),
        materials=_materials(doc["materials"]),
        form_fields=_fields(doc["formFields"]),
        time_limit_days=doc["timeLimitDays"],
        fee_fen=doc["feeFen"],
        fully_online=doc["fullyOnline"],
        issues_certificates=tuple(doc.get("issuesCertificates", ())),
        updated_at=doc["updatedAt"],
    )


def _life_event_document(event: LifeEvent, order: int) -> Document:
    return {
        "_id": event.id,
        "name": event.name,
        "serviceCount": event.service_count,
        "bundleCount": event.bundle_count,
        "order": order,
    }


def _department_document(department: GovDepartment, order: int) -> Document:
    return {
        "_id": department.code,
        "name": department.name,
        "shortName": department.short_name,
        "serviceCount": department.service_count,
        "order": order,
    }


_PROJECTION: Final = {"terms": 0}


def _score(keyword: str, doc: Document) -> int:
    """Relevance from the name fields stored at sync time; an alias counts as the name."""
    spelled = "".join(normalize(keyword).split())
    names = [{"name": doc["name"], "pinyin": doc["pinyin"], "initials": doc["initials"]}]
    names += doc.get("aliasNames", [])
    return max(
        max(
            rank(keyword, n["name"], n["pinyin"], n["initials"], doc["nameTerms"]),
            _SPELLED_EXACTLY if spelled in (n["pinyin"], n["initials"]) else 0,
        )
        - int(n.get("penalty", 0))
        for n in names
    )


def _hit(doc: Document) -> GovHit:
    return _bundle(doc) if "serviceCodes" in doc else _service(doc)


# --- the repository -----------------------------------------------------------------------------


class GovServiceRepository:
    """Reads and writes of the government catalogue mirror's collections."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._services: AsyncCollection[Document] = db.get_collection(SERVICES)
        self._bundles: AsyncCollection[Document] = db.get_collection(BUNDLES)
        self._life_events: AsyncCollection[Document] = db.get_collection(LIFE_EVENTS)
        self._departments: AsyncCollection[Document] = db.get_collection(DEPARTMENTS)

    async def ensure_indexes(self) -> None:
        """Terms for keyword search, keys for the life-event and department filters."""
        for collection in (self._services, self._bundles):
            await collection.create_indexes(
                [
                    IndexModel([("terms", ASCENDING)]),
                    IndexModel([("lifeEventKeys", ASCENDING), ("_id", ASCENDING)]),
                    IndexModel([("departmentKeys", ASCENDING), ("_id", ASCENDING)]),
                ]
            )
        for collection in (self._life_events, self._departments):
            await collection.create_indexes([IndexModel([("order", ASCENDING)])])

    # --- sync -------------------------------------------------------------------------------

    async def replace_catalogue(
        self,
        services: Sequence[GovService],
        bundles: Sequence[GovBundle],
        life_events: Sequence[LifeEvent],
        departments: Sequence[GovDepartment] = (),
    ) -> GovCatalogueSync:
        """Make the mirror equal the platform's catalogue; an empty list never wipes a part.

        An empty feed is a fault, not a city that closed every service: that collection stays
        as it was. What disappeared from a non-empty list is removed.
        """
        now = utc_now()
        lookups = _Lookups(
            event_ids={e.name: e.id for e in life_events} or await self._stored_event_ids(),
            departments={d.name: d for d in departments} or await self._stored_departments(),
        )
        removed = [
            await self._replace(
                self._services, [_service_document(s, lookups, now) for s in services]
            ),
            await self._replace(
                self._bundles, [_bundle_document(b, lookups, now) for b in bundles]
            ),
            await self._replace(
                self._life_events, [_life_event_document(e, n) for n, e in enumerate(life_events)]
            ),
            await self._replace(
                self._departments, [_department_document(d, n) for n, d in enumerate(departments)]
            ),
        ]
        return GovCatalogueSync(
            len(services), len(bundles), len(life_events), len(departments), *removed
        )

    async def _replace(self, collection: AsyncCollection[Document], docs: list[Document]) -> int:
        """Upsert the documents and delete the others; nothing at all when the list is empty."""
        if not docs:
            return 0
        ops: list[Any] = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs]
        ops.append(DeleteMany({"_id": {"$nin": [d["_id"] for d in docs]}}))
        result = await collection.bulk_write(ops, ordered=True)
        return result.deleted_count

    async def _stored_event_ids(self) -> dict[str, str]:
        return {doc["name"]: doc["_id"] async for doc in self._life_events.find({}, {"name": 1})}

    async def _stored_departments(self) -> dict[str, GovDepartment]:
        return {d.name: d for d in await self.departments()}

    # --- reads ------------------------------------------------------------------------------

    async def count(self) -> int:
        """How many services the mirror holds."""
        return await self._services.count_documents({})

    async def by_codes(self, codes: Sequence[str]) -> dict[str, GovService]:
        """Services by code, in one query; unknown codes are simply absent."""
        cursor = self._services.find({"_id": {"$in": list(codes)}}, _PROJECTION)
        return {doc["_id"]: _service(doc) async for doc in cursor}

    async def bundle_by_codes(self, codes: Sequence[str]) -> dict[str, GovBundle]:
        """Bundles by code, in one query; unknown codes are simply absent."""
        cursor = self._bundles.find({"_id": {"$in": list(codes)}}, _PROJECTION)
        return {doc["_id"]: _bundle(doc) async for doc in cursor}

    async def bundles(self) -> list[GovBundle]:
        """Every bundle, by code."""
        cursor = self._bundles.find({}, _PROJECTION).sort("_id", ASCENDING)
        return [_bundle(doc) async for doc in cursor]

    async def life_events(self) -> list[LifeEvent]:
        """The life events in the platform's order."""
        cursor = self._life_events.find({}).sort("order", ASCENDING)
        return [
            LifeEvent(doc["_id"], doc["name"], doc["serviceCount"], doc["bundleCount"])
            async for doc in cursor
        ]

    async def departments(self) -> list[GovDepartment]:
        """The departments in the platform's order."""
        cursor = self._departments.find({}).sort("order", ASCENDING)
        return [
            GovDepartment(doc["_id"], doc["name"], doc["shortName"], doc["serviceCount"])
            async for doc in cursor
        ]

    async def search(
        self,
        *,
        life_event: str | None = None,
        department: str | None = None,
        keyword: str | None = None,
        offset: int = 0,
        limit: int = 20,
        include_bundles: bool = True,
    ) -> list[GovHit]:
        """One page of services and bundles: best match first with a keyword, else by code.

        `life_event` takes a name or id (出生, birth); `department` a full name, code or short
        name (长沙市人力资源和社会保障局, rsj, 人社局); a bundle matches a department it involves.
        Raises `EmptyQuery` for a keyword without searchable characters.
        """
        match: Document = {}
        if life_event is not None:
            match["lifeEventKeys"] = life_event
        if department is not None:
            match["departmentKeys"] = department
        sources = [self._bundles, self._services] if include_bundles else [self._services]
        if keyword is None:
            return await self._browse(sources, match, offset, limit)
        match["terms"] = {"$all": query_terms(keyword)}
        candidates: list[Document] = []
        for collection in sources:
            cursor = collection.find(match, _PROJECTION).sort("_id", ASCENDING)
            candidates += [doc async for doc in cursor.limit(MAX_KEYWORD_CANDIDATES)]
        ranked = sorted(
            candidates,
            key=lambda d: (-_score(keyword, d), "serviceCodes" not in d, len(d["name"]), d["_id"]),
        )
        return [_hit(doc) for doc in ranked[offset : offset + limit]]

    async def _browse(
        self,
        sources: list[AsyncCollection[Document]],
        match: Document,
        offset: int,
        limit: int,
    ) -> list[GovHit]:
        """Without a keyword: the sources one after the other, each by code, paged as one list."""
        hits: list[GovHit] = []
        for collection in sources:
            if len(hits) >= limit:
                break
            skip = offset
            if offset:  # what earlier sources took of the offset, this one does not skip
                offset = max(offset - await collection.count_documents(match), 0)
            cursor = (
                collection.find(match, _PROJECTION)
                .sort("_id", ASCENDING)
                .skip(skip)
                .limit(limit - len(hits))
            )
            hits += [_hit(doc) async for doc in cursor]
        return hits
