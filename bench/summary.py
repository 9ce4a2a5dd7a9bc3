"""The performance targets in one table, from the results the benchmarks last wrote.

`make bench` runs this last. It reads `results/load.json` (bench/load.py),
`results/capacity_report.json` (bench/capacity_report.py) and
`results/pdf_export-200.json` and `results/pdf_export-2000.json`
(bench/pdf_export.py). It prints every target row with the project's figure, the
anchor it is compared with, the ratio, the target and whether it holds. Under the
table it says when each file was measured and the machine's load average then.

A row whose file is missing says which command makes it. It exits 0 whenever it could
read something (it reports, it does not gate), or 1 with --strict if a target does not
hold or was not measured.

    .venv/bin/python bench/summary.py [--strict]
"""

import argparse
import json
import os
import sys
from pathlib import Path

import common

LOAD = common.RESULTS / "load.json"
CAPACITY = common.RESULTS / "capacity_report.json"
PDF = common.RESULTS / "pdf_export-200.json"
PDF_LONG = common.RESULTS / "pdf_export-2000.json"
# How each file is made, for the rows it is missing from.
MAKES = {
    LOAD: "bench/load.py",
    CAPACITY: "bench/capacity_report.py",
    PDF: "bench/pdf_export.py --items 200",
    PDF_LONG: "bench/pdf_export.py --items 2000 --runs 1 --no-anchor",
}


def read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def rows(results: dict[Path, dict | None]) -> list[dict]:
    """The target rows, in the order of the table in bench/README.md."""
    out: list[dict] = []

    def missing(path: Path, what: str, target: str) -> None:
        out.append(
            {
                "what": what,
                "project": None,
                "anchor": None,
                "ratio": None,
                "target": target,
                "holds": None,
                "source": path,
            }
        )

    load = results[LOAD]
    if load is None:
        missing(LOAD, "page and API targets (dashboard, cohort, queue, load)", "-")
    else:
        out.extend({**row, "source": LOAD} for row in load.get("summary", []))

    pdf = results[PDF]
    what = "portfolio PDF pages/s / WeasyPrint plain-block pages/s (200 items)"
    if pdf is None or "anchor" not in pdf:
        missing(PDF, what, ">= 50%")
    else:
        project, anchor = pdf["project"]["pages_per_s"], pdf["anchor"]["pages_per_s"]
        out.append(
            {
                "what": what,
                "project": project,
                "anchor": anchor,
                "ratio": project / anchor,
                "target": ">= 50%",
                "holds": project / anchor >= 0.5,
                "source": PDF,
            }
        )

    long = (results[PDF_LONG] or {}).get("long")
    what = "2,000-item portfolio PDF, seconds (anchor: the 120 s target)"
    if long is None:
        missing(PDF_LONG, what, "< 120 s")
        missing(PDF_LONG, "2,000-item portfolio PDF, largest process MiB", "< 600 MiB")
    else:
        for key, limit, unit, label in (
            ("seconds", long["target_seconds"], "s", what),
            (
                "largest_process_mib",
                long["target_mib"],
                "MiB",
                "2,000-item portfolio PDF, largest process MiB (anchor: 600 MiB)",
            ),
        ):
            out.append(
                {
                    "what": label,
                    "project": long[key],
                    "anchor": limit,
                    "ratio": long[key] / limit,
                    "target": f"< {limit} {unit}",
                    "holds": long[key] < limit,
                    "source": PDF_LONG,
                }
            )

    capacity = results[CAPACITY]
    what = "national capacity report compute, p95 ms (anchor: the 2 s budget)"
    if capacity is None:
        missing(CAPACITY, what, "< 2 s")
    else:
        p95, budget = capacity["compute"]["p95_ms"], capacity["budget_ms"]
        out.append(
            {
                "what": what,
                "project": p95,
                "anchor": budget,
                "ratio": p95 / budget,
                "target": "< 2 s",
                "holds": p95 < budget,
                "source": CAPACITY,
            }
        )
    return out


def when(path: Path, data: dict | None) -> str:
    if data is None:
        return f"{path.name}: not there (make it with {MAKES[path]})"
    stamp = data.get("when") or data.get("measured_at") or "time not recorded"
    load = data.get("load_average")
    if isinstance(load, dict):  # load.json: before and after the run
        load_text = f"{load['before'][0]:.1f} before, {load['after'][0]:.1f} after"
    elif isinstance(data.get("machine"), dict):  # capacity_report.json
        load_text = f"{data['machine']['load_average'][0]:.1f} after"
    elif "project" in data:  # pdf_export: around each run
        load_text = "-".join(f"{x:.1f}" for x in data["project"]["load"])
    else:
        load_text = "not recorded"
    return f"{path.name}: {stamp}, load average {load_text}"


def number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if a target does not hold or was not measured",
    )
    args = parser.parse_args(argv)
    results = {path: read(path) for path in MAKES}
    if not any(results.values()):
        print(f"no results in {common.RESULTS}: run `make bench` first")
        return 1
    table = rows(results)
    print(
        f"{'target':<74}{'project':>10}{'anchor':>10}{'ratio':>8}  {'target':<10}holds"
    )
    for row in table:
        holds = {True: "yes", False: "NO", None: "not measured"}[row["holds"]]
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        print(
            f"{row['what']:<74}{number(row['project']):>10}{number(row['anchor']):>10}"
            f"{ratio:>8}  {row['target']:<10}{holds}"
        )
    print(f"measured on {os.cpu_count()} CPUs:")
    for path, data in results.items():
        print(f"  {when(path, data)}")
    failing = [row["what"] for row in table if row["holds"] is not True]
    print(
        "every target holds"
        if not failing
        else f"{len(failing)} target(s) not holding or not measured"
    )
    return 1 if args.strict and failing else 0


if __name__ == "__main__":
    sys.exit(main())
