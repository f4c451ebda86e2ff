"""Deciding, per HTTP request, whether the response cache may answer or keep the answer.

The policy comes from the document alone (cache hints of the fields it selects), so it is
computed once per document and remembered. The answer's identity is the document, the
operation, the variables, the language and, for private answers, the citizen: two citizens
never share a private entry, and a signed-in citizen's public answer is the same bytes as
anyone's. Only answers without errors are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from graphql import GraphQLError, GraphQLSchema, parse
from prometheus_client import Counter

from mychangsha.cache.policy import NOT_CACHEABLE, CachePolicy, Scope, operation_policy
from mychangsha.cache.responses import CITIZEN, ResponseCache, citizen_tag
from mychangsha.context import Context
from mychangsha.schema.cache_hints import HINTS
from mychangsha.schema.limits import MAX_TOKENS
from mychangsha.trusted import document_hash

POLICY_CACHE_SIZE: Final = 1024

EXECUTIONS = Counter(
    "mychangsha_graphql_executions_total",
    "Operations handed to the GraphQL engine over HTTP (answers from the cache are not).",
)


@dataclass(frozen=True)
class CacheDecision:
    """For one request: its policy, and where its answer is (or would be) stored."""

    policy: CachePolicy
    base: str
    tags: tuple[str, ...]


class ResponseCaching:
    """Per-process policies by document, and the fingerprint of each request."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self._schema = schema
        self._policies: OrderedDict[tuple[str, str | None], CachePolicy] = OrderedDict()

    def policy(self, document: str, operation_name: str | None) -> CachePolicy:
        """The document's policy (remembered); not cacheable when it does not parse."""
        key = (document, operation_name)
        found = self._policies.get(key)
        if found is not None:
            self._policies.move_to_end(key)
            return found
        try:
            parsed = parse(document, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return NOT_CACHEABLE
        policy = operation_policy(self._schema, parsed, operation_name, HINTS)
        self._policies[key] = policy
        if len(self._policies) > POLICY_CACHE_SIZE:
            self._policies.popitem(last=False)
        return policy

    async def decide(
        self,
        context: Context,
        document: str | None,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> CacheDecision | None:
        """Where this request's answer lives, or None when it must not be cached."""
        if document is None:
            return None
        policy = self.policy(document, operation_name)
        if not policy.cacheable:
            return None
        audience = "public"
        tags = set(policy.tags)
        if policy.scope is Scope.PRIVATE:
            claims = await context.claims()
            if claims is None:
                return None  # a private field asked anonymously answers an error: not kept
            audience = f"citizen:{claims.citizen_id}"
            tags.discard(CITIZEN)
            tags.add(citizen_tag(claims.citizen_id))
        base = ResponseCache.fingerprint(
            [
                document_hash(document),
                operation_name or "",
                orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS).decode(),
                audience,
                context.locale,
            ]
        )
        return CacheDecision(policy, base, tuple(sorted(tags)))


class CachedAnswer(Exception):
    """Raised inside the view to answer from the cache without running the engine."""

    def __init__(self, body: bytes, decision: CacheDecision) -> None:
        super().__init__("answered from the response cache")
        self.body = body
        self.decision = decision
