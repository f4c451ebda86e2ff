"""The hospital catalogue mirror: hospitals, departments and doctors kept in MongoDB.

Hospitals publish their catalogue over FHIR, one server each; searching 251 servers per
query is out of the question, so the sync job copies every catalogue here and search (near
me, by name or pinyin, by department, doctors by name or specialty) runs locally and
survives any hospital's outage. Search terms follow `search_terms.py` (portable: no text
index). Each hospital also keeps its FHIR base URL, so the graph can register a client for a
hospital it found here.

Department and doctor ids are the hospital's FHIR ids, unique only within that hospital: the
documents' `_id` is `code/id` and readers key them by `(hospital_code, id)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, GEOSPHERE, DeleteMany, IndexModel, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.geo import GeoPoint
from mychangsha.integrations.hospital.models import (
    Department,
    Doctor,
    Hospital,
    HospitalCatalogue,
    HospitalEndpoint,
)
from mychangsha.platform.clock import utc_now
from mychangsha.storage.catalogue_find import find_page
from mychangsha.storage.mongo import Document
from mychangsha.storage.search_terms import index_terms, normalize, query_terms, rank

__all__ = [
    "DEPARTMENTS",
    "DOCTORS",
    "HOSPITALS",
    "CatalogueSync",
    "HospitalHit",
    "HospitalRepository",
    "Key",
]

HOSPITALS = "hospitals"
# Not plain "departments": government services have departments (部门) of their own.
DEPARTMENTS = "hospital_departments"
DOCTORS = "doctors"
MAX_KEYWORD_CANDIDATES = 2000
# Between an exact name (100) and a name prefix (80) in `search_terms.rank`.
_SPELLED_EXACTLY = 90

Key = tuple[str, str]  # (hospital code, the hospital's FHIR id)


@dataclass(frozen=True, slots=True)
class HospitalHit:
    """A hospital found by a search, with its distance when the search had a centre."""

    hospital: Hospital
    distance_m: float | None


@dataclass(frozen=True, slots=True)
class CatalogueSync:
    """What one hospital's sync changed in the mirror."""

    hospital_code: str
    departments: int
    doctors: int
    removed_departments: int
    removed_doctors: int


def _key_id(code: str, id_: str) -> str:
    return f"{code}/{id_}"


# --- documents ----------------------------------------------------------------------------------


def _hospital_document(
    code: str, catalogue: HospitalCatalogue, department_names: Sequence[str], now: datetime
) -> Document:
    hospital = catalogue.hospital
    search = index_terms(
        hospital.name,
        aliases=hospital.aliases,
        others=[*department_names, hospital.address, hospital.grade or ""],
    )
    doc: Document = {
        "_id": code,
        "name": hospital.name,
        "aliases": list(hospital.aliases),
        "aliasNames": [_spelled(alias) for alias in hospital.aliases],
        "grade": hospital.grade,
        "address": hospital.address,
        "phone": hospital.phone,
        "fhirBaseUrl": catalogue.endpoint.fhir_base_url,
        "directoryName": catalogue.endpoint.name,
        "departmentNames": sorted(set(department_names)),
        "syncedAt": now,
        "terms": search.terms,
        "nameTerms": search.name_terms,
        "pinyin": search.pinyin,
        "initials": search.initials,
    }
    if hospital.location is not None:  # a missing field, never null: 2dsphere rejects null
        doc["location"] = {
            "type": "Point",
            "coordinates": [hospital.location.lng, hospital.location.lat],
        }
    return doc


def _hospital(doc: Document) -> Hospital:
    location = doc.get("location")
    point = None
    if location is not None:
        lng, lat = location["coordinates"]
        point = GeoPoint(lat=lat, lng=lng)
    return Hospital(
        code=doc["_id"],
        name=doc["name"],
        aliases=tuple(doc.get("aliases", ())),
        grade=doc.get("grade"),
        address=doc.get("address", ""),
        phone=doc.get("phone"),
        location=point,
    )


def _department_document(department: Department, order: int, now: datetime) -> Document:
    return {
        "_id": _key_id(department.hospital_code, department.id),
        "hospitalCode": department.hospital_code,
        "id": department.id,
        "name": department.name,
        "specialty": department.specialty,
        "order": order,
        "syncedAt": now,
    }


