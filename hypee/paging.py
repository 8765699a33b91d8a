"""The query parameters and answer shape every cursor-paginated list shares."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hypee.pagination import DEFAULT_LIMIT, MAX_LIMIT


class PageQuerySchema(Schema):
    """`?limit=` (1 to 100, default 20) and `?cursor=` (opaque, from a previous page)."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Page size, 1 to {MAX_LIMIT}."},
    )
    cursor = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "The `next_cursor` of the previous page."},
    )


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """The schema of a page of `item_schema` items: {results, next_cursor}."""
    return Schema.from_dict(
        {
            "results": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end."},
            ),
        },
        name=name,
    )
