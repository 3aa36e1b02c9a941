"""The GraphQL schema: types, queries and mutations, with limits that refuse hostile queries."""
from __future__ import annotations

import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.extensions import (AddValidationRules, MaskErrors, MaxAliasesLimiter, MaxTokensLimiter,
                                   QueryDepthLimiter)
from graphql.validation import NoSchemaIntrospectionCustomRule

from strawberry.schema.config import StrawberryConfig

from .query import Mutation, Query
from .scalars import SCALARS

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000


def _mask(error: GraphQLError) -> bool:
    """Hide what is not a deliberate error: no stack trace or internal message reaches a client."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class CodedErrors(MaskErrors):
    """Masked errors still carry a code: UNAVAILABLE when the database cannot be reached (the
    client may retry), INTERNAL otherwise."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        down = isinstance(error.original_error, OperationalError) or (
            isinstance(error.original_error, DBAPIError) and error.original_error.connection_invalidated)
        message = "the database is not available; try again shortly" if down else self.error_message
        return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, extensions={"code": "UNAVAILABLE" if down else "INTERNAL"})


def build(introspection: bool = True) -> strawberry.Schema:
    extensions = [lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
                  lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
                  lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
                  lambda: CodedErrors(should_mask_error=_mask,
                                      error_message="Internal error: the request was not completed.")]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions,
                             config=StrawberryConfig(scalar_map=SCALARS))


schema = build()
