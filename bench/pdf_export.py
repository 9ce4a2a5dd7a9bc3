"""Portfolio PDF benchmark: our export against WeasyPrint laying out plain blocks.

Builds a portfolio of any number of signed-off evidence items in a throwaway SQLite
database (through the real services, so the content is what the app makes; every date
is in the past whatever ``--items``), then times, each run in a fresh process:

- ``project``: what the export job does, from the database to PDF bytes
  (``build_portfolio`` + the template + the render, PDF/UA-1). Over ``--part-items``
  items (the app's ``PDF_PART_ITEMS``, default 150) that is the render in parts: child
  processes, ``--processes`` at a time, merged into one file;
- ``anchor``: WeasyPrint alone laying out the same words as plain paragraphs (no
  stylesheet, the same PDF/UA-1 variant), the yardstick: the project must reach at
  least half its pages per second (``BUDGET_RATIO``). Over ``--anchor-pages`` pages
  (default 300) the anchor lays out only its first that many pages' worth of words
  (its rate does not depend on length; the report says when it was a sample).

The two alternate which goes first run by run, so a change in the machine's load
weighs on both. It reports seconds, pages, pages per second, CPU seconds (the parts'
processes included), peak memory (of the job's process, of the largest part's and of
the merge's process) and
the load average around each run (the machine is shared: CPU seconds say how much work
a render was, wall seconds how long it took on the machine as it was).

    .venv/bin/python bench/pdf_export.py [--items 200] [--runs 3] [--keep DIR] [--results DIR]
        [--part-items 150] [--processes 2] [--anchor-pages 300]
"""

import argparse
import multiprocessing
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import common

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET_RATIO = 2.0
# The long portfolio's targets: the export job in under LONG_SECONDS, and every process
# it runs (its own, each part's, the merge's) under LONG_MIB, at LONG_ITEMS items or more.
LONG_ITEMS, LONG_SECONDS, LONG_MIB = 2000, 120, 600
# The span the evidence dates cover, ending today (so none is in the future).
SPAN_DAYS = 3 * 365


def evidence_date(i: int, items: int, today: date) -> date:
    """Item ``i``'s date: spread over the span before ``today``, oldest first."""
    return today - timedelta(days=(items - 1 - i) * SPAN_DAYS // max(items, 1))


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

    today = date.today()
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
            today - timedelta(days=SPAN_DAYS + 30),
            today + timedelta(days=365),
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
                    occurred_on=evidence_date(i, items, today),
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


# Set by main() from the command line (and inherited by the spawned measuring process
# through its arguments, see _project).
PART_OPTIONS: dict = {}


def _config(path: Path, parts: dict | None = None) -> dict:
    return {
        **(parts or {}),
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
    from portfolio.exports.services import portfolio_html
    from portfolio.extensions import db

    app = create_app(_config(path))
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        return portfolio_html(_export(enrolment), build_portfolio(enrolment))


def _export(enrolment):
    from portfolio.exports.models import Export
    from portfolio.exports.models import new_verification_code

    return Export(
        kind="portfolio",
        enrolment_id=enrolment.id,
        requested_by_id=enrolment.trainee_id,
        verification_code=new_verification_code(),
    )


def _project(path: Path, enrolment_id: str, parts: dict) -> tuple[float, int, dict]:
    """Database to PDF bytes, as the job does; returns (seconds, pages, parts)."""
    os.environ["PORTFOLIO_INSTANCE_PATH"] = str(path / "instance")
    from portfolio import create_app
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports import services
    from portfolio.exports.documents import build_portfolio
    from portfolio.exports.pdf import render_in_parts
    from portfolio.exports.pdf import render_pdf
    from portfolio.extensions import db

    started = time.perf_counter()
    app = create_app(_config(path, parts))
    detail = {
        "parts": 1,
        "part_peak_mib": 0.0,
        "merge_peak_mib": 0.0,
        "part_cpu_s": 0.0,
    }
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        export = _export(enrolment)
        content = build_portfolio(enrolment)
        if len(content.entries) > services.part_items():
            front, later, targets = services.portfolio_parts(export, content)
            pdf, rendered, merge = render_in_parts(
                front,
                later,
                targets=targets,
                processes=app.config["PDF_PART_PROCESSES"],
                stage_parts=app.config["PDF_MERGE_STAGE_PARTS"],
            )
            detail = {
                # The first part is rendered twice (again with its contents' numbers).
                "parts": len(rendered),
                "part_peak_mib": max(r.peak_rss_kib for r in rendered) / 1024,
                "merge_peak_mib": merge.peak_rss_kib / 1024,
                "part_cpu_s": sum(r.cpu_s for r in rendered)
                + rendered[0].cpu_s
                + merge.cpu_s,
            }
        else:
            pdf, _ = render_pdf(services.portfolio_html(export, content))
    seconds = time.perf_counter() - started
    (path / "project.pdf").write_bytes(pdf)
    return seconds, _pages(pdf), detail


def plain_blocks(html: str, words_per_block: int = 60) -> str:
    """The same words as plain paragraphs, with no stylesheet: the anchor's input."""
    text = re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[-1])
    words = text.split()
    blocks = "".join(
        "<p>" + " ".join(words[i : i + words_per_block]) + "</p>"
        for i in range(0, len(words), words_per_block)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Plain blocks</title></head><body>{blocks}</body></html>"
    )


def sample_blocks(html: str, fraction: float) -> str:
    """The first ``fraction`` of the plain blocks (the anchor's rate is linear)."""
    head, _, body = html.partition("<body>")
    blocks = body.removesuffix("</body></html>").split("</p>")[:-1]
    keep = max(1, round(len(blocks) * fraction))
    return f"{head}<body>{'</p>'.join(blocks[:keep])}</p></body></html>"


def _anchor(html: str) -> tuple[float, int, dict]:
    from weasyprint import HTML

    started = time.perf_counter()
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return time.perf_counter() - started, _pages(pdf), {}


def _pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    return int(re.search(rb"Pages:\s+(\d+)", info.stdout).group(1))


def _in_child(target, *args):
    """Run ``target`` in a fresh process.

    Returns (seconds, pages, peak MiB, CPU s, load before and after, detail): CPU
    includes the parts' processes, peak is the measured process's own (the largest
    part's is in ``detail``).
    """
    # A plain (not daemonic) process: the project's render starts processes of its own.
    context = multiprocessing.get_context("spawn")
    before = os.getloadavg()[0]
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_measured, args=(send, target, *args))
    process.start()
    send.close()
    try:
        seconds, pages, peak, cpu, detail = receive.recv()
    finally:
        process.join()
    return seconds, pages, peak, cpu, (before, os.getloadavg()[0]), detail


