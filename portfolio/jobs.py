"""Background jobs: RQ with Redis when ``REDIS_URL`` is set, in-process otherwise.

Jobs take ids only and re-read their rows, so the database stays the source of
truth. ``enqueue`` never sends a job before the transaction that created its row
has committed: the job is held on the session and released by ``after_commit``
(and dropped on rollback), so a fast worker can never miss the row.

If Redis cannot take a job, the error is logged and the job's ``if_not_queued``
function (a dotted path, given the job's args) records that on its row, so the
person who asked sees it and can try again instead of waiting for ever.
"""

import importlib
import logging
import os
from dataclasses import dataclass
from dataclasses import field
from functools import update_wrapper

import sqlalchemy as sa
from flask import Flask
from flask import current_app
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from portfolio.extensions import db

log = logging.getLogger(__name__)
QUEUES = ("default", "pdf", "reports")
_PENDING = "portfolio_pending_jobs"


@dataclass
class PendingJob:
    func: str
    args: tuple
    queue: str = "default"
    job_id: str | None = None
    options: dict = field(default_factory=dict)
    if_not_queued: str | None = None


def enqueue(
    func: str,
    *args,
    queue: str = "default",
    job_id: str | None = None,
    if_not_queued: str | None = None,
    **options,
):
    """Run ``func`` (a dotted path) with ``args`` after this transaction commits.

    ``if_not_queued`` (a dotted path) is called with ``args``, in a fresh
    transaction, when Redis cannot take the job.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    pending = db.session.info.setdefault(_PENDING, [])
    pending.append(PendingJob(func, args, queue, job_id, options, if_not_queued))


def resolve(func: str):
    """Import a job function from its dotted path."""
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)


def redis_connection(app: Flask | None = None) -> Redis | None:
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    if "portfolio_redis" not in app.extensions:
        app.extensions["portfolio_redis"] = Redis.from_url(
            url, socket_connect_timeout=float(app.config["REDIS_CONNECT_TIMEOUT"])
        )
    return app.extensions["portfolio_redis"]


def get_queue(name: str = "default", app: Flask | None = None) -> Queue:
    connection = redis_connection(app)
    return Queue(name, connection=connection, serializer=JSONSerializer)


def _release(session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug LocalProxy
    for job in pending:
        if app.config.get("REDIS_URL"):
            _send_to_redis(app, job)
        else:
            run_inline(app, job)


def _drop(session) -> None:
    session.info.pop(_PENDING, None)


def _send_to_redis(app: Flask, job: PendingJob) -> None:
    options = {"job_timeout": app.config["JOB_TIMEOUT"], "failure_ttl": 7 * 24 * 3600}
    options.update(job.options)
    queue = get_queue(job.queue, app)
    try:
        queue.enqueue(job.func, *job.args, job_id=job.job_id, **options)
    except Exception:  # redis raises several unrelated types when it is down
        log.exception("could not enqueue %s%r", job.func, job.args)
        if job.if_not_queued:
            # The row is committed: mark it so the user can retry it.
            run_inline(app, PendingJob(job.if_not_queued, job.args))


def run_inline(app: Flask, job: PendingJob) -> None:
    """Run a job now, in its own app context and session, as a worker would."""
    with app.app_context():
        try:
            resolve(job.func)(*job.args)
        except Exception:
            log.exception("inline job %s%r failed", job.func, job.args)
            db.session.rollback()


def init_app(app: Flask) -> None:
    """Hook job release into the session's commit and rollback."""
    with app.app_context():
        session_class = db.session.session_factory.class_
    if not getattr(session_class, "_portfolio_jobs_hooked", False):
        sa.event.listen(session_class, "after_commit", _release)
        sa.event.listen(session_class, "after_soft_rollback", lambda s, prev: _drop(s))
        session_class._portfolio_jobs_hooked = True  # type: ignore[attr-defined]  # our own marker


# ---- worker side ---------------------------------------------------------------

_worker_app: Flask | None = None
_worker_pid: int | None = None


def worker_app() -> Flask:
    """Return the app that jobs run in, creating it once per worker process."""
    if _worker_app is None:
        from portfolio import create_app

        set_worker_app(create_app())
    assert _worker_app is not None  # set_worker_app just set it
    return _worker_app


def set_worker_app(app: Flask) -> None:
    global _worker_app, _worker_pid
    _worker_app, _worker_pid = app, os.getpid()


class AppJob(Job):
    """An RQ job whose function runs inside the Flask app context."""

    @property
    def func(self):
        func = super().func
        app = worker_app()

        def wrapper(*args, **kwargs):
            with app.app_context():
                if os.getpid() != _worker_pid:
                    # A forked work horse must not reuse the parent's pooled sockets.
                    db.engine.dispose(close=False)
                return func(*args, **kwargs)

        return update_wrapper(wrapper, func)
