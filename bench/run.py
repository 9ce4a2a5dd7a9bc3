"""Time the scenarios in bench/scenarios.py on the dataset made by bench/generate.py.

    .venv/bin/python bench/run.py                      # every scenario, 50 timed runs
    .venv/bin/python bench/run.py --only cohort --runs 20 --explain

The app runs in-process (create_app and Flask's test client, the same WSGI call a
server makes), against the PostgreSQL benchmark database and, when it answers, Redis
for the rate limiter as in production. Each scenario is warmed up, then timed N times:
server time is measured around the request (client.get, body included), SQL queries
are counted with a `before_cursor_execute` listener on db.engine, and the time spent
inside the database driver with `after_cursor_execute`. Every scenario also runs on a
small twin to show that the number of queries does not grow with the data.

Prints a table and writes bench/results/latest.json (budgets, numbers, pass/fail, the
slowest statements). Always exits 0 once it has measured: it reports, it does not gate.
"""

import argparse
import gc
import os
import platform
import sys
import time
from collections import Counter
from datetime import UTC
from datetime import datetime
from pathlib import Path

import common
import psycopg
import scenarios
import sqlalchemy as sa

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


class QueryCounter:
    """Counts (and, when asked, records) every statement the app sends to PostgreSQL."""

    def __init__(self, engine):
        self.active = True
        self.count = 0
        self.seconds = 0.0
        self.recording = False
        self.statements: list[tuple[float, str, object]] = []
        sa.event.listen(engine, "before_cursor_execute", self.before)
        sa.event.listen(engine, "after_cursor_execute", self.after)

    def reset(self, record: bool = False) -> None:
        self.count, self.seconds = 0, 0.0
        self.recording, self.statements = record, []

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())
        if self.active:
            self.count += 1

    def after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["bench_started"].pop()
        if self.active:
            self.seconds += elapsed
            if self.recording:
                self.statements.append((elapsed * 1000, statement, parameters))


class Bench:
    """What a scenario may use: the app, the scenario users and their tokens."""

    def __init__(self, app, url: str, meta: dict, tokens: dict):
        self.app = app
        self.client = app.test_client()
        self.special = meta["special"]
        self.tokens = tokens
        self.pg = psycopg.connect(common.libpq_url(url), autocommit=True)
        self.requests = 0

    def scalars(self, query: str, **params) -> tuple:
        """One row from the benchmark database (for describing a scenario's data)."""
        return self.pg.execute(query, params).fetchone()

    def api_get(self, who: str, path: str):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}

        def call():
            # A new client address each time keeps the per-address API rate limit
            # (600 a minute) out of the way while still running the limiter.
            self.requests += 1
            n = self.requests
            address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
            response = self.client.get(
                path, headers=headers, environ_base={"REMOTE_ADDR": address}
            )
            response.get_data()
            if response.status_code != 200:
                raise RuntimeError(
                    f"GET {path} as {who}: {response.status_code} "
                    f"{response.get_data(as_text=True)[:300]}"
                )
            return response

        return call

    def web_get(self, who: str, path: str):
        """GET a web page signed in as ``who`` (a session, as after the login form)."""
        from portfolio.extensions import login_manager

        token = self.scalars(
            "SELECT session_token FROM user_account WHERE id = %(id)s",
            id=self.special[who]["user_id"],
        )[0]
        environ = {"REMOTE_ADDR": "10.255.0.1", "HTTP_USER_AGENT": "mpce-bench"}
        client = self.app.test_client()
        with self.app.test_request_context(environ_base=environ):
            # Flask-Login's "strong" protection ties the session to this identifier.
            identifier = login_manager._session_identifier_generator()
        with client.session_transaction(base_url="https://localhost") as session:
            now = int(time.time())  # the sign-in's timestamps: session limits read them
            session.update(
                {
                    "_user_id": token,
                    "_fresh": True,
                    "_id": identifier,
                    "signed_in_at": now,
                    "seen_at": now,
                }
            )

        def call():
            response = client.get(
                path, base_url="https://localhost", environ_base=environ
            )
            response.get_data()
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} as {who}: {response.status_code}")
            return response

        return call

    def in_app(self, function, *args, **kwargs):
        """Time ``function`` inside an app context, as a job or CLI command runs."""
        from portfolio.extensions import db

        def call():
            with self.app.app_context():
                try:
                    return function(*args, **kwargs)
                finally:
                    db.session.remove()

        return call


# ---- measuring -------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def shape(statement: str) -> str:
    """A statement without its parameters' multiplicity, to compare query lists."""
    return " ".join(statement.split())[:160]