def _measured(send, target, *args):
    cpu = time.process_time()
    seconds, pages, detail = target(*args)
    cpu = time.process_time() - cpu + detail.get("part_cpu_s", 0.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    send.send((seconds, pages, peak, cpu, detail))


def long_target(items: int, s: dict) -> dict:
    """The long portfolio's row of the targets: its time and its largest process."""
    largest = max(s["peak_rss_mib"], s["part_peak_rss_mib"], s["merge_peak_rss_mib"])
    return {
        "items": items,
        "seconds": s["median_s"],
        "largest_process_mib": round(largest, 1),
        "target_seconds": LONG_SECONDS,
        "target_mib": LONG_MIB,
        "holds": s["median_s"] < LONG_SECONDS and largest < LONG_MIB,
    }


def long_verdict(long: dict) -> str:
    return (
        f"{long['items']:,}-item portfolio: {long['seconds']} s (target < "
        f"{LONG_SECONDS} s), largest process {long['largest_process_mib']:.0f} MiB "
        f"(target < {LONG_MIB} MiB): " + ("holds" if long["holds"] else "does NOT hold")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the database in this folder, or reuse the one already there",
    )
    parser.add_argument(
        "--part-items",
        type=int,
        default=150,
        help="render in parts of this many items (0: one document, as before parts)",
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--merge-stage-parts",
        type=int,
        default=0,
        help="parts added per merge stage (0: the app's PDF_MERGE_STAGE_PARTS; "
        "more than the parts: one stage)",
    )
    parser.add_argument(
        "--anchor-pages",
        type=int,
        default=300,
        help="lay the anchor out on a sample of about this many pages (0: all)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=common.RESULTS,
        help="the folder the results file is written to (default bench/results)",
    )
    parser.add_argument(
        "--no-anchor",
        action="store_true",
        help="time the project only (no yardstick; the results file has no ratio)",
    )
    args = parser.parse_args()
    parts = {
        "PDF_PART_ITEMS": args.part_items or 10**9,
        "PDF_PART_PROCESSES": args.processes,
    }
    if args.merge_stage_parts:  # else the app's setting
        parts["PDF_MERGE_STAGE_PARTS"] = args.merge_stage_parts
    with tempfile.TemporaryDirectory() as tmp:
        # Absolute: the app takes the folder as its instance path.
        path = (args.keep or Path(tmp)).resolve()
        path.mkdir(parents=True, exist_ok=True)
        marker = path / f"enrolment-{args.items}.txt"
        if marker.exists():
            enrolment_id = marker.read_text()
        else:
            print(
                f"building a portfolio of {args.items} signed-off items...", flush=True
            )
            for old in path.glob("bench.db*"):
                old.unlink()
            enrolment_id = build_database(path, args.items)
            marker.write_text(enrolment_id)
        anchor_html = "" if args.no_anchor else plain_blocks(_html(path, enrolment_id))
        # About 12.5 plain blocks of 60 words to an A4 page (178 pages at 200 items).
        blocks = anchor_html.count("<p>")
        anchor_note = "not run (--no-anchor)" if args.no_anchor else "all of the words"
        if args.anchor_pages and blocks > args.anchor_pages * 12.5:
            fraction = args.anchor_pages * 12.5 / blocks
            anchor_html = sample_blocks(anchor_html, fraction)
            anchor_note = f"the first {fraction:.0%} of the words (a sample)"
        print(
            f"anchor: plain blocks of {anchor_note}; project: "
            + (
                f"in parts of {args.part_items} items, {args.processes} processes"
                if args.part_items and args.items > args.part_items
                else "one document"
            ),
            flush=True,
        )
        rows: dict[str, list] = {"project": [], "anchor": []}
        for run in range(args.runs):
            order = ("anchor", "project") if run % 2 == 0 else ("project", "anchor")
            for name in order:
                if name == "anchor" and args.no_anchor:
                    continue
                if name == "anchor":
                    result = _in_child(_anchor, anchor_html)
                else:
                    result = _in_child(_project, path, enrolment_id, parts)
                rows[name].append(result)
                detail = result[5]
                in_parts = (
                    f" ({detail['parts']} parts, largest part {detail['part_peak_mib']:.0f}"
                    f" MiB, merge {detail['merge_peak_mib']:.0f} MiB)"
                    if detail.get("parts", 1) > 1
                    else ""
                )
                print(
                    f"run {run + 1} {name:8} {result[0]:7.1f} s {result[1]:5} pages "
                    f"{result[1] / result[0]:5.1f} pages/s, CPU {result[3]:6.1f} s "
                    f"({result[1] / result[3]:5.1f} pages/CPU-s), peak {result[2]:5.0f} "
                    f"MiB{in_parts}, load {result[4][0]:.1f}-{result[4][1]:.1f}",
                    flush=True,
                )
    summary = {}
    for name, results in rows.items():
        if not results:
            continue
        rates = [r[1] / r[0] for r in results]
        summary[name] = {
            "median_s": round(statistics.median(r[0] for r in results), 2),
            "pages": results[0][1],
            "pages_per_s": round(statistics.median(rates), 1),
            "peak_rss_mib": round(max(r[2] for r in results), 1),
            "cpu_s": round(statistics.median(r[3] for r in results), 2),
            "pages_per_cpu_s": round(
                statistics.median(r[1] / r[3] for r in results), 1
            ),
            "load": [round(x, 1) for r in results for x in r[4]],
            "parts": results[0][5].get("parts", 1),
            "part_peak_rss_mib": round(
                max(r[5].get("part_peak_mib", 0.0) for r in results), 1
            ),
            "merge_peak_rss_mib": round(
                max(r[5].get("merge_peak_mib", 0.0) for r in results), 1
            ),
        }
    report: dict = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": args.items,
        "runs": args.runs,
        "part_items": args.part_items,
        "processes": args.processes,
        "anchor_input": anchor_note,
        "cpus": os.cpu_count(),
        **summary,
    }
    if args.items >= LONG_ITEMS:
        report["long"] = long_target(args.items, summary["project"])
        print(long_verdict(report["long"]))
    result_file = args.results.resolve() / f"pdf_export-{args.items}.json"
    if args.no_anchor:
        s = summary["project"]
        print(
            f"project {s['median_s']} s, {s['pages']} pages, CPU {s['cpu_s']} s, "
            f"peak MiB: job {s['peak_rss_mib']}, largest part {s['part_peak_rss_mib']},"
            f" merge {s['merge_peak_rss_mib']}"
        )
        common.write_json(result_file, report)
        print(f"wrote {result_file}")
        return
    ratio = summary["anchor"]["pages_per_s"] / summary["project"]["pages_per_s"]
    cpu_ratio = (
        summary["anchor"]["pages_per_cpu_s"] / summary["project"]["pages_per_cpu_s"]
    )
    report |= {
        "anchor_over_project": round(ratio, 2),
        "anchor_over_project_cpu": round(cpu_ratio, 2),
        "budget_ratio": BUDGET_RATIO,
        "within_budget": ratio <= BUDGET_RATIO,
    }
    print(
        f"{'':8} {'median s':>9} {'pages':>6} {'pages/s':>8} {'CPU s':>7} "
        f"{'pages/CPU-s':>11} {'peak MiB':>9} {'part MiB':>9}"
    )
    for name in ("anchor", "project"):
        s = summary[name]
        print(
            f"{name:8} {s['median_s']:>9} {s['pages']:>6} {s['pages_per_s']:>8} "
            f"{s['cpu_s']:>7} {s['pages_per_cpu_s']:>11} {s['peak_rss_mib']:>9} "
            f"{s['part_peak_rss_mib']:>9}"
        )
    verdict = "PASS" if report["within_budget"] else "FAIL"
    print(
        f"plain blocks / project pages per second = {ratio:.2f} "
        f"(budget {BUDGET_RATIO}): {verdict}; per CPU second {cpu_ratio:.2f}"
    )
    common.write_json(result_file, report)
    print(f"wrote {result_file}")


if __name__ == "__main__":
    main()