def _department(doc: Document) -> Department:
    return Department(
        id=doc["id"],
        hospital_code=doc["hospitalCode"],
        name=doc["name"],
        specialty=doc.get("specialty"),
    )


def _doctor_document(
    doctor: Doctor, order: int, department_name: str | None, now: datetime
) -> Document:
    search = index_terms(
        doctor.name, others=[doctor.title or "", doctor.specialty or "", department_name or ""]
    )
    return {
        "_id": _key_id(doctor.hospital_code, doctor.id),
        "hospitalCode": doctor.hospital_code,
        "id": doctor.id,
        "departmentId": doctor.department_id,
        "practitionerId": doctor.practitioner_id,
        "name": doctor.name,
        "title": doctor.title,
        "specialty": doctor.specialty,
        "feeFen": doctor.fee_fen,
        "scheduleId": doctor.schedule_id,
        "order": order,
        "syncedAt": now,
        "terms": search.terms,
        "nameTerms": search.name_terms,
        "pinyin": search.pinyin,
        "initials": search.initials,
    }


def _doctor(doc: Document) -> Doctor:
    return Doctor(
        id=doc["id"],
        hospital_code=doc["hospitalCode"],
        department_id=doc["departmentId"],
        practitioner_id=doc["practitionerId"],
        name=doc["name"],
        title=doc.get("title"),
        specialty=doc.get("specialty"),
        fee_fen=doc["feeFen"],
        schedule_id=doc.get("scheduleId"),
    )


_PROJECTION = {"terms": 0}


def _spelled(name: str) -> Document:
    """A name with its pinyin and initials, so an alias can rank like the name itself."""
    search = index_terms(name)
    return {"name": name, "pinyin": search.pinyin, "initials": search.initials}


def _rank(keyword: str, doc: Document) -> int:
    """Relevance from the name fields stored at sync time; an alias counts as the name.

    So 湘雅 ranks 中南大学湘雅医院 (alias 湘雅, exact) above 中南大学湘雅二医院 (a substring),
    and "xiangya", spelling that alias exactly, does the same over the prefix match.
    """
    names = [{"name": doc["name"], "pinyin": doc["pinyin"], "initials": doc["initials"]}]
    names += doc.get("aliasNames", [])
    spelled = "".join(normalize(keyword).split())
    return max(
        max(
            rank(keyword, n["name"], n["pinyin"], n["initials"], doc["nameTerms"]),
            _SPELLED_EXACTLY if spelled in (n["pinyin"], n["initials"]) else 0,
        )
        for n in names
    )


def _ranked(keyword: str, docs: list[Document], offset: int, limit: int) -> list[Document]:
    """Best match first; ties keep the candidates' order (distance or pinyin)."""
    ordered = sorted(enumerate(docs), key=lambda pair: (-_rank(keyword, pair[1]), pair[0]))
    return [doc for _, doc in ordered[offset : offset + limit]]


def _keys_filter(keys: Iterable[Key]) -> Document:
    return {"_id": {"$in": sorted({_key_id(code, id_) for code, id_ in keys})}}


# --- the repository -----------------------------------------------------------------------------