def measure(
    case: scenarios.Case,
    counter: QueryCounter,
    runs: int,
    warmup: int,
    freeze: bool = False,
    max_seconds: float = 60.0,
):
    first = case.call()
    if case.check is not None:
        json_body = getattr(first, "is_json", False)
        case.check(first.get_json() if json_body else first)
    for _ in range(warmup - 1):
        case.call()
    if freeze:
        # What a server would do after start-up: keep the long-lived objects out
        # of every later full collection.
        gc.collect()
        gc.freeze()
    times, cpu, queries, sql_ms = [], [], [], []
    budget_started = time.monotonic()
    for i in range(runs):
        # Slow cases stop early (after at least 10 runs) so a run stays short.
        last = i == runs - 1 or (
            i >= 9 and time.monotonic() - budget_started > max_seconds
        )
        counter.reset(record=last)
        cpu_started = time.thread_time()
        started = time.perf_counter()
        case.call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        queries.append(counter.count)
        sql_ms.append(counter.seconds * 1000)
        if last:
            break
    statements = counter.statements
    counter.reset()
    slowest = sorted(statements, key=lambda s: -s[0])
    return {
        "size": case.size,
        "runs": len(times),
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
        "min_ms": round(min(times), 2),
        "mean_ms": round(sum(times) / len(times), 2),
        # time spent in the database driver (PostgreSQL working, rows arriving)
        "sql_p50_ms": round(percentile(sql_ms, 0.50), 2),
        # CPU used by the app's thread: Python work, whatever else the machine does
        "cpu_p50_ms": round(percentile(cpu, 0.50), 2),
        "queries": queries[-1],
        "queries_min": min(queries),
        "queries_max": max(queries),
        "statements": [shape(s) for _, s, _ in statements],
        "slowest": [
            {"ms": round(ms, 2), "sql": " ".join(s.split())[:400]}
            for ms, s, _ in slowest[:5]
        ],
        "_raw": slowest[:3],
    }


def explain(app, counter: QueryCounter, statements) -> list[dict]:
    """EXPLAIN ANALYZE the slowest statements of a run (with their real parameters)."""
    from portfolio.extensions import db

    plans = []
    counter.active = False
    try:
        with app.app_context(), db.engine.connect() as conn:
            for ms, statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                rows = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                ).all()
                plans.append(
                    {
                        "ms": round(ms, 2),
                        "sql": " ".join(statement.split())[:400],
                        "plan": [
                            row[0] if len(row[0]) < 300 else row[0][:300] + " ..."
                            for row in rows
                        ],
                    }
                )
    finally:
        counter.active = True
    return plans


def query_difference(large: dict, small: dict) -> list[str]:
    """Statements run a different number of times on the large and small data."""
    a, b = Counter(large["statements"]), Counter(small["statements"])
    return [
        f"{a[s]}x on large, {b[s]}x on small: {s}"
        for s in sorted(set(a) | set(b))
        if a[s] != b[s]
    ]


# ---- set-up ----------------------------------------------------------------------------


def redis_url(wanted: str | None) -> str | None:
    """The Redis the rate limiter uses, as in production; None falls back to memory."""
    if wanted == "none":
        return None
    url = wanted or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        print(f"Redis at {url} does not answer: the rate limiter uses memory")
        return None
    return url


def load_tokens(app, meta: dict, url: str) -> dict:
    """The tokens saved by generate.py, or new ones when they do not work here."""
    from portfolio.accounts.services import user_for_token

    tokens = common.read_tokens(url)
    with app.app_context():
        valid = all(
            tokens.get(key)
            and (user := user_for_token(tokens[key])) is not None
            and user.id == person["user_id"]
            for key, person in meta["special"].items()
        )
    if not valid:
        print("Making new API tokens for the scenario users (tokens.json was stale)")
        tokens = common.write_tokens(url, meta["special"])
    return tokens


def environment(url: str, meta: dict, limiter: str | None) -> dict:
    with psycopg.connect(common.libpq_url(url)) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings "
                "WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', "
                "'random_page_cost', 'jit')"
            ).fetchall()
        )
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "postgresql": {"version": server, "settings": settings},
        "rate_limit_storage": limiter or "memory://",
        "dataset": {
            "database": common.database_name(url),
            "size": size,
            "scale": meta["scale"],
            "seed": meta["seed"],
            "today": meta["today"],
            "generated_at": meta["generated_at"],
            "generation_seconds": meta["seconds"],
            "counts": meta["counts"],
            "evidence_status": meta["evidence_status"],
        },
    }


# ---- reporting -----------------------------------------------------------------------------


def verdicts(scenario: scenarios.Scenario, results: dict) -> dict:
    large = results["large"]
    constant_runs = all(r["queries_min"] == r["queries_max"] for r in results.values())
    same_sizes = len({r["queries"] for r in results.values()}) == 1
    time_ok = large["p95_ms"] < scenario.budget_ms
    queries_ok = constant_runs and same_sizes
    return {
        "time_ok": time_ok,
        "queries_ok": queries_ok,
        "pass": time_ok and queries_ok,
        "query_difference": (
            query_difference(large, results["small"])
            if "small" in results and not same_sizes
            else []
        ),
    }


