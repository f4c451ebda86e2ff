"""The global search of the graph: one box, every catalogue, each hit typed.

Hits are the catalogues' own types in a union (`... on Hospital { grade }`), so a client
reuses its fragments and a hit can be followed (`node(id:)`, a doctor's slots) like any
other. The score sits beside the node, as a Relay edge carries its metadata. The result is a
plain list of at most `first` hits, without cursors: a global search is a jump list, and a
client wanting more of one kind pages that catalogue's own field (`hospitals(keyword:)`,
`attractions(keyword:)`, `govServices(keyword:)`).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from mychangsha.integrations.government.models import GovBundle as DomainGovBundle
from mychangsha.integrations.government.models import GovService as DomainGovService
from mychangsha.integrations.hospital.models import Doctor as DomainDoctor
from mychangsha.integrations.hospital.models import Hospital as DomainHospital
from mychangsha.resolvers import search as resolvers
from mychangsha.schema.common import Info
from mychangsha.schema.government import GovBundle, GovService
from mychangsha.schema.hospital import Doctor, Hospital
from mychangsha.schema.tourism import AttractionNode

SearchHit = Annotated[
    GovService | GovBundle | AttractionNode | Hospital | Doctor,
    strawberry.union(
        "SearchHit", description="What the global search can find, each as its own type."
    ),
]


@strawberry.type(description="One hit of the global search, best first.")
class SearchResult:
    score: int = strawberry.field(
        description="Relevance on one scale for every kind: 100 the name is the query, 90 it "
        "starts with it, 80 contains it, 70/60/50 the query spells the whole name, its start "
        "or a word in it (pinyin or initials); an alias (湘雅, 社保) scores the same two or "
        "three lower; 20-29 only other text matched (address, tags, departments)."
    )
    node: SearchHit


def _node(item: resolvers.Found) -> GovService | GovBundle | AttractionNode | Hospital | Doctor:
    if isinstance(item, DomainGovBundle):
        return GovBundle.from_domain(item)
    if isinstance(item, DomainGovService):
        return GovService.from_domain(item)
    if isinstance(item, DomainHospital):
        return Hospital.from_domain(item)
    if isinstance(item, DomainDoctor):
        return Doctor.from_domain(item)
    return AttractionNode.from_domain(item)


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="One search over government services and 一件事 bundles, attractions, "
        "hospitals and doctors, in Chinese, pinyin or initials (湘雅, xiangya, sb); at most "
        "`first` (1..50) hits, best first, from the local mirrors (no upstream is asked)."
    )
    async def search(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="1 to 50 characters.")],
        first: int = 20,
    ) -> list[SearchResult]:
        hits = await resolvers.global_search(info.context.services, query=query, first=first)
        return [SearchResult(score=hit.score, node=_node(hit.item)) for hit in hits]