class HospitalRepository:
    """Reads and writes of the hospital mirror's three collections."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._hospitals: AsyncCollection[Document] = db.get_collection(HOSPITALS)
        self._departments: AsyncCollection[Document] = db.get_collection(DEPARTMENTS)
        self._doctors: AsyncCollection[Document] = db.get_collection(DOCTORS)

    async def ensure_indexes(self) -> None:
        """Geo for `near`, terms for keyword search, department names, per-hospital lists."""
        # The explicit 2dsphere version makes a repeat call a no-op on every server: SecantusDB
        # reports the version it filled in and otherwise sees a conflicting spec.
        await self._hospitals.create_indexes(
            [
                IndexModel([("location", GEOSPHERE)], **{"2dsphereIndexVersion": 3}),
                IndexModel([("terms", ASCENDING)]),
                IndexModel([("departmentNames", ASCENDING)]),
                IndexModel([("pinyin", ASCENDING), ("_id", ASCENDING)]),
            ]
        )
        await self._departments.create_indexes(
            [IndexModel([("hospitalCode", ASCENDING), ("order", ASCENDING)])]
        )
        await self._doctors.create_indexes(
            [
                IndexModel(
                    [("hospitalCode", ASCENDING), ("departmentId", ASCENDING), ("order", ASCENDING)]
                ),
                IndexModel([("hospitalCode", ASCENDING), ("scheduleId", ASCENDING)]),
                IndexModel([("terms", ASCENDING)]),
            ]
        )

    # --- sync -------------------------------------------------------------------------------

    async def replace_catalogue(self, code: str, catalogue: HospitalCatalogue) -> CatalogueSync:
        """Make one hospital's mirror equal its catalogue; an empty list never wipes a part.

        An empty department or doctor list is a feed fault, not a hospital closing every
        clinic: that part of the mirror stays as it was. What disappeared from a non-empty
        list is removed.
        """
        now = utc_now()
        departments = catalogue.departments
        removed_departments = await self._replace(
            self._departments,
            code,
            [_department_document(d, n, now) for n, d in enumerate(departments)],
        )
        names = {d.id: d.name for d in departments} or await self._department_names(code)
        removed_doctors = await self._replace(
            self._doctors,
            code,
            [
                _doctor_document(d, n, names.get(d.department_id), now)
                for n, d in enumerate(catalogue.doctors)
            ],
        )
        if departments:  # doctors of a department that closed go with it
            orphans = await self._doctors.delete_many(
                {"hospitalCode": code, "departmentId": {"$nin": list(names)}}
            )
            removed_doctors += orphans.deleted_count
        document = _hospital_document(code, catalogue, list(names.values()), now)
        await self._hospitals.replace_one({"_id": code}, document, upsert=True)
        return CatalogueSync(
            hospital_code=code,
            departments=len(departments),
            doctors=len(catalogue.doctors),
            removed_departments=removed_departments,
            removed_doctors=removed_doctors,
        )

    async def _replace(
        self, collection: AsyncCollection[Document], code: str, docs: list[Document]
    ) -> int:
        """Upsert a hospital's documents and delete its others; nothing at all when empty."""
        if not docs:
            return 0
        ops: list[Any] = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs]
        ops.append(DeleteMany({"hospitalCode": code, "_id": {"$nin": [d["_id"] for d in docs]}}))
        result = await collection.bulk_write(ops, ordered=True)
        return result.deleted_count

    async def _department_names(self, code: str) -> dict[str, str]:
        cursor = self._departments.find({"hospitalCode": code}, {"id": 1, "name": 1})
        return {doc["id"]: doc["name"] async for doc in cursor.sort("order", ASCENDING)}

    async def retain_hospitals(self, codes: Sequence[str]) -> int:
        """Remove hospitals (with their departments and doctors) no longer in the directory.

        An empty directory is a feed fault and removes nothing.
        """
        if not codes:
            return 0
        keep = sorted(set(codes))
        gone = [doc["_id"] async for doc in self._hospitals.find({"_id": {"$nin": keep}}, {})]
        if not gone:
            return 0
        await self._departments.delete_many({"hospitalCode": {"$in": gone}})
        await self._doctors.delete_many({"hospitalCode": {"$in": gone}})
        result = await self._hospitals.delete_many({"_id": {"$in": gone}})
        return result.deleted_count

    # --- hospitals --------------------------------------------------------------------------

    async def count(self) -> int:
        """How many hospitals the mirror holds."""
        return await self._hospitals.count_documents({})

    async def by_codes(self, codes: Sequence[str]) -> dict[str, Hospital]:
        """Hospitals by code, in one query; unknown codes are simply absent."""
        cursor = self._hospitals.find({"_id": {"$in": list(codes)}}, _PROJECTION)
        return {doc["_id"]: _hospital(doc) async for doc in cursor}

    async def endpoints(self, codes: Sequence[str] | None = None) -> dict[str, HospitalEndpoint]:
        """Where each hospital's FHIR server is (all, or these codes): to register clients."""
        query: Document = {} if codes is None else {"_id": {"$in": list(codes)}}
        projection = {"name": 1, "directoryName": 1, "fhirBaseUrl": 1}
        return {
            doc["_id"]: HospitalEndpoint(
                code=doc["_id"],
                name=doc.get("directoryName") or doc["name"],
                fhir_base_url=doc["fhirBaseUrl"],
            )
            async for doc in self._hospitals.find(query, projection)
        }

    async def search(
        self,
        *,
        near: GeoPoint | None,
        radius_km: float | None,
        keyword: str | None,
        department: str | None,
        offset: int,
        limit: int,
    ) -> list[HospitalHit]:
        """One page of hospitals: nearest first with a centre, best match first with a keyword.

        `department` keeps hospitals having a department of exactly that name; `keyword`
        matches names, aliases (湘雅 finds 中南大学湘雅医院), pinyin, department names and
        the address. Raises `EmptyQuery` for a keyword without searchable characters.
        """
        match: Document = {}
        if department is not None:
            match["departmentNames"] = department
        if keyword is None:
            docs = await self._find(near, radius_km, match, offset, limit)
        else:
            match["terms"] = {"$all": query_terms(keyword)}
            candidates = await self._find(near, radius_km, match, 0, MAX_KEYWORD_CANDIDATES)
            docs = _ranked(keyword, candidates, offset, limit)
        return [HospitalHit(_hospital(doc), doc.get("distanceMeters")) for doc in docs]

    async def _find(
        self,
        near: GeoPoint | None,
        radius_km: float | None,
        match: Document,
        offset: int,
        limit: int,
    ) -> list[Document]:
        return await find_page(
            self._hospitals,
            near=near,
            radius_km=radius_km,
            match=match,
            offset=offset,
            limit=limit,
            projection=_PROJECTION,
        )

    # --- departments and doctors ------------------------------------------------------------

    async def departments_of(self, codes: Sequence[str]) -> dict[str, list[Department]]:
        """Each hospital's departments in the hospital's own order; one query for all codes."""
        out: dict[str, list[Department]] = {code: [] for code in codes}
        cursor = self._departments.find({"hospitalCode": {"$in": list(codes)}}).sort(
            [("hospitalCode", ASCENDING), ("order", ASCENDING)]
        )
        async for doc in cursor:
            out[doc["hospitalCode"]].append(_department(doc))
        return out

    async def department_by_ids(self, keys: Sequence[Key]) -> dict[Key, Department]:
        """Departments by (hospital code, id), in one query; unknown keys are absent."""
        cursor = self._departments.find(_keys_filter(keys))
        return {(doc["hospitalCode"], doc["id"]): _department(doc) async for doc in cursor}

    async def doctors_of(self, department_keys: Sequence[Key]) -> dict[Key, list[Doctor]]:
        """Each department's doctors in the hospital's order; one query for all departments."""
        out: dict[Key, list[Doctor]] = {key: [] for key in department_keys}
        by_code: defaultdict[str, list[str]] = defaultdict(list)
        for code, department_id in department_keys:
            by_code[code].append(department_id)
        if not by_code:
            return out
        query = {
            "$or": [
                {"hospitalCode": code, "departmentId": {"$in": ids}}
                for code, ids in sorted(by_code.items())
            ]
        }
        cursor = self._doctors.find(query, _PROJECTION).sort(
            [("hospitalCode", ASCENDING), ("order", ASCENDING)]
        )
        async for doc in cursor:
            out[(doc["hospitalCode"], doc["departmentId"])].append(_doctor(doc))
        return out

    async def doctor_by_ids(self, keys: Sequence[Key]) -> dict[Key, Doctor]:
        """Doctors by (hospital code, PractitionerRole id), in one query."""
        cursor = self._doctors.find(_keys_filter(keys), _PROJECTION)
        return {(doc["hospitalCode"], doc["id"]): _doctor(doc) async for doc in cursor}

    async def doctor_by_schedule(self, code: str, schedule_id: str) -> Doctor | None:
        """The doctor whose Schedule a Slot names: how a booking finds whom it is with."""
        doc = await self._doctors.find_one(
            {"hospitalCode": code, "scheduleId": schedule_id}, _PROJECTION
        )
        return None if doc is None else _doctor(doc)

    async def search_doctors(
        self,
        *,
        keyword: str,
        hospital_codes: Sequence[str] | None = None,
        offset: int,
        limit: int,
    ) -> list[Doctor]:
        """Doctors by name, pinyin, title, specialty or department, best match first."""
        match: Document = {"terms": {"$all": query_terms(keyword)}}
        if hospital_codes is not None:
            match["hospitalCode"] = {"$in": list(hospital_codes)}
        cursor = (
            self._doctors.find(match, _PROJECTION)
            .sort([("pinyin", ASCENDING), ("_id", ASCENDING)])
            .limit(MAX_KEYWORD_CANDIDATES)
        )
        candidates = [doc async for doc in cursor]
        return [_doctor(doc) for doc in _ranked(keyword, candidates, offset, limit)]
