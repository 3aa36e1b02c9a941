"""What each argument and input field means, by name: the same name means the same thing across the
schema, so it is described once here; `Type.field.name` (or `InputType.name`) marks where a name
means something else. A description written at the field itself wins."""
from __future__ import annotations

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

BY_NAME = {
    "first": "How many items from the start (after `after`): 0 to 1000. Not with `last`.",
    "after": "A cursor (`endCursor`, an edge's `cursor`): the page starts after its item.",
    "last": "How many items from the end (before `before`): 0 to 1000. Not with `first`.",
    "before": "A cursor (`startCursor`, an edge's `cursor`): the page ends before its item.",
    "order": "The order of the list (code ascending by default).",
    "province": "A province's code, e.g. `anhui`.",
    "prefecture": "A prefecture's code, e.g. `huaibei`.",
    "county": "A county's code, e.g. `suixi`.",
    "community": "A medical community's code, within its county.",
    "kind": "Only institutions of this kind.",
    "tier": "Only institutions of this tier.",
    "indicator": "An indicator's code, e.g. `immunization_rate`.",
    "entity": "A unit's, institution's or community's code, or `county`.",
    "period": "A period: a year `2024`, a half `2024H1`, a quarter `2024Q3` or a month `2024-07`.",
    "policy": "A policy's code, e.g. `haiyan`.",
    "component": "A component's code, e.g. `work_equivalent`.",
    "status": "Only runs that stand here in the chain.",
    "current": "Only current runs (true) or only runs no longer current (false).",
    "action": "Only events of this action.",
    "search": "Text found in the code or a name (at most 100 characters).",
    "code": "A line code, e.g. `process.paid`.",
    "codes": "The line codes to sum (default: every code ending in `paid`).",
    "id": "A settlement's id: its run number, e.g. `\"6\"`, or its global id.",
    "ids": "Global ids, at most 100.",
    "a": "The first run's id.",
    "b": "The second run's id, of the same county, policy, component and period.",
    "reason": "Why, in words: kept in the run's chain and the audit trail.",
    "parameterOverrides": "Parameter values to use instead of those in force, by name: {name: value}.",
    "name": "The parameter's name.",
    "effective": "The date from which the value holds.",
    "value": "The value, in the parameter's shape (JSON); it replaces the default whole.",
    "reference": "The decision or document the value comes from.",
    "input": "What to change: see the input type.",
}
WHERE = {
    "Query.node.id": "A global id, as any object's `id` gives it.",
    "Query.county.code": "The county's code, e.g. `suixi`.",
    "Query.indicators.entity": "Only indicators whose values are kept for this kind of entity.",
    "Query.settlementJob.id": "The job's global id, or the number `countypay settle` prints.",
    "County.map.level": "The areas the map draws: grids (GRID, the default) or towns (TOWN).",
    "ApproveSettlementInput.reason": "Why, in words (optional): kept in the run's chain and the audit trail.",
    "ApproveSettlementsInput.reason": "Why, in words (optional): kept in each run's chain and the audit trail.",
    "ApproveSettlementsInput.county": "Only this county's runs (its code).",
    "ApproveSettlementsInput.prefecture": "Only runs of this prefecture's counties (its code).",
    "ApproveSettlementsInput.policy": "Only runs of this policy (its code).",
    "ApproveSettlementsInput.component": "Only runs of this component (its code).",
    "SetParameterOverrideInput.reference": "The decision or document the value comes from (may be left empty).",
}


def describe(schema: GraphQLSchema) -> None:
    """Give every argument and input field without a description its meaning from the tables."""
    for type_name, t in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in t.fields.items():
                for name, arg in field.args.items():
                    arg.description = arg.description or WHERE.get(f"{type_name}.{field_name}.{name}") \
                        or BY_NAME.get(name)
        elif isinstance(t, GraphQLInputObjectType):
            for name, field in t.fields.items():
                field.description = field.description or WHERE.get(f"{type_name}.{name}") or BY_NAME.get(name)
