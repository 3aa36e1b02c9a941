"""docs/front-end.md matches the code: its GraphQL snippets validate against the schema and fit a
county token's cost budget, and its table of budgets is the code's."""
import re
from pathlib import Path

from graphql import parse, validate

from countypay.schema import schema
from countypay.schema.limits import BUDGETS, cost

DOC = (Path(__file__).parents[1] / "docs" / "front-end.md").read_text(encoding="utf-8")


def test_the_graphql_snippets_validate_and_fit_the_budget():
    snippets = re.findall(r"```graphql\n(.*?)```", DOC, re.S)
    assert len(snippets) >= 3
    for text in snippets:
        document = parse(text)
        assert validate(schema._schema, document) == [], text
        assert cost(schema._schema, document, None, {}) <= BUDGETS["county"], text


def test_the_budget_table_is_the_code_s():
    rows = dict(re.findall(r"^\| ([a-z, ]+) \| ([\d,]+) \|$", DOC, re.M))
    documented = {role.strip(): int(n.replace(",", "")) for roles, n in rows.items() for role in roles.split(",")}
    assert documented == BUDGETS
