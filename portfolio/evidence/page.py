"""The evidence item's page, shared by the evidence and sign-off views.

Not a views module: it registers no routes, so any view may use it.
"""

from flask import current_app
from flask import render_template
from flask import url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portfolio import policy
from portfolio.audit import services as audit
from portfolio.evidence import kinds
from portfolio.evidence import markdown
from portfolio.evidence import services
from portfolio.evidence.forms import UploadForm
from portfolio.evidence.models import Evidence
from portfolio.forms import error_items
from portfolio.signoff import services as signoff
from portfolio.signoff.forms import EXTERNAL_CHOICE
from portfolio.signoff.forms import SubmitForm
from portfolio.signoff.forms import UnlockForm
from portfolio.signoff.forms import assessor_choices
from portfolio.signoff.forms import decision_form as new_decision_form


def load(evidence_id: str) -> Evidence:
    """Evidence the current user may see, or 404."""
    return services.load_visible(current_user, evidence_id)


def render_evidence(
    evidence: Evidence, status: int = 200, errors: list[dict] | None = None, **forms
):
    """The evidence page, with any forms that came back with errors.

    ``errors`` are problems no form on this page can fix (for example an answer
    that submission needs), each linking to where it can be fixed.
    """
    can_edit = policy.can_edit_evidence(current_user, evidence)
    can_decide = policy.can_decide(current_user, evidence)
    can_withdraw = policy.can_withdraw(current_user, evidence)
    can_unlock = evidence.status == "signed_off" and policy.can_unlock(
        current_user, evidence
    )
    submit_form = upload_form = decision_form = unlock_form = None
    if can_edit:
        submit_form = forms.get("submit_form") or SubmitForm(formdata=None)
        submit_form.assessor.choices = assessor_choices(evidence.owner_id)
        if evidence.kind in kinds.WBA_KINDS:
            submit_form.assessor.choices.append(
                SelectChoice(
                    EXTERNAL_CHOICE,
                    "Someone without an account: we email them a single-use link",
                )
            )
        upload_form = forms.get("upload_form") or UploadForm(formdata=None)
        upload_form.file.description = (
            "A PDF, PNG, JPEG or Word (.docx) file, up to "
            f"{current_app.config['MAX_UPLOAD_MB']} MB"
        )
    if can_decide:
        decision_form = forms.get("decision_form") or new_decision_form(
            signoff.decision_kind(evidence), formdata=None
        )
    if can_unlock:
        unlock_form = forms.get("unlock_form") or UnlockForm(formdata=None)
    error_list = error_items(
        submit_form, upload_form, decision_form, unlock_form, extra=errors
    )
    return render_template(
        "evidence/show.jinja",
        title=evidence.title,
        evidence=evidence,
        body_html=markdown.render(evidence.body),
        text_fields=kinds.text_fields(evidence.kind),
        claim_flags=_claim_flags(evidence),
        domains=kinds.WBA_DOMAINS.get(evidence.kind, {}),
        ratings=kinds.RATINGS,
        is_wba=evidence.kind in kinds.WBA_KINDS,
        overall_labels=kinds.OVERALL,
        assessor_text_fields=kinds.ASSESSOR_TEXT_FIELDS,
        previous_flow=kinds.previous_flow_answers(evidence.form)
        if evidence.ratings_by_trainee
        else {},
        previous_flow_label=kinds.PREVIOUS_FLOW_LABEL,
        assessed=signoff.current_assessment(evidence),
        pending_countersignature=signoff.pending_countersignature(evidence),
        ticket=signoff.ticket_of(evidence) if can_withdraw else None,
        past_tickets=signoff.tickets_of(evidence)
        if evidence.owner_id == current_user.id
        else [],
        reflections=services.reflections_on(evidence),
        returned=signoff.latest_return(evidence) if evidence.editable else None,
        claims=sorted(
            evidence.claims,
            key=lambda c: (c.outcome.curriculum.title, c.outcome.position),
        ),
        signoffs=signoff.signoffs_of(evidence),
        imported_signoffs=signoff.imported_signoffs_of(evidence),
        history=audit.history("evidence", evidence.id),
        can_edit=can_edit,
        can_delete=policy.can_delete_draft(current_user, evidence),
        can_withdraw=can_withdraw,
        can_reflect=policy.can_reflect_on(current_user, evidence),
        declaration=signoff.DECLARATION,
        submit_form=submit_form,
        upload_form=upload_form,
        decision_form=decision_form,
        unlock_form=unlock_form,
        error_list=error_list,
        # The layout prefixes the page title with "Error:" when form.errors is set.
        form={"errors": error_list},
        back_href=url_for("evidence.index"),
    ), status


def _claim_flags(evidence: Evidence) -> dict:
    """Outcome id -> what the trainee must check, for claims on codes whose meaning
    changed or that were removed (curricula/mappings/): the claim is never moved."""
    from portfolio.curriculum import mappings

    return mappings.flags_for([claim.outcome for claim in evidence.claims])
