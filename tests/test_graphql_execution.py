"""The executor's plain-field path gives the same data and errors as graphql-core's own, and
steps aside for anything a plain read would skip (resolvers, extensions that wrap resolvers); a
long list of plain objects is kept as its JSON text, which the answer copies in as it is."""
import asyncio
import json
from enum import Enum
from typing import Optional

import orjson
import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from countypay.app import json_pieces
from countypay.schema.execution import LONG, PlainFieldsExecutor


@strawberry.enum
class Tone(Enum):
    LOW = "low"
    HIGH = "high"


@strawberry.type
class Item:
    name: str
    note: Optional[str]
    count: int
    tone: Tone
    size: Optional[int] = None


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="a", note=None, count=1, tone=Tone.LOW, size="z"),  # a nullable field fails
                Item(name=None, note="no name", count=2, tone=Tone.HIGH),  # non-null field is null
                Item(name="c", note="bad count", count="x", tone=Tone.LOW),  # not an Int
                Item(name="d", note="bad tone", count=4, tone="loud")]  # not a Tone

    @strawberry.field
    def maybe_items(self) -> list[Optional[Item]]:
        return [None, Item(name=None, note="no name", count=0, tone=Tone.LOW)]

    @strawberry.field
    def strict_items(self) -> list[Item]:
        return [Item(name="a", note=None, count=1, tone=Tone.LOW), None]

    @strawberry.field
    def many(self) -> list[Item]:
        return [Item(name=f"第{i}", note=None if i % 2 else "注", count=i, tone=Tone.HIGH,
                     size="z" if i == 7 else i) for i in range(LONG + 1)]  # item 7's size fails

    @strawberry.field
    def one(self) -> Item:
        return Item(name="e", note=None, count="y", tone=Tone.HIGH)


class Counting(SchemaExtension):
    calls = 0

    def resolve(self, _next, root, info, *args, **kwargs):
        Counting.calls += 1
        return _next(root, info, *args, **kwargs)


def run(executor, query, extensions=()):
    schema = strawberry.Schema(query=Query, execution_context_class=executor, extensions=list(extensions))
    result = asyncio.run(schema.execute(query))
    return result.data, sorted((e.message, tuple(e.path), str(e.locations)) for e in result.errors or [])


@pytest.mark.parametrize("query", [
    "{ items { name note count tone } }",
    "{ items { note alias: count } }",
    "{ items { note size } }",
    "{ maybeItems { name note } }",
    "{ strictItems { name } }",
    "{ one { name count } }",
    "{ items { name __typename } one { tone } }",
    "{ items { ...F } } fragment F on Item { name @include(if: false) note }",
])
def test_plain_fields_complete_as_graphql_core_does(query):
    assert run(PlainFieldsExecutor, query) == run(StrawberryGraphQLCoreExecutionContext, query)


def test_an_extension_that_wraps_resolvers_still_sees_every_field():
    Counting.calls = 0
    run(PlainFieldsExecutor, "{ items { note tone } }", [Counting])
    assert Counting.calls == 1 + 4 * 2


def test_plain_fields_build_no_resolve_info(monkeypatch):
    built = []
    original = PlainFieldsExecutor.build_resolve_info
    monkeypatch.setattr(PlainFieldsExecutor, "build_resolve_info",
                        lambda self, *a: built.append(a[0]) or original(self, *a))
    run(PlainFieldsExecutor, "{ items { note count } }")
    assert len(built) == 1  # the list field only


def test_a_long_list_is_kept_as_its_json_text_and_answers_the_same():
    query = "{ many { name note count tone size } maybeItems { note } }"
    data, errors = run(PlainFieldsExecutor, query)
    assert isinstance(data["many"], orjson.Fragment) and isinstance(data["maybeItems"], list)  # a short one stays
    assert (json.loads(b"".join(json_pieces(data))), errors) == run(StrawberryGraphQLCoreExecutionContext, query)
    assert errors and errors[0][1] == ("many", 7, "size")


def test_an_answer_holding_a_lone_surrogate_is_still_encoded():
    """The fast encoder refuses text that is not UTF-8; the answer then escapes it, as JSON allows."""
    assert b"".join(json_pieces({"message": "no county '\ud800'"})) == b'{"message":"no county \'\\ud800\'"}'
