"""Account security: sessions end server-side, no enumeration, password policy,
throttling that cannot lock a person out, API tokens that expire."""

import re
import time
from datetime import timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from portfolio.db import utcnow
from portfolio.extensions import db
from tests.conftest import PASSWORD


def sign_out(client) -> None:
    """Press the header's Sign out button (its CSRF token is in the action URL)."""
    page = client.get("/").get_data(as_text=True)
    action = re.search(r'action="(/auth/logout\?csrf_token=[^"]+)"', page).group(1)
    response = client.post(action.replace("&amp;", "&"))
    assert response.status_code == 302


def copy_of_session(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


# ---- 1. sessions end on the server --------------------------------------------------


def test_sign_out_kills_a_copied_session_cookie(app, client, factory, login):
    login(factory.user("trainee"))
    thief = copy_of_session(app, client)
    assert thief.get("/auth/account").status_code == 200
    sign_out(client)
    assert thief.get("/auth/account").status_code == 302
    assert client.get("/auth/account").status_code == 302


def test_idle_session_ends_with_a_message_and_a_way_back(app, client, factory, login):
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    assert client.get("/auth/account").status_code == 200  # activity keeps it alive
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 60
        session["seen_at"] = time.time() - 31 * 60
    response = client.get("/auth/account?tab=tokens")
    assert response.status_code == 302
    location = unquote(response.headers["Location"])
    assert location == "/auth/login?next=/auth/account?tab=tokens"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity" in page
    assert client.get("/auth/account").status_code == 302  # and it stays ended


def test_idle_limit_follows_the_setting(app, client, factory, login):
    app.config["SESSION_IDLE_MINUTES"] = 5
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 6 * 60
    response = client.get("/", follow_redirects=True)
    assert "signed out after 5 minutes without activity" in response.get_data(
        as_text=True
    )


def test_session_ends_hours_after_sign_in_even_when_active(app, client, factory, login):
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - 8 * 3600 - 1
    response = client.get("/auth/account", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "signed out 8 hours after you signed in" in page
    assert "<h1>Sign in to MPCE Portfolio</h1>" in page


def test_session_cookie_without_sign_in_time_is_refused(app, client, factory, login):
    login(factory.user("trainee"))
    with client.session_transaction() as session:
        del session["signed_in_at"]
    assert client.get("/auth/account").status_code == 302


def test_sign_out_everywhere_ends_every_session(app, client, factory, login):
    email = factory.user("trainee")
    login(email)
    laptop = app.test_client()
    laptop.post("/auth/login", data={"email": email, "password": PASSWORD})
    thief = copy_of_session(app, client)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = client.post("/auth/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == (
        "/auth/login"
    )
    for browser in (client, laptop, thief):
        assert browser.get("/auth/account").status_code == 302
    login(email)  # signing in again works
    assert client.get("/auth/account").status_code == 200


# ---- 3. passwords (NIST SP 800-63B 5.1.1.2) ------------------------------------------


def reset_link(app, email) -> str:
    from portfolio.accounts import services

    with app.app_context():
        return f"/auth/reset/{services.make_reset_token(services.find_user(email))}"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", "on a list of the most common passwords"),
        ("Summer2024!!", "on a list of the most common passwords"),
        ("qwertyuiop", "on a list of the most common passwords"),
        ("zzzzzzzzzzzz", "not a repeated or sequential run"),
        ("abcdefghijkl", "not a repeated or sequential run"),
        ("ada-lovelace-1815", "does not contain your name"),
        ("countess.ada.l-rocks", "does not contain your name"),  # email local part
        ("my mpce portfolio!", "the name of this service"),
        ("x" * 201, "200 characters or fewer"),
    ],
)
def test_reset_refuses_weak_passwords_with_the_reason(
    app, client, factory, password, message
):
    email = factory.user(
        "trainee", email="countess.ada.l@example.org", name="Ada Lovelace"
    )
    link = reset_link(app, email)
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'href="#password"' in page
    assert (
        client.post(
            "/auth/login", data={"email": email, "password": password}
        ).status_code
        == 401
    )


def test_no_composition_rules_long_plain_phrases_are_fine(app, client, factory):
    email = factory.user("trainee", name="Ada Lovelace")
    phrase = "purple kettle under the stairs"  # no digit, capital or symbol
    response = client.post(
        reset_link(app, email), data={"password": phrase, "confirm": phrase}
    )
    assert response.status_code == 302
    assert (
        client.post(
            "/auth/login", data={"email": email, "password": phrase}
        ).status_code
        == 302
    )


