from pathlib import Path

from countypay.schema import schema

SDL = Path(__file__).parents[1] / "schema" / "schema.graphql"


def test_checked_in_sdl_matches_the_code():
    """Regenerate with `countypay schema export` when this fails, and review the difference."""
    assert SDL.read_text(encoding="utf-8") == schema.as_str() + "\n"

