"""Background jobs: RQ with Redis when ``REDIS_URL`` is set, in-process otherwise.

In-process (no Redis: ``make run``), jobs go to the app's embedded worker, a
background thread started with the first job, so a request only enqueues and
returns at once, as with RQ; the pages poll the job's row for its progress. The
same job functions run either way. ``JOBS_IN_PROCESS`` = ``"inline"`` runs them
in the committing thread instead, and so does an in-memory SQLite database (one
connection that a second thread cannot share safely; the test suite's default).
``drain`` waits for the embedded queue to empty (the tests' ``work_jobs``);
``stop_embedded_worker`` ends the thread, and a process that exits first finishes
the queued jobs (an ``atexit`` hook), so a CLI command's jobs are not lost.

Jobs take ids only and re-read their rows, so the database stays the source of
truth. ``enqueue`` never sends a job before the transaction that created its row
has committed: the job is held on the session and released by ``after_commit``
(and dropped on rollback), so a fast worker can never miss the row.

If Redis cannot take a job, the error is logged and the job's ``if_not_queued``
function (a dotted path, given the job's args) records that on its row, so the
person who asked sees it and can try again instead of waiting for ever.
"""

import atexit
import importlib
import logging
import os
import queue as queue_module
import threading
import time
import weakref
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
        elif runs_in_thread(app):
            embedded_worker(app).submit(job)
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


# ---- the embedded worker (no Redis) ------------------------------------------------

_STOP = object()
_EMBEDDED = "portfolio_embedded_worker"
_WORKERS: "weakref.WeakSet[EmbeddedWorker]" = weakref.WeakSet()


def runs_in_thread(app: Flask) -> bool:
    """Whether jobs without Redis go to the embedded worker thread."""
    if app.config.get("JOBS_IN_PROCESS", "thread") != "thread":
        return False
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    in_memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    return not in_memory


class EmbeddedWorker:
    """One background thread running an app's jobs in order, as an RQ worker would."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: queue_module.Queue = queue_module.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        _WORKERS.add(self)

    def submit(self, job: PendingJob) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._work, name="portfolio-jobs", daemon=True
                )
                self.thread.start()
            self.jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is _STOP:
                    return
                run_inline(self.app, job)
            finally:
                self.jobs.task_done()

    def drain(self, timeout: float = 60) -> bool:
        """Wait until every job submitted so far has run; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.jobs.all_tasks_done:
            while self.jobs.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.jobs.all_tasks_done.wait(left)
        return True

    def stop(self, timeout: float = 60) -> None:
        """Run what is queued, then end the thread."""
        with self.lock:
            thread, self.thread = self.thread, None
            if thread is None:
                return
            self.jobs.put(_STOP)
        thread.join(timeout)


def embedded_worker(app: Flask) -> EmbeddedWorker:
    worker = app.extensions.get(_EMBEDDED)
    if worker is None:
        worker = app.extensions[_EMBEDDED] = EmbeddedWorker(app)
    return worker


def drain(app: Flask | None = None, timeout: float = 60) -> bool:
    """Wait for the app's embedded jobs to finish (True at once if there are none)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug LocalProxy
    worker = app.extensions.get(_EMBEDDED)
    return True if worker is None else worker.drain(timeout)


def stop_embedded_worker(app: Flask, timeout: float = 60) -> None:
    worker = app.extensions.get(_EMBEDDED)
    if worker is not None:
        worker.stop(timeout)


@atexit.register
def _finish_embedded_jobs() -> None:
    for worker in list(_WORKERS):
        worker.stop()


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
