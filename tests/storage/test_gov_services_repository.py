"""The government catalogue mirror on the real MongoDB-compatible server.

The search acceptance set runs over the platform's real catalogue (the simulator's 300+
services and 一件事 bundles, read through the same wire models the client uses): each query, in
Chinese, full pinyin or initials, must put the expected service or bundle in the top 3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.integrations.government.models import (
    GovBundle,
    GovDepartment,
    GovService,
    LifeEvent,
)
from mychangsha.integrations.government.wire import (
    BundleJson,
    DepartmentJson,
    LifeEventJson,
    ServiceJson,
)
from mychangsha.simulators.government.catalogue import build_catalogue
from mychangsha.storage import mongo
from mychangsha.storage.gov_services import GovServiceRepository, aliases_of
from mychangsha.storage.mongo import Document
from mychangsha.storage.search_terms import EmptyQuery

Catalogue = tuple[list[GovService], list[GovBundle], list[LifeEvent], list[GovDepartment]]


def platform_catalogue() -> Catalogue:
    """The simulator's catalogue as the client would map it from the platform's JSON."""
    built = build_catalogue(5)
    return (
        [ServiceJson.model_validate(s.to_json()).to_domain() for s in built.sorted_services()],
        [
            BundleJson.model_validate(b.to_json()).to_domain()
            for _, b in sorted(built.bundles.items())
        ],
        [LifeEventJson.model_validate(e).to_domain() for e in built.life_events_json()],
        [DepartmentJson.model_validate(d).to_domain() for d in built.departments_json()],
    )


CATALOGUE = platform_catalogue()
SERVICES, BUNDLES, LIFE_EVENTS, DEPARTMENTS = CATALOGUE
# Enough for the sync semantics, small enough to write quickly.
SOME_SERVICES, SOME_BUNDLES = SERVICES[:30], BUNDLES[:4]


def named(name: str) -> GovService | GovBundle:
    entries: list[GovService | GovBundle] = [*BUNDLES, *SERVICES]
    return next(x for x in entries if x.name == name)


async def _fresh(url: str, name: str) -> tuple[AsyncMongoClient[Document], AsyncDatabase[Document]]:
    client = mongo.connect(url)
    await client.drop_database(name)
    return client, client.get_database(name)


@pytest.fixture(scope="module")
async def mirror(mongo_url: str) -> AsyncIterator[GovServiceRepository]:
    """The whole catalogue mirrored once; the tests using it only read."""
    client, db = await _fresh(mongo_url, "test_gov_mirror_read")
    repo = GovServiceRepository(db)
    await repo.ensure_indexes()
    await repo.replace_catalogue(*CATALOGUE)
    yield repo
    # Not dropped: the session's server is in memory, and dropping 343 large documents there
    # costs seconds; the next run drops it before it starts.
    await client.close()


@pytest.fixture
async def empty(mongo_url: str) -> AsyncIterator[GovServiceRepository]:
    """An empty mirror of its own, for the tests that write."""
    client, db = await _fresh(mongo_url, "test_gov_mirror_write")
    repo = GovServiceRepository(db)
    await repo.ensure_indexes()
    yield repo
    await client.drop_database(db.name)
    await client.close()


# --- the search acceptance set ------------------------------------------------------------------

ACCEPTANCE = [
    ("社保", "社会保障卡申领"),
    ("shebao", "社会保障卡申领"),
    ("sb", "社会保障卡申领"),
    ("开办企业一件事", "开办企业一件事"),
    ("kaiban qiye", "开办企业一件事"),
    ("kbqy", "开办企业一件事"),
    ("kaiban", "开办企业一件事"),
    ("KaiBan QiYe", "开办企业一件事"),
    ("新生儿出生", "新生儿出生一件事"),
    ("xinshenger", "新生儿出生一件事"),
    ("退休", "退休一件事"),
    ("tuixiu", "退休一件事"),
    ("公积金提取", "住房公积金提取"),
    ("gongjijin", "住房公积金提取"),
    ("gongjijin tiqu", "住房公积金提取"),
    ("婚姻登记", "内地居民结婚登记"),
    ("hunyin", "内地居民结婚登记"),
    ("结婚", "内地居民结婚登记"),
    ("不动产", "不动产登记一件事"),
    ("budongchan", "不动产登记一件事"),
    ("身份证", "居民身份证换领"),
    ("shenfenzheng", "居民身份证换领"),
    ("sfz", "居民身份证换领"),
    ("营业执照", "开办企业一件事"),
    ("医保", "职工基本医疗保险参保登记"),
    ("驾照", "机动车驾驶证补领"),
]


@pytest.mark.parametrize(("query", "expected"), ACCEPTANCE)
async def test_search_puts_the_expected_entry_in_the_top_3(
    mirror: GovServiceRepository, query: str, expected: str
) -> None:
    top = [hit.name for hit in await mirror.search(keyword=query, limit=3)]
    assert expected in top, f"{query!r} gave {top}"


@pytest.mark.parametrize("query", ["社保", "shebao", "sb"])
async def test_shebao_finds_only_social_security_services_first(
    mirror: GovServiceRepository, query: str
) -> None:
    top = await mirror.search(keyword=query, limit=3)
    assert all(isinstance(hit, GovService) for hit in top)
    assert all("社保" in aliases_of(hit.name) for hit in top)


async def test_kaiban_qiye_is_the_bundle_first(mirror: GovServiceRepository) -> None:
    for query in ("kaiban qiye", "kbqy", "开办企业"):
        (first,) = await mirror.search(keyword=query, limit=1)
        assert isinstance(first, GovBundle) and first.name == "开办企业一件事"
        assert first.materials and first.departments and len(first.service_codes) >= 4


async def test_without_bundles_only_services_come_back(mirror: GovServiceRepository) -> None:
    hits = await mirror.search(keyword="kaiban qiye", include_bundles=False, limit=50)
    assert hits and all(isinstance(hit, GovService) for hit in hits)
    assert "企业设立登记" in {hit.name for hit in hits}, "found by its life event 开办企业"


async def test_a_keyword_without_characters_is_refused(mirror: GovServiceRepository) -> None:
    with pytest.raises(EmptyQuery):
        await mirror.search(keyword=" ！ ")


async def test_a_keyword_pages(mirror: GovServiceRepository) -> None:
    first = await mirror.search(keyword="社保", limit=5)
    second = await mirror.search(keyword="社保", offset=5, limit=5)
    everything = await mirror.search(keyword="社保", limit=10)
    assert [h.code for h in first + second] == [h.code for h in everything]


# --- browsing by life event and department ------------------------------------------------------


async def test_browse_by_life_event_lists_bundles_then_services(
    mirror: GovServiceRepository,
) -> None:
    hits = await mirror.search(life_event="出生", limit=100)
    bundles = [h for h in hits if isinstance(h, GovBundle)]
    services = [h for h in hits if isinstance(h, GovService)]
    assert [b.name for b in bundles] == ["新生儿出生一件事"]
    assert hits[: len(bundles)] == bundles, "bundles first"
    assert [s.code for s in services] == sorted(s.code for s in services)
    assert all("出生" in s.life_events for s in services)
    expected = sum("出生" in s.life_events for s in SERVICES)
    assert len(services) == expected
    by_id = await mirror.search(life_event="birth", limit=100)
    assert [h.code for h in by_id] == [h.code for h in hits], "the id works like the name"


async def test_browsing_pages_across_bundles_and_services(mirror: GovServiceRepository) -> None:
    everything = await mirror.search(life_event="开办企业", limit=100)
    assert sum(isinstance(h, GovBundle) for h in everything) == 3
    pages = [await mirror.search(life_event="开办企业", offset=n, limit=2) for n in range(0, 8, 2)]
    assert [h.code for page in pages for h in page] == [h.code for h in everything[:8]]


@pytest.mark.parametrize("department", ["长沙市人力资源和社会保障局", "rsj", "人社局"])
async def test_browse_by_department_by_name_code_or_short_name(
    mirror: GovServiceRepository, department: str
) -> None:
    hits = await mirror.search(department=department, limit=200)
    services = [h for h in hits if isinstance(h, GovService)]
    assert len(services) == sum(s.department_code == "rsj" for s in SERVICES)
    assert {s.department for s in services} == {"长沙市人力资源和社会保障局"}
    bundles = [h for h in hits if isinstance(h, GovBundle)]
    assert "退休一件事" in {b.name for b in bundles}, "a bundle the department takes part in"


async def test_filters_and_keyword_combine(mirror: GovServiceRepository) -> None:
    hits = await mirror.search(
        keyword="dengji", department="scjg", life_event="开办企业", include_bundles=False
    )
    assert hits and all(
        isinstance(h, GovService) and h.department_code == "scjg" and "开办企业" in h.life_events
        for h in hits
    )
    assert await mirror.search(keyword="驾照", department="人社局") == []


# --- reads by code, lists -----------------------------------------------------------------------


async def test_reads_by_code_round_trip_the_domain_objects(mirror: GovServiceRepository) -> None:
    service, bundle = named("企业设立登记"), named("开办企业一件事")
    assert await mirror.by_codes([service.code, "430100-XX-9999"]) == {service.code: service}
    assert await mirror.bundle_by_codes([bundle.code]) == {bundle.code: bundle}
    assert await mirror.bundles() == BUNDLES
    assert await mirror.life_events() == LIFE_EVENTS
    assert await mirror.departments() == DEPARTMENTS
    assert await mirror.count() == len(SERVICES)


# --- sync semantics -----------------------------------------------------------------------------


async def test_an_empty_feed_never_wipes_the_mirror(empty: GovServiceRepository) -> None:
    await empty.replace_catalogue(SOME_SERVICES, SOME_BUNDLES, LIFE_EVENTS, DEPARTMENTS)
    nothing = await empty.replace_catalogue([], [], [], [])
    assert (nothing.services, nothing.removed_services) == (0, 0)
    assert await empty.count() == len(SOME_SERVICES)
    assert await empty.bundles() == SOME_BUNDLES
    partial = await empty.replace_catalogue(SOME_SERVICES, [], LIFE_EVENTS)
    assert partial.removed_bundles == 0 and await empty.bundles() == SOME_BUNDLES
    assert await empty.departments() == DEPARTMENTS, "kept, and still used for the filters"
    hits = await empty.search(department="人社局", limit=1)
    assert hits, "department keys still come from the stored departments"


async def test_a_revision_replaces_and_a_withdrawal_removes(empty: GovServiceRepository) -> None:
    await empty.replace_catalogue(SOME_SERVICES, SOME_BUNDLES, LIFE_EVENTS, DEPARTMENTS)
    withdrawn, revised = SOME_SERVICES[0], SOME_SERVICES[1]
    renamed = dataclasses.replace(
        revised,
        name="社会保障卡线上申领",
        fee_fen=500,
        updated_at=revised.updated_at + timedelta(days=1),
    )
    services = [renamed, *SOME_SERVICES[2:]]
    sync = await empty.replace_catalogue(services, SOME_BUNDLES[1:], LIFE_EVENTS, DEPARTMENTS)
    assert (sync.removed_services, sync.removed_bundles) == (1, 1)
    assert await empty.by_codes([withdrawn.code]) == {}
    assert (await empty.by_codes([revised.code]))[revised.code] == renamed
    top = [h.code for h in await empty.search(keyword="xianshang", limit=3)]
    assert revised.code in top, "search terms follow the new name"


def test_aliases_say_what_citizens_type() -> None:
    assert aliases_of("社会保障卡申领") == {"社保": 0}
    assert aliases_of("失业保险金申领") == {"社保": 1}, "less direct: ranks a point lower"
    assert aliases_of("企业设立登记", ["营业执照"]) == {"营业执照": 0}
    assert aliases_of("住房公积金提取") == {"公积金": 0}
    assert aliases_of("社保卡居民服务一件事") == {}, "the name already says it"
    assert aliases_of("身份证", ["身份证"]) == {}, "never the name itself"
