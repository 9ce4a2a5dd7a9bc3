"""A client generated from the OpenAPI document (openapi-python-client) drives the
API's main calls against a live server and parses every answer."""

import importlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.helpers.world import REFLECTION

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "mpce_generated_client"


@pytest.fixture
def generated(client, tmp_path):
    """The client package generated from the served document, imported."""
    assert GENERATOR.exists(), "pip install -e '.[test]' (openapi-python-client)"
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/api/v1/openapi.json").get_json()))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    out = tmp_path / "client" / PACKAGE
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(out),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(out.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out.parent))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # localhost: the host BASE_URL names (the only one the app serves)
    yield f"http://localhost:{server.server_port}/api/v1"
    server.shutdown()
    thread.join()


def call(generated, name: str):
    return importlib.import_module(f"{generated.__name__}.api.default.{name}")


def test_a_generated_client_drives_the_main_calls(generated, live, world):
    def as_(who):
        return generated.AuthenticatedClient(
            base_url=live, token=world.tokens[who], raise_on_unexpected_status=True
        )

    models = importlib.import_module(f"{generated.__name__}.models")
    trainee, supervisor = as_("trainee"), as_("supervisor")

    me = call(generated, "me").sync(client=trainee)
    assert me.email == world.trainee and me.roles[0].role == "trainee"

    body = models.CreateEvidenceBody.from_dict(
        {**REFLECTION, "claims": [{"curriculum": "stp-rp", "code": "P-RP-S2-TA01"}]}
    )
    made = call(generated, "create_evidence").sync(client=trainee, body=body)
    assert made.title == REFLECTION["title"] and made.status == "draft"
    assert made.version == 1 and made.owner.email == world.trainee
    assert [c.code for c in made.claims] == ["P-RP-S2-TA01"]
    assert made.submitted_to is None

    got = call(generated, "get_evidence").sync(made.id, client=trainee)
    assert got.id == made.id and got.history and got.attachments == []

    listed = call(generated, "list_evidence").sync(client=trainee)
    assert listed.total >= 1 and made.id in [item.id for item in listed.items]

    sent = call(generated, "submit").sync(
        made.id, client=trainee, body=models.SubmitBody(assessor=world.supervisor)
    )
    assert sent.status == "submitted" and sent.id == made.id

    queue = call(generated, "queue").sync(client=supervisor)
    waiting = [item for item in queue.items if item.id == made.id]
    assert waiting and waiting[0].age_days == 0
    assert waiting[0].submitted_to.email == world.supervisor

    progress = call(generated, "enrolment_progress").sync(
        world.enrolment_id, client=trainee
    )
    assert 0 <= progress.percent_complete <= 100 and progress.outcomes
    assert progress.expected_end_date is not None

    curricula = call(generated, "curricula_list").sync(client=trainee)
    assert "stp-rp" in [c.id for c in curricula]

    case = call(generated, "curriculum_case").sync("stp-rp", client=trainee)
    assert case.cf_document is not None and case.cf_items

    refused = call(generated, "create_evidence").sync_detailed(
        client=trainee,
        body=models.CreateEvidenceBody.from_dict({**REFLECTION, "title": 5}),
    )
    assert refused.status_code == 422
    assert refused.parsed.errors[0].field == "title"
