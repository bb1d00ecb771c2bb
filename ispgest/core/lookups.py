"""Integer filters beyond what the column can hold match no rows instead of failing.

Django already does this for `exact`, `lt`, `gt`… on an IntegerField, but not for a foreign
key (`client=10**30` reaches the database and fails: "bigint out of range" on PostgreSQL,
OverflowError on SQLite) nor for `in`. Such ids come from query strings and JSON bodies
(`?client=…`, `{"contract": …}`), so every page, API filter and service lookup gets the same
answer as for any other id that does not exist: nothing matches.

Registered once by CoreConfig.ready().
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def _column_range(lhs, connection) -> tuple[int | None, int | None] | None:
    """The (min, max) of the integer column behind `lhs`, or None when it is no integer."""
    field = lhs.output_field
    path_infos = getattr(field, "path_infos", None)
    if path_infos:
        field = path_infos[-1].target_fields[-1]
    internal = field.get_internal_type()
    if internal not in connection.ops.integer_field_ranges:
        return None
    return connection.ops.integer_field_range(internal)


def _out_of_range(value, bounds) -> bool:
    if bounds is None or not isinstance(value, int) or isinstance(value, bool):
        return False
    low, high = bounds
    return (low is not None and value < low) or (high is not None and value > high)


class RelatedIntegerExact(RelatedExact):
    def process_rhs(self, compiler, connection):
        if _out_of_range(self.rhs, _column_range(self.lhs, connection)):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


class _DropOutOfRange:
    """`in`: values the column cannot hold are dropped (like None); none left, no rows."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            bounds = _column_range(self.lhs, connection)
            self.rhs = [None if _out_of_range(v, bounds) else v for v in self.rhs]
        return super().process_rhs(compiler, connection)


class IntegerIn(_DropOutOfRange, In):
    pass


class RelatedIntegerIn(_DropOutOfRange, RelatedIn):
    pass


def register() -> None:
    IntegerField.register_lookup(IntegerIn)
    ForeignObject.register_lookup(RelatedIntegerExact)
    ForeignObject.register_lookup(RelatedIntegerIn)
