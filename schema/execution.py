"""An executor that completes objects of plain fields in one loop.

graphql-core completes every field through a resolver, a ResolveInfo, a Path and several
completion functions. For an object whose selected fields are all plain attributes of a scalar
or enum type (strawberry's "basic" fields: no resolver, no permission classes, no arguments),
this executor does the same work directly: read the attribute, coerce it with the type's
serializer, check for null; a list of such objects is completed item by item the same way.
Errors are located and propagated as the base executor does. Any other selection, and every
field when a schema extension wraps resolvers, takes the base path."""
from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
LONG = 256
"""A list of plain objects longer than this is kept as its JSON text (`orjson.Fragment`, which the
HTTP layer copies into the answer as it is): a page of 1,000 settlement lines is then 0.4 MB of
text, not 1 MB of dicts and strings, and a large report holds a fraction of the memory."""


def _null(parent_type, name: str) -> TypeError:
    return TypeError(f"Cannot return null for non-nullable field {parent_type.name}.{name}.")


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, Any]] = {}  # id(key) -> (key kept alive, plan)

    def _fields_plan(self, parent_type, grouped_field_set):
        """(response name, getter, attribute, serializer, non-null, leaf type, return type, field
        details) per field, or None when a field needs the base path."""
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        plan = []
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            plan = None
        for name, details in grouped_field_set.items() if plan is not None else ():
            node = details[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            definition = field_def.extensions.get(BACKREF) if field_def else None
            return_type = field_def.type if field_def else None
            leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
            if (definition is None or not definition.is_basic_field or field_def.args or node.arguments
                    or getattr(field_def.resolve, "__name__", "") != "_get_basic_result"
                    or not is_leaf_type(leaf) or any(d.defer_usage for d in details)):
                plan = None
                break
            plan.append((name, definition.default_resolver, definition.python_name, leaf.coerce_output_value,
                         leaf is not return_type, leaf, return_type, details))
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _item_plan(self, item_type, field_details_list):
        """(object type, non-null, fields plan) for list items that are objects of plain fields."""
        key = (item_type, id(field_details_list))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan = None
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if isinstance(object_type, GraphQLObjectType) and object_type.is_type_of is None:
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
            fields = None if new_defer_usages else self._fields_plan(object_type, grouped_field_set)
            if fields is not None:
                plan = (object_type, object_type is not item_type, fields)
        self._plans[key] = (field_details_list, plan)
        return plan

    def _plain_object(self, parent_type, source, path, index, plan) -> dict[str, Any]:
        """The completed fields of `source` at `path` (`path[index]` for a list item)."""
        results: dict[str, Any] = {}
        for name, getter, attr, coerce, non_null, leaf, return_type, details in plan:
            try:
                value = getter(source, attr)
                if value is None or value is Undefined:
                    if non_null:
                        raise _null(parent_type, details[0].node.name.value)
                    value = None
                elif isinstance(value, Exception):
                    raise value
                else:
                    coerced = coerce(value)
                    value = self.complete_leaf_value(leaf, value) if coerced is None or coerced is Undefined else coerced
            except Exception as raw_error:
                at = path if index is None else path.add_key(index, None)
                self.handle_field_error(raw_error, return_type, details, Path(at, name, parent_type.name))
                value = None
            results[name] = value
        return results

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        plan = self._fields_plan(parent_type, grouped_field_set)
        if plan is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        return self._plain_object(parent_type, source_value, path, None, plan)

    def complete_iterable_value(self, item_type, field_details_list, info, path, items, position_context):
        plan = self._item_plan(item_type, field_details_list)
        if plan is not None and not self.get_stream_usage(field_details_list, path):
            items = list(items)
            if not any(map(self.is_awaitable, items)):
                return self._plain_list(plan, item_type, field_details_list, info, path, items)
        return super().complete_iterable_value(item_type, field_details_list, info, path, items, position_context)

    def _plain_list(self, plan, item_type, field_details_list, info, path, items) -> list[Any]:
        object_type, non_null, fields = plan
        completed: list[Any] = []
        for index, item in enumerate(items):
            try:
                if isinstance(item, Exception):
                    raise item
                if item is None or item is Undefined:
                    if non_null:
                        raise _null(info.parent_type, info.field_name)
                    completed.append(None)
                else:
                    completed.append(self._plain_object(object_type, item, path, index, fields))
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, path.add_key(index, None))
                completed.append(None)
        if len(completed) > LONG:
            try:
                return orjson.Fragment(orjson.dumps(completed))
            except orjson.JSONEncodeError:  # a value JSON cannot hold: left to the answer's encoder to refuse
                pass
        return completed
