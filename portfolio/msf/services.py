"""Multi-source feedback rounds.

The trainee rates themselves on the questionnaire and invites raters (colleagues
of several roles) by email; each rater gets a single-use link and answers
anonymously. The answers are collated, and released to the trainee only when at
least the curriculum's minimum number of raters (``msf_min_raters``, else
``MSF_MIN_RATERS``) have answered and a supervisor has reviewed the results with
the trainee. Release makes the collated summary an MSF evidence item, signed off
by that supervisor: the evidence that counts. No one, admins included, can see who
said what: a response row holds the answers only (see ``portfolio.msf.models``).
"""

import hashlib
from datetime import date

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.enrolments.models import Enrolment
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.evidence.services import claim_keys
from portfolio.evidence.services import content_hash
from portfolio.extensions import db
from portfolio.msf import questionnaire as q
from portfolio.msf.models import MsfRater
from portfolio.msf.models import MsfResponse
from portfolio.msf.models import MsfRound
from portfolio.notifications.services import notify
from portfolio.progress.tracking import refresh_progress
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound
from portfolio.signoff.eligibility import msf_min_raters
from portfolio.signoff.models import SignOff
from portfolio.tickets import services as tickets
from portfolio.tickets.models import Ticket

MAX_RATERS = 50
PLAN_MAX = 5000


def _link(msf_round: MsfRound) -> str:
    return f"/msf/{msf_round.id}"


def load_visible(user: User, round_id: str) -> MsfRound:
    found = db.session.scalar(
        policy.visible_msf_rounds(user).where(MsfRound.id == round_id)
    )
    if found is None:
        raise NotFound("No such multi-source feedback round.")
    return found


def _check_ratings(data, errors: FieldErrors, prefix: str) -> dict:
    data = data if isinstance(data, dict) else {}
    clean = {}
    for key in data:
        if key not in q.DOMAINS:
            errors.add(f"{prefix}.{key}", f"{key!r} is not a question of the MSF")
    for domain, label in q.DOMAINS.items():
        value = data.get(domain)
        if value in (None, ""):
            errors.add(
                f"{prefix}.{domain}", f"Choose a rating for '{label.split(':')[0]}'"
            )
        elif value not in q.SCALE:
            errors.add(
                f"{prefix}.{domain}", f"Rating must be one of {', '.join(q.SCALE)}"
            )
        else:
            clean[domain] = value
    return clean


def _check_text(data, errors: FieldErrors, prefix: str) -> dict:
    data = data if isinstance(data, dict) else {}
    clean = {}
    for name, label, _hint in q.FREE_TEXT:
        value = data.get(name) or ""
        if not isinstance(value, str):
            errors.add(f"{prefix}.{name}", f"'{label}' must be text")
        elif len(value) > q.TEXT_MAX:
            errors.add(
                f"{prefix}.{name}",
                f"'{label}' must be {q.TEXT_MAX:,} characters or fewer",
            )
        else:
            clean[name] = value.strip()
    return clean


def _check_raters(actor: User, raters, errors: FieldErrors, taken: set[str]) -> list:
    if not isinstance(raters, list) or not raters:
        errors.add("raters", "Invite at least one rater")
        return []
    if len(raters) + len(taken) > MAX_RATERS:
        errors.add("raters", f"Invite at most {MAX_RATERS} raters in one round")
    clean, seen = [], set(taken)
    for index, rater in enumerate(raters):
        rater = rater if isinstance(rater, dict) else {}
        name, email = tickets.check_person(
            rater.get("name", ""), rater.get("email", ""), errors, f"raters[{index}]."
        )
        role = rater.get("role")
        if role not in q.ROLES:
            errors.add(
                f"raters[{index}].role",
                f"Choose their role: one of {', '.join(q.ROLES)}",
            )
        if email and email == actor.email:
            errors.add(f"raters[{index}].email", "You cannot rate yourself as a rater")
        elif email in seen:
            errors.add(f"raters[{index}].email", f"{email} is invited already")
        seen.add(email)
        clean.append({"name": name, "email": email, "role": role})
    return clean


