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

import re

from .arguments import describe
from .execution import PlainFieldsExecutor
from .limits import CostLimit
from .query import Mutation, Query
from .scalars import SCALARS

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000


def _mask(error: GraphQLError) -> bool:
    """Hide what is not a deliberate error: no stack trace or internal message reaches a client."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class CodedErrors(MaskErrors):
    """Every error carries a code: masked ones UNAVAILABLE when the database cannot be reached (the
    client may retry), INTERNAL otherwise; a query that does not parse GRAPHQL_PARSE_FAILED, one
    that does not validate GRAPHQL_VALIDATION_FAILED. Without introspection, no message suggests
    a field name ("Did you mean …"), which would spell out the schema."""

    def __init__(self, *args, introspection: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.introspection = introspection

    def on_operation(self):
        """A query that does not parse ends before its errors reach _process_errors: code it here."""
        try:
            yield from super().on_operation()
        except GraphQLError as e:  # raised by the parser cache
            e.extensions = {**(e.extensions or {}), "code": "GRAPHQL_PARSE_FAILED"}
            raise
        for e in self.execution_context.pre_execution_errors or ():
            if not (e.extensions or {}).get("code"):
                e.extensions = {**(e.extensions or {}), "code": "GRAPHQL_PARSE_FAILED"}

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self.coded(e) for e in super()._process_errors(errors)]

    def coded(self, e: GraphQLError) -> GraphQLError:
        message = e.message if self.introspection else SUGGESTION.sub("", e.message)
        if (e.extensions or {}).get("code") and message == e.message:
            return e
        code = (e.extensions or {}).get("code") or (
            "INTERNAL" if e.path else "GRAPHQL_PARSE_FAILED" if e.message.startswith("Syntax Error")
            else "GRAPHQL_VALIDATION_FAILED")
        return GraphQLError(message, nodes=e.nodes, source=e.source, positions=e.positions, path=e.path,
                            original_error=e.original_error, extensions={**(e.extensions or {}), "code": code})

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
                  CostLimit,  # after the validation cache: it judges valid queries only
                  lambda: CodedErrors(should_mask_error=_mask, introspection=introspection,
                                      error_message="Internal error: the request was not completed.")]
    built = strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions,
                              execution_context_class=PlainFieldsExecutor,
                              config=StrawberryConfig(scalar_map=SCALARS))
    describe(built._schema)
    return built


schema = build()
