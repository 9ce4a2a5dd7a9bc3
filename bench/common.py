"""What generate.py and run.py share: paths, the database URL and the dataset record.

The dataset's description (seed, scale, counts, the special users) is kept in the
benchmark database itself, as the database's comment, so it can never describe a
different database than the one it sits in, and no table is added to the schema.
"""

import json
import os
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
TOKENS_FILE = RESULTS / "tokens.json"
LATEST_FILE = RESULTS / "latest.json"
DEFAULT_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/portfolio_bench"
)
# Bump when the generator changes what it writes: --reuse then regenerates.
GENERATOR_VERSION = 2
META_MARK = "mpce-portfolio-bench"


def libpq_url(url: str) -> str:
    """The URL as libpq wants it (no SQLAlchemy driver suffix)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def database_name(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(libpq_url(url))["dbname"]


def maintenance_url(url: str) -> str:
    """The same server, database ``postgres`` (to create or drop the bench one)."""
    params = psycopg.conninfo.conninfo_to_dict(libpq_url(url))
    params["dbname"] = "postgres"
    return psycopg.conninfo.make_conninfo(**params)


def database_exists(url: str) -> bool:
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database_name(url),)
            ).fetchone()
        )


def read_meta(conn: psycopg.Connection) -> dict | None:
    """The dataset record, or None when this database was not made by generate.py."""
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname = current_database()"
    ).fetchone()
    if not row or not row[0]:
        return None
    try:
        meta = json.loads(row[0])
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and meta.get("mark") == META_MARK else None


def read_meta_url(url: str) -> dict | None:
    if not database_exists(url):
        return None
    with psycopg.connect(libpq_url(url)) as conn:
        return read_meta(conn)


def write_meta(conn: psycopg.Connection, meta: dict) -> None:
    text = json.dumps({"mark": META_MARK, **meta}, sort_keys=True)
    name = conn.execute("SELECT current_database()").fetchone()[0]
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(text)
        )
    )


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    tmp.replace(path)


# The address the benchmarks' apps and their `flask` commands build links from.
BASE_URL = "http://localhost:5000"


def app_config(url: str) -> dict:
    """create_app overrides: the bench database, nothing else changed."""
    return {"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": BASE_URL}


def flask_env(database_url: str) -> dict:
    """The environment of a `flask` command run against the bench database (the
    address set unless the caller's environment has one; no Redis: jobs in-process)."""
    env = {
        "PORTFOLIO_BASE_URL": BASE_URL,
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_APP": "wsgi.py",
    }
    env.pop("REDIS_URL", None)
    return env


def write_tokens(url: str, special: dict) -> dict:
    """New API tokens for the scenario users, saved to bench/results/tokens.json."""
    from portfolio import create_app
    from portfolio.accounts.models import User
    from portfolio.accounts.services import create_api_token
    from portfolio.extensions import db

    app = create_app(app_config(url))
    saved = {}
    with app.app_context():
        for key, person in special.items():
            user = db.session.get(User, person["user_id"])
            token = create_api_token(user, "bench").secret
            saved[key] = {"email": user.email, "token": token}
    write_json(TOKENS_FILE, {"database": database_name(url), "tokens": saved})
    return {key: value["token"] for key, value in saved.items()}


def read_tokens(url: str) -> dict:
    """The saved tokens for this database: {scenario user key: token}."""
    if not TOKENS_FILE.exists():
        return {}
    try:
        saved = json.loads(TOKENS_FILE.read_text())
    except ValueError:
        return {}
    if saved.get("database") != database_name(url):
        return {}
    return {
        key: value["token"]
        for key, value in saved.get("tokens", {}).items()
        if isinstance(value, dict) and isinstance(value.get("token"), str)
    }
