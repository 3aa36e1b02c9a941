"""What a query may ask before it runs: its cost against the viewer's budget, and arguments free of
what no row can hold (NUL bytes). Both are judged from the document and the variables alone, so a
query that would stall the server is refused before any SQL runs."""
from __future__ import annotations

from typing import Any, Iterator, Optional

from graphql import (FieldNode, FragmentSpreadNode, GraphQLError, GraphQLList, GraphQLNonNull, InlineFragmentNode,
                     OperationDefinitionNode, StringValueNode, VariableNode, get_named_type, is_composite_type,
                     visit, Visitor)
from strawberry.extensions import SchemaExtension

from .context import error

PAGE = 100  # a connection's page when neither `first` nor `last` is given (see pagination.DEFAULT_PAGE)
LIST_ESTIMATE = 10  # a plain list's length (a team, a run's flags, a chain's steps)
# Fields that cost what they compute, not what they return.
FIXED = {"simulateSettlement": 20_000, "runSettlement": 20_000, "startSettlementJob": 20_000,
         "approveSettlements": 2_000, "compareRuns": 2_000, "map": 2_000}  # map: a county's ~1,000 shapes
# How much one request may cost, by the viewer's role; a role not named gets the anonymous budget.
BUDGETS = {"anonymous": 25_000, "institution": 25_000, "county": 200_000, "prefecture": 200_000,
           "auditor": 200_000, "supervisor": 200_000}


def _page(field: FieldNode, variables: dict) -> int:
    for arg in field.arguments or ():
        if arg.name.value in ("first", "last"):
            v = arg.value
            value = variables.get(v.name.value) if isinstance(v, VariableNode) else getattr(v, "value", None)
            try:
                return max(int(value), 0)
            except (TypeError, ValueError):
                continue
    return PAGE


def cost(schema, document, operation_name: Optional[str], variables: Optional[dict]) -> int:
    """Each object costs 1; a connection multiplies its nodes by its page size (`first`/`last`,
    default 100), a plain list by LIST_ESTIMATE; FIXED fields cost what they compute. Fragments
    are counted where they are spread, once per spread."""
    variables = variables or {}
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None:
        return 0
    for d in op.variable_definitions or ():
        if d.variable.name.value not in variables and d.default_value is not None:
            variables[d.variable.name.value] = getattr(d.default_value, "value", None)
    root = schema.get_root_type(op.operation)

    def selection(sel_set, parent, page: int, seen: frozenset) -> int:
        total = 0
        for sel in sel_set.selections or ():
            if isinstance(sel, FieldNode):
                total += field(sel, parent, page, seen)
            elif isinstance(sel, InlineFragmentNode):
                cond = schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                total += selection(sel.selection_set, cond or parent, page, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments and sel.name.value not in seen:
                frag = fragments[sel.name.value]
                cond = schema.get_type(frag.type_condition.name.value) or parent
                total += selection(frag.selection_set, cond, page, seen | {sel.name.value})
        return total

    def field(node: FieldNode, parent, page: int, seen: frozenset) -> int:
        name = node.name.value
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 0
        kind = definition.type
        kind = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
        many = 1
        if isinstance(kind, GraphQLList):
            many = page if parent.name.endswith("Connection") else LIST_ESTIMATE
        named = get_named_type(kind)
        each = FIXED.get(name, 0)
        if is_composite_type(named) and node.selection_set:
            inner = _page(node, variables) if named.name.endswith("Connection") else page
            each += 1 + selection(node.selection_set, named, inner, seen)
        return many * each

    return selection(op.selection_set, root, PAGE, frozenset())


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _NulLiterals(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_):
        if "\x00" in node.value:
            self.found = True


def nul_in(document, variables: Optional[dict]) -> bool:
    """Whether a string argument (written in the query or passed as a variable) holds a NUL byte."""
    if _has_nul(variables or {}):
        return True
    visitor = _NulLiterals()
    visit(document, visitor)
    return visitor.found


class CostLimit(SchemaExtension):
    """Refuses, after validation and before execution, a query that costs more than the viewer's
    budget (TOO_COSTLY, naming both) or passes a NUL byte (BAD_INPUT)."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if not ec.pre_execution_errors and ec.graphql_document is not None:  # valid so far
            if nul_in(ec.graphql_document, ec.variables):
                ec.pre_execution_errors = [error("BAD_INPUT", "a string argument holds a NUL byte (\\u0000), "
                                                              "which no code or name can hold")]
            else:
                role = getattr(getattr(ec.context, "viewer", None), "role", "anonymous")
                budget = BUDGETS.get(role, BUDGETS["anonymous"])
                spent = cost(ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
                if spent > budget:
                    ec.pre_execution_errors = [GraphQLError(
                        f"the query would cost {spent}, more than the {budget} a {role} caller may spend at once: "
                        "ask for smaller pages (first/last) or fewer nested lists",
                        extensions={"code": "TOO_COSTLY", "cost": spent, "budget": budget})]
        yield