def print_table(report: dict) -> None:
    header = (
        f"{'scenario':<14} {'data':<6} {'runs':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} "
        f"{'sql ms':>7} {'cpu ms':>7} {'budget':>8} {'queries':>8}  {'result':<6} "
        "subject"
    )
    print()
    print(header)
    print("-" * len(header))
    for name, entry in report["scenarios"].items():
        for variant, r in entry["results"].items():
            large = variant == "large"
            queries = (
                str(r["queries"])
                if r["queries_min"] == r["queries_max"]
                else f"{r['queries_min']}-{r['queries_max']}"
            )
            result = ""
            if large:
                result = "PASS" if entry["pass"] else "FAIL"
            print(
                f"{name if large else '':<14} {variant:<6} {r['runs']:>4} "
                f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} "
                f"{r['sql_p50_ms']:>7.1f} "
                f"{r['cpu_p50_ms']:>7.1f} "
                f"{('< ' + format(entry['budget_p95_ms'], 'g')) if large else '':>8} "
                f"{queries:>8}  {result:<6} {r['size']}"
            )
    print()
    for name, entry in report["scenarios"].items():
        notes = []
        if not entry["time_ok"]:
            notes.append(
                f"p95 {entry['results']['large']['p95_ms']:.0f} ms is over the "
                f"{entry['budget_p95_ms']:g} ms budget"
            )
        if not entry["queries_ok"]:
            notes.append("the number of queries depends on the data")
        for line in notes:
            print(f"{name}: {line}")
        for line in entry["query_difference"]:
            print(f"  {line}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per case")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60,
        help="stop timing a case after this long (once it has 10 runs)",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated scenario names (default: all)"
    )
    parser.add_argument(
        "--redis-url",
        default=None,
        help=f"rate-limit storage (default: $REDIS_URL or {DEFAULT_REDIS_URL}; "
        "'none' for memory)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="add EXPLAIN ANALYZE of each scenario's slowest statements to the JSON",
    )
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="call gc.freeze() after warming up, as wsgi.py does after start-up "
        "(--no-gc-freeze to see the collector's pauses)",
    )
    parser.add_argument("--json", default=str(common.LATEST_FILE))
    args = parser.parse_args(argv)
    url = args.database_url
    if args.runs < 2 or args.warmup < 1:
        parser.error("--runs must be 2 or more and --warmup 1 or more")

    meta = common.read_meta_url(url)
    if not meta or not meta.get("complete"):
        print(
            f"No benchmark dataset in {common.database_name(url)}: run "
            "bench/generate.py first (make bench does both)."
        )
        return 1
    wanted = [n for n in args.only.split(",") if n]
    chosen = [s for s in scenarios.SCENARIOS if not wanted or s.name in wanted]
    unknown = set(wanted) - {s.name for s in scenarios.SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")

    from portfolio import create_app
    from portfolio.extensions import db

    limiter = redis_url(args.redis_url)
    config = common.app_config(url)
    if limiter:
        config["RATELIMIT_STORAGE_URI"] = limiter
    app = create_app(config)
    with app.app_context():
        counter = QueryCounter(db.engine)
    tokens = load_tokens(app, meta, url)
    bench = Bench(app, url, meta, tokens)
    print(
        f"Dataset {common.database_name(url)}: scale {meta['scale']}, "
        f"{meta['counts']['evidence']:,} evidence items, made {meta['generated_at']}"
    )
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "warmup": args.warmup,
        "gc_freeze": args.gc_freeze,
        **environment(url, meta, limiter),
        "scenarios": {},
    }
    report["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    if report["load_average_before"][0] > (os.cpu_count() or 1):
        print(
            f"Note: the machine is busy (load {report['load_average_before'][0]} on "
            f"{os.cpu_count()} CPUs): timings will be slower and noisier."
        )
    started = time.monotonic()
    for scenario in chosen:
        results = {}
        for variant in scenario.variants:
            case = scenario.build(bench, variant)
            print(f"  {scenario.name} ({variant}: {case.size}) ...", flush=True)
            results[variant] = measure(
                case,
                counter,
                args.runs,
                args.warmup,
                args.gc_freeze,
                args.max_seconds,
            )
        entry = {
            "title": scenario.title,
            "budget_p95_ms": scenario.budget_ms,
            **verdicts(scenario, results),
            "results": results,
        }
        if args.explain:
            entry["explain"] = explain(app, counter, results["large"]["_raw"])
        for r in results.values():
            del r["_raw"]
        report["scenarios"][scenario.name] = entry
    report["seconds"] = round(time.monotonic() - started, 1)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    bench.pg.close()

    print_table(report)
    passed = sum(1 for e in report["scenarios"].values() if e["pass"])
    print(
        f"{passed} of {len(report['scenarios'])} scenarios within budget "
        f"({report['seconds']:.0f}s). Written to {args.json}"
    )
    common.write_json(Path(args.json), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
