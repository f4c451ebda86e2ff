"""The graph: every domain's types composed into one schema, with its extensions."""

from __future__ import annotations

from functools import cache

import strawberry
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from mychangsha.schema.crowd import CrowdSubscription
from mychangsha.schema.errors import GraphSchema
from mychangsha.schema.events import EventsQuery
from mychangsha.schema.government import (
    GovernmentMutation,
    GovernmentQuery,
    GovernmentSubscription,
)
from mychangsha.schema.hospital import HospitalMutation, HospitalQuery, HospitalSubscription
from mychangsha.schema.identity import IdentityMutation, IdentityQuery
from mychangsha.schema.limits import MAX_TOKENS, RULES
from mychangsha.schema.medical import MedicalMutation, MedicalQuery
from mychangsha.schema.tickets import TicketMutation, TicketQuery
from mychangsha.schema.tourism import TourismQuery

DOCUMENT_CACHE_SIZE = 1024


@strawberry.type(description="The root of every read.")
class Query(
    IdentityQuery,
    HospitalQuery,
    MedicalQuery,
    GovernmentQuery,
    TourismQuery,
    TicketQuery,
    EventsQuery,
):
    node: relay.Node | None = relay.node(description="Any object by its global ID.")


@strawberry.type(description="The root of every change.")
class Mutation(
    IdentityMutation, HospitalMutation, MedicalMutation, GovernmentMutation, TicketMutation
):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws.")
class Subscription(HospitalSubscription, GovernmentSubscription, CrowdSubscription):
    pass


@cache
def build_schema() -> strawberry.Schema:
    """The one schema object of the process (its caches are shared by all requests)."""
    return GraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
            lambda: AddValidationRules(RULES),
        ],
    )
