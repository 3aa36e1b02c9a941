from pathlib import Path

from countypay.schema import schema

SDL = Path(__file__).parents[1] / "schema" / "schema.graphql"


def test_checked_in_sdl_matches_the_code():
    """Regenerate with `countypay schema export` when this fails, and review the difference."""
    assert SDL.read_text(encoding="utf-8") == schema.as_str() + "\n"


def test_every_type_and_field_is_described():
    from graphql import GraphQLObjectType

    missing = []
    for name, t in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(t, GraphQLObjectType):
            continue
        if not t.description and name not in ("Query", "Mutation"):
            missing.append(name)
        missing += [f"{name}.{f}" for f, field in t.fields.items() if not field.description]
    assert missing == []
