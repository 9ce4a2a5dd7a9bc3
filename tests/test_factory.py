"""The app factory, configuration and security headers."""

from pathlib import Path

from portfolio import create_app
from portfolio.config import normalise_database_url


def test_test_mapping_overrides_defaults(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORTFOLIO_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.invalid/x")
    app = create_app({"SECRET_KEY": "k"})
    assert app.config["MAX_UPLOAD_MB"] == 5
    assert app.config["MAX_CONTENT_LENGTH"] == 6 * 1024 * 1024  # file + form overhead
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.invalid/x"
    )


def test_secret_key_generated_once_into_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) > 40
    key_file = Path(tmp_path) / "secret_key"
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_normalise_database_url_keeps_other_schemes():
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"


def test_security_headers_on_pages(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert (
        "default-src 'self'" in csp
        and "'nonce-" in csp
        and "frame-ancestors 'none'" in csp
    )
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_nonce_changes_per_request(client):
    first = client.get("/auth/login").headers["Content-Security-Policy"]
    second = client.get("/auth/login").headers["Content-Security-Policy"]
    assert first != second


def test_signed_in_pages_are_not_cached(client, login_as):
    login_as("trainee")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_templates_autoescape_jinja_files(app):
    with app.test_request_context():
        from flask import render_template_string

        assert app.jinja_env.autoescape is True
        assert "&lt;script&gt;" in render_template_string("{{ x }}", x="<script>")


def test_healthz_reports_database_and_queue(client, app):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["queue"] == ("redis" if app.config["REDIS_URL"] else "inline")


def test_healthz_is_503_when_database_is_down(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/nope/x.db",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_error_pages_are_friendly(client, login_as):
    login_as("trainee")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_ids_never_look_like_command_line_options():
    from portfolio.db import new_id

    ids = [new_id() for _ in range(2000)]
    assert all(i[0].isalnum() and len(i) == 22 for i in ids)
    assert len(set(ids)) == len(ids)