def _email_text(msf_round: MsfRound) -> tuple[str, str]:
    name = msf_round.trainee.name
    return (
        f"MPCE Portfolio: {name} asks for your feedback",
        f"{name} asks you to give multi-source feedback on how they work: five "
        "ratings and two short comments, about five minutes. Your answers are "
        f"anonymous: {name} and their supervisor see them only collated with at "
        "least "
        f"{msf_round.min_raters - 1} other people's, never who said what.",
    )


def _invite(actor: User, msf_round: MsfRound, raters: list[dict]) -> None:
    subject, body = _email_text(msf_round)
    for rater in raters:
        ticket = tickets.issue(
            actor, "msf", msf_round.id, rater["name"], rater["email"], subject, body
        )
        msf_round.raters.append(
            MsfRater(
                name=rater["name"],
                email=rater["email"],
                role=rater["role"],
                ticket_id=ticket.id,
                ticket=ticket,
            )
        )


def start_round(
    actor: User,
    enrolment_id: str,
    raters,
    self_assessment: dict | None,
    outcome_ids: list[str] | None = None,
) -> MsfRound:
    """The trainee starts a round on one of their enrolments."""
    enrolment = db.session.get(Enrolment, enrolment_id or "")
    if enrolment is None or enrolment.trainee_id != actor.id:
        raise Invalid.field("enrolment", "Choose one of your programmes")
    if enrolment.status not in ("active", "break_in_learning"):
        raise Invalid.field("enrolment", "That programme is no longer running")
    errors = FieldErrors()
    self_assessment = self_assessment if isinstance(self_assessment, dict) else {}
    mine = {
        "ratings": _check_ratings(
            self_assessment.get("ratings"), errors, "self_assessment.ratings"
        ),
        "comments": _check_text(
            self_assessment.get("comments"), errors, "self_assessment.comments"
        ),
    }
    clean = _check_raters(actor, raters, errors, set())
    outcomes = _outcomes(enrolment, outcome_ids or [], errors)
    errors.raise_if_any("The feedback round is not ready to start yet.")
    msf_round = MsfRound(
        trainee_id=actor.id,
        trainee=actor,
        enrolment_id=enrolment.id,
        self_assessment=mine,
        min_raters=msf_min_raters(enrolment.curriculum),
        outcome_ids=outcomes,
    )
    db.session.add(msf_round)
    db.session.flush()
    _invite(actor, msf_round, clean)
    audit.record(actor, "msf.started", "msf_round", msf_round.id, raters=len(clean))
    db.session.commit()
    return msf_round


def _outcomes(enrolment: Enrolment, outcome_ids: list, errors: FieldErrors) -> list:
    from portfolio.curriculum.models import Outcome

    if not isinstance(outcome_ids, list):
        errors.add("outcomes", "outcomes must be a list of outcome ids")
        return []
    found = {
        o.id
        for o in db.session.scalars(
            sa.select(Outcome).where(
                Outcome.id.in_([str(i) for i in outcome_ids]),
                Outcome.curriculum_id == enrolment.curriculum_id,
            )
        )
    }
    for index, wanted in enumerate(outcome_ids):
        if wanted not in found:
            errors.add(f"outcomes[{index}]", "Not an outcome of this programme")
    return [i for i in outcome_ids if i in found]


def add_raters(actor: User, msf_round: MsfRound, raters) -> MsfRound:
    _check_open(actor, msf_round)
    errors = FieldErrors()
    clean = _check_raters(actor, raters, errors, {r.email for r in msf_round.raters})
    errors.raise_if_any("Some raters need fixing.")
    _invite(actor, msf_round, clean)
    audit.record(
        actor, "msf.raters_added", "msf_round", msf_round.id, raters=len(clean)
    )
    db.session.commit()
    return msf_round


def _check_open(actor: User, msf_round: MsfRound) -> None:
    if not policy.can_manage_msf(actor, msf_round):
        raise Forbidden("Only the trainee whose feedback round it is can do this.")
    if msf_round.status != "collecting":
        raise Conflict("This feedback round has been released, so it is closed.")


