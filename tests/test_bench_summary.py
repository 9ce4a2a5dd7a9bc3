"""bench/summary.py: the targets' table from the result files the benchmarks write
(`make bench` runs the benchmarks themselves)."""

import json
import sys

import pytest

from portfolio.paths import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))

import summary


@pytest.fixture
def results(tmp_path, monkeypatch):
    files = {
        "LOAD": tmp_path / "load.json",
        "CAPACITY": tmp_path / "capacity_report.json",
        "PDF": tmp_path / "pdf_export-200.json",
        "PDF_LONG": tmp_path / "pdf_export-2000.json",
    }
    for name, path in files.items():
        monkeypatch.setattr(summary, name, path)
    monkeypatch.setattr(
        summary,
        "MAKES",
        {path: f"the {name} bench" for name, path in files.items()},
    )
    return files


def write(path, data):
    path.write_text(json.dumps(data))


def test_every_target_row_from_the_result_files(results, capsys):
    write(
        results["LOAD"],
        {
            "when": "2026-12-03T14:00:00+00:00",
            "load_average": {"before": [0.5, 0.4, 0.3], "after": [1.9, 1.0, 0.5]},
            "summary": [
                {
                    "what": "home dashboard (2,000 items) / static page",
                    "project": 24.0,
                    "anchor": 10.0,
                    "ratio": 2.4,
                    "target": "<= 3x",
                    "holds": True,
                }
            ],
        },
    )
    write(
        results["PDF"],
        {
            "measured_at": "2026-12-03T14:20:00+00:00",
            "project": {"pages_per_s": 21.0, "load": [0.9, 1.2]},
            "anchor": {"pages_per_s": 28.0, "load": [1.0, 1.1]},
        },
    )
    write(
        results["PDF_LONG"],
        {
            "measured_at": "2026-12-03T14:30:00+00:00",
            "project": {"load": [1.0, 2.1]},
            "long": {
                "seconds": 130.0,
                "largest_process_mib": 510.0,
                "target_seconds": 120,
                "target_mib": 600,
            },
        },
    )
    write(
        results["CAPACITY"],
        {
            "measured_at": "2026-12-03T14:10:00+00:00",
            "budget_ms": 2000,
            "machine": {"load_average": [1.2, 1.0, 0.9]},
            "compute": {"p95_ms": 900.0},
        },
    )
    table = summary.rows({path: summary.read(path) for path in summary.MAKES})
    # The long portfolio took 130 s (over 120 s) in 510 MiB (under 600 MiB).
    assert [row["holds"] for row in table] == [True, True, False, True, True]
    assert [row["source"] for row in table][2:4] == [results["PDF_LONG"]] * 2
    assert table[1]["ratio"] == pytest.approx(0.75)
    assert summary.main(["--strict"]) == 1
    assert summary.main([]) == 0
    out = capsys.readouterr().out
    assert "1 target(s) not holding or not measured" in out
    assert "load.json: 2026-12-03T14:00:00+00:00, load average 0.5 before" in out
    assert (
        "pdf_export-2000.json: 2026-12-03T14:30:00+00:00, load average 1.0-2.1" in out
    )


def test_a_missing_file_says_which_bench_makes_it(results, capsys):
    write(
        results["CAPACITY"],
        {"budget_ms": 2000, "compute": {"p95_ms": 2100.0}},
    )
    table = summary.rows({path: summary.read(path) for path in summary.MAKES})
    assert [row["holds"] for row in table] == [None, None, None, None, False]
    assert summary.main([]) == 0
    out = capsys.readouterr().out
    assert "load.json: not there (make it with the LOAD bench)" in out
    assert "not measured" in out


def test_no_results_at_all_is_an_error(results, capsys):
    assert summary.main([]) == 1
    assert "run `make bench` first" in capsys.readouterr().out
