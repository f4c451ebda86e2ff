"""Cache policy of an operation, from hints on the fields it selects (the Apollo model).

A hint says how long a field's value may be reused and by whom: PUBLIC (anyone) or PRIVATE
(only the citizen who asked). An operation is as cacheable as its least cacheable field: the
smallest max-age wins and one private field makes the whole answer private. Root fields
without a hint are not cacheable; nested fields without one inherit from their parent, so
adding a scalar never needs a new hint. Each hint names the tags that invalidate it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
)

from mychangsha.platform.clock import seconds_until_changsha_midnight


class Scope(enum.Enum):
    """Who may be served a stored answer."""

    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class CacheHint:
    """How long a field's value may be reused, by whom, and which changes end it early."""

    max_age: int
    scope: Scope = Scope.PUBLIC
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CachePolicy:
    """The effective policy of one operation."""

    max_age: int
    scope: Scope
    tags: frozenset[str]
    operation: str | None = None  # the query's name, for the logs of answers from the cache

    @property
    def cacheable(self) -> bool:
        """Whether the answer may be stored at all."""
        return self.max_age > 0

    def cache_control(self) -> str:
        """The `Cache-Control` header of a GET answer under this policy."""
        if not self.cacheable:
            return "no-store"
        # Shared caches must not keep a day-dependent answer past Changsha's midnight either.
        max_age = min(self.max_age, max(1, math.ceil(seconds_until_changsha_midnight())))
        return f"{self.scope.value}, max-age={max_age}"


NOT_CACHEABLE = CachePolicy(0, Scope.PUBLIC, frozenset())


def operation_policy(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    hints: Mapping[str, CacheHint],
) -> CachePolicy:
    """The policy of the named (or only) query of a document; mutations are never cached."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
        return NOT_CACHEABLE
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.query_type
    if root is None:
        return NOT_CACHEABLE
    walk = _Walk(schema, fragments, hints)
    walk.selections(root, chosen[0].selection_set, is_root=True)
    if walk.max_age is None or walk.max_age <= 0:
        return NOT_CACHEABLE
    name = chosen[0].name.value if chosen[0].name else None
    return CachePolicy(walk.max_age, walk.scope, frozenset(walk.tags), name)


class _Walk:
    """Visits every selected field once per path, narrowing the policy as it goes."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        hints: Mapping[str, CacheHint],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._hints = hints
        self.max_age: int | None = None
        self.scope = Scope.PUBLIC
        self.tags: set[str] = set()

    def _apply(self, hint: CacheHint) -> None:
        self.max_age = hint.max_age if self.max_age is None else min(self.max_age, hint.max_age)
        if hint.scope is Scope.PRIVATE:
            self.scope = Scope.PRIVATE
        self.tags.update(hint.tags)

    def selections(
        self,
        parent: GraphQLObjectType | object,
        selection_set: SelectionSetNode,
        *,
        is_root: bool = False,
        seen: frozenset[str] = frozenset(),
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(parent, selection, is_root=is_root, seen=seen)
            elif isinstance(selection, InlineFragmentNode):
                target = self._type_condition(selection.type_condition, parent)
                self.selections(target, selection.selection_set, is_root=is_root, seen=seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self._type_condition(fragment.type_condition, parent)
                self.selections(
                    target,
                    fragment.selection_set,
                    is_root=is_root,
                    seen=seen | {name},
                )

    def _type_condition(self, condition: object, parent: object) -> object:
        name = getattr(getattr(condition, "name", None), "value", None)
        return self._schema.get_type(name) if name else parent

    def _field(
        self,
        parent: object,
        node: FieldNode,
        *,
        is_root: bool,
        seen: frozenset[str],
    ) -> None:
        name = node.name.value
        if name == "__typename":
            return
        fields = getattr(parent, "fields", None)
        definition = None if fields is None else fields.get(name)
        parent_name = getattr(parent, "name", "")
        if definition is None:
            # an abstract parent (union or interface): the hint is looked up by field name on
            # each possible type in the fragments; here nothing is known, so nothing is cached
            self._apply(CacheHint(0))
            return
        returned = get_named_type(definition.type)
        hint = self._hints.get(f"{parent_name}.{name}") or self._hints.get(returned.name)
        if hint is None and is_root:
            hint = CacheHint(0)
        if hint is not None:
            self._apply(hint)
        if node.selection_set is not None and is_composite_type(returned):
            self.selections(returned, node.selection_set, seen=seen)
