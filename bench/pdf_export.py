"""Portfolio PDF benchmark: our export pipeline against WeasyPrint alone.

Builds a portfolio of 200 signed-off evidence items in a throwaway SQLite database
(through the real services, so the content is what the app makes), then times:

- ``pipeline``: what the export job does, from the database to PDF bytes
  (``build_portfolio`` + the template + ``render_pdf`` with the safe fetcher);
- ``weasyprint``: WeasyPrint rendering the same HTML alone (its default fetcher,
  the same PDF/UA-1 variant), the budget's yardstick: the pipeline must stay
  within 1.25x of it;

each run in a fresh process, reporting seconds, pages per second and peak memory,
and the throughput of two worker processes rendering side by side.

    .venv/bin/python bench/pdf_export.py [--items 200] [--runs 3]
"""

import argparse
import json
import multiprocessing
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
BUDGET_RATIO = 1.25


def build_database(path: Path, items: int) -> str:
    """Create the portfolio; return the enrolment id."""
    os.environ["PORTFOLIO_INSTANCE_PATH"] = str(path / "instance")
    from portfolio import create_app
    from portfolio.accounts import services as accounts
    from portfolio.curriculum import services as curricula
    from portfolio.enrolments import services as training
    from portfolio.enrolments.services import SupervisorInput
    from portfolio.evidence import services as evidence
    from portfolio.extensions import db
    from portfolio.organisations.services import import_organisations
    from portfolio.signoff import services as signoff

    app = create_app(_config(path))
    with app.app_context():
        db.create_all()
        curricula.load_paths(None)
        import_organisations(
            "code,name,kind,nation,region\nRBV,The Christie NHS Foundation Trust,trust,England,North West\n"
        )
        trainee, _ = accounts.create_user(
            "t@example.org", "Aisha Rahman", "long-password-1", "trainee", "RBV"
        )
        tutor, _ = accounts.create_user(
            "s@example.org", "Dr Tom Okafor", "long-password-1", "supervisor", "RBV"
        )
        lead, _ = accounts.create_user(
            "l@example.org", "Dr Priya Shah", "long-password-1", "training_lead", "RBV"
        )
        db.session.commit()
        enrolment = training.create_enrolment(
            lead,
            trainee.email,
            "stp-rp",
            "RBV",
            date(2024, 9, 1),
            date(2027, 8, 31),
            [SupervisorInput(tutor.email, "training_officer")],
        )
        codes = [
            o.code for o in curricula.outcomes_of(enrolment.curriculum) if o.countable
        ]
        paragraph = (
            "I prepared the equipment, checked the tolerances against the local protocol and "
            "discussed the results with the duty physicist before release. "
        ) * 4
        for i in range(items):
            item = evidence.create_evidence(
                trainee,
                evidence.EvidenceInput(
                    title=f"Evidence item {i + 1}: routine quality control session",
                    kind="reflection",
                    occurred_on=date(2025, 1, 1) + timedelta(days=i),
                    body=f"**Context.** {paragraph}\n\n- point one\n- point two",
                    form={
                        "what_happened": paragraph,
                        "so_what": paragraph[:300],
                        "now_what": paragraph[:200],
                    },
                    claims=[evidence.ClaimRef("stp-rp", codes[i % len(codes)])],
                ),
            )
            signoff.submit(trainee, item, tutor.email)
            signoff.decide(tutor, item, "approve", "Good reflection with a clear plan.")
        return enrolment.id


def _config(path: Path) -> dict:
    return {
        "SECRET_KEY": "bench",
        "BASE_URL": "http://localhost:5000",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}/bench.db",
        "FILES_DIR": str(path / "files"),
        "REDIS_URL": None,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MAIL_SUPPRESS": True,
    }


def _html(path: Path, enrolment_id: str) -> str:
    from portfolio import create_app
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports.documents import build_portfolio
    from portfolio.exports.models import Export
    from portfolio.exports.services import portfolio_html
    from portfolio.extensions import db

    app = create_app(_config(path))
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        export = Export(
            kind="portfolio",
            enrolment_id=enrolment_id,
            requested_by_id=enrolment.trainee_id,
        )
        return portfolio_html(export, build_portfolio(enrolment))


def _pipeline(path: Path, enrolment_id: str) -> tuple[float, int]:
    """Database to PDF bytes, as the job does; returns (seconds, pages)."""
    os.environ["PORTFOLIO_INSTANCE_PATH"] = str(path / "instance")
    from portfolio.exports.pdf import render_pdf

    started = time.perf_counter()
    html = _html(path, enrolment_id)
    pdf, _ = render_pdf(html)
    return time.perf_counter() - started, _pages(pdf)


def _weasyprint_alone(html: str) -> tuple[float, int]:
    from weasyprint import HTML

    from portfolio.exports.pdf import ASSET_ROOT

    # The stylesheet by path (WeasyPrint's default fetcher reads file:// URLs).
    html = html.replace(
        "https://portfolio.invalid/pdf-assets/", ASSET_ROOT.as_uri() + "/"
    )
    started = time.perf_counter()
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return time.perf_counter() - started, _pages(pdf)


def _pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    return int(re.search(rb"Pages:\s+(\d+)", info.stdout).group(1))


def _in_child(target, *args):
    """Run ``target`` in a fresh process; return its result and peak RSS in MiB."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result = pool.apply(_measured, (target, *args))
    return result


def _measured(target, *args):
    seconds, pages = target(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, pages, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        print(f"building a portfolio of {args.items} signed-off items...", flush=True)
        enrolment_id = build_database(path, args.items)
        html = _html(path, enrolment_id)
        rows = {"pipeline": [], "weasyprint": []}
        for _ in range(args.runs):
            rows["weasyprint"].append(_in_child(_weasyprint_alone, html))
            rows["pipeline"].append(_in_child(_pipeline, path, enrolment_id))
        context = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        with context.Pool(2) as pool:
            pool.starmap(_pipeline, [(path, enrolment_id)] * 4)
        two_workers = 4 / (time.perf_counter() - started) * 60
    summary = {}
    for name, results in rows.items():
        seconds = [r[0] for r in results]
        summary[name] = {
            "median_s": round(statistics.median(seconds), 3),
            "pages": results[0][1],
            "pages_per_s": round(results[0][1] / statistics.median(seconds), 1),
            "peak_rss_mib": round(max(r[2] for r in results), 1),
        }
    ratio = summary["pipeline"]["median_s"] / summary["weasyprint"]["median_s"]
    report = {
        "items": args.items,
        "runs": args.runs,
        **summary,
        "ratio": round(ratio, 3),
        "budget_ratio": BUDGET_RATIO,
        "within_budget": ratio <= BUDGET_RATIO,
        "two_workers_pdfs_per_minute": round(two_workers, 1),
    }
    print(f"{'':12} {'median s':>9} {'pages':>6} {'pages/s':>8} {'peak MiB':>9}")
    for name in ("weasyprint", "pipeline"):
        s = summary[name]
        print(
            f"{name:12} {s['median_s']:>9} {s['pages']:>6} {s['pages_per_s']:>8} {s['peak_rss_mib']:>9}"
        )
    verdict = "PASS" if report["within_budget"] else "FAIL"
    print(
        f"pipeline / WeasyPrint alone = {ratio:.2f} (budget {BUDGET_RATIO}): {verdict}"
    )
    print(f"two workers side by side: {two_workers:.1f} PDFs a minute")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pdf_export.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
