"""schema.graphql is the printed SDL of the code; a drift fails here so review sees it."""

from pathlib import Path

from gateway.resolvers.root import schema

SDL_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_FILE.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `./dev gateway schema > schema.graphql` and commit it"
    )
