"""Continuing professional development after registration: the log, the profile an
HCPC audit asks for, the registers a person is on and their renewal dates.

The HCPC's five standards for CPD (curricula/frameworks/hcpc-cpd.yaml) and the
RCT's requirements (curricula/frameworks/rct-cpd.yaml) are the standards each
activity is mapped to. An audit profile covers the two years before it
(https://www.hcpc-uk.org/cy-gb/dpp/cpd-audits/): a summary of practice, a
statement of how the standards are met, and the evidence.
"""

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence
from portfolio.exports.models import Export
from portfolio.extensions import db
from portfolio.notifications.services import notify
from portfolio.registration.models import CPD_TYPES
from portfolio.registration.models import REGISTERS
from portfolio.registration.models import TEXT_MAX
from portfolio.registration.models import TITLE_MAX
from portfolio.registration.models import CpdActivity
from portfolio.registration.models import CpdProfile
from portfolio.registration.models import RegisterEntry
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import NotFound

HCPC_STANDARDS = {
    "CPD1": "Keep a continuous, current and accurate record of CPD activities.",
    "CPD2": "Show that CPD is a mix of learning activities relevant to current or "
    "future practice.",
    "CPD3": "Seek to make sure CPD has improved the quality of practice and service "
    "delivery.",
    "CPD4": "Seek to make sure CPD benefits service users.",
    "CPD5": "On request, present a written profile, your own work and supported by "
    "evidence, explaining how the standards are met.",
}
RCT_REQUIREMENTS = {
    "P-RCTCPD1": "Keep CPD records throughout the year, reflecting on what was done "
    "and learned.",
    "P-RCTCPD2": "If selected for the annual audit, submit a summary of CPD within "
    "28 days.",
    "P-RCTCPD3": "Keep CPD relevant to your scope and show the benefit to patients "
    "and the service (our reading).",
}
STANDARD_LABELS = {**HCPC_STANDARDS, **RCT_REQUIREMENTS}
# The statement of an HCPC profile answers standards 1 to 4 (5 is the profile itself).
STATEMENT_STANDARDS = ("CPD1", "CPD2", "CPD3", "CPD4")
REGISTER_LABELS = {
    "hcpc": "HCPC (clinical scientist)",
    "rct": "Register of Clinical Technologists",
}
PROFILE_YEARS = 2
NUMBER_MAX = 30


def _owner_check(actor: User) -> None:
    if not policy.can_apply_for_registration(actor):
        raise Forbidden("Sign in to keep a CPD record.")


# ---- the log ---------------------------------------------------------------------


def activities_of(actor: User, since: date | None = None) -> list[CpdActivity]:
    query = sa.select(CpdActivity).where(CpdActivity.owner_id == actor.id)
    if since is not None:
        query = query.where(CpdActivity.occurred_on >= since)
    return list(
        db.session.scalars(
            query.order_by(CpdActivity.occurred_on.desc(), CpdActivity.created_at)
        )
    )


def own_evidence_choices(actor: User) -> list[tuple[str, str]]:
    """The person's portfolio evidence an activity can point to (any programme)."""
    return [
        (e.id, f"{e.title} ({e.occurred_on:%d %b %Y})")
        for e in db.session.scalars(
            sa.select(Evidence)
            .where(Evidence.owner_id == actor.id)
            .order_by(Evidence.occurred_on.desc())
        )
    ]


