"""Each domain served alone as an Apollo Federation v2 subgraph, from the monolith's classes.

A subgraph is the domain's root classes (the same `HospitalQuery`, `TourismQuery` … the
monolith composes) in a `strawberry.federation.Schema`. What federation adds — `@key` on the
entities, `@shareable` on the small value types several subgraphs define (`PageInfo`,
`GeoPoint`, the shared errors), and leaving out a field another subgraph owns — is declared
here per subgraph, as a *view* of the shared type, not on the shared types themselves: a
plain `strawberry.Schema` warns about federation directives and would print them into the
monolith's SDL. The view is a copy of the type's strawberry definition that the subgraph
schema is built from; the shared definition is put back as soon as the schema exists.

The `home` subgraph serves what spans the domains: the home screen, the global search and
the notifications inbox. The other domains' objects it returns (a bill to pay, a search hit)
are entity stubs there, `@key(fields: "id", resolvable: false)` with the id alone; their
owners declare the same key, so the gateway fetches every other field from the subgraph that
owns it (`_entities`, which finds a Relay node the way `node(id:)` does).

`node(id:)` stays a monolith feature: a gateway cannot route an opaque global ID to the
subgraph that owns its type, so no subgraph serves it; the app's operations use the typed
root fields (`hospital(id:)`, `doctor(id:)`, …) instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, get_args

import strawberry
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key, Shareable
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition

from mychangsha.schema.common import DateWindow, GeoPoint
from mychangsha.schema.crowd import CrowdSubscription
from mychangsha.schema.errors import GraphSchema
from mychangsha.schema.events import EventsQuery
from mychangsha.schema.government import (
    Application,
    GovBundle,
    GovernmentMutation,
    GovernmentQuery,
    GovernmentSubscription,
    GovService,
)
from mychangsha.schema.home import HomeQuery
from mychangsha.schema.hospital import (
    Appointment,
    Doctor,
    Hospital,
    HospitalMutation,
    HospitalQuery,
    HospitalSubscription,
)
from mychangsha.schema.identity import (
    Citizen,
    IdentityMutation,
    IdentityQuery,
    InvalidInput,
    VerificationRequired,
)
from mychangsha.schema.limits import MAX_TOKENS, PRODUCTION_RULES, RULES
from mychangsha.schema.medical import (
    Bill,
    MedicalMutation,
    MedicalQuery,
    PaymentOrder,
    PaymentUnavailable,
)
from mychangsha.schema.nearby import HospitalNearby
from mychangsha.schema.notifications import (
    NotificationMutation,
    NotificationQuery,
    NotificationSubscription,
)
from mychangsha.schema.search import SearchQuery
from mychangsha.schema.tickets import TicketMutation, TicketOrder, TicketQuery
from mychangsha.schema.tourism import AttractionNode, TourismQuery

FEDERATION_VERSION: Literal["2.9"] = "2.9"
"""Pinned: @theguild/federation-composition (Hive) rejects the newer specs strawberry prints."""

SubgraphName = Literal["identity", "hospital", "government", "tourism", "home"]
SUBGRAPH_NAMES: tuple[SubgraphName, ...] = get_args(SubgraphName)

DOCUMENT_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class View:
    """How one subgraph shows a shared type: its keys, shareability, fields it leaves out."""

    keys: tuple[str, ...] = ()
    shareable: bool = False
    without: frozenset[str] = frozenset()
    """Python names of fields another subgraph contributes to this type."""
    stub: bool = False
    """Another subgraph's entity shown by its key alone, which only that subgraph resolves."""


STUB = View(keys=("id",), stub=True)
"""Another domain's entity in a subgraph that returns it but owns none of its fields."""
ENTITY = View(keys=("id",))
"""An entity of the subgraph that owns it, found by its global ID."""


SHARED = View(shareable=True)
"""Value types several subgraphs define; identical by construction (the same class)."""

SHARED_VALUE_TYPES: tuple[type, ...] = (
    relay.PageInfo,
    GeoPoint,
    DateWindow,
    InvalidInput,
    VerificationRequired,
    PaymentOrder,
    PaymentUnavailable,
)


@dataclass(frozen=True, slots=True)
class Subgraph:
    """The root classes of one subgraph and its views of shared types."""

    query: tuple[type, ...]
    mutation: tuple[type, ...] = ()
    subscription: tuple[type, ...] = ()
    types: tuple[type, ...] = ()
    views: Mapping[type, View] = field(default_factory=dict)


def _views(entities: Mapping[type, View] | None = None) -> dict[type, View]:
    """The shared value types' view plus a subgraph's own entities."""
    return {**dict.fromkeys(SHARED_VALUE_TYPES, SHARED), **(entities or {})}


