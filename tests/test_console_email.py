"""Development's console outbox (no MAIL_SERVER) prints an email as written: a
reset link can be copied whole and followed, whatever the name's characters."""

import re

import pytest


@pytest.fixture
def console_mail(app):
    app.config["MAIL_SUPPRESS"] = False  # development: no MAIL_SERVER, print it
    app.config["MAIL_SERVER"] = None
    return app


def test_reset_link_on_the_console_can_be_followed(
    console_mail, client, factory, work_jobs, capsys
):
    # A non-ASCII name makes the body UTF-8: on the wire that is quoted-printable or
    # base64, which would break the link across lines or hide it.
    email = factory.user("trainee", name="Siân Ó Briain-Łukasiewicz")
    capsys.readouterr()
    client.post("/auth/forgot-password", data={"email": email})
    work_jobs()
    printed = capsys.readouterr().err
    assert "Subject: Reset your MPCE Portfolio password" in printed
    assert "Hello Siân Ó Briain-Łukasiewicz," in printed
    assert "Content-Transfer-Encoding" not in printed and "=\n" not in printed
    link = re.search(r"http://localhost(/auth/reset/\S+)\n", printed)
    assert link, printed
    assert len(link.group(0)) > 78  # longer than one line of a quoted-printable body
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Choose a new password" in page.get_data(as_text=True)