def add_activity(actor: User, data: dict, today: date | None = None) -> CpdActivity:
    _owner_check(actor)
    today = today or date.today()
    errors = FieldErrors()
    title = (data.get("title") or "").strip()
    if not title:
        errors.add("title", "Enter what the activity was")
    elif len(title) > TITLE_MAX:
        errors.add("title", f"The activity must be {TITLE_MAX} characters or fewer")
    kind = data.get("activity_type") or ""
    if kind not in CPD_TYPES:
        errors.add("activity_type", "Choose the kind of activity")
    occurred_on = data.get("occurred_on")
    if not isinstance(occurred_on, date):
        errors.add("occurred_on", "Enter the date of the activity")
    elif occurred_on > today:
        errors.add(
            "occurred_on", "The date of the activity must be today or in the past"
        )
    hours: float | None
    try:
        hours = float(str(data.get("hours") or "").strip())
    except ValueError:
        hours = None
    if hours is None or hours != hours:
        errors.add("hours", "Enter the hours spent, like 1.5")
    elif not 0 < hours <= 1000:
        errors.add("hours", "The hours must be more than 0 and no more than 1000")
    learning = (data.get("learning") or "").strip()
    benefit = (data.get("benefit") or "").strip()
    if not learning:
        errors.add("learning", "Say what you learnt")
    if not benefit:
        errors.add(
            "benefit",
            "Say how it benefits your practice, the service and service users",
        )
    for name, text in (("learning", learning), ("benefit", benefit)):
        if len(text) > TEXT_MAX:
            errors.add(name, f"This must be {TEXT_MAX} characters or fewer")
    standards = [s for s in (data.get("standards") or []) if s]
    unknown = [s for s in standards if s not in STANDARD_LABELS]
    if unknown:
        errors.add("standards", "Choose standards from the list")
    evidence_id = data.get("evidence_id") or None
    if evidence_id and evidence_id not in dict(own_evidence_choices(actor)):
        errors.add("evidence_id", "Choose one of your own evidence items")
    errors.raise_if_any()
    activity = CpdActivity(
        owner_id=actor.id,
        title=title,
        activity_type=kind,
        occurred_on=occurred_on,
        hours=hours,
        learning=learning,
        benefit=benefit,
        standards=sorted(set(standards), key=list(STANDARD_LABELS).index),
        evidence_id=evidence_id,
    )
    db.session.add(activity)
    db.session.flush()
    audit.record(
        actor, "cpd.recorded", "cpd_activity", activity.id, hours=hours, kind=kind
    )
    db.session.commit()
    return activity


def load_activity(actor: User, activity_id: str) -> CpdActivity:
    activity = db.session.get(CpdActivity, activity_id)
    if activity is None or activity.owner_id != actor.id:
        raise NotFound("No such CPD activity.")
    return activity


def delete_activity(actor: User, activity: CpdActivity) -> None:
    if activity.owner_id != actor.id:
        raise NotFound("No such CPD activity.")
    audit.record(actor, "cpd.deleted", "cpd_activity", activity.id)
    db.session.delete(activity)
    db.session.commit()


# ---- the profile -----------------------------------------------------------------


def profile_of(actor: User) -> CpdProfile:
    profile = db.session.get(CpdProfile, actor.id)
    return profile or CpdProfile(owner_id=actor.id, summary="", statement={})


def save_profile(actor: User, summary: str, statement: dict) -> CpdProfile:
    _owner_check(actor)
    errors = FieldErrors()
    summary = (summary or "").strip()
    if len(summary) > TEXT_MAX:
        errors.add("summary", f"The summary must be {TEXT_MAX} characters or fewer")
    values = {}
    for code in STATEMENT_STANDARDS:
        text = statement.get(code)
        text = text.strip() if isinstance(text, str) else ""
        if len(text) > TEXT_MAX:
            errors.add(
                f"statement_{code}", f"This must be {TEXT_MAX} characters or fewer"
            )
        values[code] = text
    errors.raise_if_any()
    profile = db.session.get(CpdProfile, actor.id)
    if profile is None:
        profile = CpdProfile(owner_id=actor.id)
        db.session.add(profile)
    profile.summary = summary
    profile.statement = values
    profile.updated_at = utcnow()
    audit.record(actor, "cpd.profile_saved", "cpd_profile", actor.id)
    db.session.commit()
    return profile


@dataclass
class ProfileContent:
    person: User
    start: date
    end: date
    summary: str
    statement: dict
    activities: list[CpdActivity]
    evidence: dict[str, Evidence]

    @property
    def hours(self) -> float:
        return sum(a.hours for a in self.activities)

    def by_standard(self, code: str) -> list[CpdActivity]:
        return [a for a in self.activities if code in (a.standards or [])]

    @property
    def kinds(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for a in self.activities:
            counts[a.activity_type] = counts.get(a.activity_type, 0) + 1
        return [(CPD_TYPES[k], n) for k, n in counts.items()]


def profile_content(person: User, today: date | None = None) -> ProfileContent:
    """The two years before today: what an HCPC CPD audit profile covers."""
    end = today or date.today()
    try:
        start = end.replace(year=end.year - PROFILE_YEARS)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - PROFILE_YEARS, day=28)
    activities = list(
        db.session.scalars(
            sa.select(CpdActivity)
            .where(
                CpdActivity.owner_id == person.id,
                CpdActivity.occurred_on >= start,
                CpdActivity.occurred_on <= end,
            )
            .order_by(CpdActivity.occurred_on, CpdActivity.created_at)
        )
    )
    ids = [a.evidence_id for a in activities if a.evidence_id]
    evidence = (
        {
            e.id: e
            for e in db.session.scalars(sa.select(Evidence).where(Evidence.id.in_(ids)))
        }
        if ids
        else {}
    )
    profile = profile_of(person)
    return ProfileContent(
        person=person,
        start=start,
        end=end,
        summary=profile.summary or "",
        statement=dict(profile.statement or {}),
        activities=activities,
        evidence=evidence,
    )


