"""Build a test's starting data once per session and give each test its own copy.

``restore_or_build(app, name, build)`` runs ``build()`` for real the first time, in
a clean database, and keeps everything it left behind:

- the rows: on SQLite a copy of the whole in-memory database made with sqlite3's
  backup API (https://docs.python.org/3/library/sqlite3.html#sqlite3.Connection.backup);
  on PostgreSQL each table's rows as ``COPY ... (FORMAT BINARY)`` data
  (https://www.postgresql.org/docs/current/sql-copy.html) and the sequences' values;
- the Redis keys (the jobs the build queued), with DUMP and RESTORE;
- the files in the instance folder and FILES_DIR, and the audit key they go with.

A later test that asks for the same thing, with a clean database and the same
settings, gets all of that back in milliseconds and a deep copy of what ``build``
returned. A test whose database is not clean (it wrote something first), or whose
settings differ, builds for real: a snapshot never changes what a test sees, only
how fast it gets there. Every test still starts from its own clean database (the
``app`` fixture), so nothing one test commits reaches the next.
"""

import atexit
import copy
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from portfolio.extensions import db

# Settings that differ between tests by design and do not change what a build writes
# (INSTANCE_PATH is the tests' PORTFOLIO_INSTANCE_PATH, read as a prefixed setting).
PER_TEST_SETTINGS = {"FILES_DIR", "AUDIT_KEY", "INSTANCE_PATH"}


@dataclass
class Snapshot:
    rows: object  # sqlite3.Connection, or [(table, COPY data)] and [(sequence, value)]
    redis: list  # [(key, ttl in ms, DUMP data)]
    files: Path  # instance/ and files/ as the build left them
    audit_key: str
    counter: int  # the factory's counter after the build
    result: object


_snapshots: dict[tuple, Snapshot] = {}
_schema: sqlite3.Connection | None = None
_folder: Path | None = None


def restore_or_build(app, name: str, build, factory=None):
    """Return ``build()``'s result, restoring its data when it has been built before.

    ``factory`` (the test's ``Factory``) gets back the counter the build left it with,
    so users made afterwards are numbered as they would have been.
    """
    with app.app_context():
        key = _key(app, name, factory)
        usable = key is not None and _is_clean(app)
        snapshot = _snapshots.get(key) if usable else None
        if snapshot is not None:
            _restore(app, snapshot, factory)
            return copy.deepcopy(snapshot.result)
    result = build()
    if usable:
        with app.app_context():
            _snapshots[key] = _take(app, result, factory)
    return result


def create_schema(app) -> None:
    """Create the (empty) schema: on in-memory SQLite, a copy of one made earlier."""
    global _schema
    if not _in_memory_sqlite(app):
        db.create_all()
        return
    if _schema is None:
        db.create_all()
        _schema = _copy_sqlite(app)
    else:
        _restore_sqlite(app, _schema)


# ---- what a snapshot is keyed on ------------------------------------------------------


def _key(app, name, factory) -> tuple | None:
    backend = app.config["SQLALCHEMY_DATABASE_URI"]
    if not (_in_memory_sqlite(app) or backend.startswith("postgresql")):
        return None
    settings = repr(
        sorted(
            (k, repr(v)) for k, v in app.config.items() if k not in PER_TEST_SETTINGS
        )
    )
    return (
        name,
        settings,
        _audit_key_source(app),
        factory.counter if factory else None,
    )


def _audit_key_source(app) -> str:
    """ "instance" when the audit key came from the instance folder, else the key."""
    key_file = Path(app.instance_path) / "audit_key"
    key = app.config["AUDIT_KEY"]
    if key_file.exists() and key_file.read_text().strip() == key:
        return "instance"
    return key


def _in_memory_sqlite(app) -> bool:
    url = db.engine.url
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _is_clean(app) -> bool:
    """No rows in any table and no Redis keys: only then is a snapshot exact."""
    db.session.remove()
    checks = " OR ".join(
        f'EXISTS (SELECT 1 FROM "{table.name}")' for table in db.metadata.sorted_tables
    )
    with db.engine.connect() as connection:
        busy = connection.exec_driver_sql(f"SELECT {checks}").scalar()
    if busy:
        return False
    redis = _redis(app)
    return redis is None or redis.dbsize() == 0


# ---- taking and restoring -------------------------------------------------------------


