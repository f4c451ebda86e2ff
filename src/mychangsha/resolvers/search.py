"""What the global `search` field means: one query over every mirrored catalogue, one list.

A citizen types into one box on the home screen; the hit may be a government service or a
一件事 bundle, an attraction, a hospital or a doctor. Every catalogue is mirrored in MongoDB
with its own Chinese + pinyin search, so this asks each catalogue's repository at once (one
query each, concurrently) and never an upstream: the search works while every upstream is
down. Each catalogue returns its own best hits; `search_ranking.score` puts them on one
scale, and equal scores keep catalogue order, then the catalogue's own order (its finer
rules: alias penalties, bundles first, shorter names), then the name.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from mychangsha.errors import BadUserInput
from mychangsha.i18n import msg
from mychangsha.integrations.government.models import GovBundle, GovService
from mychangsha.integrations.hospital.models import Doctor, Hospital
from mychangsha.integrations.tourism.models import Attraction
from mychangsha.resolvers.search_ranking import RankedQuery, prepare, score
from mychangsha.services import Services
from mychangsha.storage.gov_services import aliases_of
from mychangsha.storage.search_terms import EmptyQuery, query_terms

MAX_QUERY_LENGTH = 50
MAX_FIRST = 50
# Each catalogue is asked for this many hits whatever `first` is, so a hit the shared scale
# puts higher than the catalogue's own order did (湖南省儿童医院 for 儿科) is still seen.
PER_CATALOGUE = 50

Found: TypeAlias = GovService | GovBundle | Attraction | Hospital | Doctor


class Catalogue(enum.IntEnum):
    """Where a hit comes from; the order breaks ties between catalogues."""

    GOV_BUNDLE = 0
    GOV_SERVICE = 1
    ATTRACTION = 2
    HOSPITAL = 3
    DOCTOR = 4


@dataclass(frozen=True, slots=True)
class ScoredHit:
    """One hit of the global search with its score on the shared scale."""

    item: Found
    score: int
    catalogue: Catalogue
    position: int  # in its catalogue's own ranking

    @property
    def order(self) -> tuple[int, int, int, str]:
        """Best first: score, then catalogue, then the catalogue's own order, then name."""
        return (-self.score, self.catalogue, self.position, self.item.name)


def _check(query: str, first: int) -> None:
    if len(query) > MAX_QUERY_LENGTH:
        raise BadUserInput(msg("query is longer than {n}", n=MAX_QUERY_LENGTH), field="query")
    if not query.strip():
        raise BadUserInput("query is empty", field="query")
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(msg("first must be in 1..{n}", n=MAX_FIRST), field="first")
    try:
        query_terms(query)
    except EmptyQuery as exc:
        raise BadUserInput("query has no searchable characters", field="query") from exc


def _aliases(item: Found) -> dict[str, int]:
    """The other names a hit is searched by, as its catalogue indexes them, with penalties."""
    if isinstance(item, GovService):
        issued = () if item.issues_certificate is None else (item.issues_certificate,)
        return aliases_of(item.name, issued)
    if isinstance(item, GovBundle):
        return aliases_of(item.name, item.issues_certificates)
    if isinstance(item, Hospital):
        return dict.fromkeys(item.aliases, 0)
    if isinstance(item, Attraction) and item.name_en:
        return {item.name_en: 0}
    return {}


def _catalogue(item: Found) -> Catalogue:
    if isinstance(item, GovBundle):
        return Catalogue.GOV_BUNDLE
    if isinstance(item, GovService):
        return Catalogue.GOV_SERVICE
    if isinstance(item, Attraction):
        return Catalogue.ATTRACTION
    if isinstance(item, Hospital):
        return Catalogue.HOSPITAL
    return Catalogue.DOCTOR


def _scored(query: RankedQuery, found: Sequence[Found]) -> list[ScoredHit]:
    return [
        ScoredHit(item, score(query, item.name, _aliases(item)), _catalogue(item), position)
        for position, item in enumerate(found)
    ]


async def _attractions(services: Services, keyword: str, limit: int) -> list[Found]:
    hits = await services.attractions.search(
        near=None, radius_km=None, keyword=keyword, offset=0, limit=limit
    )
    return [hit.attraction for hit in hits]


async def _hospitals(services: Services, keyword: str, limit: int) -> list[Found]:
    hits = await services.hospitals.search(
        near=None, radius_km=None, keyword=keyword, department=None, offset=0, limit=limit
    )
    return [hit.hospital for hit in hits]


async def _doctors(services: Services, keyword: str, limit: int) -> list[Found]:
    return list(await services.hospitals.search_doctors(keyword=keyword, offset=0, limit=limit))


async def _government(services: Services, keyword: str, limit: int) -> list[Found]:
    return list(await services.gov_services.search(keyword=keyword, offset=0, limit=limit))


async def global_search(services: Services, *, query: str, first: int) -> list[ScoredHit]:
    """The best `first` hits across every catalogue, from the mirrors only.

    BAD_USER_INPUT (field `query`) for an empty, over-long or unsearchable query, and (field
    `first`) for `first` outside 1..50.
    """
    _check(query, first)
    keyword = query.strip()
    limit = PER_CATALOGUE
    found = await asyncio.gather(
        _government(services, keyword, limit),
        _attractions(services, keyword, limit),
        _hospitals(services, keyword, limit),
        _doctors(services, keyword, limit),
    )
    ranked = prepare(keyword)
    hits = [hit for items in found for hit in _scored(ranked, items)]
    return sorted(hits, key=lambda hit: hit.order)[:first]
