"""Hostile input is refused at the edge (portfolio/inputs.py), never a 500.

One parametrised test throws each hostile input at each kind of endpoint that can
carry it: the sign-in form and the verification page and API (no account), and
the evidence API and pages (signed in). The API answers 400 problem+json naming
the field; pages answer a 400 page saying what to remove. Nothing is written.
"""

import json
import logging
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.helpers.api import As
from tests.helpers.factory import PASSWORD
from tests.helpers.world import REFLECTION


@dataclass(frozen=True)
class Hostile:
    name: str
    carrier: str  # "text": a string value; "json": a whole JSON body; "page": ?page=
    value: str
    says: str  # what the refusal says


HOSTILE = (
    Hostile("nul", "text", "a\x00b", "NUL character (U+0000)"),
    Hostile("nul-only", "text", "\x00", "NUL character (U+0000)"),
    Hostile("lone-surrogate", "json-text", "a\ud800b", "unpaired surrogate (U+D800)"),
    Hostile("low-surrogate", "json-text", "\udfff", "unpaired surrogate (U+DFFF)"),
    Hostile("deep-json", "json", "[" * 100_000 + "]" * 100_000, "nested more than 32"),
    Hostile("moderately-deep-json", "json", "[" * 500 + "]" * 500, "nested more than"),
    Hostile("nan", "json", '{"code": NaN, "sha256": 1}', "finite number"),
    Hostile("nul-in-key", "json", '{"code\\u0000": "x"}', "NUL character"),
    Hostile("huge-page", "page", "1" + "0" * 30, "whole number from 1"),
    Hostile("negative-page", "page", "-1", "whole number from 1"),
    Hostile("zero-page", "page", "0", "whole number from 1"),
    Hostile("word-page", "page", "ten", "whole number from 1"),
)


@dataclass(frozen=True)
class Endpoint:
    name: str
    api: bool
    who: str | None  # None: no account
    carries: tuple[str, ...]

    def send(self, client, world, hostile: Hostile):
        call = As(client, world, self.who) if self.api and self.who else client
        return SENDERS[self.name](call, hostile)


def _json_text(hostile: Hostile, template: dict, field: str) -> str:
    if hostile.carrier == "json":
        return hostile.value
    return json.dumps({**template, field: hostile.value})


def _post_json(call, path, body: str):
    return call.post(path, data=body, content_type="application/json")


SENDERS = {
    "sign-in form": lambda c, h: c.post(
        "/auth/login", data={"email": f"x{h.value}@example.org", "password": "x"}
    ),
    "verification page": lambda c, h: c.get(f"/verify/AB{quote(h.value)}CD"),
    "verification API": lambda c, h: _post_json(
        c,
        "/api/v1/verify",
        _json_text(h, {"code": "ABCD", "sha256": "0" * 64}, "code"),
    ),
    "evidence API": lambda c, h: _post_json(
        c, "/api/v1/evidence", _json_text(h, REFLECTION, "title")
    ),
    "evidence list API": lambda c, h: c.get(
        "/api/v1/evidence?"
        + (
            f"page={quote(h.value)}"
            if h.carrier == "page"
            else f"status={quote(h.value)}"
        )
    ),
    "evidence by id API": lambda c, h: c.get(f"/api/v1/evidence/{quote(h.value)}"),
    "new evidence page": lambda c, h: c.post(
        "/evidence/new?kind=reflection",
        data={"title": h.value, "body": "text", "action": "save"},
    ),
    "evidence list page": lambda c, h: c.get(
        "/evidence/?"
        + (
            f"page={quote(h.value)}"
            if h.carrier == "page"
            else f"kind={quote(h.value)}"
        )
    ),
    "evidence page": lambda c, h: c.get(f"/evidence/{quote(h.value)}"),
}
ENDPOINTS = (
    Endpoint("sign-in form", api=False, who=None, carries=("text",)),
    Endpoint("verification page", api=False, who=None, carries=("text",)),
    Endpoint(
        "verification API", api=True, who=None, carries=("text", "json-text", "json")
    ),
    Endpoint(
        "evidence API", api=True, who="trainee", carries=("text", "json-text", "json")
    ),
    Endpoint("evidence list API", api=True, who="trainee", carries=("text", "page")),
    Endpoint("evidence by id API", api=True, who="trainee", carries=("text",)),
    Endpoint("new evidence page", api=False, who="trainee", carries=("text",)),
    Endpoint("evidence list page", api=False, who="trainee", carries=("text", "page")),
    Endpoint("evidence page", api=False, who="trainee", carries=("text",)),
)
CASES = [
    pytest.param(endpoint, hostile, id=f"{endpoint.name}-{hostile.name}")
    for endpoint in ENDPOINTS
    for hostile in HOSTILE
    if hostile.carrier in endpoint.carries
]