def _take(app, result, factory) -> Snapshot:
    global _folder
    db.session.remove()
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="portfolio-test-snapshots-"))
        atexit.register(shutil.rmtree, _folder, True)
    files = _folder / str(len(_snapshots))
    _copy_tree(Path(app.instance_path), files / "instance")
    _copy_tree(Path(app.config["FILES_DIR"]), files / "files")
    rows = _copy_sqlite(app) if _in_memory_sqlite(app) else _copy_postgres()
    redis = _redis(app)
    keys = []
    if redis is not None:
        for name in redis.scan_iter():
            ttl, data = redis.pttl(name), redis.dump(name)
            if data is not None:
                keys.append((name, max(ttl, 0), data))
    return Snapshot(
        rows=rows,
        redis=keys,
        files=files,
        audit_key=app.config["AUDIT_KEY"],
        counter=factory.counter if factory else 0,
        result=copy.deepcopy(result),
    )


def _restore(app, snapshot: Snapshot, factory) -> None:
    db.session.remove()
    if _in_memory_sqlite(app):
        _restore_sqlite(app, snapshot.rows)
    else:
        _restore_postgres(*snapshot.rows)
    redis = _redis(app)
    if redis is not None and snapshot.redis:
        with redis.pipeline() as pipe:
            for name, ttl, data in snapshot.redis:
                pipe.restore(name, ttl, data, replace=True)
            pipe.execute()
    _copy_tree(snapshot.files / "instance", Path(app.instance_path))
    _copy_tree(snapshot.files / "files", Path(app.config["FILES_DIR"]))
    # The audit trail's HMACs were made with the build's key: the test's app (and
    # any worker it starts, reading the instance folder) use that key now.
    app.config["AUDIT_KEY"] = snapshot.audit_key
    if factory is not None:
        factory.counter = snapshot.counter


def _copy_tree(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def _redis(app):
    from portfolio import jobs

    return jobs.redis_connection(app)


def _copy_sqlite(app) -> sqlite3.Connection:
    template = sqlite3.connect(":memory:", check_same_thread=False)
    connection = db.engine.raw_connection()
    try:
        connection.driver_connection.backup(template)
    finally:
        connection.close()
    return template


def _restore_sqlite(app, template: sqlite3.Connection) -> None:
    connection = db.engine.raw_connection()
    try:
        template.backup(connection.driver_connection)
    finally:
        connection.close()


def _copy_postgres() -> tuple[list, list]:
    connection = db.engine.raw_connection()
    tables, sequences = [], []
    try:
        with connection.driver_connection.cursor() as cursor:
            for table in db.metadata.sorted_tables:
                cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")')
                if not cursor.fetchone()[0]:
                    continue
                with cursor.copy(
                    f'COPY "{table.name}" TO STDOUT (FORMAT BINARY)'
                ) as copy_out:
                    tables.append((table.name, b"".join(bytes(b) for b in copy_out)))
            cursor.execute(
                "SELECT format('%I.%I', schemaname, sequencename), last_value "
                "FROM pg_sequences WHERE schemaname = current_schema() "
                "AND last_value IS NOT NULL"
            )
            sequences = cursor.fetchall()
        connection.driver_connection.rollback()
    finally:
        connection.close()
    return tables, sequences


def _restore_postgres(tables: list, sequences: list) -> None:
    # Tables in dependency order (parents first), so every foreign key holds.
    connection = db.engine.raw_connection()
    try:
        with connection.driver_connection.cursor() as cursor:
            for name, data in tables:
                with cursor.copy(
                    f'COPY "{name}" FROM STDIN (FORMAT BINARY)'
                ) as copy_in:
                    copy_in.write(data)
            for sequence, value in sequences:
                cursor.execute("SELECT setval(%s, %s)", (sequence, value))
        connection.driver_connection.commit()
    finally:
        connection.close()


def empty_postgres() -> None:
    """Delete every row and restart the sequences, as TRUNCATE ... RESTART IDENTITY.

    DELETE of the few rows a test writes takes milliseconds where TRUNCATE takes
    most of a second (it makes and syncs new files for every table); TRUNCATE is
    still the way out if the rows cannot be deleted child-first.
    """
    tables = [table.name for table in db.metadata.sorted_tables]
    connection = db.engine.raw_connection()
    try:
        pg = connection.driver_connection
        try:
            pg.execute("; ".join(f'DELETE FROM "{name}"' for name in reversed(tables)))
        except Exception:  # a foreign key cycle: rows that need TRUNCATE ... CASCADE
            pg.rollback()
            listed = ", ".join(f'"{name}"' for name in tables)
            pg.execute(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")
        pg.execute(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass,"
            " start_value, false) FROM pg_sequences"
            " WHERE schemaname = current_schema()"
        )
        pg.commit()
    finally:
        connection.close()
