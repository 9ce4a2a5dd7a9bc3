"""Where the cohort API's time goes, beside the hand-written query it is compared with.

    .venv/bin/python bench/cohort_parts.py [--runs 60] [--database-url URL]

In-process (``create_app`` and Flask's test client, as ``run.py``), on the dataset of
bench/generate.py: ``GET /api/v1/cohort`` as the bench's training lead (the first page
of 50 of 500 trainees), then the same aggregate as one hand-written query
(``load.COHORT_SQL``, on its own connection, JIT off as the app's sessions), then
``GET /api/v1/me`` (the same token: what any API request costs before its own work),
alternated ``--runs`` times so drift in the machine's speed falls on all three.

Prints the p50 of each, the app's own SQL time per statement (each statement's time
from sending it to its rows read, through SQLAlchemy's cursor events), and what is left
for Python: the figures behind the cohort API / hand-written query target in
bench/README.md. Reports; does not gate.
"""

import argparse
import secrets
import sys
import time
from datetime import date

import common
import load
import psycopg
import sqlalchemy as sa


def p50(values: list[float]) -> float:
    return load.percentile(values, 50) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    url = args.database_url
    meta = common.read_meta_url(url)
    if meta is None:
        print(f"no benchmark dataset in {common.database_name(url)}: run generate.py")
        return 1
    special = meta["special"]
    token = (common.read_tokens(url) or common.write_tokens(url, special))["lead"]
    app = load.make_app(url, secrets.token_urlsafe(32))
    load.prepare_read_model(app)

    from portfolio.extensions import db

    per_statement: dict[str, list[float]] = {}
    in_request = {"on": False, "sql": 0.0}

    def before(conn, cursor, statement, params, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):
        took = time.perf_counter() - context._bench_started
        if in_request["on"]:
            in_request["sql"] += took
            name = " ".join(statement.split())[:70]
            per_statement.setdefault(name, []).append(took)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before)
        sa.event.listen(db.engine, "after_cursor_execute", after)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = "https://localhost"
    params = {
        "org": special["lead"]["organisation"],
        "today": date.today(),
        "per_page": load.COHORT_PER_PAGE,
    }
    api, sql, me, app_sql = [], [], [], []
    warm = 5
    with psycopg.connect(common.libpq_url(url), autocommit=True) as anchor:
        anchor.execute("SET jit = off")
        for i in range(args.runs + warm):
            if i == warm:
                per_statement.clear()
            in_request.update(on=True, sql=0.0)
            started = time.perf_counter()
            response = client.get("/api/v1/cohort", headers=headers, base_url=base)
            took_api = time.perf_counter() - started
            in_request["on"] = False
            if response.status_code != 200:
                print(f"/api/v1/cohort answered {response.status_code}")
                return 1
            started = time.perf_counter()
            anchor.execute(load.COHORT_SQL, params).fetchone()
            took_sql = time.perf_counter() - started
            started = time.perf_counter()
            client.get("/api/v1/me", headers=headers, base_url=base)
            took_me = time.perf_counter() - started
            if i >= warm:
                api.append(took_api)
                sql.append(took_sql)
                me.append(took_me)
                app_sql.append(in_request["sql"])
    print(f"{args.runs} runs each, alternated; p50 ms")
    print(f"  cohort API                    {p50(api):7.1f}")
    print(f"  the hand-written query        {p50(sql):7.1f}")
    print(f"  ratio                         {p50(api) / p50(sql):7.2f}x")
    print(f"  /api/v1/me (any API request)  {p50(me):7.1f}")
    print(f"  the API's own SQL, in all     {p50(app_sql):7.1f}")
    print(f"  the API's Python              {p50(api) - p50(app_sql):7.1f}")
    print("the API's statements, p50 ms each:")
    for name, took in per_statement.items():
        print(f"  {p50(took):6.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