def _rater(msf_round: MsfRound, rater_id: str) -> MsfRater:
    rater = next((r for r in msf_round.raters if r.id == rater_id), None)
    if rater is None:
        raise NotFound("No such rater in this round.")
    return rater


def resend(actor: User, msf_round: MsfRound, rater_id: str) -> Ticket:
    _check_open(actor, msf_round)
    rater = _rater(msf_round, rater_id)
    subject, body = _email_text(msf_round)
    tickets.resend(actor, rater.ticket, subject, body)
    db.session.commit()
    return rater.ticket


def revoke(actor: User, msf_round: MsfRound, rater_id: str) -> Ticket:
    _check_open(actor, msf_round)
    rater = _rater(msf_round, rater_id)
    tickets.revoke(actor, rater.ticket)
    db.session.commit()
    return rater.ticket


def round_for_ticket(ticket: Ticket) -> MsfRound:
    msf_round = db.session.get(MsfRound, ticket.subject_id)
    if msf_round is None:
        raise NotFound(tickets.NO_SUCH_TICKET)
    return msf_round


def respond(ticket: Ticket, ratings, comments) -> None:
    """A rater's answers, through their link: stored with nothing that says whose."""
    tickets.usable(ticket)
    msf_round = round_for_ticket(ticket)
    if msf_round.status != "collecting":
        raise Conflict("This feedback round has closed. Thank you all the same.")
    errors = FieldErrors()
    clean_ratings = _check_ratings(ratings, errors, "answers")
    clean_comments = _check_text(comments, errors, "answers")
    errors.raise_if_any("Some answers need fixing.")
    tickets.use(ticket)
    db.session.add(
        MsfResponse(
            round_id=msf_round.id, ratings=clean_ratings, comments=clean_comments
        )
    )
    db.session.commit()


def response_count(msf_round: MsfRound) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(MsfResponse)
        .where(MsfResponse.round_id == msf_round.id)
    ).scalar_one()


def collate(msf_round: MsfRound) -> dict:
    """Counts per rating and the average per area, the trainee's own rating beside
    them, and the comments in an order unrelated to when they were given."""
    responses = list(
        db.session.scalars(
            sa.select(MsfResponse).where(MsfResponse.round_id == msf_round.id)
        )
    )
    areas = []
    for domain, label in q.DOMAINS.items():
        given = [r.ratings.get(domain) for r in responses]
        counts = {value: given.count(value) for value in q.SCALE}
        scored = [q.SCORES[v] for v in given if v in q.SCORES]
        areas.append(
            {
                "domain": domain,
                "label": label,
                "counts": counts,
                "average": round(sum(scored) / len(scored), 1) if scored else None,
                "self": msf_round.self_assessment.get("ratings", {}).get(domain),
            }
        )

    def unattributed(name: str) -> list[str]:
        texts = [r.comments.get(name, "") for r in responses]
        # Sorted by a hash of the text: the order says nothing about who or when.
        return sorted(
            (t for t in texts if t), key=lambda t: hashlib.sha256(t.encode()).digest()
        )

    return {
        "responses": len(responses),
        "invited": len(msf_round.raters),
        "roles": _role_counts(msf_round),
        "areas": areas,
        "comments": {name: unattributed(name) for name, _, _ in q.FREE_TEXT},
        "self_comments": msf_round.self_assessment.get("comments", {}),
    }


def _role_counts(msf_round: MsfRound) -> dict:
    """Roles of the people invited (not of those who answered: that would narrow
    down who said what in a small group)."""
    counts: dict[str, int] = {}
    for rater in msf_round.raters:
        counts[rater.role] = counts.get(rater.role, 0) + 1
    return counts