def evidence_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Evidence))


@pytest.mark.parametrize(("endpoint", "hostile"), CASES)
def test_hostile_input_is_refused_at_the_edge(
    app, client, world, login, endpoint, hostile
):
    if endpoint.who and not endpoint.api:
        login(getattr(world, endpoint.who), PASSWORD)
    before = evidence_count(app)
    response = endpoint.send(client, world, hostile)
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    if endpoint.api:
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["status"] == 400 and hostile.says in body["detail"]
        assert body["errors"] and all(
            set(e) == {"field", "message"} and hostile.says in e["message"]
            for e in body["errors"]
        )
    else:
        page = response.get_data(as_text=True)
        assert response.mimetype == "text/html"
        assert hostile.says in page and "Traceback" not in page
    assert evidence_count(app) == before


def test_an_empty_page_number_means_the_first_page(client, world, login):
    login(world.trainee, PASSWORD)
    assert client.get("/evidence/?page=").status_code == 200
    assert client.get("/evidence/?page=2").status_code == 200


def test_api_errors_name_where_the_bad_character_is(client, world):
    body = {**REFLECTION, "claims": [{"curriculum": "stp-rp", "code": "X\x00"}]}
    response = As(client, world, "trainee").post("/api/v1/evidence", json=body)
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["claims[0].code"]


def test_the_sign_in_page_says_which_field_to_fix(client, world):
    response = client.post(
        "/auth/login", data={"email": world.trainee + "\x00", "password": PASSWORD}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "email contains a NUL character (U+0000)" in page
    assert client.get("/").status_code == 302  # not signed in


def test_wba_ratings_sent_as_a_list_are_a_field_error(client, world):
    trainee = As(client, world, "trainee")
    dops = {
        "title": "DOPS on linac QA",
        "kind": "dops",
        "occurred_on": "2026-03-14",
    }
    as_list = trainee.post(
        "/api/v1/evidence", json={**dops, "form": {"ratings": ["meets", "above"]}}
    )
    assert as_list.status_code == 422
    assert as_list.get_json()["errors"][0]["field"] == "form.ratings"
    # The assessor completes the ratings: a list where a rating goes is a field
    # error on the decision too, never a 500.
    dops = {
        **dops,
        "form": {"activity": "Daily output check", "setting": "Linac 3"},
        "claims": [{"curriculum": "stp-rp", "code": "P-RP-S2-TA01"}],
    }
    created = trainee.post("/api/v1/evidence", json=dops)
    assert created.status_code == 201, created.get_json()
    path = f"/api/v1/evidence/{created.get_json()['id']}"
    submitted = trainee.post(f"{path}/submit", json={"assessor": world.supervisor})
    assert submitted.status_code == 200, submitted.get_json()
    listed_rating = As(client, world, "supervisor").post(
        f"{path}/decision",
        json={"decision": "approve", "form": {"ratings": {"safety": ["meets"]}}},
    )
    assert listed_rating.status_code == 422
    fields = [e["field"] for e in listed_rating.get_json()["errors"]]
    assert "form.ratings.safety" in fields


def test_attachment_missing_on_disk_is_a_logged_404(app, client, world, login, caplog):
    from portfolio.evidence import attachments
    from portfolio.evidence.models import Attachment

    trainee = As(client, world, "trainee")
    evidence = trainee.post("/api/v1/evidence", json=REFLECTION).get_json()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    from io import BytesIO

    uploaded = client.post(
        f"/api/v1/evidence/{evidence['id']}/attachments",
        headers=trainee.headers,
        data={"file": (BytesIO(pdf), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    attachment_id = uploaded.get_json()["id"]
    with app.app_context():
        attachments.file_path(db.session.get(Attachment, attachment_id)).unlink()
    with caplog.at_level(logging.ERROR, logger="portfolio.downloads"):
        api = trainee.get(
            f"/api/v1/evidence/{evidence['id']}/attachments/{attachment_id}"
        )
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert "missing from storage" in api.get_json()["detail"]
    assert any(attachment_id in r.getMessage() for r in caplog.records)
    login(world.trainee, PASSWORD)
    page = client.get(f"/evidence/{evidence['id']}/files/{attachment_id}")
    assert page.status_code == 404
    assert "missing from storage" in page.get_data(as_text=True)