def request_profile(actor: User) -> Export:
    from portfolio.exports import services as exports

    _owner_check(actor)
    export = Export(
        kind="cpd_profile",
        enrolment_id=None,
        requested_by_id=actor.id,
        params={"today": date.today().isoformat()},
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        actor,
        "export.requested",
        "cpd_profile",
        actor.id,
        export=export.id,
        kind=export.kind,
    )
    exports.queue_job(export)
    db.session.commit()
    return export


def profiles_of(actor: User) -> list[Export]:
    return list(
        db.session.scalars(
            sa.select(Export)
            .where(Export.kind == "cpd_profile", Export.requested_by_id == actor.id)
            .order_by(Export.created_at.desc())
            .limit(5)
        )
    )


# ---- registers and renewals --------------------------------------------------------


def next_rct_renewal(today: date) -> date:
    """RCT registration renews each year by 31 January."""
    this_year = date(today.year, 1, 31)
    return this_year if today <= this_year else date(today.year + 1, 1, 31)


def next_hcpc_clinical_scientist_renewal(today: date) -> tuple[date, date]:
    """(window opens, deadline) of the next HCPC renewal for clinical scientists.

    Every two years, 1 July to 30 September, in odd years (2021, 2023, 2025):
    https://www.hcpc-uk.org/employers/registration/renewals/
    """
    year = today.year if today.year % 2 == 1 else today.year + 1
    if today > date(year, 9, 30):
        year += 2
    return date(year, 7, 1), date(year, 9, 30)


def renewal_of(entry: RegisterEntry, today: date) -> tuple[date | None, date]:
    if entry.register == "rct":
        return None, next_rct_renewal(today)
    return next_hcpc_clinical_scientist_renewal(today)


def registers_of(actor: User) -> list[RegisterEntry]:
    return list(
        db.session.scalars(
            sa.select(RegisterEntry)
            .where(RegisterEntry.owner_id == actor.id)
            .order_by(RegisterEntry.register)
        )
    )


def set_register(actor: User, register: str, number: str) -> RegisterEntry:
    _owner_check(actor)
    errors = FieldErrors()
    if register not in REGISTERS:
        errors.add("register", "Choose the register you are on")
    number = (number or "").strip()
    if len(number) > NUMBER_MAX or (number and not number.replace(" ", "").isalnum()):
        errors.add(
            "number", "Enter the registration number as it appears on the register"
        )
    errors.raise_if_any()
    entry = db.session.scalar(
        sa.select(RegisterEntry).where(
            RegisterEntry.owner_id == actor.id, RegisterEntry.register == register
        )
    )
    if entry is None:
        entry = RegisterEntry(owner_id=actor.id, register=register)
        db.session.add(entry)
    entry.number = number
    db.session.flush()
    audit.record(
        actor, "cpd.register_set", "register_entry", entry.id, register=register
    )
    db.session.commit()
    return entry


def remove_register(actor: User, entry_id: str) -> None:
    entry = db.session.get(RegisterEntry, entry_id)
    if entry is None or entry.owner_id != actor.id:
        raise NotFound("No such register entry.")
    audit.record(actor, "cpd.register_removed", "register_entry", entry.id)
    db.session.delete(entry)
    db.session.commit()


def send_reminders(today: date | None = None) -> int:
    """Remind each registrant once per renewal, CPD_REMINDER_DAYS before its deadline."""
    today = today or date.today()
    days = int(current_app.config["CPD_REMINDER_DAYS"])
    sent = 0
    for entry in db.session.scalars(sa.select(RegisterEntry)):
        _opens, deadline = renewal_of(entry, today)
        if deadline - today > timedelta(days=days) or entry.reminded_for == deadline:
            continue
        owner = db.session.get(User, entry.owner_id)
        if owner is None:
            continue
        label = REGISTER_LABELS[entry.register]
        notify(
            owner,
            f"Your {label} registration is due for renewal by "
            f"{deadline:%d %B %Y}. Check your CPD record is up to date: a random "
            "sample of registrants is audited.",
            "/cpd/",
        )
        entry.reminded_for = deadline
        audit.record(
            None,
            "cpd.renewal_reminded",
            "register_entry",
            entry.id,
            deadline=deadline.isoformat(),
        )
        sent += 1
    db.session.commit()
    return sent