def release(
    actor: User, msf_round: MsfRound, reviewed_on: date | None, plan: str
) -> Evidence:
    """The supervisor confirms they reviewed the results with the trainee: the
    collated summary becomes the trainee's MSF evidence, signed off by them."""
    if not policy.can_release_msf(actor, msf_round):
        raise Forbidden("Only a supervisor of the trainee can release the feedback.")
    if msf_round.status != "collecting":
        raise Conflict("This feedback has been released already.")
    errors = FieldErrors()
    count = response_count(msf_round)
    if count < msf_round.min_raters:
        errors.add(
            "responses",
            f"{count} of the {msf_round.min_raters} answers needed have come in. The "
            "feedback can be released once enough raters have answered, so that no "
            "one's answers can be picked out.",
        )
    if reviewed_on is None:
        errors.add(
            "reviewed_on", "Enter the date you reviewed the results with the trainee"
        )
    elif reviewed_on > date.today() or reviewed_on < msf_round.created_at.date():
        errors.add(
            "reviewed_on",
            "The review date must be between the start of the round and today",
        )
    plan = (plan or "").strip() if isinstance(plan, str) else ""
    if not plan:
        errors.add("plan", "Write the development plan you agreed with the trainee")
    elif len(plan) > PLAN_MAX:
        errors.add("plan", f"The plan must be {PLAN_MAX:,} characters or fewer")
    errors.raise_if_any("The feedback cannot be released yet.")
    assert reviewed_on is not None
    summary = collate(msf_round)
    now = utcnow()
    evidence = Evidence(
        owner_id=msf_round.trainee_id,
        kind="msf",
        title=f"Multi-source feedback reviewed {reviewed_on:%-d %B %Y}",
        occurred_on=reviewed_on,
        body="",
        form={
            "summary": summary_text(summary),
            "plan": plan,
            "msf_round": msf_round.id,
            "responses": summary["responses"],
        },
        status="signed_off",
        submitted_to_id=actor.id,
        submitted_at=now,
    )
    from portfolio.curriculum.models import Outcome

    evidence.claims = [
        OutcomeClaim(outcome=o)
        for o in db.session.scalars(
            sa.select(Outcome).where(Outcome.id.in_(msf_round.outcome_ids or []))
        )
    ]
    db.session.add(evidence)
    db.session.flush()
    db.session.add(
        SignOff(
            evidence_id=evidence.id,
            evidence_version=evidence.version,
            assessor_id=actor.id,
            decision="approved",
            comment=f"Reviewed with the trainee on {reviewed_on:%-d %B %Y}.",
            content_hash=content_hash(evidence, {"msf_summary": summary}),
            claims=claim_keys(evidence),
            decided_at=now,
        )
    )
    msf_round.status = "released"
    msf_round.summary = summary
    msf_round.reviewed_on = reviewed_on
    msf_round.released_at = now
    msf_round.released_by_id = actor.id
    msf_round.evidence_id = evidence.id
    for rater in msf_round.raters:  # the round is closed: unused links stop working
        if rater.ticket.state() == "open":
            rater.ticket.revoked_at = now
            rater.ticket.revoked_by_id = actor.id
    refresh_progress(msf_round.trainee_id)
    audit.record(
        actor,
        "msf.released",
        "msf_round",
        msf_round.id,
        responses=summary["responses"],
        evidence=evidence.id,
    )
    audit.record(
        actor, "evidence.signed_off", "evidence", evidence.id, msf=msf_round.id
    )
    notify(
        msf_round.trainee,
        f"{actor.name} released your multi-source feedback: "
        f"{summary['responses']} colleagues answered.",
        _link(msf_round),
    )
    db.session.commit()
    return evidence


def summary_text(summary: dict) -> str:
    """The collated summary in words, as the evidence item and the PDF show it."""
    lines = [
        f"{summary['responses']} of {summary['invited']} invited colleagues answered "
        "(answers are anonymous and collated)."
    ]
    for area in summary["areas"]:
        name = area["label"].split(":")[0]
        average = (
            "no ratings"
            if area["average"] is None
            else f"average {area['average']} of 4"
        )
        own = q.SCALE.get(area["self"] or "", "not rated")
        lines.append(f"{name}: {average}; self-rating: {own.lower()}.")
    for name, label, _hint in q.FREE_TEXT:
        for text in summary["comments"][name]:
            lines.append(f"{label}: {text}")
    return "\n".join(lines)


def rounds_of(trainee_id: str) -> list[MsfRound]:
    return list(
        db.session.scalars(
            sa.select(MsfRound)
            .where(MsfRound.trainee_id == trainee_id)
            .order_by(MsfRound.created_at.desc())
        )
    )
