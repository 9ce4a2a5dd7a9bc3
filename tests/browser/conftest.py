"""Browser tests: Debian's Chromium driven by Playwright against a live server thread.

Never downloads a browser. Every page visited is checked with axe-core (WCAG 2.2 AA).
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portfolio import create_app
from portfolio.extensions import db
from portfolio.paths import PROJECT_ROOT

CHROMIUM = os.environ.get("PORTFOLIO_CHROMIUM", "/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


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
    base = tmp_path_factory.mktemp("live")
    os.environ["PORTFOLIO_INSTANCE_PATH"] = str(base / "instance")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-secret",
            # The port is known once the server binds (live_server sets it).
            "BASE_URL": "http://127.0.0.1",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base}/e2e.db",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "FILES_DIR": str(base / "files"),
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        db.create_all()
        from portfolio.curriculum.services import load_paths
        from portfolio.demo import seed_demo

        load_paths(None)
        seed_demo()
    return app


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


@pytest.fixture
def page(page, live_server):
    """A page that records console errors; the test fails if any occur."""
    errors = []

    def on_console(message):
        # A form re-shown with errors is a 4xx document by design, not a fault.
        if message.type == "error" and message.location.get("url") != page.url:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = live_server
    yield page
    assert errors == [], errors


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


def sign_in(page, email, password="demo-password-1"):
    page.goto(page.base + "/auth/login")
    check_axe(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
