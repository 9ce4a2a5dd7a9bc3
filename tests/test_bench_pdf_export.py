"""bench/pdf_export.py as `make bench` runs it: a folder given relative to where it
runs, the render in parts, and a results file (a few items; `make bench` runs 200 and
2,000)."""

import json
import subprocess
import sys

from portfolio.paths import PROJECT_ROOT


def test_the_pdf_bench_renders_in_parts_into_relative_folders(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "pdf_export.py"),
            "--items",
            "3",
            "--runs",
            "1",
            "--no-anchor",
            "--part-items",
            "2",
            "--keep",
            "kept",
            "--results",
            "results",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "results" / "pdf_export-3.json").read_text())
    assert report["items"] == 3 and "anchor" not in report
    # The first part (cover, contents, summary), the 3 items 2 to a part, and the
    # appendices: each laid out in a process of its own and measured, as is the merge.
    assert report["project"]["parts"] == 4
    assert report["project"]["pages"] > 3
    assert report["project"]["part_peak_rss_mib"] > 0
    assert report["project"]["merge_peak_rss_mib"] > 0
    assert (tmp_path / "kept" / "enrolment-3.txt").is_file()
