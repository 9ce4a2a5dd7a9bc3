"""STP completion and review-of-progression records: the rules and the services.

Completion (NSHCS): the work-based curriculum 100% complete on the e-portfolio, the
MSc in Clinical Science, and a pass in the STP Final Year Assessment (FYA). Here the
e-portfolio is signed off by a training lead once progress is 100%, the MSc is
recorded, and the FYA is recorded as sittings:

- three opportunities in all, one first sitting and two re-sits, each a full sitting;
- not attending a scheduled sitting counts as a failed attempt;
- there is no extension to training because of an FYA fail.

Extensions to training are for statutory absence (maternity, paternity, parental or
adoption leave, agreed by employer, commissioner and university, with the School
told) or exceptional extenuating circumstances (the School's EEC policy). They are
kept apart from an apprenticeship's breaks in learning (``LearningBreak``).

Sources:
https://nshcs.hee.nhs.uk/programmes/stp/trainees/guidance-for-trainees-and-training-departments-on-stp-2025-completion/what-are-you-expected-to-complete ;
https://nshcs.hee.nhs.uk/programmes/stp/trainees/preparing-for-the-stp-final-year-assessment/preparing-to-re-sit-the-assessment ;
https://nshcs.hee.nhs.uk/programmes/stp/the-stp-final-year-assessment/stp-final-year-assessment-regulations ;
https://nshcs.hee.nhs.uk/publications/exceptional-extenuating-circumstances-policy/html/
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.stp_models import EXTENSION_KINDS
from portfolio.enrolments.stp_models import FYA_MAX_ATTEMPTS
from portfolio.enrolments.stp_models import FYA_OUTCOMES
from portfolio.enrolments.stp_models import MSC_STATUSES
from portfolio.enrolments.stp_models import PROGRESSION_RECORD_KINDS
from portfolio.enrolments.stp_models import FyaSitting
from portfolio.enrolments.stp_models import ProgressionRecord
from portfolio.enrolments.stp_models import StpCompletion
from portfolio.enrolments.stp_models import TrainingExtension
from portfolio.extensions import db
from portfolio.progress import stp_review
from portfolio.rules import Conflict
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound

SOURCES = {
    "completion": "https://nshcs.hee.nhs.uk/programmes/stp/trainees/"
    "guidance-for-trainees-and-training-departments-on-stp-2025-completion/"
    "what-are-you-expected-to-complete",
    "resits": "https://nshcs.hee.nhs.uk/programmes/stp/trainees/"
    "preparing-for-the-stp-final-year-assessment/preparing-to-re-sit-the-assessment",
    "fya_regulations": "https://nshcs.hee.nhs.uk/programmes/stp/"
    "the-stp-final-year-assessment/stp-final-year-assessment-regulations",
    "eec": "https://nshcs.hee.nhs.uk/publications/"
    "exceptional-extenuating-circumstances-policy/html/",
}
FYA_OUTCOME_LABELS = {
    "awaiting": "Awaiting the result",
    "pass": "Pass",
    "fail": "Fail",
    "did_not_attend": "Did not attend (counts as a failed attempt)",
}
MSC_LABELS = {
    "studying": "Studying",
    "awarded": "Awarded",
    "not_awarded": "Not awarded",
}
EXTENSION_LABELS = {
    "statutory_absence": "Statutory absence (maternity, paternity, parental or adoption leave)",
    "exceptional_circumstances": "Exceptional extenuating circumstances",
}
FAILED = ("fail", "did_not_attend")
TEXT_MAX = 2_000
REASON_MAX = 300
NOTE_MAX = 500
INSTITUTION_MAX = 200


# ---- the rules (plain) ----------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionCheck:
    label: str
    met: bool
    detail: str
    source: str


def attempts_used(sittings: Sequence[FyaSitting]) -> int:
    return len(sittings)


def fya_passed(sittings: Sequence[FyaSitting]) -> bool:
    return any(s.outcome == "pass" for s in sittings)


def completion_checks(
    percent_complete: float,
    row: StpCompletion | None,
    sittings: Sequence[FyaSitting],
) -> list[CompletionCheck]:
    """The three completion requirements, each met or not, with what is missing."""
    signed = row is not None and row.portfolio_signed_off_on is not None
    msc = row is not None and row.msc_status == "awarded"
    passed = fya_passed(sittings)
    failed = sum(1 for s in sittings if s.outcome in FAILED)
    return [
        CompletionCheck(
            "E-portfolio signed off (100% of the work-based curriculum)",
            signed,
            f"Signed off on {row.portfolio_signed_off_on:%d %B %Y}"
            if signed and row and row.portfolio_signed_off_on
            else f"{percent_complete:g}% complete; not signed off yet",
            SOURCES["completion"],
        ),
        CompletionCheck(
            "MSc in Clinical Science awarded",
            msc,
            (
                f"Awarded on {row.msc_awarded_on:%d %B %Y}"
                if msc and row and row.msc_awarded_on
                else MSC_LABELS[row.msc_status]
                if row and row.msc_status
                else "Not recorded"
            ),
            SOURCES["completion"],
        ),
        CompletionCheck(
            "STP Final Year Assessment passed",
            passed,
            "Passed"
            if passed
            else f"{failed} of {FYA_MAX_ATTEMPTS} attempts failed"
            if failed
            else "Not sat yet"
            if not sittings
            else "Awaiting the result",
            SOURCES["resits"],
        ),
    ]


def is_complete(checks: Sequence[CompletionCheck]) -> bool:
    return bool(checks) and all(c.met for c in checks)


def fya_flags(sittings: Sequence[FyaSitting]) -> list[stp_review.StpFlag]:
    if fya_passed(sittings):
        return []
    failed = [s for s in sittings if s.outcome in FAILED]
    if len(failed) >= FYA_MAX_ATTEMPTS:
        return [
            stp_review.StpFlag(
                "stp_fya_attempts_used",
                f"All {FYA_MAX_ATTEMPTS} Final Year Assessment attempts used without a pass "
                "(rule: NSHCS: Preparing to re-sit the assessment)",
            )
        ]
    if failed and sittings[-1].outcome in FAILED:
        return [
            stp_review.StpFlag(
                "stp_fya_failed",
                f"Final Year Assessment attempt {sittings[-1].attempt} not passed; "
                f"{FYA_MAX_ATTEMPTS - len(failed)} attempt(s) left "
                "(rule: NSHCS: Preparing to re-sit the assessment)",
            )
        ]
    return []


# ---- services --------------------------------------------------------------------------------


def _require_stp(enrolment: Enrolment) -> None:
    if enrolment.curriculum.kind != "stp":
        raise Conflict("These records are for Scientist Training Programme enrolments.")


def _may_record(actor: User, enrolment: Enrolment) -> None:
    if not policy.can_record_stp_completion(actor, enrolment):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can record this."
        )
    _require_stp(enrolment)


def _sittings(enrolment: Enrolment) -> list[FyaSitting]:
    return list(
        db.session.scalars(
            sa.select(FyaSitting)
            .where(FyaSitting.enrolment_id == enrolment.id)
            .order_by(FyaSitting.attempt)
        )
    )


def _check_day(
    errors: FieldErrors, name: str, day: date | None, enrolment: Enrolment, what: str
):
    if day is None:
        errors.add(name, f"Enter the date {what}")
    elif day > date.today():
        errors.add(name, f"The date {what} cannot be in the future")
    elif day < enrolment.start_date:
        errors.add(name, f"The date {what} cannot be before the enrolment started")


def record_fya_sitting(
    actor: User,
    enrolment: Enrolment,
    sat_on: date | None,
    outcome: str,
    note: str = "",
) -> FyaSitting:
    """Record the next attempt at the Final Year Assessment (at most three)."""
    _may_record(actor, enrolment)
    sittings = _sittings(enrolment)
    if fya_passed(sittings):
        raise Conflict("The Final Year Assessment is already passed.")
    if len(sittings) >= FYA_MAX_ATTEMPTS:
        raise Conflict(
            f"All {FYA_MAX_ATTEMPTS} attempts at the Final Year Assessment are used."
        )
    if sittings and sittings[-1].outcome == "awaiting":
        raise Conflict(
            f"Record the result of attempt {sittings[-1].attempt} before the next sitting."
        )
    errors = FieldErrors()
    if outcome not in FYA_OUTCOMES:
        errors.add("outcome", "Choose the outcome of the sitting")
    if sat_on is None:
        errors.add("sat_on", "Enter the date of the sitting")
    elif outcome != "awaiting" and sat_on > date.today():
        errors.add("sat_on", "A sitting with a result cannot be in the future")
    elif sat_on < enrolment.start_date:
        errors.add("sat_on", "The sitting cannot be before the enrolment started")
    elif sittings and sat_on <= sittings[-1].sat_on:
        errors.add(
            "sat_on",
            f"A re-sit comes after attempt {sittings[-1].attempt} "
            f"({sittings[-1].sat_on:%d %B %Y})",
        )
    if len(note or "") > NOTE_MAX:
        errors.add("note", f"The note must be {NOTE_MAX} characters or fewer")
    errors.raise_if_any()
    sitting = FyaSitting(
        enrolment_id=enrolment.id,
        attempt=len(sittings) + 1,
        sat_on=sat_on,
        outcome=outcome,
        note=(note or "").strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(sitting)
    db.session.flush()
    audit.record(
        actor,
        "fya.sitting_recorded",
        "enrolment",
        enrolment.id,
        sitting=sitting.id,
        attempt=sitting.attempt,
        sat_on=sat_on,
        outcome=outcome,
    )
    db.session.commit()
    return sitting


def record_fya_result(
    actor: User, enrolment: Enrolment, sitting_id: str, outcome: str
) -> FyaSitting:
    """Give an awaited sitting its result."""
    _may_record(actor, enrolment)
    sitting = db.session.get(FyaSitting, sitting_id)
    if sitting is None or sitting.enrolment_id != enrolment.id:
        raise NotFound("No such sitting.")
    if sitting.outcome != "awaiting":
        raise Conflict("This sitting already has its result.")
    if outcome not in FAILED + ("pass",):
        raise Invalid.field("outcome", "Choose the result of the sitting")
    if sitting.sat_on > date.today():
        raise Invalid.field("outcome", "The sitting has not happened yet")
    sitting.outcome = outcome
    audit.record(
        actor,
        "fya.result_recorded",
        "enrolment",
        enrolment.id,
        sitting=sitting.id,
        attempt=sitting.attempt,
        outcome=outcome,
    )
    db.session.commit()
    return sitting


def _completion_row(enrolment: Enrolment) -> StpCompletion:
    row = db.session.get(StpCompletion, enrolment.id)
    if row is None:
        row = StpCompletion(enrolment_id=enrolment.id, msc_institution="")
        db.session.add(row)
    return row


def record_msc(
    actor: User,
    enrolment: Enrolment,
    status: str,
    institution: str = "",
    awarded_on: date | None = None,
) -> StpCompletion:
    """Record where the trainee is with the MSc in Clinical Science."""
    _may_record(actor, enrolment)
    errors = FieldErrors()
    if status not in MSC_STATUSES:
        errors.add("msc_status", "Choose where the trainee is with the MSc")
    if status == "awarded":
        _check_day(errors, "awarded_on", awarded_on, enrolment, "the MSc was awarded")
    elif awarded_on is not None:
        errors.add("awarded_on", "Leave the award date empty unless the MSc is awarded")
    if len(institution or "") > INSTITUTION_MAX:
        errors.add(
            "institution",
            f"The university must be {INSTITUTION_MAX} characters or fewer",
        )
    errors.raise_if_any()
    row = _completion_row(enrolment)
    row.msc_status = status
    row.msc_institution = (institution or "").strip()
    row.msc_awarded_on = awarded_on if status == "awarded" else None
    row.msc_recorded_by_id = actor.id
    audit.record(
        actor,
        "stp.msc_recorded",
        "enrolment",
        enrolment.id,
        status=status,
        awarded_on=row.msc_awarded_on,
    )
    db.session.commit()
    return row


def sign_off_portfolio(
    actor: User, enrolment: Enrolment, signed_on: date | None
) -> StpCompletion:
    """Sign off the e-portfolio: only once the work-based curriculum is 100% complete."""
    from portfolio.progress import tracking

    _may_record(actor, enrolment)
    errors = FieldErrors()
    _check_day(errors, "signed_on", signed_on, enrolment, "of the sign-off")
    errors.raise_if_any()
    row = db.session.get(StpCompletion, enrolment.id)
    if row is not None and row.portfolio_signed_off_on is not None:
        raise Conflict("The e-portfolio is already signed off.")
    percent = tracking.progress_of(enrolment).percent_complete
    if percent < 100:
        raise Invalid.field(
            "signed_on",
            "The e-portfolio can be signed off only when 100% of the work-based "
            f"curriculum is signed off (now {percent:g}%)",
        )
    row = _completion_row(enrolment)
    row.portfolio_signed_off_on = signed_on
    row.portfolio_signed_off_by_id = actor.id
    audit.record(
        actor, "stp.portfolio_signed_off", "enrolment", enrolment.id, on=signed_on
    )
    db.session.commit()
    return row


def record_extension(
    actor: User,
    enrolment: Enrolment,
    kind: str,
    start_date: date | None,
    end_date: date | None = None,
    new_end_date: date | None = None,
    reason: str = "",
) -> TrainingExtension:
    """Record an extension to training agreed for statutory absence or exceptional
    extenuating circumstances."""
    _may_record(actor, enrolment)
    errors = FieldErrors()
    if kind not in EXTENSION_KINDS:
        errors.add("kind", "Choose the kind of extension")
    if start_date is None:
        errors.add("start_date", "Enter the date the absence or extension starts")
    elif start_date < enrolment.start_date:
        errors.add(
            "start_date", "The extension cannot start before the enrolment started"
        )
    elif end_date is not None and end_date < start_date:
        errors.add("end_date", "The end date must be the same as or after the start")
    if new_end_date is not None and new_end_date <= enrolment.expected_end_date:
        errors.add(
            "new_end_date",
            "The new completion date must be after the expected end date "
            f"({enrolment.expected_end_date:%d %B %Y})",
        )
    if len(reason or "") > REASON_MAX:
        errors.add("reason", f"The reason must be {REASON_MAX} characters or fewer")
    errors.raise_if_any()
    extension = TrainingExtension(
        enrolment_id=enrolment.id,
        kind=kind,
        reason=(reason or "").strip(),
        start_date=start_date,
        end_date=end_date,
        new_end_date=new_end_date,
        recorded_by_id=actor.id,
    )
    db.session.add(extension)
    db.session.flush()
    audit.record(
        actor,
        "stp.extension_recorded",
        "enrolment",
        enrolment.id,
        extension=extension.id,
        kind=kind,
        start=start_date,
        end=end_date,
        new_end=new_end_date,
    )
    db.session.commit()
    return extension


def record_progression(
    actor: User,
    enrolment: Enrolment,
    kind: str,
    held_on: date | None,
    reporter: str = "",
    topics: Sequence[str] = (),
    text: str = "",
) -> ProgressionRecord:
    """Record a check-in, an exception reported to the School, or a midterm evaluation."""
    if kind not in PROGRESSION_RECORD_KINDS:
        raise Invalid.field("kind", "Choose what you are recording")
    if not policy.can_record_progression(actor, enrolment, kind):
        raise Forbidden(
            "Only the trainee, their training officer, a training lead of this "
            "organisation or an admin can record this."
        )
    _require_stp(enrolment)
    errors = FieldErrors()
    _check_day(errors, "held_on", held_on, enrolment, "it happened")
    if kind == "exception" and reporter not in stp_review.REPORTERS:
        errors.add("reporter", "Choose who reported the exception")
    if kind == "exception" and not (text or "").strip():
        errors.add("text", "Describe the issue reported to the School")
    if len(text or "") > TEXT_MAX:
        errors.add("text", f"The notes must be {TEXT_MAX} characters or fewer")
    unknown = [t for t in topics if t not in stp_review.CHECK_IN_TOPICS]
    if unknown:
        errors.add("topics", "Choose topics from the list")
    errors.raise_if_any()
    record = ProgressionRecord(
        enrolment_id=enrolment.id,
        kind=kind,
        held_on=held_on,
        reporter=reporter if kind == "exception" else "",
        topics=[t for t in stp_review.CHECK_IN_TOPICS if t in topics]
        if kind == "check_in"
        else [],
        text=(text or "").strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        actor,
        "stp.progression_recorded",
        "enrolment",
        enrolment.id,
        record=record.id,
        kind=kind,
        on=held_on,
    )
    db.session.commit()
    return record
