"""Migrations build the schema from empty and match the models (no drift)."""

import os
import subprocess
import sys
import uuid

import pytest

from portfolio.paths import PROJECT_ROOT


def flask(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "FLASK_APP": "wsgi.py", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def upgrade_and_check(database_url, tmp_path):
    env = {"DATABASE_URL": database_url, "PORTFOLIO_INSTANCE_PATH": str(tmp_path)}
    upgraded = flask("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = flask("db", "check", env=env)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr


def test_upgrade_from_empty_and_no_drift_on_sqlite(tmp_path):
    upgrade_and_check(f"sqlite:///{tmp_path}/migrated.db", tmp_path)


@pytest.mark.postgres
def test_upgrade_from_empty_and_no_drift_on_postgres(tmp_path):
    import psycopg

    base = os.environ["TEST_DATABASE_URL"]
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    admin_url = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade_and_check(base.rsplit("/", 1)[0] + "/" + name, tmp_path)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
