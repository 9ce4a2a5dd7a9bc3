"""The declarative base, column types and id helpers shared by every model."""

import json
import secrets
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 22


class JSONDocument(sa.TypeDecorator):
    """JSON on SQLite, JSONB (indexable) on PostgreSQL.

    A named type rather than ``with_variant`` so migrations render it cleanly.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def new_id() -> str:
    """Return a new opaque, unguessable object id (22 URL-safe characters).

    Never starting with "-" or "_": an id that looks like an option would be misread
    by command lines (``flask export portfolio -Dx...``).
    """
    while True:
        token = secrets.token_urlsafe(16)[:ID_LENGTH]
        if token[0].isalnum():
            return token


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite returns naive datetimes even for ``DateTime(timezone=True)``; this type
    rejects naive input so that no local time is ever stored by mistake.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def id_column(**kwargs) -> sa.orm.MappedColumn:
    """Return a primary-key column holding an opaque string id."""
    return sa.orm.mapped_column(
        sa.String(ID_LENGTH), primary_key=True, default=new_id, **kwargs
    )


class json_rows(sa.sql.functions.FunctionElement):
    """SQL: the rows of a (correlated) subquery as one JSON array of arrays, each
    holding the given columns in order; NULL or ``[]`` when there are none.

    ``json_agg(json_build_array(...))`` on PostgreSQL
    (https://www.postgresql.org/docs/current/functions-aggregate.html),
    ``json_group_array(json_array(...))`` on SQLite (https://sqlite.org/json1.html).
    Lets one query bring each row's few related rows (its breaks, reviews...) with
    it. The order inside the array is not defined: sort what you read. Values come
    back as JSON gives them (dates as ISO strings, booleans as true/false or 1/0,
    a JSON column as a string on SQLite): ``json_values`` reads them.
    """

    type = sa.JSON()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows)
def _json_rows_sqlite(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def json_values(found) -> list[list]:
    """What a ``json_rows`` column holds, as a list (of lists): [] for none."""
    if found is None:
        return []
    if isinstance(found, str | bytes):
        return json.loads(found)
    return found
