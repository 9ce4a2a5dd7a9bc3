"""Time the national capacity report (its budget: under 2 s of compute).

    .venv/bin/python bench/capacity_report.py [--runs 20] [--warmup 3] [--pdf-runs 3]
                                              [--regenerate] [--database-url URL]

Makes (or reuses) its own PostgreSQL database, ``portfolio_capacity_bench`` on
127.0.0.1 by default: the schema through ``flask db upgrade``, then rows written with
COPY (psycopg 3). The dataset is deterministic for a --seed:

- 220 organisations (180 in England's seven regions, 22 Scottish boards, 10 Welsh and
  8 Northern Irish organisations), sized by a long-tailed weight;
- 10 specialisms (the seven MPCE ones and three local names) x 10 intake years
  (2017 to 2026) of training places at every organisation: STP places for all, level 4
  apprenticeship places for about a third;
- 10 years of workforce records (31 March each year) for every organisation and
  specialism, with vacancy rates of 3 to 20% and some retirements not given;
- 10,000 trainees and 3,000 supervisors: 10,000 programme enrolments (70% STP in the
  ten specialisms, 30% apprenticeships) and 1,000 digital-extension enrolments, with a
  training officer each (some changed), assessors for 40%.

Then it times, in-process (``create_app``, an app context, as a worker runs the job):

- **compute**: ``portfolio.capacity.report.compute`` for the national report over the
  ten years (every SQL aggregate and the report's figures, summaries and projections,
  as for the PDF); the budget is 2 s;
- **compute + CSV**: the same with every organisation's every specialism projected,
  and the CSV file written (the CSV report's whole job but storing the file);
- **PDF render**: the charts, the HTML and WeasyPrint, from computed figures
  (no budget; a few runs). The last PDF is kept in bench/results/.

Prints p50, p95 and max, the SQL statements per run (the same on every run) and the
time inside the database driver, and writes bench/results/capacity_report.json.
Exits 0 whenever it could measure (it reports, it does not gate) unless --strict.
"""

import argparse
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import common
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
RESULT_FILE = RESULTS / "capacity_report.json"
PDF_FILE = RESULTS / "capacity-report-national.pdf"
DEFAULT_DATABASE_URL = os.environ.get(
    "CAPACITY_BENCH_DATABASE_URL",
    "postgresql://postgres@127.0.0.1:5432/portfolio_capacity_bench",
)
MARK = "mpce-portfolio-capacity-bench"
GENERATOR_VERSION = 2
BUDGET_MS = 2000
FIRST_YEAR, LAST_YEAR = 2017, 2026
AS_OF_DAY = (3, 31)
TODAY = date(2026, 6, 1)  # the enrolments' dates are laid out around this day
SPECIALISMS = (
    "RP",
    "NM",
    "DR",
    "IN",
    "CE",
    "CSC",
    "MP-ND",
    "Renal Technology",
    "Rehabilitation Engineering",
    "Vascular Science",
)
ENGLAND_REGIONS = (
    "North West",
    "North East and Yorkshire",
    "Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
# Places a year per organisation and specialism, times the organisation's weight:
# about 1,100 a year nationally, against a gap of about 7,000 WTE.
PLACES_PER_YEAR = {"stp": 0.3, "apprenticeship_l4": 0.2}
N_TRAINEES, N_SUPERVISORS, N_EXTENSIONS = 10_000, 3_000, 1_000


# ---- the database --------------------------------------------------------------------


def libpq(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + libpq(url)[len("postgresql://") :]


def conninfo(url: str, dbname: str | None = None) -> str:
    params = psycopg.conninfo.conninfo_to_dict(libpq(url))
    if dbname:
        params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)


def database_name(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(libpq(url))["dbname"]


def read_meta(url: str) -> dict | None:
    """The dataset record kept as the database's comment; None if not ours (or none)."""
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = %s",
            (database_name(url),),
        ).fetchone()
    if row is None:
        return None
    try:
        meta = json.loads(row[0] or "")
    except ValueError:
        return {"mark": None}
    return meta if isinstance(meta, dict) else {"mark": None}


def write_meta(conn: psycopg.Connection, meta: dict) -> None:
    text = json.dumps({"mark": MARK, **meta}, sort_keys=True)
    name = conn.execute("SELECT current_database()").fetchone()[0]
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(text)
        )
    )


