"""The GraphQL schema: types, queries and mutations, with limits that refuse hostile queries."""
from __future__ import annotations

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from .execution import PlainFieldsExecutor
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


# The limits' rules are made once, so the validation cache recognises a repeated query.
LIMITS = (depth_rule(MAX_DEPTH, None), alias_rule(MAX_ALIASES))


def build(introspection: bool = True) -> strawberry.Schema:
    rules = [*LIMITS, *([] if introspection else [NoSchemaIntrospectionCustomRule])]
    extensions = [lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
                  lambda: AddValidationRules(rules),
                  lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256),
                  lambda: CodedErrors(should_mask_error=_mask,
                                      error_message="Internal error: the request was not completed.")]
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions,
                             execution_context_class=PlainFieldsExecutor,
                             config=StrawberryConfig(scalar_map=SCALARS))


schema = build()
