"""Forms say every problem at once, in plain words, each linked from the summary."""

from tests.helpers.people import make_evidence
from tests.helpers.people import submit_to


def test_a_decision_left_unchosen_is_said_in_plain_words(app, client, people, as_user):
    evidence_id = make_evidence(app, people.aisha, title="Linac QA reflection")
    submit_to(app, evidence_id, people.aisha, people.helen)
    as_user(people.helen)
    page = client.post(f"/signoff/{evidence_id}/decide", data={"comment": "Fine"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Choose whether to sign it off or return it" in html
    assert 'href="#decision' in html
    assert "approve" not in html.split("nhsuk-error-summary", 1)[1].split("</div>")[0]


def too_large_body(filename: str) -> bytes:
    """A multipart body over the request limit (set to 2 MB by the test)."""
    return (
        f'--B\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode()
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + b"0" * (2 * 1024 * 1024 + 10)
        + b"\r\n--B--\r\n"
    )


MULTIPART = "multipart/form-data; boundary=B"


def test_a_request_over_the_limit_goes_back_to_its_form(app, client, people, as_user):
    """Over MAX_CONTENT_LENGTH the request is refused before any view runs (413):
    the upload form it came from is shown again, the limit said on its file field."""
    app.config.update(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    evidence_id = make_evidence(app, people.aisha, title="Scan to attach")
    as_user(people.aisha)
    page = client.post(
        f"/evidence/{evidence_id}/files",
        data=too_large_body("big.pdf"),
        content_type=MULTIPART,
    )
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "larger than the 1 MB limit" in html and 'href="#file"' in html
    assert "Scan to attach" in html and 'name="file"' in html
    as_user(people.morgan)
    page = client.post(
        "/organisations/import", data=too_large_body("big.csv"), content_type=MULTIPART
    )
    assert page.status_code == 413
    html = page.get_data(as_text=True)
    assert "larger than the 1 MB limit" in html and 'href="#file"' in html
    assert ">Organisations</h1>" in html
    # Someone who may not import gets the plain page, not the form.
    as_user(people.aisha)
    refused = client.post(
        "/organisations/import", data=too_large_body("big.csv"), content_type=MULTIPART
    )
    assert refused.status_code == 413
    assert 'name="file"' not in refused.get_data(as_text=True)
