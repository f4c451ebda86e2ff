"""Refuses operations whose cost (schema/query_cost.py) exceeds the budget, before any resolver.

A SchemaExtension rather than a validation rule because the cost depends on variable values
(`first: $n`), which validation never sees. It runs in the validation phase, after the
(cached) validation has passed, so a refused operation is a request error like the other
document limits and nothing is resolved.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from mychangsha.errors import QueryTooComplex
from mychangsha.i18n import msg
from mychangsha.schema.limits import MAX_COST
from mychangsha.schema.query_cost import operation_cost


class QueryCostLimit(SchemaExtension):
    """QUERY_TOO_COMPLEX with `cost` and `maxCost` when an operation is over budget.

    Must come after ValidationCache in the schema's extensions: it reads the validation
    errors that extension has set, and only costs documents that validated.
    """

    def on_validate(self) -> Iterator[None]:
        """Cost the validated operation with its variables; refuse it when over budget."""
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors == []:
            cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if cost > MAX_COST:
                refusal = QueryTooComplex(
                    msg(
                        "The operation costs {cost}; at most {max} is allowed.",
                        cost=cost,
                        max=MAX_COST,
                    ),
                    cost=cost,
                    maxCost=MAX_COST,
                )
                context.pre_execution_errors = [GraphQLError(str(refusal), original_error=refusal)]
        yield