def test_change_password_refuses_a_common_password(app, client, factory, login):
    email = factory.user("trainee")
    login(email)
    response = client.post(
        "/auth/account/password",
        data={
            "current": PASSWORD,
            "password": "iloveyou2024",
            "confirm": "iloveyou2024",
        },
    )
    assert response.status_code == 422
    assert "on a list of the most common passwords" in response.get_data(as_text=True)
    client.get("/auth/account")  # still signed in, password unchanged
    sign_out(client)
    login(email)


def test_user_creation_refuses_weak_passwords_cli_and_admin(
    app, client, runner, factory, login
):
    factory.organisation("RBV")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "jo.bloggs@example.org",
            "--name",
            "Jo Bloggs",
            "--role",
            "trainee",
            "--org",
            "RBV",
            "--password",
            "password123",
        ]
    )
    assert result.exit_code != 0 and "most common passwords" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "jo.bloggs@example.org",
            "--name",
            "Jo Bloggs",
            "--role",
            "trainee",
            "--org",
            "RBV",
            "--password",
            "bloggs-family-cat",
        ]
    )
    assert result.exit_code != 0 and "does not contain your name" in result.output
    login(factory.user("admin", None))
    response = client.post(
        "/admin/users",
        data={
            "email": "jo.bloggs@example.org",
            "name": "Jo Bloggs",
            "role": "trainee",
            "org": "RBV",
            "password": "1234567890",
        },
    )
    assert response.status_code == 422
    assert "most common passwords" in response.get_data(as_text=True)
    from portfolio.accounts import services

    with app.app_context():
        assert services.find_user("jo.bloggs@example.org") is None


def test_common_password_list_ships_in_the_package():
    from portfolio.accounts import passwords

    assert passwords.LIST_PATH.name == "common-passwords.txt.gz"
    common = passwords.common_passwords()
    assert len(common) == 10_000 and "password" in common and "iloveyou" in common


# ---- 5. API tokens expire, are revocable and record use hourly ---------------------


def token_row(app, secret):
    from portfolio.accounts.models import ApiToken

    with app.app_context():
        return db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(secret))
        )


def set_token(app, secret, **values):
    from portfolio.accounts.models import ApiToken

    with app.app_context():
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.token_hash == ApiToken.hash(secret))
            .values(**values)
        )
        db.session.commit()


def me(client, secret):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


def test_tokens_expire_after_the_default_days(app, client, factory):
    secret = factory.token(factory.user("trainee"))
    expires = token_row(app, secret).expires_at
    assert abs(expires - utcnow() - timedelta(days=90)) < timedelta(minutes=1)
    assert me(client, secret).status_code == 200
    set_token(app, secret, expires_at=utcnow() - timedelta(seconds=1))
    response = me(client, secret)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and "This API token expired on" in body["detail"]
    assert "Create a new token on your account page" in body["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_token_says_so(app, client, factory):
    secret = factory.token(factory.user("trainee"))
    set_token(app, secret, revoked_at=utcnow())
    response = me(client, secret)
    assert response.status_code == 401
    assert "This API token was revoked on" in response.get_json()["detail"]
    unknown = me(client, "mpce_not-a-token")
    assert unknown.status_code == 401
    assert "Send a valid personal API token" in unknown.get_json()["detail"]


def test_account_page_offers_expiry_and_shows_it(app, client, login_as):
    login_as("trainee")
    page = client.get("/auth/account").get_data(as_text=True)
    for value, label in (("30", "After 30 days"), ("90", "After 90 days")):
        assert f'value="{value}"' in page and label in page
    assert "After a year (365 days)" in page and 'value="0"' in page
    assert re.search(r'value="90"\s+checked', page)  # the default
    made = client.post("/auth/account/tokens", data={"name": "month", "days": "30"})
    assert "It works until" in made.get_data(as_text=True)
    client.post("/auth/account/tokens", data={"name": "forever", "days": "0"})
    bad = client.post("/auth/account/tokens", data={"name": "odd", "days": "7"})
    assert bad.status_code == 422 and 'href="#days"' in bad.get_data(as_text=True)
    from portfolio.accounts.models import ApiToken

    with app.app_context():
        rows = {t.name: t for t in db.session.scalars(sa.select(ApiToken))}
    assert set(rows) == {"month", "forever"}
    month = rows["month"].expires_at
    assert abs(month - utcnow() - timedelta(days=30)) < timedelta(minutes=1)
    assert rows["forever"].expires_at is None
    page = client.get("/auth/account").get_data(as_text=True)
    assert month.strftime("%d %b %Y") in page
    set_token_by_id(app, rows["month"].id, expires_at=utcnow() - timedelta(days=1))
    page = client.get("/auth/account").get_data(as_text=True)
    assert "<strong>Expired</strong>" in page


def set_token_by_id(app, token_id, **values):
    from portfolio.accounts.models import ApiToken

    with app.app_context():
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.id == token_id).values(**values)
        )
        db.session.commit()


