"""The schema keeps the conventions front-end tools expect: everything described, closed sets as
enums made from the code's own lists, every connection paged both ways as Relay's spec says,
every mutation one input object and a payload."""
import functools

import pytest
from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLNonNull, GraphQLObjectType,
                     get_named_type)

from countypay import approval, audit, models, period
from countypay.policy import DIRECTIONS, ENTITY_KINDS, ROLES, SEVERITIES, TIERS, UNITS
from countypay.schema import schema
from countypay.schema.limits import cost

TYPES = {n: t for n, t in schema._schema.type_map.items() if not n.startswith("__")}


def test_every_type_field_argument_and_enum_value_is_described():
    missing = [name for name, t in TYPES.items() if not t.description]
    for name, t in TYPES.items():
        if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for f, field in t.fields.items():
                missing += [f"{name}.{f}"] if not field.description else []
                missing += [f"{name}.{f}({a})" for a, arg in getattr(field, "args", {}).items() if not arg.description]
        if isinstance(t, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in t.values.items() if not value.description]
    assert missing == []


@pytest.mark.parametrize("enum, values", [
    ("RunStatus", approval.STATUSES), ("ApprovalLevel", approval.LEVELS), ("ApprovalAction", tuple(approval.AFTER)),
    ("InstitutionKind", models.INSTITUTION_KINDS), ("Tier", TIERS), ("UnitRole", ROLES), ("Severity", SEVERITIES),
    ("Direction", DIRECTIONS), ("EntityKind", ENTITY_KINDS), ("PeriodKind", period.KINDS), ("LineUnit", tuple(UNITS)),
    ("AuditAction", audit.ACTIONS)])
def test_each_enum_is_the_codes_own_list_in_upper_case(enum, values):
    found = TYPES[enum].values
    assert [v.value for v in found.values()] == list(values)
    assert list(found) == [v.upper().replace("/", "_PER_") for v in values]


OPEN = {"Indicator.unit"}  # an imported or a plugin's indicator may name any unit
CLOSED_NAMES = {"status", "stage", "kind", "tier", "severity", "role", "direction", "unit", "periodKind", "action",
                "level", "levels", "nextActions", "approvalLevels", "state"}


def test_no_field_of_a_closed_set_is_a_string():
    strings = [f"{name}.{f}" for name, t in TYPES.items() if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))
               for f, field in t.fields.items()
               if f in CLOSED_NAMES and get_named_type(field.type).name == "String"]
    assert sorted(strings) == sorted(OPEN)
    for f in OPEN:  # and the description says why it stays text
        t, name = f.split(".")
        assert "any unit" in TYPES[t].fields[name].description


def test_every_mutation_takes_one_input_and_answers_a_payload():
    for name, field in schema._schema.mutation_type.fields.items():
        upper = name[0].upper() + name[1:]
        assert list(field.args) == ["input"], name
        assert isinstance(field.args["input"].type, GraphQLNonNull) and \
            get_named_type(field.args["input"].type).name == f"{upper}Input", name
        assert isinstance(field.type, GraphQLNonNull) and get_named_type(field.type).name == f"{upper}Payload", name


def test_every_connection_pages_both_ways():
    connections = [(f"{name}.{f}", field) for name, t in TYPES.items()
                   if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)) for f, field in t.fields.items()
                   if get_named_type(field.type).name.endswith("Connection")]
    assert len(connections) >= 20
    for name, field in connections:
        assert {"first", "after", "last", "before"} <= set(field.args), name
        assert field.args["first"].default_value == 100 and field.args["last"].default_value is None, name


def test_last_costs_what_first_costs():
    from graphql import parse

    def of(page):
        return cost(schema._schema, parse("{ institutions(%s: 1000) { nodes { community { institutions(%s: 1000) "
                                          "{ nodes { code } } } } } }" % (page, page)), None, {})
    assert of("last") == of("first") > 10 ** 6


@pytest.fixture
def api(graphql_api):
    """Haiyan's and the other county's bundles, Haiyan's work equivalents settled for 2024, asked
    as the province."""
    api = graphql_api("haiyan-bundle", "other-bundle", supervisor=dict(role="supervisor", name="province"))
    ask = functools.partial(api, as_="supervisor")
    ask.run = str(api.settle("haiyan", "haiyan", "work_equivalent", "2024"))
    return ask


