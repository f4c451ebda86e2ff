"""The graph: every domain's types composed into one schema, with its extensions."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache

import strawberry
from graphql import ASTValidationRule
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from mychangsha.observability.recorder import OperationRecorder
from mychangsha.observability.tracing import tracing_extension
from mychangsha.schema.cost_limit import QueryCostLimit
from mychangsha.schema.crowd import CrowdSubscription
from mychangsha.schema.errors import GraphSchema
from mychangsha.schema.events import EventsQuery
from mychangsha.schema.government import (
    GovernmentMutation,
    GovernmentQuery,
    GovernmentSubscription,
)
from mychangsha.schema.home import HomeQuery
from mychangsha.schema.hospital import HospitalMutation, HospitalQuery, HospitalSubscription
from mychangsha.schema.identity import IdentityMutation, IdentityQuery
from mychangsha.schema.limits import MAX_TOKENS, PRODUCTION_RULES, RULES
from mychangsha.schema.medical import MedicalMutation, MedicalQuery
from mychangsha.schema.notifications import (
    NotificationMutation,
    NotificationQuery,
    NotificationSubscription,
)
from mychangsha.schema.operation_rate_limit import OperationRateLimit
from mychangsha.schema.search import SearchQuery
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
    HomeQuery,
    NotificationQuery,
    SearchQuery,
):
    node: relay.Node | None = relay.node(description="Any object by its global ID.")


@strawberry.type(description="The root of every change.")
class Mutation(
    IdentityMutation,
    HospitalMutation,
    MedicalMutation,
    GovernmentMutation,
    TicketMutation,
    NotificationMutation,
):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws.")
class Subscription(
    HospitalSubscription, GovernmentSubscription, CrowdSubscription, NotificationSubscription
):
    pass


def _extensions(
    rules: list[type[ASTValidationRule]],
) -> tuple[type[SchemaExtension] | Callable[[], SchemaExtension], ...]:
    """The per-request extensions; order matters: the rate and cost limits read the errors
    ValidationCache has set."""
    return (
        lambda: MaxTokensLimiter(MAX_TOKENS),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        OperationRateLimit,
        QueryCostLimit,
        OperationRecorder,
    )


def build_schema(*, production: bool = False, traced: bool = False) -> strawberry.Schema:
    """The one schema object of the process (its caches are shared by all requests).

    Production refuses introspection and hides field suggestions; traced adds OpenTelemetry
    spans (observability/tracing.py).
    """
    return _schema(production, traced)


@cache
def _schema(production: bool, traced: bool) -> strawberry.Schema:
    """One object per variant, however the caller spells the arguments.

    strawberry cannot convert the same types into a second schema, so the production and
    traced variants are copies of the one schema with their own extensions (rule lists built
    once, see schema/limits.py) sharing the converted types.
    """
    if traced:
        variant = copy.copy(_schema(production, False))  # every call spells both arguments
        variant.extensions = (*variant.extensions, tracing_extension())
        return variant
    if production:
        variant = copy.copy(_schema(False, False))
        assert isinstance(variant, GraphSchema)
        variant.extensions = _extensions(PRODUCTION_RULES)
        variant.hide_suggestions = True
        return variant
    return GraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=_extensions(RULES),
    )