def test_last_used_is_written_at_most_hourly(app, client, factory):
    secret = factory.token(factory.user("trainee"))
    writes = []

    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_TOKEN"):
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert me(client, secret).status_code == 200
        first = token_row(app, secret).last_used_at
        assert first is not None and len(writes) == 1
        for _ in range(3):
            assert me(client, secret).status_code == 200
        assert len(writes) == 1 and token_row(app, secret).last_used_at == first
        set_token(app, secret, last_used_at=utcnow() - timedelta(minutes=61))
        writes.clear()
        me(client, secret)
        assert len(writes) == 1
        assert utcnow() - token_row(app, secret).last_used_at < timedelta(minutes=1)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_users_token_cli_takes_days(app, runner, factory):
    email = factory.user("trainee")
    result = runner.invoke(args=["users", "token", email, "--days", "30"])
    assert result.exit_code == 0, result.output
    secret = result.output.split()[0]
    expires = token_row(app, secret).expires_at
    assert abs(expires - utcnow() - timedelta(days=30)) < timedelta(minutes=1)
    never = runner.invoke(args=["users", "token", email, "--days", "0"])
    assert token_row(app, never.output.split()[0]).expires_at is None
    assert "expires: never" in never.output
    bad = runner.invoke(args=["users", "token", email, "--days", "-1"])
    assert bad.exit_code == 2 and "--days" in bad.output
    app.config["API_TOKEN_DAYS"] = 365
    default = runner.invoke(args=["users", "token", email])
    expires = token_row(app, default.output.split()[0]).expires_at
    assert abs(expires - utcnow() - timedelta(days=365)) < timedelta(minutes=1)


# ---- 2. errors never name people or confirm an email ---------------------------------

NAMES = ("Sam Elsewhere", "Gareth Evans", "Ben Other", "Oliver Leeds", "Helen Walsh")


def test_submitting_to_anyone_but_your_supervisor_gets_one_answer(client, world):
    from tests.world import REFLECTION
    from tests.world import As

    trainee = As(client, world, "trainee")
    evidence = trainee.post("/api/v1/evidence", json=REFLECTION).get_json()
    path = f"/api/v1/evidence/{evidence['id']}/submit"
    answers = set()
    for ref in (
        "nobody@example.org",  # no such account
        world.other_supervisor,  # a supervisor here, not hers
        world.leeds_lead,  # a lead at another trust
        world.other_trainee,  # not a supervisor at all
        world.leeds_trainee,
    ):
        response = trainee.post(path, json={"assessor": ref})
        text = response.get_data(as_text=True)
        assert not [name for name in NAMES if name in text], text
        body = response.get_json()
        answers.add((response.status_code, body["detail"], repr(body["errors"])))
    assert len(answers) == 1, answers
    status, detail, _ = answers.pop()
    assert status == 422
    assert "No supervisor with that email can sign off your evidence" in detail
    ok = trainee.post(path, json={"assessor": world.assessor})
    assert ok.status_code == 200, ok.get_json()


def enrol(client, world, trainee, supervisors=()):
    from tests.world import As

    return As(client, world, "lead").post(
        "/api/v1/enrolments",
        json={
            "trainee": trainee,
            "curriculum": "ai-dht",
            "organisation": "RBV",
            "start_date": "2026-01-05",
            "expected_end_date": "2027-03-05",
            "supervisors": list(supervisors),
        },
    )


def test_enrolling_never_names_people_or_confirms_emails(client, world):
    trainee_answers, supervisor_answers = set(), set()
    for ref in ("nobody@example.org", world.leeds_trainee, world.assessor):
        response = enrol(client, world, ref)
        text = response.get_data(as_text=True)
        assert not [name for name in NAMES if name in text], text
        assert response.status_code == 422
        trainee_answers.add(repr(response.get_json()["errors"]))
    assert len(trainee_answers) == 1, trainee_answers
    assert "No trainee at" in trainee_answers.pop()
    for ref in ("nobody@example.org", world.other_trainee, world.leeds_trainee):
        response = enrol(client, world, world.other_trainee, [ref])
        text = response.get_data(as_text=True)
        assert not [name for name in NAMES if name in text], text
        supervisor_answers.add(repr(response.get_json()["errors"]))
    assert len(supervisor_answers) == 1, supervisor_answers
    assert "No supervisor or training lead with that email" in supervisor_answers.pop()