def pages(api, query, at, backward, size=1, variables=None):
    """Every item of a connection, a page of `size` at a time, forwards (first/after) or backwards
    (last/before), checking each page's pageInfo against Relay's rules."""
    items, cursor, seen = [], None, 0
    while True:
        asked = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        found = api(query, {**(variables or {}), **asked})
        assert "errors" not in found, found["errors"]
        page = found["data"]
        for key in at:
            page = page[key]
        info, nodes = page["pageInfo"], page["nodes"]
        items = nodes + items if backward else items + nodes
        seen += 1
        if backward:
            assert info["hasNextPage"] is (cursor is not None)  # a page asked before a cursor has its item after
            assert info["startCursor"] == (page["edges"][0]["cursor"] if nodes else None)
            if not info["hasPreviousPage"]:
                return items, page["totalCount"]
            cursor = info["startCursor"]
        else:
            assert info["hasPreviousPage"] is (cursor is not None)
            if not info["hasNextPage"]:
                return items, page["totalCount"]
            cursor = info["endCursor"]
        assert seen < 50


FIELDS = "first: $first, after: $after, last: $last, before: $before"
ARGS = "$first: Int, $after: String, $last: Int, $before: String"
PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor }"
LISTS = {  # a list read from the database, pages of many parents in one statement, a list computed whole
    "institutions": ("query(%s) { institutions(order: CODE_DESC, %s) { %s nodes { code } } }" % (ARGS, FIELDS, PAGE),
                     ["institutions"], 8),
    "a county's units": ('query(%s) { county(code: "other") { units(%s) { %s nodes { code } } } }'
                         % (ARGS, FIELDS, PAGE), ["county", "units"], 2),
    "totals by entity": ('query(%s, $id: ID!) { settlement(id: $id) { totalsByEntity(%s) { %s nodes { key amount } } } }'
                         % (ARGS, FIELDS, PAGE), ["settlement", "totalsByEntity"], 4),
    "compared counties": ('query(%s) { compareCounties(indicator: "visits_total", period: "2024", %s) { %s '
                          'nodes { county { code } } } }' % (ARGS, FIELDS, PAGE), ["compareCounties"], 2),
}


@pytest.mark.parametrize("name", LISTS)
def test_paging_backwards_meets_every_item_paging_forwards_does(api, name):
    query, at, n = LISTS[name]
    forwards, total = pages(api, query, at, False, variables={"id": api.run})
    backwards, _ = pages(api, query, at, True, variables={"id": api.run})
    assert len(forwards) == total == n and backwards == forwards
    two, _ = pages(api, query, at, True, size=2, variables={"id": api.run})
    assert two == forwards


def test_first_and_last_together_are_refused_but_last_replaces_the_default_first(api):
    both = api("{ institutions(first: 2, last: 2) { nodes { code } } }")
    assert [e["extensions"]["code"] for e in both["errors"]] == ["BAD_INPUT"] and both["data"]["institutions"] is None
    assert "first and last" in both["errors"][0]["message"]
    by_variable = api("query($f: Int) { institutions(first: $f, last: 2) { nodes { code } } }", {"f": 3})
    assert [e["extensions"]["code"] for e in by_variable["errors"]] == ["BAD_INPUT"]
    last = api("query($f: Int) { institutions(first: $f, last: 2, order: CODE_ASC) { nodes { code } } }")
    assert [n["code"] for n in last["data"]["institutions"]["nodes"]] == ["V1", "V2"]  # $f not given: the default
    assert api("{ institutions(last: 1001) { totalCount } }")["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    bad = api('{ compareCounties(indicator: "visits_total", period: "2024", before: "eyJ4Ijox") { totalCount } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"


def test_enum_arguments_filter_and_enum_values_answer(api):
    d = api('{ institutions(county: "other", kind: VILLAGE_CLINIC) { nodes { code kind tier } } '
            'indicators(entity: UNIT, search: "visits_total") { nodes { code entity periodKind } } '
            'settlements(status: DRAFT) { nodes { status stage levels nextActions lines(first: 1) { nodes { unit } } '
            'flags { severity } } } }')["data"]
    assert d["institutions"]["nodes"] == [{"code": "V1", "kind": "VILLAGE_CLINIC", "tier": "VILLAGE"},
                                          {"code": "V2", "kind": "VILLAGE_CLINIC", "tier": "VILLAGE"}]
    assert d["indicators"]["nodes"] == [{"code": "visits_total", "entity": "UNIT", "periodKind": "YEAR"}]
    [run] = d["settlements"]["nodes"]
    assert (run["status"], run["stage"], run["levels"], run["nextActions"]) == (
        "DRAFT", "COUNTY", ["COUNTY", "PROVINCE"], [])  # haiyan has no prefecture in this store
    assert run["lines"]["nodes"][0]["unit"] in TYPES["LineUnit"].values
    assert api("{ settlements(status: APPROVED) { totalCount } }")["data"]["settlements"]["totalCount"] == 0
    refused = api('{ settlements(status: "draft") { totalCount } }')["errors"][0]
    assert refused["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