SUBGRAPHS: Mapping[SubgraphName, Subgraph] = {
    "identity": Subgraph(
        query=(IdentityQuery,),
        mutation=(IdentityMutation,),
        views=_views({Citizen: View(keys=("id",))}),
    ),
    "hospital": Subgraph(
        query=(HospitalQuery, MedicalQuery),
        mutation=(HospitalMutation, MedicalMutation),
        subscription=(HospitalSubscription,),
        views=_views(
            {
                # nearbyAttractions is the tourism subgraph's (schema/nearby.py).
                Hospital: View(keys=("id",), without=frozenset({"nearby_attractions"})),
                Doctor: ENTITY,
                Appointment: ENTITY,
                Bill: ENTITY,
            }
        ),
    ),
    "government": Subgraph(
        query=(GovernmentQuery,),
        mutation=(GovernmentMutation,),
        subscription=(GovernmentSubscription,),
        views=_views({Application: ENTITY, GovService: ENTITY, GovBundle: ENTITY}),
    ),
    "tourism": Subgraph(
        query=(TourismQuery, TicketQuery, EventsQuery),
        mutation=(TicketMutation,),
        subscription=(CrowdSubscription,),
        types=(HospitalNearby,),
        views=_views({AttractionNode: ENTITY, TicketOrder: ENTITY}),
    ),
    "home": Subgraph(
        query=(HomeQuery, SearchQuery, NotificationQuery),
        mutation=(NotificationMutation,),
        subscription=(NotificationSubscription,),
        views=_views(
            dict.fromkeys(
                (
                    Bill,
                    Appointment,
                    Application,
                    TicketOrder,
                    AttractionNode,
                    Hospital,
                    Doctor,
                    GovService,
                    GovBundle,
                ),
                STUB,
            )
        ),
    ),
}


def _viewed(definition: StrawberryObjectDefinition, view: View) -> StrawberryObjectDefinition:
    directives: list[object] = [*(definition.directives or ())]
    for key in view.keys:
        if view.stub:
            directives.append(Key(fields=key, resolvable=False))  # type: ignore[arg-type]
        else:
            directives.append(Key(fields=key))  # type: ignore[arg-type]
    if view.shareable:
        directives.append(Shareable())
    if view.stub:
        # A Relay node's `id` is two fields: the node id (`id`) and the global ID (`_id`).
        fields = [
            f
            for f in definition.fields
            if f.python_name in view.keys or f.graphql_name in view.keys
        ]
    else:
        fields = [f for f in definition.fields if f.python_name not in view.without]
    return dataclasses.replace(definition, directives=directives, fields=fields)


@contextlib.contextmanager
def _seen_through(views: Mapping[type, View]) -> Iterator[None]:
    """Shared types show their views while a subgraph schema is built, and only then.

    strawberry reads a type's definition while it builds a schema and keeps what it read (for
    printing `_service { sdl }` and for `_entities`), so the view lasts for that schema and
    the monolith, built from the same classes, never sees it.
    """
    originals = {cls: cls.__strawberry_definition__ for cls in views}  # type: ignore[attr-defined]
    try:
        for cls, view in views.items():
            cls.__strawberry_definition__ = _viewed(originals[cls], view)  # type: ignore[attr-defined]
        yield
    finally:
        for cls, definition in originals.items():
            cls.__strawberry_definition__ = definition  # type: ignore[attr-defined]


def _root(name: str, classes: tuple[type, ...]) -> type | None:
    if not classes:
        return None
    return strawberry.type(type(name, classes, {}))


async def _node_entity(origin: type[relay.Node], info: Info, global_id: str) -> object:
    """An entity that is a Relay node, found the way `node(id:)` finds it."""
    parsed = relay.GlobalID.from_id(global_id)
    if parsed.type_name != origin.__strawberry_definition__.name:  # type: ignore[attr-defined]
        return None
    found = origin.resolve_nodes(info=info, node_ids=[parsed.node_id], required=False)
    if inspect.isawaitable(found):
        found = await found
    entity = next(iter(found), None)
    # Every Relay node passes every node type's `is_type_of` (they share the Node
    # interface), so the _Entity union is told which member this is.
    return None if entity is None else strawberry.cast(origin, entity)


class SubgraphSchema(strawberry.federation.Schema, GraphSchema):
    """A domain's subgraph: federation's `_service` and `_entities`, the graph's error codes.

    Entities that are Relay nodes need no `resolve_reference`: their key is the global ID,
    and their `resolve_nodes` already loads them (through the request's loaders, with the
    same permission checks as `node(id:)`).
    """

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        results: list[FederationAny] = []
        for representation in representations:
            item: Any = representation
            origin = self._node_origin(item["__typename"])
            if origin is None:
                results.extend(super().entities_resolver(info, [representation]))
            else:
                results.append(FederationAny(_node_entity(origin, info, str(item["id"]))))
        return results

    def _node_origin(self, type_name: str) -> type[relay.Node] | None:
        concrete = self.schema_converter.type_map.get(type_name)
        definition = None if concrete is None else concrete.definition
        if not isinstance(definition, StrawberryObjectDefinition):
            return None
        origin = definition.origin
        if issubclass(origin, relay.Node) and not hasattr(origin, "resolve_reference"):
            return origin
        return None


@cache
def build_subgraph_schema(name: SubgraphName, *, production: bool = False) -> SubgraphSchema:
    """One domain's subgraph schema (cached: its document caches serve every request).

    Depth, alias and token limits stay, as in the monolith. Per-client rate limits, the cost
    budget and trusted documents belong to the gateway: here every request comes from it.
    """
    subgraph = SUBGRAPHS[name]
    rules = PRODUCTION_RULES if production else RULES
    with _seen_through(subgraph.views):
        return SubgraphSchema(
            query=_root("Query", subgraph.query),
            mutation=_root("Mutation", subgraph.mutation),
            subscription=_root("Subscription", subgraph.subscription),
            types=subgraph.types,
            config=StrawberryConfig(auto_camel_case=True),
            federation_version=FEDERATION_VERSION,
            hide_suggestions=production,
            extensions=[
                lambda: MaxTokensLimiter(MAX_TOKENS),
                lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
                lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
                lambda: AddValidationRules(rules),
            ],
        )
