"""The hospital mirror on the real MongoDB-compatible server: geo, keyword, department, sync."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.geo import GeoPoint
from mychangsha.integrations.hospital.models import (
    Department,
    Doctor,
    Hospital,
    HospitalCatalogue,
    HospitalEndpoint,
)
from mychangsha.storage import mongo
from mychangsha.storage.hospitals import DEPARTMENTS, DOCTORS, HOSPITALS, HospitalRepository
from mychangsha.storage.mongo import Document
from mychangsha.storage.search_terms import EmptyQuery


def _department(code: str, id_: str, name: str) -> Department:
    return Department(id=id_, hospital_code=code, name=name, specialty=None)


def _doctor(
    code: str, id_: str, department_id: str, name: str, specialty: str = "", fee_fen: int = 1250
) -> Doctor:
    return Doctor(
        id=id_,
        hospital_code=code,
        department_id=department_id,
        practitioner_id=f"p-{id_}",
        name=name,
        title="主任医师",
        specialty=specialty or None,
        fee_fen=fee_fen,
        schedule_id=f"s-{id_}",
    )


def _catalogue(
    code: str,
    name: str,
    aliases: tuple[str, ...],
    location: GeoPoint | None,
    departments: tuple[Department, ...] = (),
    doctors: tuple[Doctor, ...] = (),
) -> HospitalCatalogue:
    return HospitalCatalogue(
        endpoint=HospitalEndpoint(code, name, f"http://127.0.0.1:8105/fhir/{code}"),
        hospital=Hospital(
            code=code,
            name=name,
            aliases=aliases,
            grade="三级甲等",
            address="湖南省长沙市",
            phone="0731-00000000",
            location=location,
        ),
        departments=departments,
        doctors=doctors,
    )


XIANGYA = _catalogue(
    "xiangya",
    "中南大学湘雅医院",
    ("湘雅", "湘雅一医院"),
    GeoPoint(28.2162, 112.9826),
    departments=(
        _department("xiangya", "cardio", "心血管内科"),
        _department("xiangya", "peds", "儿科"),
        _department("xiangya", "derm", "皮肤科"),
    ),
    doctors=(
        _doctor("xiangya", "r1", "cardio", "张建国", "冠心病介入治疗"),
        _doctor("xiangya", "r2", "cardio", "李文", "心律失常"),
        _doctor("xiangya", "r3", "peds", "王芳", "小儿哮喘"),
    ),
)
XIANGYA2 = _catalogue(
    "xiangya2",
    "中南大学湘雅二医院",
    ("湘雅二医院",),
    GeoPoint(28.1985, 112.9896),
    departments=(
        _department("xiangya2", "cardio", "心血管内科"),
        _department("xiangya2", "psy", "精神科"),
    ),
    doctors=(_doctor("xiangya2", "r1", "cardio", "周明", "高血压"),),
)
PROVINCIAL = _catalogue(
    "hnsrmyy",
    "湖南省人民医院",
    ("省人民医院", "省人医"),
    GeoPoint(28.1960, 112.9907),
    departments=(_department("hnsrmyy", "peds", "儿科"),),
    doctors=(_doctor("hnsrmyy", "r9", "peds", "刘洋", "新生儿疾病"),),
)
CLINIC_WITHOUT_POSITION = _catalogue("clinic", "长沙某社区卫生服务中心", (), None)


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = mongo.connect(mongo_url)
    database = client.get_database("test_hospitals_repository")
    await client.drop_database(database.name)
    yield database
    await client.drop_database(database.name)
    await client.close()


@pytest.fixture
async def repo(db: AsyncDatabase[Document]) -> HospitalRepository:
    repository = HospitalRepository(db)
    await repository.ensure_indexes()
    for catalogue in (XIANGYA, XIANGYA2, PROVINCIAL, CLINIC_WITHOUT_POSITION):
        await repository.replace_catalogue(catalogue.endpoint.code, catalogue)
    return repository


async def test_near_orders_by_distance_and_radius_cuts(repo: HospitalRepository) -> None:
    centre = GeoPoint(28.1970, 112.9900)  # 解放西路, by the provincial hospital
    hits = await repo.search(
        near=centre, radius_km=None, keyword=None, department=None, offset=0, limit=10
    )
    assert [h.hospital.code for h in hits] == ["hnsrmyy", "xiangya2", "xiangya"]
    distances = [h.distance_m or 0.0 for h in hits]
    assert distances == sorted(distances) and distances[0] < 200
    near = await repo.search(
        near=centre, radius_km=1.0, keyword=None, department=None, offset=0, limit=10
    )
    assert [h.hospital.code for h in near] == ["hnsrmyy", "xiangya2"]
    page = await repo.search(
        near=centre, radius_km=None, keyword=None, department=None, offset=1, limit=1
    )
    assert [h.hospital.code for h in page] == ["xiangya2"]


async def test_without_a_centre_everything_is_listed_by_pinyin(repo: HospitalRepository) -> None:
    hits = await repo.search(
        near=None, radius_km=None, keyword=None, department=None, offset=0, limit=10
    )
    assert {h.hospital.code for h in hits} == {"xiangya", "xiangya2", "hnsrmyy", "clinic"}
    assert all(h.distance_m is None for h in hits)


@pytest.mark.parametrize(
    ("keyword", "first"),
    [
        ("湘雅", "xiangya"),  # the alias is an exact name match
        ("湘雅二医院", "xiangya2"),
        ("省人医", "hnsrmyy"),
        ("xiangya", "xiangya"),
        ("hnsrmyy", "hnsrmyy"),  # pinyin initials of 湖南省人民医院
    ],
)
async def test_keyword_finds_names_aliases_and_pinyin(
    repo: HospitalRepository, keyword: str, first: str
) -> None:
    hits = await repo.search(
        near=None, radius_km=None, keyword=keyword, department=None, offset=0, limit=10
    )
    assert hits and hits[0].hospital.code == first


async def test_keyword_matches_department_names_below_hospital_names(
    repo: HospitalRepository,
) -> None:
    hits = await repo.search(
        near=None, radius_km=None, keyword="精神科", department=None, offset=0, limit=10
    )
    assert [h.hospital.code for h in hits] == ["xiangya2"]
    with pytest.raises(EmptyQuery):
        await repo.search(
            near=None, radius_km=None, keyword=" · ", department=None, offset=0, limit=10
        )


async def test_department_filter_with_and_without_a_centre(repo: HospitalRepository) -> None:
    centre = GeoPoint(28.2160, 112.9820)  # at 湘雅
    near = await repo.search(
        near=centre, radius_km=None, keyword=None, department="儿科", offset=0, limit=10
    )
    assert [h.hospital.code for h in near] == ["xiangya", "hnsrmyy"]
    named = await repo.search(
        near=None, radius_km=None, keyword="湘雅", department="儿科", offset=0, limit=10
    )
    assert [h.hospital.code for h in named] == ["xiangya"]


async def test_hospitals_departments_and_doctors_read_back(repo: HospitalRepository) -> None:
    found = await repo.by_codes(["xiangya", "nope"])
    assert list(found) == ["xiangya"] and found["xiangya"] == XIANGYA.hospital
    assert (await repo.by_codes(["clinic"]))["clinic"].location is None

    departments = await repo.departments_of(["xiangya", "xiangya2", "nope"])
    assert [d.name for d in departments["xiangya"]] == ["心血管内科", "儿科", "皮肤科"]
    assert [d.id for d in departments["xiangya2"]] == ["cardio", "psy"]
    assert departments["nope"] == []

    # Department ids are unique per hospital only: the key pairs them with the code.
    by_id = await repo.department_by_ids([("xiangya", "cardio"), ("xiangya2", "cardio")])
    assert by_id[("xiangya", "cardio")].hospital_code == "xiangya"
    assert by_id[("xiangya2", "cardio")].hospital_code == "xiangya2"

    doctors = await repo.doctors_of([("xiangya", "cardio"), ("xiangya2", "cardio"), ("x", "y")])
    assert doctors[("xiangya", "cardio")] == list(XIANGYA.doctors[:2])
    assert doctors[("xiangya2", "cardio")] == list(XIANGYA2.doctors)
    assert doctors[("x", "y")] == []
    one = await repo.doctor_by_ids([("xiangya", "r3"), ("xiangya2", "r3")])
    assert one == {("xiangya", "r3"): XIANGYA.doctors[2]}
    assert await repo.doctor_by_schedule("xiangya", "s-r2") == XIANGYA.doctors[1]
    assert await repo.doctor_by_schedule("xiangya2", "s-r2") is None


async def test_endpoints_let_the_graph_register_clients(repo: HospitalRepository) -> None:
    endpoints = await repo.endpoints(["xiangya"])
    assert endpoints == {"xiangya": XIANGYA.endpoint}
    assert set(await repo.endpoints()) == {"xiangya", "xiangya2", "hnsrmyy", "clinic"}


async def test_doctor_search_by_name_pinyin_and_specialty(repo: HospitalRepository) -> None:
    by_name = await repo.search_doctors(keyword="张建国", offset=0, limit=10)
    assert [d.id for d in by_name] == ["r1"]
    by_pinyin = await repo.search_doctors(keyword="zhangjianguo", offset=0, limit=10)
    assert [d.name for d in by_pinyin] == ["张建国"]
    by_specialty = await repo.search_doctors(keyword="哮喘", offset=0, limit=10)
    assert [d.name for d in by_specialty] == ["王芳"]
    by_department = await repo.search_doctors(
        keyword="心血管", hospital_codes=["xiangya"], offset=0, limit=10
    )
    assert {d.name for d in by_department} == {"张建国", "李文"}


async def test_sync_replaces_removes_and_never_wipes(
    repo: HospitalRepository, db: AsyncDatabase[Document]
) -> None:
    again = await repo.replace_catalogue("xiangya", XIANGYA)
    assert (again.departments, again.doctors, again.removed_departments) == (3, 3, 0)
    assert await db[DEPARTMENTS].count_documents({"hospitalCode": "xiangya"}) == 3

    # The dermatology department closes and one cardiologist leaves.
    smaller = replace(XIANGYA, departments=XIANGYA.departments[:2], doctors=XIANGYA.doctors[1:])
    outcome = await repo.replace_catalogue("xiangya", smaller)
    assert (outcome.removed_departments, outcome.removed_doctors) == (1, 1)
    hits = await repo.search(
        near=None, radius_km=None, keyword=None, department="皮肤科", offset=0, limit=10
    )
    assert hits == []

    # An empty feed is an upstream fault, not a hospital without clinics.
    renamed = replace(
        XIANGYA, hospital=replace(XIANGYA.hospital, name="湘雅医院"), departments=(), doctors=()
    )
    await repo.replace_catalogue("xiangya", renamed)
    assert await db[DEPARTMENTS].count_documents({"hospitalCode": "xiangya"}) == 2
    assert await db[DOCTORS].count_documents({"hospitalCode": "xiangya"}) == 2
    assert (await repo.by_codes(["xiangya"]))["xiangya"].name == "湘雅医院"
    kept = await repo.search(
        near=None, radius_km=None, keyword=None, department="儿科", offset=0, limit=10
    )
    assert "xiangya" in {h.hospital.code for h in kept}, "department names survive an empty feed"

    # A department that closes takes its doctors with it even when the doctor feed is empty.
    only_peds = replace(XIANGYA, departments=XIANGYA.departments[1:2], doctors=())
    outcome = await repo.replace_catalogue("xiangya", only_peds)
    assert outcome.removed_doctors == 1
    assert await db[DOCTORS].count_documents({"hospitalCode": "xiangya"}) == 1

    # Other hospitals are never touched by one hospital's sync.
    assert await db[DEPARTMENTS].count_documents({"hospitalCode": "xiangya2"}) == 2


async def test_hospitals_gone_from_the_directory_leave_with_their_catalogue(
    repo: HospitalRepository, db: AsyncDatabase[Document]
) -> None:
    assert await repo.retain_hospitals([]) == 0, "an empty directory removes nothing"
    assert await repo.retain_hospitals(["xiangya", "xiangya2", "hnsrmyy"]) == 1
    assert await repo.count() == 3
    assert await repo.retain_hospitals(["xiangya", "xiangya2"]) == 1
    assert await db[DEPARTMENTS].count_documents({"hospitalCode": "hnsrmyy"}) == 0
    assert await db[DOCTORS].count_documents({"hospitalCode": "hnsrmyy"}) == 0


async def test_ensure_indexes_is_idempotent(
    repo: HospitalRepository, db: AsyncDatabase[Document]
) -> None:
    await repo.ensure_indexes()  # every worker start runs it again over existing indexes
    names = {index["name"] async for index in await db[HOSPITALS].list_indexes()}
    assert {"location_2dsphere", "terms_1", "departmentNames_1"} <= names
    doctor_indexes = {index["name"] async for index in await db[DOCTORS].list_indexes()}
    assert "terms_1" in doctor_indexes
