"""Registration applications: start one by a route, see each standard with the
evidence mapped to it (or the gap, in words), write the statements, nominate
proposers or referees who confirm by an emailed link, and ask for the pack.

Evidence is the person's own signed-off portfolio evidence, whatever programme it
was recorded in: a trainee who finishes the STP or a technologist scheme applies
with what they already have, nothing re-entered. An item supports a standard when
it was claimed against the standard, when an outcome it was claimed against maps
to the standard in a crosswalk, or (for an STP learning outcome) when it was
claimed against an activity that the curriculum links to that outcome.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence
from portfolio.evidence.models import OutcomeClaim
from portfolio.exports.models import Export
from portfolio.extensions import db
from portfolio.notifications.services import notify
from portfolio.registration.models import TEXT_MAX
from portfolio.registration.models import Nominee
from portfolio.registration.models import RegistrationApplication
from portfolio.registration.routes import ROUTES
from portfolio.registration.routes import Route
from portfolio.registration.routes import Section
from portfolio.registration.routes import sections
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import NotFound
from portfolio.signoff.models import SignOff
from portfolio.tickets import services as tickets
from portfolio.tickets.models import Ticket

MAX_NOMINEES = 6
RELATIONSHIP_MAX = 120
STATEMENT_MAX = 5000
PURPOSE = "referee"


# ---- starting and loading ----------------------------------------------------------


def scope_choices() -> list[tuple[str, str]]:
    """The RCT scopes of practice, as (code, title), from the loaded standards."""
    rct = _current("rct-scopes")
    if rct is None:
        return []
    return [
        (o.code, o.title)
        for o in _outcomes(rct)
        if o.type == "scope" and o.parent_code is None
    ]


def curriculum_choices(user: User | None = None) -> list[tuple[str, str]]:
    """The STP curricula an equivalence applicant can map to, as (slug, title)."""
    return [
        (c.slug, c.title)
        for c in db.session.scalars(
            sa.select(Curriculum)
            .where(Curriculum.kind == "stp", Curriculum.is_current.is_(True))
            .order_by(Curriculum.title)
        )
    ]


def start(actor: User, route_key: str, choice: str | None) -> RegistrationApplication:
    if not policy.can_apply_for_registration(actor):
        raise Forbidden("Sign in to start a registration application.")
    errors = FieldErrors()
    route = ROUTES.get(route_key or "")
    if route is None:
        errors.add("route", "Choose the route you are applying by")
        errors.raise_if_any()
    assert route is not None
    choice = (choice or "").strip() or None
    if route.choice == "scope" and choice not in dict(scope_choices()):
        errors.add("choice", "Choose the scope of practice you are applying for")
    elif route.choice == "curriculum" and choice not in dict(curriculum_choices()):
        errors.add("choice", "Choose the STP specialism your portfolio maps to")
    elif route.choice is None:
        choice = None
    errors.raise_if_any()
    application = RegistrationApplication(
        owner_id=actor.id, route=route.key, choice=choice, statements={}
    )
    db.session.add(application)
    db.session.flush()
    audit.record(
        actor,
        "registration.started",
        "registration_application",
        application.id,
        route=route.key,
        choice=choice,
    )
    db.session.commit()
    return application


def load(actor: User, application_id: str) -> RegistrationApplication:
    application = db.session.scalar(
        policy.visible_registration_applications(actor).where(
            RegistrationApplication.id == application_id
        )
    )
    if application is None:
        raise NotFound("No such registration application.")
    return application


def applications_of(actor: User) -> list[RegistrationApplication]:
    return list(
        db.session.scalars(
            policy.visible_registration_applications(actor).order_by(
                RegistrationApplication.created_at.desc()
            )
        )
    )


def route_of(application: RegistrationApplication) -> Route:
    return ROUTES[application.route]


def choice_label(application: RegistrationApplication) -> str:
    route = route_of(application)
    if route.choice == "scope":
        return dict(scope_choices()).get(application.choice or "", "")
    if route.choice == "curriculum":
        return dict(curriculum_choices()).get(application.choice or "", "")
    return ""


# ---- statements and stage ----------------------------------------------------------


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text or ""))


def save_statements(
    actor: User, application: RegistrationApplication, data: dict
) -> RegistrationApplication:
    route = route_of(application)
    errors = FieldErrors()
    values = dict(application.statements or {})
    for statement in route.statements:
        text = data.get(statement.key)
        if text is None:
            continue
        text = text.strip() if isinstance(text, str) else ""
        if len(text) > TEXT_MAX:
            errors.add(
                statement.key,
                f"{statement.title} must be {TEXT_MAX} characters or fewer",
            )
        elif statement.max_words and word_count(text) > statement.max_words:
            errors.add(
                statement.key,
                f"{statement.title} must be {statement.max_words} words or fewer "
                f"(it has {word_count(text)})",
            )
        values[statement.key] = text
    errors.raise_if_any()
    application.statements = values
    application.updated_at = utcnow()
    audit.record(
        actor,
        "registration.statements_saved",
        "registration_application",
        application.id,
        words={k: word_count(v) for k, v in values.items()},
    )
    db.session.commit()
    return application


def set_stage(
    actor: User, application: RegistrationApplication, stage: int | str | None
) -> RegistrationApplication:
    route = route_of(application)
    try:
        number = int(stage)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1
    if not route.stages or not 0 <= number < len(route.stages):
        errors = FieldErrors()
        errors.add("stage", "Choose the stage your application has reached")
        errors.raise_if_any()
    application.stage = number
    audit.record(
        actor,
        "registration.stage",
        "registration_application",
        application.id,
        stage=route.stages[number],
    )
    db.session.commit()
    return application


# ---- proposers and referees --------------------------------------------------------


def _invitation(application: RegistrationApplication, role: str) -> tuple[str, str]:
    route = route_of(application)
    person = application.owner.name
    subject = f"{person} asks you to act as a {role} for their registration"
    body = (
        f"{person} is applying by this route: {route.title}. They have named you as "
        f"a {role}. The link below shows a summary of their application; you can "
        f"confirm it, with a short statement, or decline."
    )
    return subject, body


def nominate(
    actor: User,
    application: RegistrationApplication,
    name: str,
    email: str,
    relationship_to: str,
) -> Nominee:
    """Name a proposer or referee and email them a single-use link to confirm."""
    if application.owner_id != actor.id:
        raise Forbidden("Only the applicant can name proposers or referees.")
    route = route_of(application)
    errors = FieldErrors()
    name, email = tickets.check_person(name, email, errors, "")
    relationship_to = (relationship_to or "").strip()
    if not relationship_to:
        errors.add(
            "relationship_to",
            "Say how they know your work, for example Line manager",
        )
    elif len(relationship_to) > RELATIONSHIP_MAX:
        errors.add(
            "relationship_to",
            f"How they know you must be {RELATIONSHIP_MAX} characters or fewer",
        )
    if email and email == (actor.email or "").lower():
        errors.add("email", "You cannot be your own proposer or referee")
    live = [n for n in application.nominees if _state(n) != "cancelled"]
    if any(n.email == email for n in live):
        errors.add("email", f"You have already named {email}")
    if len(live) >= MAX_NOMINEES:
        errors.add("email", f"You can name up to {MAX_NOMINEES} proposers or referees")
    errors.raise_if_any()
    nominee = Nominee(
        application=application,
        role=route.nominee_role,
        name=name,
        email=email,
        relationship_to=relationship_to,
    )
    db.session.add(nominee)
    db.session.flush()
    subject, body = _invitation(application, nominee.role)
    ticket = tickets.issue(actor, PURPOSE, nominee.id, name, email, subject, body)
    nominee.ticket_id = ticket.id
    audit.record(
        actor,
        "registration.nominated",
        "registration_application",
        application.id,
        nominee=nominee.id,
        role=nominee.role,
        email=email,
    )
    db.session.commit()
    return nominee


def _nominee(application: RegistrationApplication, nominee_id: str) -> Nominee:
    nominee = next((n for n in application.nominees if n.id == nominee_id), None)
    if nominee is None:
        raise NotFound("No such proposer or referee.")
    return nominee


def _ticket(nominee: Nominee) -> Ticket | None:
    return db.session.get(Ticket, nominee.ticket_id) if nominee.ticket_id else None


def _state(nominee: Nominee) -> str:
    """confirmed, declined, waiting, expired or cancelled."""
    if nominee.confirmed_at is not None:
        return "confirmed"
    ticket = _ticket(nominee)
    if ticket is None:
        return "cancelled"
    state = ticket.state()
    if state == "used":
        return "declined"
    if state == "revoked":
        return "cancelled"
    return "expired" if state == "expired" else "waiting"


def nominee_state(nominee: Nominee) -> str:
    return _state(nominee)


def resend(actor: User, application: RegistrationApplication, nominee_id: str):
    if application.owner_id != actor.id:
        raise Forbidden("Only the applicant can send the link again.")
    nominee = _nominee(application, nominee_id)
    ticket = _ticket(nominee)
    if ticket is None:
        raise Conflict("There is no link to send again.")
    subject, body = _invitation(application, nominee.role)
    tickets.resend(actor, ticket, subject, body)
    db.session.commit()
    return nominee


def revoke(actor: User, application: RegistrationApplication, nominee_id: str):
    if application.owner_id != actor.id:
        raise Forbidden("Only the applicant can cancel the link.")
    nominee = _nominee(application, nominee_id)
    ticket = _ticket(nominee)
    if ticket is None:
        raise Conflict("There is no link to cancel.")
    tickets.revoke(actor, ticket)
    db.session.commit()
    return nominee


def nominee_for_ticket(ticket: Ticket) -> Nominee:
    nominee = db.session.get(Nominee, ticket.subject_id)
    if nominee is None or ticket.purpose != PURPOSE:
        raise NotFound(tickets.NO_SUCH_TICKET)
    return nominee


def confirm_by_ticket(
    ticket: Ticket, identity_data: dict, decision: str, statement: str
) -> Nominee:
    """The proposer or referee confirms (with a statement) or declines, once."""
    nominee = nominee_for_ticket(ticket)
    tickets.usable(ticket)
    errors = FieldErrors()
    identity = tickets.check_identity(identity_data, errors)
    statement = (statement or "").strip() if isinstance(statement, str) else ""
    if decision not in ("confirm", "decline"):
        errors.add("decision", "Choose whether you confirm this application")
    if decision == "confirm" and not statement:
        errors.add(
            "statement",
            "Write a short statement of how you know the applicant's work",
        )
    elif len(statement) > STATEMENT_MAX:
        errors.add(
            "statement", f"Your statement must be {STATEMENT_MAX} characters or fewer"
        )
    errors.raise_if_any()
    holder = tickets.use(ticket, identity)
    application = nominee.application
    if decision == "confirm":
        nominee.statement = statement
        nominee.confirmed_at = utcnow()
    audit.record(
        holder,
        "registration.confirmed" if decision == "confirm" else "registration.declined",
        "registration_application",
        application.id,
        nominee=nominee.id,
        role=nominee.role,
    )
    notify(
        application.owner,
        f"{identity['name']} "
        + (
            f"confirmed your application as a {nominee.role}."
            if decision == "confirm"
            else f"declined to act as a {nominee.role}."
        ),
        f"/registration/{application.id}",
    )
    db.session.commit()
    return nominee


# ---- the standards and their evidence ---------------------------------------------


@dataclass
class Row:
    code: str
    title: str
    depth: int
    provenance: str | None
    kind: str
    evidence: list[Evidence] = field(default_factory=list)
    # For a numbered item: evidence mapped to its heading as a whole.
    heading_evidence: list[Evidence] = field(default_factory=list)
    parent_code: str | None = None
    description: str = ""

    def gap(self, heading: str | None = None) -> str | None:
        """What is missing, in words; None when evidence is mapped to it."""
        if self.evidence:
            return None
        if self.heading_evidence:
            return (
                f"No evidence is mapped to {self.code} itself. "
                f"{len(self.heading_evidence)} item"
                f"{'s are' if len(self.heading_evidence) != 1 else ' is'} mapped to "
                f"{heading or self.parent_code} as a whole: say in your statement which "
                "of them shows this, or add evidence for it."
            )
        return (
            f"No evidence yet for {self.code}. Add signed-off evidence that shows it, "
            "or explain in your statement how you meet it."
        )


@dataclass
class StandardsSection:
    slug: str
    title: str
    source_title: str
    source_url: str
    rows: list[Row]
    missing: bool = False

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.evidence)

    @property
    def gaps(self) -> list[Row]:
        return [r for r in self.rows if not r.evidence]


def _current(slug: str) -> Curriculum | None:
    return db.session.scalar(
        sa.select(Curriculum).where(
            Curriculum.slug == slug, Curriculum.is_current.is_(True)
        )
    )


def _outcomes(curriculum: Curriculum) -> list[Outcome]:
    return list(
        db.session.scalars(
            sa.select(Outcome)
            .where(Outcome.curriculum_id == curriculum.id, Outcome.retired.is_(False))
            .order_by(Outcome.position)
        )
    )


def evidence_of(user_id: str) -> list[Evidence]:
    """The person's signed-off evidence, from every programme they were on."""
    return list(
        db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.owner_id == user_id, Evidence.status == "signed_off")
            .options(selectinload(Evidence.claims).selectinload(OutcomeClaim.outcome))
            .order_by(Evidence.occurred_on, Evidence.created_at)
        )
    )


