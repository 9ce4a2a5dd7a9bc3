"""The declarative base, column types and id helpers shared by every model."""

import secrets
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
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
