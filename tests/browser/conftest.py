"""Browser tests: Debian's Chromium driven by Playwright against a live server thread.

Never downloads a browser. Every page visited is checked with axe-core (WCAG 2.2 AA).
"""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from redis import Redis
from werkzeug.serving import make_server

from portfolio import create_app
from portfolio.extensions import db
from portfolio.paths import PROJECT_ROOT
from tests.conftest import ON_POSTGRES
from tests.helpers.outbox import emailed_link  # noqa: F401  (the browser tests import it from here)
from tests.helpers.pg import fresh_database

CHROMIUM = os.environ.get("PORTFOLIO_CHROMIUM", "/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


# Werkzeug's threaded test server sometimes leaves a static file (the favicon, a
# stylesheet) to the garbage collector when Chromium drops a connection mid-response;
# that happens in the test server, not in the app, so only that warning is let through.
STATIC_FILE_LEFT_OPEN = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO name='[^']*/portfolio/static/"
    ":pytest.PytestUnraisableExceptionWarning"
)


@pytest.hookimpl(tryfirst=True)  # marked before -m selects on the mark
def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(STATIC_FILE_LEFT_OPEN)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install chromium (not playwright install)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app the browser talks to, with the demo data.

    SQLite pass: a SQLite file, jobs run by the app's embedded worker thread
    (as under ``make run``). PostgreSQL pass: a database of
    its own next to TEST_DATABASE_URL's (``<name>_browser``, made afresh), jobs
    through the Redis at TEST_REDIS_URL and a real ``flask worker`` (``live_jobs``).
    """
    base = tmp_path_factory.mktemp("live")
    os.environ["PORTFOLIO_INSTANCE_PATH"] = str(base / "instance")
    database, redis = f"sqlite:///{base}/e2e.db", None
    if ON_POSTGRES:
        database = fresh_database(os.environ["TEST_DATABASE_URL"], "browser")
        redis = os.environ["TEST_REDIS_URL"]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-secret",
            # The port is known once the server binds (live_server sets it).
            "BASE_URL": "http://127.0.0.1",
            "SQLALCHEMY_DATABASE_URI": database,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "FILES_DIR": str(base / "files"),
            "RATELIMIT_ENABLED": False,
            "MAIL_SUPPRESS": True,
            # The demo admin signs in with the password alone here.
            "TOTP_REQUIRED_ROLES": [],
            "REDIS_URL": redis,
        }
    )
    if redis:
        with Redis.from_url(redis) as connection:
            connection.flushdb()
    with app.app_context():
        db.create_all()
        from portfolio.curriculum.services import load_paths
        from portfolio.demo import seed_demo

        load_paths(None)
        seed_demo()
    yield app
    from portfolio import jobs

    jobs.stop_embedded_worker(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_jobs(live_app, live_server):
    """Run the jobs queued so far: a real ``flask worker --burst`` on the PostgreSQL
    pass (failing the test if a job failed); on SQLite, waits for the app's
    embedded worker thread to finish them."""

    def run():
        if not live_app.config["REDIS_URL"]:
            from portfolio import jobs

            assert jobs.drain(live_app), "the embedded jobs did not finish in time"
            return
        from rq.registry import FailedJobRegistry

        from portfolio import jobs

        queues = [jobs.get_queue(name, live_app) for name in jobs.QUEUES]
        if any(queue.count for queue in queues):
            result = subprocess.run(
                [sys.executable, "-m", "flask", "worker", "--burst"],
                cwd=PROJECT_ROOT,
                env={
                    **os.environ,
                    "FLASK_APP": "wsgi.py",
                    "DATABASE_URL": live_app.config["SQLALCHEMY_DATABASE_URI"],
                    "REDIS_URL": live_app.config["REDIS_URL"],
                    "SECRET_KEY": live_app.config["SECRET_KEY"],
                    "PORTFOLIO_BASE_URL": live_server,
                    "PORTFOLIO_FILES_DIR": live_app.config["FILES_DIR"],
                    "PORTFOLIO_MAIL_SUPPRESS": "true",
                },
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr[-2000:]
        failed = {
            queue.name: FailedJobRegistry(queue=queue).get_job_ids() for queue in queues
        }
        assert not any(failed.values()), f"jobs failed in the worker: {failed}"

    return run


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"http://127.0.0.1:{server.server_port}"
    live_app.config["BASE_URL"] = address
    yield address
    server.shutdown()
    thread.join()


# Chromium's console line for a document answered 4xx: a form re-shown with its
# errors is a 422 page by design, not a fault.
ERROR_PAGE = re.compile(
    r"Failed to load resource: the server responded with a status of 4\d\d\b"
)


def console_fault(message, page_url: str) -> bool:
    """Whether a console message is a fault: every error, Content-Security-Policy
    violations included (Chromium reports those at the page's own URL), except the
    4xx line for the page itself."""
    if message.type != "error":
        return False
    text = message.text
    if "Content Security Policy" in text or text.startswith("Refused to"):
        return True
    return not (ERROR_PAGE.match(text) and message.location.get("url") == page_url)


@pytest.fixture
def page(page, live_server, live_jobs):
    """A page that records console errors and CSP violations; the test fails if any
    occur, or if a job it queued fails in the worker."""
    errors = []

    def on_console(message):
        if console_fault(message, page.url):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = live_server
    yield page
    assert errors == [], errors
    live_jobs()


def check_axe(page) -> None:
    """Run axe-core on the current page and fail on any WCAG 2.2 AA violation."""
    # Wait for the page's CSS and scripts: leaving a page mid-load makes the dev
    # server drop a half-sent file, which pytest reports as a resource warning.
    page.wait_for_load_state("load")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        f"{[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert violations == [], f"{page.url}: " + "; ".join(violations)
    check_names_and_ids(page)


NAMED_ROLES = {
    "textbox",
    "combobox",
    "checkbox",
    "radio",
    "button",
    "listbox",
    "spinbutton",
    "slider",
    "switch",
    "searchbox",
}


def check_names_and_ids(page) -> None:
    """Fail on a form control without an accessible name in Chromium's own
    accessibility tree (WCAG 4.1.2, https://www.w3.org/WAI/WCAG22/Understanding/name-role-value)
    and on duplicate DOM ids (a label or aria reference to one reaches only the first)."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    unnamed = [
        f"{node['role']['value']} (backend node {node.get('backendDOMNodeId')})"
        for node in nodes
        if not node.get("ignored")
        and node.get("role", {}).get("value") in NAMED_ROLES
        and not str(node.get("name", {}).get("value", "")).strip()
    ]
    assert unnamed == [], f"{page.url}: form controls without a name: {unnamed}"
    duplicates = page.evaluate(
        """() => { const seen = {}; for (const e of document.querySelectorAll('[id]'))
                    seen[e.id] = (seen[e.id] || 0) + 1;
                  return Object.keys(seen).filter(k => seen[k] > 1); }"""
    )
    assert duplicates == [], f"{page.url}: duplicate ids {duplicates}"


def sign_in(page, email, password="demo-password-1"):
    page.goto(page.base + "/auth/login")
    check_axe(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