def _selected(section: Section, outcomes: list[Outcome]) -> list[Outcome]:
    if section.root is None:
        return [o for o in outcomes if o.type in section.types]
    root = next((o for o in outcomes if o.code == section.root), None)
    if root is None:
        return []
    chosen = [root]
    parents = {root.code}
    for outcome in outcomes:
        if outcome.parent_code in parents and outcome.type in section.types:
            chosen.append(outcome)
            parents.add(outcome.code)
    return chosen


def standards_map(
    application: RegistrationApplication, items: list[Evidence] | None = None
) -> list[StandardsSection]:
    """Each section of the route with every standard and its evidence, or its gap."""
    items = evidence_of(application.owner_id) if items is None else items
    route = route_of(application)
    wanted = sections(route, application.choice)
    slugs = {s.slug for s in wanted}
    # What each item was claimed against, under both the curriculum it was
    # recorded in and the component the outcome came from.
    claimed: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for item in items:
        keys = set()
        for claim in item.claims:
            outcome = claim.outcome
            keys.add((outcome.curriculum.slug, outcome.code))
            keys.add((outcome.origin_slug, outcome.code))
            # An activity's linked learning outcomes (same curriculum).
            for linked in outcome.links or []:
                keys.add((outcome.curriculum.slug, linked))
                keys.add((outcome.origin_slug, linked))
        for key in keys:
            claimed[key].append(item)
    links = db.session.scalars(
        sa.select(CrosswalkLink).where(CrosswalkLink.to_slug.in_(slugs))
    ).all()
    supports: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for key, evidence_items in claimed.items():
        if key[0] in slugs:
            supports[key].extend(evidence_items)
    for link in links:
        for linked_item in claimed.get((link.from_slug, link.from_code), []):
            supports[(link.to_slug, link.to_code)].append(linked_item)
    result = []
    for section in wanted:
        curriculum = _current(section.slug)
        if curriculum is None:
            result.append(
                StandardsSection(section.slug, section.title, "", "", [], missing=True)
            )
            continue
        outcomes = _selected(section, _outcomes(curriculum))
        by_code = {o.code: o for o in outcomes}
        rows = []
        for outcome in outcomes:
            evidence = _unique(supports.get((section.slug, outcome.code), []))
            parent = by_code.get(outcome.parent_code or "")
            heading = (
                _unique(supports.get((section.slug, parent.code), []))
                if parent is not None
                else []
            )
            rows.append(
                Row(
                    code=outcome.code,
                    title=outcome.title,
                    depth=1 if parent is not None else 0,
                    provenance=outcome.provenance,
                    kind=outcome.type,
                    evidence=evidence,
                    heading_evidence=[e for e in heading if e not in evidence],
                    parent_code=parent.code if parent is not None else None,
                    description=outcome.description or "",
                )
            )
        source = curriculum.source or {}
        result.append(
            StandardsSection(
                section.slug,
                section.title or curriculum.title,
                source.get("title", curriculum.title),
                source.get("url", ""),
                rows,
            )
        )
    return result