def test_password_reset_request_does_the_same_work_for_any_email(app, factory):
    """The request only queues one job with the address: no lookup, no outbox row."""
    from portfolio import jobs
    from portfolio.accounts import services

    known = factory.user("trainee")
    seen = []
    with app.app_context():
        engine, session_class = db.engine, db.session.session_factory.class_

    def statement(conn, cursor, text, params, context, executemany):
        seen.append(text)

    def before_commit(session):
        pending = session.info.get(jobs._PENDING, [])
        seen.append(("commit", [(j.func, j.args) for j in pending], len(session.new)))

    work = {}
    for email in (known.upper(), "ghost@example.org"):
        seen.clear()
        sa.event.listen(engine, "before_cursor_execute", statement)
        sa.event.listen(session_class, "before_commit", before_commit)
        try:
            with app.test_request_context("/auth/forgot-password", method="POST"):
                services.request_password_reset(email)
        finally:
            sa.event.remove(engine, "before_cursor_execute", statement)
            sa.event.remove(session_class, "before_commit", before_commit)
        first_commit = next(i for i, s in enumerate(seen) if isinstance(s, tuple))
        work[email] = seen[: first_commit + 1]  # what the request itself did
    assert work[known.upper()] == [
        ("commit", [(services.RESET_JOB, (known.lower(),))], 0)
    ]
    assert work["ghost@example.org"] == [
        ("commit", [(services.RESET_JOB, ("ghost@example.org",))], 0)
    ]


def test_reset_job_emails_known_accounts_only(app, client, factory, work_jobs):
    from portfolio.notifications.models import OutboxEmail

    email = factory.user("trainee")
    for address in (email, "ghost@example.org"):
        page = client.post("/auth/forgot-password", data={"email": address})
        assert "Check your email" in page.get_data(as_text=True)
    work_jobs()
    with app.app_context():
        sent = db.session.scalars(sa.select(OutboxEmail)).all()
    assert [e.to_address for e in sent] == [email] and sent[0].sent_at is not None
    assert "http://localhost/auth/reset/" in sent[0].body


# ---- 4. throttling cannot lock a person out -----------------------------------------


@pytest.fixture
def limited(app):
    """Rate limits on, as in production (memory, or Redis on the PostgreSQL pass)."""
    from portfolio.extensions import limiter

    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    yield app
    app.config["RATELIMIT_ENABLED"] = False
    limiter.init_app(app)


def browser(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, email, password):
    return client.post("/auth/login", data={"email": email, "password": password})


def test_failing_as_someone_cannot_lock_them_out_for_good(limited, factory):
    app = limited
    email = factory.user("trainee")
    # Ten failures from ten addresses fill the account's per-minute allowance.
    for n in range(10):
        assert (
            sign_in(browser(app, f"198.51.100.{n}"), email, "guess").status_code == 401
        )
    assert sign_in(browser(app, "198.51.100.99"), email, "guess").status_code == 429
    person = browser(app, "192.0.2.7")
    locked = sign_in(person, email, PASSWORD)
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert "too many failed attempts to sign in to this account" in page
    assert "Forgotten your password?" in page
    # The reset link still works, and the browser that used it signs in at once,
    link = reset_link(app, email)
    assert person.get(link).status_code == 200
    new = "tangerine harbour lights"
    assert person.post(link, data={"password": new, "confirm": new}).status_code == 302
    # ... even if the attacker has filled the account's allowance again.
    laptop = browser(app, "192.0.2.8")
    assert sign_in(laptop, email, new).status_code == 302  # the count was cleared
    for n in range(10):
        sign_in(browser(app, f"203.0.113.{n}"), email, "guess")
    assert sign_in(browser(app, "192.0.2.9"), email, new).status_code == 429
    assert sign_in(person, email, new).status_code == 302
    assert person.get("/auth/account").status_code == 200


def test_reset_pass_is_for_that_account_and_browser_only(limited, factory):
    app = limited
    email, other = factory.user("trainee"), factory.user("trainee")
    for target in (email, other):
        for n in range(10):
            sign_in(browser(app, f"198.51.100.{n}"), target, "guess")
    person = browser(app, "192.0.2.7")
    link = reset_link(app, email)
    new = "tangerine harbour lights"
    person.post(link, data={"password": new, "confirm": new})
    for n in range(10):
        sign_in(browser(app, f"203.0.113.{n}"), email, "guess")
    assert sign_in(person, other, PASSWORD).status_code == 429  # not that account
    with person.session_transaction() as session:  # the pass has run out
        assert session["signed_in_after_reset"]["email"] == email
        session["signed_in_after_reset"] = {"email": email, "until": time.time() - 1}
    assert sign_in(person, email, new).status_code == 429


def test_one_address_is_limited_across_accounts(limited, factory):
    app = limited
    emails = [factory.user("trainee") for _ in range(11)]
    sprayer = browser(app, "198.51.100.1")
    statuses = [sign_in(sprayer, e, "guess").status_code for e in emails]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    assert "from your network" in sign_in(sprayer, emails[0], PASSWORD).get_data(
        as_text=True
    )
    assert sign_in(browser(app, "192.0.2.7"), emails[0], PASSWORD).status_code == 302
