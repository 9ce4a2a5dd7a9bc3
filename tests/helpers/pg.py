"""PostgreSQL databases for the test passes, made afresh next to TEST_DATABASE_URL's.

``python -m tests.helpers.pg pass DATABASE_URL REDIS_URL`` (run by
``scripts/test-passes``) makes the database the browser pass on PostgreSQL uses for its
``app`` fixture, ``<name>_b``, and prints it and that pass's Redis (the next lower
database number; 1 for 0), so two PostgreSQL passes can run at the same time without
sharing a database or a Redis database.
"""

import sys
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import sqlalchemy as sa


def fresh_database(url: str, suffix: str) -> str:
    """Create ``<url's database>_<suffix>`` afresh (dropped first); return its URL."""
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_{suffix}"
    server = sa.create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            # A throwaway database: commits need not wait for the disk.
            connection.exec_driver_sql(
                f'ALTER DATABASE "{name}" SET synchronous_commit = off'
            )
    finally:
        server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def other_redis(url: str) -> str:
    """The same Redis server, the next lower database number (1 for database 0)."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{number - 1 if number else 1}"))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "pass":
        sys.exit("usage: python -m tests.helpers.pg pass DATABASE_URL REDIS_URL")
    sys.stdout.write(fresh_database(sys.argv[2], "b") + "\n")
    sys.stdout.write(other_redis(sys.argv[3]) + "\n")
