"""The cost of one operation: what resolving it would ask of our storage and upstreams.

A validation rule cannot see variable values, and `first: $n` is what makes a list
expensive, so the cost is computed from the validated document plus the request's
variables. Each field costs its declared cost (schema/costs.py); a field with a `first`
argument multiplies the cost of its selection by that value (a variable's value, else the
variable's default, else the argument's default), and an unpaginated list by its declared
expected size. Fragments count where they are spread; each fragment's cost is computed once
per parent type, so a document that spreads fragments into fragments cannot make the count
itself exponential. Sibling selections are summed, never merged: the count is an upper
bound, which is what a budget needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.utilities import get_operation_ast

from mychangsha.schema.costs import DEFAULT, field_cost

PAGE_ARGUMENT = "first"


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation the request runs; 0 when the document names none."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Counter(schema, document, operation, variables or {}).selections(
        root, operation.selection_set
    )


class _Counter:
    """Walks one operation, remembering each fragment's cost per parent type."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self._variables = {**defaults, **variables}
        self._fragment_costs: dict[tuple[str, str], int] = {}
        self._visiting: set[str] = set()

    def selections(self, parent: GraphQLNamedType, selection_set: SelectionSetNode) -> int:
        """The summed cost of every selection under one parent type."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._schema.get_type(condition.name.value) if condition else parent
                total += self.selections(target or parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._spread(parent, selection.name.value)
        return total

    def _spread(self, parent: GraphQLNamedType, name: str) -> int:
        fragment = self._fragments.get(name)
        if fragment is None or name in self._visiting:  # validation refuses both
            return 0
        key = (name, parent.name)
        known = self._fragment_costs.get(key)
        if known is not None:
            return known
        target = self._schema.get_type(fragment.type_condition.name.value) or parent
        self._visiting.add(name)
        try:
            cost = self.selections(target, fragment.selection_set)
        finally:
            self._visiting.discard(name)
        self._fragment_costs[key] = cost
        return cost

    def _field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        definition = _field_definition(parent, name)
        declared = field_cost(parent.name, name)
        if node.selection_set is None or definition is None:
            # a scalar is read off the object its parent resolved: free unless it is declared
            return 0 if declared is DEFAULT else declared.cost
        inner = self.selections(get_named_type(definition.type), node.selection_set)
        return declared.cost + self._size(definition, node, declared.items) * inner

    def _size(self, definition: GraphQLField, node: FieldNode, items: int) -> int:
        """How many times the selection inside the field is resolved."""
        if PAGE_ARGUMENT in definition.args:
            return self._page_size(definition, node)
        if is_list_type(get_nullable_type(definition.type)):
            return items
        return 1

    def _page_size(self, definition: GraphQLField, node: FieldNode) -> int:
        value: object = definition.args[PAGE_ARGUMENT].default_value
        for argument in node.arguments or ():
            if argument.name.value != PAGE_ARGUMENT:
                continue
            if isinstance(argument.value, VariableNode):
                value = self._variables.get(argument.value.name.value, value)
            elif isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
        # Anything not a whole number is refused by coercion later; count it as one page.
        if isinstance(value, bool) or not isinstance(value, int):
            return 1
        return max(value, 0)


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    """The field's definition; None for introspection's meta fields, which count as one."""
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None