def _unique(items: list[Evidence]) -> list[Evidence]:
    seen: dict[str, Evidence] = {}
    for item in items:
        seen.setdefault(item.id, item)
    return sorted(seen.values(), key=lambda e: (e.occurred_on, e.title))


def signoffs_for(items: list[Evidence]) -> dict[str, SignOff]:
    ids = [e.id for e in items]
    if not ids:
        return {}
    return {
        s.evidence_id: s
        for s in db.session.scalars(
            sa.select(SignOff).where(
                SignOff.evidence_id.in_(ids),
                SignOff.decision == "approved",
                SignOff.superseded_at.is_(None),
            )
        )
    }


# ---- the pack ----------------------------------------------------------------------


def request_pack(actor: User, application: RegistrationApplication) -> Export:
    """Ask for the route's pack: an export rendered by the exports machinery."""
    from portfolio.exports import services as exports

    if application.owner_id != actor.id:
        raise Forbidden("Only the applicant can make their pack.")
    export = Export(
        kind="registration_route",
        enrolment_id=None,
        requested_by_id=actor.id,
        params={"application_id": application.id},
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        actor,
        "export.requested",
        "registration_application",
        application.id,
        export=export.id,
        kind=export.kind,
    )
    exports.queue_job(export)
    db.session.commit()
    return export


def packs_of(application: RegistrationApplication) -> list[Export]:
    return [
        e
        for e in db.session.scalars(
            sa.select(Export)
            .where(
                Export.kind == "registration_route",
                Export.requested_by_id == application.owner_id,
            )
            .order_by(Export.created_at.desc())
        )
        if (e.params or {}).get("application_id") == application.id
    ]
