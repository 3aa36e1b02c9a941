from pathlib import Path

from countypay.schema import schema

SDL = Path(__file__).parents[1] / "schema" / "schema.graphql"


def test_checked_in_sdl_matches_the_code():
    """Regenerate with `countypay schema export` when this fails, and review the difference."""
    assert SDL.read_text(encoding="utf-8") == schema.as_str() + "\n"


def test_every_type_and_field_is_described():
    import strawberry  # noqa: F401
    from graphql import GraphQLObjectType

    missing = []
    for name, t in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(t, GraphQLObjectType) or name in ("Query", "Mutation"):
            continue
        if not t.description:
            missing.append(name)
    assert missing == []
