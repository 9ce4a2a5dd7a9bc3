"""Capacity reports through real Redis and a real `flask worker` process (PostgreSQL)."""

import hashlib
import subprocess
import sys

import pytest

from portfolio.paths import PROJECT_ROOT
from tests.helpers.capacity import CHRISTIE
from tests.helpers.capacity import LEEDS
from tests.helpers.capacity import PATH
from tests.helpers.capacity import PEOPLE
from tests.helpers.capacity import csv_place_sums
from tests.helpers.capacity import pdf_text
from tests.helpers.capacity import read_csv
from tests.helpers.capacity import seed_capacity
from tests.helpers.capacity import sql_place_sums
from tests.helpers.workers import worker_env
from tests.world import As

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_reports_through_a_real_worker(app, client, world, tmp_path):
    seed_capacity(app)
    admin, lead = As(client, world, "admin"), As(client, world, "lead")
    years = {"from_year": 2024, "to_year": 2028}
    asked = {
        "national_csv": (admin, {"national": True, "format": "csv", **years}),
        "national_pdf": (admin, {"national": True, "format": "pdf", **years}),
        "lead_csv": (lead, {"organisation": "RBV", "format": "csv", **years}),
        "lead_pdf": (lead, {"organisation": "RBV", "format": "pdf", **years}),
    }
    made = {}
    for key, (caller, body) in asked.items():
        response = caller.post(PATH, json=body)
        assert response.status_code == 202, response.get_json()
        assert response.get_json()["status"] == "queued"  # a worker will make it
        made[key] = response.get_json()["id"]

    result = subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst", "reports"],
        cwd=PROJECT_ROOT,
        env=worker_env(app),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    files = {}
    for key, (caller, _body) in asked.items():
        body = caller.get(f"/api/v1/exports/{made[key]}").get_json()
        assert body["status"] == "done", body
        download = caller.get(body["download_url"])
        files[key] = download.data
        download.close()
        assert hashlib.sha256(files[key]).hexdigest() == body["sha256"]

    sums = sql_place_sums(app, 2024, 2028)
    national = read_csv(files["national_csv"])
    assert csv_place_sums(national) == sums
    assert {row["organisation"] for row in national} == set(sums)
    mine = read_csv(files["lead_csv"])
    assert csv_place_sums(mine) == {"RBV": sums["RBV"]}

    national_text = " ".join(pdf_text(files["national_pdf"], tmp_path).split())
    assert CHRISTIE in national_text and LEEDS in national_text
    assert "Radiotherapy Physics (RP)" in national_text
    lead_text = " ".join(pdf_text(files["lead_pdf"], tmp_path).split())
    assert CHRISTIE in lead_text and LEEDS not in lead_text
    for name in PEOPLE:
        assert name not in national_text and name not in lead_text
