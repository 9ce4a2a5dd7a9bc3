"""Screenshots of each role's home page, on a desktop (1280 px) and a phone (390 px).

Runs the app on the demo data (a fresh SQLite database in a temporary folder, the
shipped curricula, ``portfolio.demo.seed_demo``) in a local server thread and drives
Debian's Chromium through Playwright (never a downloaded browser), as the browser
tests do. Writes ``<role>-<width>.png`` into ``docs/screenshots/`` (ignored by git).

    .venv/bin/python scripts/screenshots.py                      # all roles, both sizes
    .venv/bin/python scripts/screenshots.py --out /tmp/shots     # somewhere else
    .venv/bin/python scripts/screenshots.py --readme-image docs/images/trainee-dashboard.png

``--readme-image`` also writes the small image shown in the README: the top of the
trainee's dashboard at 1280 px, reduced to a palette PNG under 150 KB.
See docs/screenshots.md.
"""

import argparse
import io
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

CHROMIUM = os.environ.get("PORTFOLIO_CHROMIUM", "/usr/bin/chromium")
ROLES = {
    "trainee": "trainee@example.org",
    "supervisor": "assessor@example.org",  # the demo's waiting DOPS is hers
    "training-lead": "lead@example.org",
    "admin": "admin@example.org",
}
WIDTHS = (1280, 390)
README_LIMIT = 150_000  # bytes


def build_app(folder: Path):
    """The app on a fresh SQLite database with the curricula and the demo data."""
    os.environ["PORTFOLIO_INSTANCE_PATH"] = str(folder / "instance")
    from portfolio import create_app
    from portfolio.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "screenshots",
            "BASE_URL": "http://127.0.0.1",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "FILES_DIR": str(folder / "files"),
            "RATELIMIT_ENABLED": False,
            "MAIL_SUPPRESS": True,
            "TOTP_REQUIRED_ROLES": [],  # the demo admin signs in with the password
            "REDIS_URL": None,
            "JOBS_IN_PROCESS": "inline",
        }
    )
    with app.app_context():
        db.create_all()
        from portfolio.curriculum.services import load_paths
        from portfolio.demo import seed_demo

        load_paths(None)
        seed_demo()
    return app


def serve(app):
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = address
    return server, address


def sign_in(page, base: str, email: str) -> None:
    from portfolio.demo import DEMO_PASSWORD

    page.goto(base + "/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def readme_image(png: bytes, target: Path) -> int:
    """The top of a screenshot as a palette PNG small enough for the README."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.crop((0, 0, image.width, min(image.height, 1100)))
    for colours, scale in ((64, 1.0), (32, 0.8), (16, 0.7), (16, 0.55)):
        shown = image.resize(
            (int(image.width * scale), int(image.height * scale)), Image.LANCZOS
        )
        buffer = io.BytesIO()
        shown.quantize(colours).save(buffer, "PNG", optimize=True)
        if buffer.tell() < README_LIMIT:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(buffer.getvalue())
            return buffer.tell()
    raise SystemExit(f"could not make {target} smaller than {README_LIMIT} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots"
    )
    parser.add_argument("--readme-image", type=Path, default=None)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        server, base = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                for role, email in ROLES.items():
                    for width in WIDTHS:
                        context = browser.new_context(
                            viewport={"width": width, "height": 900}
                        )
                        page = context.new_page()
                        sign_in(page, base, email)
                        path = args.out / f"{role}-{width}.png"
                        png = page.screenshot(path=str(path), full_page=True)
                        sys.stdout.write(f"{path}\n")
                        if args.readme_image and role == "trainee" and width == 1280:
                            size = readme_image(png, args.readme_image)
                            sys.stdout.write(f"{args.readme_image} ({size} bytes)\n")
                        context.close()
                browser.close()
        finally:
            server.shutdown()
            from portfolio import jobs

            jobs.stop_embedded_worker(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
