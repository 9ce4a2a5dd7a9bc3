"""Redis unreachable: sign-in, the API and share links still work.

Redis really is unreachable here: the app is pointed at a port on 127.0.0.1 that
nothing listens on. On the PostgreSQL pass it first talks to the real Redis through
a forwarder on that port, which the test then shuts, as a Redis that goes away.
Rate limits fall back to each process's memory (and still limit), /healthz says
"degraded", and an export that could not be queued is failed with a reason and
can be retried from the exports page and the API.
"""

import contextlib
import logging
import os
import socket
import threading
from urllib.parse import urlsplit

import pytest

from portfolio import create_app
from portfolio.exports import services as exports
from portfolio.exports.models import Export
from portfolio.extensions import db
from tests.conftest import ON_POSTGRES
from tests.conftest import base_config
from tests.helpers.factory import PASSWORD
from tests.helpers.factory import Factory
from tests.helpers.world import build_world


def closed_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago and has nothing listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisGate:
    """A TCP forwarder on 127.0.0.1 to a real Redis; shut, its port is closed."""

    def __init__(self, target: tuple[str, int], port: int = 0):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen()
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                thread = threading.Thread(
                    target=self._pipe, args=(source, sink), daemon=True
                )
                self.threads.append(thread)
                thread.start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        # A socket closed by the other side (or by stop()) ends the pipe.
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)

    def shut(self) -> None:
        self.open = False
        self.threads[0].join()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):  # already closed by its peer
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self.threads[1:]:
            thread.join(timeout=5)


@pytest.fixture
def outage(app, tmp_path):
    """An app whose Redis (jobs and rate limits) is, or soon will be, unreachable.

    ``app`` readies the PostgreSQL schema and empties it afterwards; this app
    shares its database there, and has its own SQLite file otherwise.
    """
    gate = None
    if ON_POSTGRES:
        real = urlsplit(os.environ["TEST_REDIS_URL"])
        gate = RedisGate((real.hostname, real.port or 6379))
        url = f"redis://127.0.0.1:{gate.port}{real.path}"
    else:
        url = f"redis://127.0.0.1:{closed_port()}/0"
    config = {
        **base_config(tmp_path),
        "REDIS_URL": url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": url,
        "LOGIN_RATE_LIMIT": "4 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "4 per minute",
    }
    if not ON_POSTGRES:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/outage.db"
    down = create_app(config)
    with down.app_context():
        if not ON_POSTGRES:
            db.create_all()
    down.gate = gate
    down.world = build_world(down, Factory(down))
    yield down
    if gate is not None and gate.open:
        gate.shut()
    with down.app_context():
        db.session.remove()
        db.engine.dispose()


def cut_redis(app) -> None:
    """Make Redis unreachable (on SQLite it never was reachable)."""
    if app.gate is not None:
        with app.test_client() as client:  # it really was in use until now
            assert client.get("/healthz").get_json()["queue"] == "redis"
        app.gate.shut()


def share_token(app, world) -> str:
    from portfolio.accounts.services import find_user
    from portfolio.enrolments.models import Enrolment

    with app.app_context():
        enrolment = db.session.get(Enrolment, world.enrolment_id)
        _, token = exports.create_share_link(find_user(world.trainee), enrolment, 7)
        return token


def test_sign_in_api_and_share_links_work_without_redis(outage):
    world = outage.world
    token = share_token(outage, world)
    cut_redis(outage)
    client = outage.test_client()
    signed_in = client.post(
        "/auth/login", data={"email": world.trainee, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/evidence/").status_code == 200
    bearer = {"Authorization": f"Bearer {world.tokens['trainee']}"}
    me = outage.test_client().get("/api/v1/me", headers=bearer)
    assert me.status_code == 200 and me.get_json()["email"] == world.trainee
    listed = outage.test_client().get("/api/v1/evidence", headers=bearer)
    assert listed.status_code == 200
    shared = outage.test_client().get(f"/share/{token}")
    page = shared.get_data(as_text=True)
    assert shared.status_code == 200 and "Portfolio of" in page


def test_rate_limits_still_hold_in_memory_without_redis(outage):
    cut_redis(outage)
    client = outage.test_client()
    statuses = [
        client.post(
            "/auth/login", data={"email": outage.world.trainee, "password": "wrong"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


def test_healthz_says_degraded_naming_the_queue(outage, caplog):
    cut_redis(outage)
    with caplog.at_level(logging.WARNING):
        response = outage.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "queue": "unreachable",
    }
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)


def export_row(app, export_id) -> Export:
    with app.app_context():
        export = db.session.get(Export, export_id)
        db.session.expunge(export)
        return export


def test_export_that_cannot_be_queued_fails_and_can_be_retried(outage, caplog):
    world = outage.world
    cut_redis(outage)
    client = outage.test_client()
    client.post("/auth/login", data={"email": world.trainee, "password": PASSWORD})
    with caplog.at_level(logging.ERROR, logger="portfolio.jobs"):
        asked = client.post(
            "/exports/", data={"enrolment": world.enrolment_id, "kind": "portfolio"}
        )
    assert asked.status_code == 302
    export_id = asked.headers["Location"].rsplit("/", 1)[1]
    assert any("could not enqueue" in r.getMessage() for r in caplog.records)
    export = export_row(outage, export_id)
    assert export.status == "failed" and export.error == exports.NOT_QUEUED
    page = client.get(f"/exports/{export_id}").get_data(as_text=True)
    assert "could not be queued" in page and "Try again" in page
    listed = client.get("/exports/").get_data(as_text=True)
    assert f"/exports/{export_id}/retry" in listed

    # Retried from the page while Redis is still away: failed again, cleanly.
    retried = client.post(f"/exports/{export_id}/retry")
    assert retried.status_code == 302
    assert export_row(outage, export_id).status == "failed"

    api = outage.test_client()
    bearer = {"Authorization": f"Bearer {world.tokens['trainee']}"}
    body = api.get(f"/api/v1/exports/{export_id}", headers=bearer).get_json()
    assert body["status"] == "failed" and "could not be queued" in body["error"]
    assert body["retry_url"] == f"/api/v1/exports/{export_id}/retry"
    again = api.post(body["retry_url"], headers=bearer)
    assert again.status_code == 202
    assert again.get_json()["status"] == "failed"
    other = {"Authorization": f"Bearer {world.tokens['other_trainee']}"}
    assert api.post(body["retry_url"], headers=other).status_code == 404

    if outage.gate is not None:
        # Redis is back (the same port answers again): the retry is queued and runs.
        outage.gate = RedisGate(outage.gate.target, outage.gate.port)
        queued = api.post(body["retry_url"], headers=bearer).get_json()
        assert queued["status"] == "queued"
        run_worker(outage)
        assert export_row(outage, export_id).status == "done"


def run_worker(app) -> None:
    from rq import SimpleWorker

    from portfolio import jobs

    jobs.set_worker_app(app)
    SimpleWorker(
        [jobs.get_queue(name, app) for name in jobs.QUEUES],
        connection=jobs.redis_connection(app),
        job_class=jobs.AppJob,
        serializer=jobs.JSONSerializer,
    ).work(burst=True)
