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


def new_revision() -> str:
    """A token no other state of a row has had (``ProgressSummary.revision``,
    ``Enrolment.revision``): random, so two transactions changing the same rows at
    once never write the same one."""
    return secrets.token_hex(16)


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


# ---- how a request's transaction ends --------------------------------------------
#
# A request's session is closed at its end, which rolls back whatever it did not
# commit. psycopg forgets every statement it has prepared at each ROLLBACK
# (``Connection.rollback``; it prepares a statement on its fifth use on a connection,
# https://www.psycopg.org/psycopg3/docs/advanced/prepare.html), so with every request
# ending in one no statement was ever prepared and PostgreSQL planned each one on every
# request (the cohort's main query: about 5 ms of planning). A transaction that wrote
# nothing is ended with COMMIT instead, which for it is the same as a rollback and
# leaves psycopg's prepared statements in place. One that wrote anything it did not
# commit (a flush, or an INSERT, UPDATE, DELETE or text statement sent through the
# session) still rolls back.
WROTE = "transaction_wrote"


def _note_write(session, *args) -> None:
    session.info[WROTE] = True


def _note_statement(state) -> None:
    if not state.is_select:
        state.session.info[WROTE] = True


def _transaction_ended(session, *args) -> None:
    session.info.pop(WROTE, None)


def track_writes(session_class) -> None:
    """Note on each session whether its transaction has written (idempotent)."""
    for name, fn in (
        ("after_flush", _note_write),
        ("do_orm_execute", _note_statement),
        ("after_commit", _transaction_ended),
        ("after_rollback", _transaction_ended),
    ):
        if not sa.event.contains(session_class, name, fn):
            sa.event.listen(session_class, name, fn)


def end_read_only(session) -> None:
    """Commit the session's transaction if it wrote nothing and holds no changes
    (see above); otherwise leave it to be rolled back when the session closes."""
    if not session.in_transaction() or session.info.get(WROTE):
        return
    if session.new or session.deleted or any(map(session.is_modified, session.dirty)):
        return
    # Nothing is expired: the session is about to close, and objects kept from it
    # stay readable as after a rollback.
    kept, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()
    finally:
        session.expire_on_commit = kept
