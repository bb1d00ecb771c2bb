"""The one pagination of every list endpoint of the API.

    GET /api/v1/...?limit=100            first page
    GET /api/v1/...?limit=100&cursor=... the page after the one that returned `next_cursor`
    GET /api/v1/...?limit=100&offset=200 a near page by position (offset up to MAX_OFFSET)

Answer: `{"items": [...], "count": N, "next_cursor": "..." | null}`. The cursor is a keyset
position: the values of the list's order (ending in the primary key) of the last row sent, so
page N+1 costs what page 1 costs however deep it is, and rows inserted meanwhile neither
repeat nor vanish. `limit` and `offset` are bounded (a 422 in Spanish beyond them), so no
request can ask for a million rows or an offset the database cannot represent.

Use it with `@paginate` (it is NINJA_PAGINATION_CLASS) on an endpoint that returns a
QuerySet with an `order_by`; core/tests/test_input_guards.py fails for a list endpoint
without it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_OFFSET = 10_000
_MAX_CURSOR_OFFSET = 2**31


class CursorError(DjangoValidationError):
    def __init__(self):
        super().__init__(
            {"cursor": ["El cursor de paginación no es válido; vuelva a la primera página."]}
        )


def _encode(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":"), default=_jsonable).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _decode(token: str) -> dict:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CursorError()
    if not isinstance(data, dict):
        raise CursorError()
    return data


def _nullable(model, key: str) -> bool:
    """Whether the ordering key can be NULL (a keyset over NULLs would skip rows), or is not
    a plain field path at all."""
    parts = key.lstrip("-").split("__")
    for i, part in enumerate(parts):
        if part == "pk":
            return False
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if field.null:
            return True
        if i < len(parts) - 1:
            if not field.is_relation:
                return True
            model = field.related_model
    return False


def ordering(queryset: QuerySet) -> tuple[str, ...] | None:
    """The queryset's order as field names ending in the primary key; None when it orders by
    an expression or a nullable column (such lists page by position)."""
    keys = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    if not all(isinstance(k, str) and k != "?" for k in keys):
        return None
    if not keys or keys[-1].lstrip("-") not in ("pk", "id"):
        keys.append("pk")
    if any(_nullable(queryset.model, k) for k in keys):
        return None
    return tuple(keys)


def _value(obj, key: str):
    for part in key.lstrip("-").split("__"):
        obj = getattr(obj, part)
        if obj is None:
            return None
    return obj


def _after(keys: tuple[str, ...], values: list) -> Q:
    """Rows strictly after `values` in the order `keys`."""
    condition = Q()
    for i in range(len(keys) - 1, -1, -1):
        name = keys[i].lstrip("-")
        op = "lt" if keys[i].startswith("-") else "gt"
        strict = Q(**{f"{name}__{op}": values[i]})
        condition = strict if i == len(keys) - 1 else strict | (Q(**{name: values[i]}) & condition)
    return condition


class CursorPagination(PaginationBase):
    class Input(Schema):
        limit: int = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Filas por página (1 a {MAX_LIMIT})."
        )
        offset: int = Field(
            0,
            ge=0,
            le=MAX_OFFSET,
            description=f"Filas a saltar (hasta {MAX_OFFSET}); para seguir más allá use `cursor`.",
        )
        cursor: str = Field(
            "", max_length=1000, description="El `next_cursor` de la página anterior."
        )

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Filas que cumplen los filtros")
        next_cursor: str | None = Field(
            description="Pásela como `cursor` para la página siguiente; null en la última."
        )

    def paginate_queryset(self, queryset, pagination: Input, request, **params) -> Any:
        limit = pagination.limit
        if pagination.cursor and pagination.offset:
            raise DjangoValidationError({"offset": ["Use `cursor` u `offset`, no los dos."]})
        if not isinstance(queryset, QuerySet):
            return self._page_list(list(queryset), pagination)
        keys = ordering(queryset)
        count = queryset.count()
        offset = pagination.offset
        qs = queryset
        if keys is not None:
            qs = queryset.order_by(*keys)
        if pagination.cursor:
            data = _decode(pagination.cursor)
            if "k" in data and keys is not None:
                values = data["k"]
                if not isinstance(values, list) or len(values) != len(keys):
                    raise CursorError()
                if any(v is None or isinstance(v, dict | list) for v in values):
                    raise CursorError()
                qs = qs.filter(_after(keys, values))
                offset = 0
            elif "o" in data:
                offset = data["o"]
                if not isinstance(offset, int) or not 0 <= offset <= _MAX_CURSOR_OFFSET:
                    raise CursorError()
            else:
                raise CursorError()
        try:
            rows = list(qs[offset : offset + limit + 1])
        except (ValueError, TypeError, FieldError, DjangoValidationError):
            # A tampered cursor whose values do not fit the fields.
            raise CursorError()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = None
        if more:
            values = [_value(rows[-1], k) for k in keys] if keys is not None else None
            if values is not None and None not in values:
                next_cursor = _encode({"k": values})
            else:
                next_cursor = _encode({"o": offset + limit})
        return {"items": rows, "count": count, "next_cursor": next_cursor}

    def _page_list(self, rows: list, pagination: Input) -> dict:
        offset = pagination.offset
        if pagination.cursor:
            data = _decode(pagination.cursor)
            offset = data.get("o")
            if not isinstance(offset, int) or not 0 <= offset <= _MAX_CURSOR_OFFSET:
                raise CursorError()
        page = rows[offset : offset + pagination.limit]
        more = offset + pagination.limit < len(rows)
        return {
            "items": page,
            "count": len(rows),
            "next_cursor": _encode({"o": offset + pagination.limit}) if more else None,
        }