def prepare_database(url: str, meta: dict | None, force: bool) -> None:
    name = database_name(url)
    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        if meta is not None:
            if meta.get("mark") != MARK and not force:
                raise SystemExit(
                    f"Database {name!r} exists but was not made by this script; "
                    "pass --force to replace it, or --database-url for another."
                )
            conn.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        write_meta(conn, {"complete": False})


def flask_db_upgrade(url: str) -> None:
    env = common.flask_env(sqlalchemy_url(url))
    result = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("flask db upgrade failed")


# ---- the dataset ---------------------------------------------------------------------------


class Ids:
    """Deterministic 22-character ids, unique per table prefix."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        n = self.counts.get(prefix, 0) + 1
        self.counts[prefix] = n
        return f"{prefix}{n:0{22 - len(prefix)}d}"


def build(seed: int) -> dict[str, list[dict]]:
    """Every row to write, by table, as dicts of column -> value."""
    rng = random.Random(seed)
    new_id = Ids()
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    tables: dict[str, list[dict]] = {
        name: []
        for name in (
            "organisation",
            "curriculum",
            "user_account",
            "training_place",
            "workforce_record",
            "enrolment",
            "supervision_assignment",
        )
    }

    organisations = []
    plan = (
        [("England", ENGLAND_REGIONS[i % 7]) for i in range(180)]
        + [("Scotland", "Scotland")] * 22
        + [("Wales", "Wales")] * 10
        + [("Northern Ireland", "Northern Ireland")] * 8
    )
    for index, (nation, region) in enumerate(plan, start=1):
        weight = min(12.0, rng.lognormvariate(0.3, 0.8))
        org = {
            "id": new_id("org"),
            "code": f"B{index:03d}",
            "name": f"Bench {region} {'Health Board' if nation != 'England' else 'NHS Trust'} {index}",
            "kind": "health_board" if nation in ("Scotland", "Wales") else "trust",
            "nation": nation,
            "region": region,
        }
        tables["organisation"].append(org)
        organisations.append((org, weight))

    for org, weight in organisations:
        for specialism in SPECIALISMS:
            size = weight * rng.uniform(0.4, 1.6)
            for programme, rate in PLACES_PER_YEAR.items():
                if programme != "stp" and rng.random() > 0.33:
                    continue
                for year in range(FIRST_YEAR, LAST_YEAR + 1):
                    mean = size * rate
                    commissioned = max(0, round(rng.gauss(mean, math.sqrt(mean))))
                    filled = min(
                        commissioned, round(commissioned * rng.uniform(0.6, 1))
                    )
                    tables["training_place"].append(
                        {
                            "id": new_id("tp"),
                            "organisation_id": org["id"],
                            "specialism": specialism,
                            "programme": programme,
                            "intake_year": year,
                            "commissioned": commissioned,
                            "filled": filled,
                            "funding_source": "NHS England (NSHCS commissioned)"
                            if programme == "stp"
                            else "Apprenticeship levy",
                            "created_at": moment,
                            "updated_at": moment,
                        }
                    )
            establishment = Decimal(round(size * rng.uniform(6, 14), 1)).quantize(
                Decimal("0.01")
            )
            for year in range(FIRST_YEAR, LAST_YEAR + 1):
                establishment = (
                    establishment * Decimal(str(round(rng.uniform(0.98, 1.05), 3)))
                ).quantize(Decimal("0.01"))
                vacancy = Decimal(str(round(rng.uniform(0.03, 0.20), 3)))
                in_post = (establishment * (1 - vacancy)).quantize(Decimal("0.01"))
                known = rng.random() > 0.1
                retiring_5y = round(float(in_post) * rng.uniform(0.03, 0.12))
                tables["workforce_record"].append(
                    {
                        "id": new_id("wf"),
                        "organisation_id": org["id"],
                        "specialism": specialism,
                        "as_of": date(year, *AS_OF_DAY),
                        "establishment_wte": establishment,
                        "in_post_wte": in_post,
                        "vacancies_wte": establishment - in_post,
                        "retiring_5y": retiring_5y if known else None,
                        "retiring_15y": retiring_5y
                        + round(float(in_post) * rng.uniform(0.05, 0.2))
                        if known
                        else None,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )

    curricula = {}
    for specialism in SPECIALISMS:
        curricula[specialism] = _curriculum(
            new_id, f"bench-stp-{specialism}", "stp", specialism, moment
        )
    curricula["apprenticeship"] = _curriculum(
        new_id, "bench-apprenticeship", "apprenticeship", None, moment
    )
    curricula["digital"] = _curriculum(new_id, "bench-digital", "digital", None, moment)
    tables["curriculum"] = list(curricula.values())

    def person(kind: str, n: int) -> dict:
        return {
            "id": new_id(kind[:2]),
            "email": f"{kind}{n}@bench.invalid",
            "name": f"Bench {kind.title()} {n}",
            "password_hash": None,
            "session_token": f"{kind}-{n}",
            "active": True,
            "created_at": moment,
            "last_login_at": None,
        }

    weights = [weight for _, weight in organisations]
    supervisors_at: dict[str, list[str]] = {org["id"]: [] for org, _ in organisations}
    for n in range(N_SUPERVISORS):
        user = person("supervisor", n)
        tables["user_account"].append(user)
        org = organisations[
            n % len(organisations)
            if n < len(organisations)
            else rng.choices(range(len(organisations)), weights)[0]
        ][0]
        supervisors_at[org["id"]].append(user["id"])

    enrolments = tables["enrolment"]
    for n in range(N_TRAINEES):
        user = person("trainee", n)
        tables["user_account"].append(user)
        org = rng.choices(organisations, weights)[0][0]
        if rng.random() < 0.7:
            curriculum, years = curricula[rng.choice(SPECIALISMS)], 3
        else:
            curriculum, years = curricula["apprenticeship"], 2
        start = TODAY - timedelta(days=rng.randint(0, 365 * years + 200))
        end = start + timedelta(days=365 * years)
        roll = rng.random()
        if end < TODAY:
            status = "completed" if roll < 0.85 else "active"  # some overrun
        else:
            status = (
                "withdrawn"
                if roll < 0.03
                else "break_in_learning"
                if roll < 0.05
                else "active"
            )
        enrolment = _enrolment(
            new_id, user, curriculum, org, start, end, status, moment
        )
        enrolments.append(enrolment)
        pool = supervisors_at[org["id"]] or supervisors_at[organisations[0][0]["id"]]
        officer = rng.choice(pool)
        changed = rng.random() < 0.15
        first_end = start + timedelta(days=rng.randint(90, 500)) if changed else None
        tables["supervision_assignment"].append(
            _assignment(
                new_id, enrolment, officer, "training_officer", start, first_end
            )
        )
        if changed:
            tables["supervision_assignment"].append(
                _assignment(
                    new_id,
                    enrolment,
                    rng.choice(pool),
                    "training_officer",
                    first_end + timedelta(days=1),
                    None,
                )
            )
        if rng.random() < 0.4:
            tables["supervision_assignment"].append(
                _assignment(
                    new_id, enrolment, rng.choice(pool), "assessor", start, None
                )
            )
        if n < N_EXTENSIONS:
            enrolments.append(
                _enrolment(
                    new_id,
                    user,
                    curricula["digital"],
                    org,
                    start,
                    end,
                    "active",
                    moment,
                )
            )
    return tables


def _curriculum(new_id, slug, kind, specialism, moment) -> dict:
    return {
        "id": new_id("cu"),
        "slug": slug,
        "version": "1",
        "kind": kind,
        "title": f"Bench {slug}",
        "description": "",
        "effective_from": date(2022, 1, 1),
        "source": "{}",
        "provenance": None,
        "specialism": specialism,
        "programme": "{}",
        "includes": "[]",
        "case_associations": "[]",
        "is_current": True,
        "content_hash": "0" * 64,
        "source_file": "",
        "loaded_at": moment,
    }


def _enrolment(new_id, user, curriculum, org, start, end, status, moment) -> dict:
    return {
        "id": new_id("en"),
        "trainee_id": user["id"],
        "curriculum_id": curriculum["id"],
        "organisation_id": org["id"],
        "start_date": start,
        "expected_end_date": end,
        "status": status,
        "created_at": moment,
    }


def _assignment(new_id, enrolment, supervisor, role, start, end) -> dict:
    return {
        "id": new_id("sa"),
        "enrolment_id": enrolment["id"],
        "trainee_id": enrolment["trainee_id"],
        "supervisor_id": supervisor,
        "role": role,
        "start_date": start,
        "end_date": end,
    }


def check_columns(conn: psycopg.Connection, tables: dict[str, list[dict]]) -> None:
    """Fail clearly if the schema has a required column this script does not fill."""
    missing = []
    for table, rows in tables.items():
        given = set(rows[0])
        required = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema() AND is_nullable = 'NO' "
            "AND column_default IS NULL",
            (table,),
        ).fetchall()
        missing += [f"{table}.{name}" for (name,) in required if name not in given]
    if missing:
        raise SystemExit(
            "The schema has required columns bench/capacity_report.py does not fill: "
            + ", ".join(missing)
        )


def write(url: str, tables: dict[str, list[dict]]) -> dict[str, int]:
    counts = {}
    with psycopg.connect(conninfo(url)) as conn:
        check_columns(conn, tables)
        with conn.cursor() as cur:
            for table, rows in tables.items():
                columns = list(rows[0])
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                )
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
                counts[table] = len(rows)
        conn.commit()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return counts


def ensure_dataset(url: str, seed: int, regenerate: bool, force: bool) -> dict:
    meta = read_meta(url)
    if (
        not regenerate
        and meta
        and meta.get("mark") == MARK
        and meta.get("complete")
        and meta.get("generator") == GENERATOR_VERSION
        and meta.get("seed") == seed
    ):
        flask_db_upgrade(url)  # a newer migration may have arrived
        print(f"reusing {database_name(url)} (made {meta['generated_at']})")
        return meta
    started = time.monotonic()
    print(f"making {database_name(url)}: schema, then rows by COPY ...", flush=True)
    prepare_database(url, meta, force)
    flask_db_upgrade(url)
    counts = write(url, build(seed))
    meta = {
        "complete": True,
        "generator": GENERATOR_VERSION,
        "seed": seed,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "counts": counts,
    }
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        write_meta(conn, meta)
    print(
        f"made in {meta['seconds']} s: "
        + ", ".join(f"{n:,} {table}" for table, n in counts.items())
    )
    return meta


# ---- timing -----------------------------------------------------------------------------


class Counter:
    """SQL statements and time inside the driver (before/after_cursor_execute)."""

    def __init__(self, engine):
        import sqlalchemy as sa

        self.count, self.seconds = 0, 0.0
        sa.event.listen(engine, "before_cursor_execute", self.before)
        sa.event.listen(engine, "after_cursor_execute", self.after)

    def reset(self):
        self.count, self.seconds = 0, 0.0

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()
        self.count += 1

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.seconds += time.perf_counter() - conn.info.pop("bench_started")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(0, math.ceil(share * len(ordered)) - 1)
    return ordered[rank]


def timed(label: str, call, runs: int, warmup: int, counter, app) -> dict:
    from portfolio.extensions import db

    walls, cpus, sqls, queries = [], [], [], set()
    result = None
    for index in range(warmup + runs):
        with app.app_context():
            counter.reset()
            wall, cpu = time.perf_counter(), time.thread_time()
            result = call()
            cpu = time.thread_time() - cpu
            wall = time.perf_counter() - wall
            db.session.remove()
        if index >= warmup:
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            sqls.append(counter.seconds * 1000)
            queries.add(counter.count)
    summary = {
        "runs": runs,
        "p50_ms": round(statistics.median(walls), 1),
        "p95_ms": round(percentile(walls, 0.95), 1),
        "max_ms": round(max(walls), 1),
        "min_ms": round(min(walls), 1),
        "sql_ms_p50": round(statistics.median(sqls), 1),
        "cpu_ms_p50": round(statistics.median(cpus), 1),
        "queries": sorted(queries),
    }
    print(
        f"  {label:<16} p50 {summary['p50_ms']:>8.1f} ms   p95 {summary['p95_ms']:>8.1f} ms"
        f"   max {summary['max_ms']:>8.1f} ms   sql {summary['sql_ms_p50']:>7.1f} ms"
        f"   cpu {summary['cpu_ms_p50']:>7.1f} ms   queries {summary['queries']}",
        flush=True,
    )
    return summary | {"_result": result}


def measure(url: str, runs: int, warmup: int, pdf_runs: int) -> dict:
    os.environ.pop("REDIS_URL", None)
    from portfolio import create_app
    from portfolio.capacity import report
    from portfolio.exports.pdf import render_pdf
    from portfolio.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "REDIS_URL": None,
            "BASE_URL": "http://localhost:5000",
        }
    )
    with app.app_context():
        counter = Counter(db.engine)
    scope = report.ReportScope("national", "All organisations (national)", None)

    def compute():
        return report.compute(scope, FIRST_YEAR, LAST_YEAR, today=TODAY)

    def compute_csv():
        data = report.compute(scope, FIRST_YEAR, LAST_YEAR, detail=True, today=TODAY)
        return report.to_csv(data)

    print(
        f"national capacity report, {FIRST_YEAR} to {LAST_YEAR}: "
        f"{warmup} warm-up + {runs} timed runs (budget {BUDGET_MS} ms of compute)"
    )
    results = {
        "compute": timed("compute", compute, runs, warmup, counter, app),
        "compute_csv": timed("compute + CSV", compute_csv, runs, warmup, counter, app),
    }
    data = results["compute"].pop("_result")
    csv_bytes = results["compute_csv"].pop("_result")
    export = SimpleNamespace(
        verification_code="BNCH-BNCH-BNCH-BNCH", params={"base_url": None}
    )

    def pdf():
        return render_pdf(report.to_html(data, export))[0]

    results["pdf_render"] = timed("PDF render", pdf, pdf_runs, 0, counter, app)
    pdf_bytes = results["pdf_render"].pop("_result")
    RESULTS.mkdir(parents=True, exist_ok=True)
    PDF_FILE.write_bytes(pdf_bytes)
    pages = pdf_pages(PDF_FILE)
    results["pdf_render"] |= {"bytes": len(pdf_bytes), "file": str(PDF_FILE)}
    results["compute_csv"] |= {
        "csv_bytes": len(csv_bytes),
        "csv_rows": csv_bytes.count(b"\n") - 1,
    }
    results["report"] = {
        "organisations": len(data.organisations),
        "specialisms": len(data.specialisms),
        "years": len(data.years),
        "trainees": data.total.trainees,
        "supervisors": data.total.supervisors,
        "places_commissioned": data.total.total_commissioned,
        "pdf_pages": pages,
    }
    return results


def pdf_pages(path: Path) -> int | None:
    try:
        info = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--pdf-runs", type=int, default=3)
    parser.add_argument(
        "--regenerate", action="store_true", help="make the dataset again"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the database even if this script did not make it",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when compute p95 is over budget"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.pdf_runs < 1:
        parser.error("--runs and --pdf-runs must be 1 or more, --warmup 0 or more")
    meta = ensure_dataset(args.database_url, args.seed, args.regenerate, args.force)
    results = measure(args.database_url, args.runs, args.warmup, args.pdf_runs)
    within = {
        key: results[key]["p95_ms"] < BUDGET_MS for key in ("compute", "compute_csv")
    }
    for key, ok in within.items():
        results[key]["within_budget"] = ok
    print(
        f"budget: compute < {BUDGET_MS} ms: "
        + ", ".join(
            f"{key} p95 {results[key]['p95_ms']:.0f} ms {'within' if ok else 'OVER'}"
            for key, ok in within.items()
        )
    )
    output = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "budget_ms": BUDGET_MS,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "database": database_name(args.database_url),
        "dataset": {key: meta.get(key) for key in ("seed", "generated_at", "counts")},
        "years": [FIRST_YEAR, LAST_YEAR],
        **results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = RESULT_FILE.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(output, indent=2, default=str) + "\n")
    tmp.replace(RESULT_FILE)
    print(f"wrote {RESULT_FILE.relative_to(REPO)} and {PDF_FILE.relative_to(REPO)}")
    return 1 if args.strict and not all(within.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
