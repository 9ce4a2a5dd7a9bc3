"""Exports through real Redis and a real `flask worker` process (the PostgreSQL pass)."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from portfolio.paths import PROJECT_ROOT
from tests.helpers.api import sign_off as signed
from tests.helpers.workers import worker_env
from tests.world import REFLECTION
from tests.world import As

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_export_through_a_real_worker(app, client, world):
    caller = As(client, world, "trainee")
    signed(
        lambda who: As(client, world, who),
        world,
        {**REFLECTION, "title": "Worker-rendered item"},
    )
    made = caller.post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    )
    assert made.status_code == 202 and made.get_json()["status"] == "queued"
    export_id = made.get_json()["id"]
    result = subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst", "pdf"],
        cwd=PROJECT_ROOT,
        env=worker_env(app),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    body = caller.get(f"/api/v1/exports/{export_id}").get_json()
    assert body["status"] == "done", body
    download = caller.get(body["download_url"])
    data = download.data
    download.close()
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
    page = client.get(f"/verify/{body['verification_code']}")
    assert "Aisha Rahman" in page.get_data(as_text=True)
    check = client.post(
        "/api/v1/verify",
        json={"code": body["verification_code"], "sha256": body["sha256"]},
    )
    assert check.get_json()["valid"] is True
    changed = client.post(
        "/api/v1/verify",
        json={
            "code": body["verification_code"],
            "sha256": hashlib.sha256(data[:-1]).hexdigest(),
        },
    )
    assert changed.get_json()["valid"] is False


def test_worker_killed_mid_render_leaves_the_export_failed(app, client, world):
    caller = As(client, world, "trainee")
    made = caller.post(
        "/api/v1/exports", json={"kind": "portfolio", "enrolment": world.enrolment_id}
    ).get_json()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", "--burst", "pdf"],
        cwd=PROJECT_ROOT,
        env=worker_env(app, PORTFOLIO_EXPORT_TEST_DELAY_SECONDS="30"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        horse = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and horse is None:
            status = caller.get(f"/api/v1/exports/{made['id']}").get_json()["status"]
            children = subprocess.run(
                ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True
            ).stdout.split()
            if status == "running" and children:
                horse = int(children[0])
            time.sleep(0.2)
        assert horse, "the work horse never started"
        os.kill(horse, signal.SIGKILL)
        worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate()
    body = caller.get(f"/api/v1/exports/{made['id']}").get_json()
    assert body["status"] == "failed", body
    assert "stopped unexpectedly" in body["error"]
    assert body["download_url"] is None and body["sha256"] is None
