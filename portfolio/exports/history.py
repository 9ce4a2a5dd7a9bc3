"""The audit history of an exported portfolio, in words a reader follows.

Each event becomes one sentence ("Signed off by Dr Tom Okafor: “Linac QA”"), naming
the evidence by its title and people by their names, never by the stored action key
(``evidence.signed_off``) or an id. The hash chain stays beside it for checking.
"""

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from portfolio.accounts.models import User
from portfolio.audit.models import AuditEvent
from portfolio.extensions import db

ROLES = {
    "training_officer": "training officer",
    "assessor": "assessor",
    "supervisor": "supervisor",
    "educational_supervisor": "educational supervisor",
}
EXPORT_KINDS = {
    "portfolio": "a portfolio PDF",
    "registration": "a registration pack",
    "bundle": "a portable bundle",
}


@dataclass(frozen=True)
class Line:
    """One event as the PDF shows it."""

    seq: int
    when: str
    text: str
    hash: str


def _quoted(title: str) -> str:
    return f"“{title}”" if title else "an evidence item"


def _date(value) -> str:
    text = str(value or "")[:10]
    try:
        return date.fromisoformat(text).strftime("%d %B %Y")
    except ValueError:
        return text


def _words(key: object) -> str:
    return str(key or "").replace("_", " ")


Describe = Callable[[str, dict, str, Callable[[str], str]], str]

# action: (actor, data, the evidence title, a function from user id to name) -> text
PHRASES: dict[str, Describe] = {
    "evidence.created": lambda who, d, t, n: f"{who} recorded {_quoted(t)}",
    "evidence.edited": lambda who, d, t, n: f"{who} edited {_quoted(t)}",
    "evidence.submitted": lambda who, d, t, n: (
        f"{who} asked "
        # An assessor without an account is named by role, never by email address.
        f"{n(d.get('assessor', '')) or ('an external assessor' if d.get('external_assessor') else 'an assessor')} "
        f"to sign off {_quoted(t)}"
        + (f" (version {d['version']})" if d.get("version") else "")
    ),
    "evidence.withdrawn": lambda who, d, t, n: (
        f"{who} withdrew the request to sign off {_quoted(t)}"
    ),
    "evidence.signed_off": lambda who, d, t, n: (
        f"Signed off by {who}: {_quoted(t)}"
        + (f" (version {d['version']})" if d.get("version") else "")
    ),
    "evidence.returned": lambda who, d, t, n: (
        f"Returned for changes by {who}: {_quoted(t)}"
    ),
    "evidence.countersigned": lambda who, d, t, n: (
        f"Countersigned by {who}: {_quoted(t)}"
    ),
    "evidence.unlocked": lambda who, d, t, n: (
        f"{who} unlocked {_quoted(t)} for changes, withdrawing its sign-off"
        + (f": {d['reason']}" if d.get("reason") else "")
    ),
    "attachment.added": lambda who, d, t, n: (
        f"{who} attached {d.get('filename') or 'a file'} to {_quoted(t)}"
    ),
    "attachment.removed": lambda who, d, t, n: (
        f"{who} removed {d.get('filename') or 'a file'} from {_quoted(t)}"
    ),
    "enrolment.created": lambda who, d, t, n: (
        f"{who} enrolled the trainee"
        + (f" on {d['curriculum']}" if d.get("curriculum") else "")
    ),
    "enrolment.status": lambda who, d, t, n: (
        f"{who} changed the enrolment from {_words(d.get('old'))} "
        f"to {_words(d.get('new'))}"
    ),
    "enrolment.break_started": lambda who, d, t, n: (
        f"{who} recorded a break in training from {_date(d.get('start'))}"
    ),
    "enrolment.break_ended": lambda who, d, t, n: (
        f"{who} recorded the end of a break in training on {_date(d.get('end'))}"
    ),
    "supervision.assigned": lambda who, d, t, n: (
        f"{who} made {n(d.get('supervisor', '')) or 'a supervisor'} the trainee's "
        f"{ROLES.get(d.get('role', ''), _words(d.get('role')) or 'supervisor')}"
    ),
    "review.recorded": lambda who, d, t, n: (
        f"{who} recorded a progress review held on {_date(d.get('held_on'))}"
    ),
    "review.signed": lambda who, d, t, n: f"{who} signed a progress review",
    "gateway.confirmed": lambda who, d, t, n: (
        f"{who} confirmed the trainee is ready for the end-point assessment gateway"
    ),
    "export.requested": lambda who, d, t, n: (
        f"{who} asked for {EXPORT_KINDS.get(d.get('kind', ''), 'an export')}"
    ),
    "share.created": lambda who, d, t, n: (
        f"{who} made a read-only share link"
        + (f" for {d['days']} days" if d.get("days") else "")
    ),
    "share.revoked": lambda who, d, t, n: f"{who} withdrew a share link",
    "share.viewed": lambda who, d, t, n: (
        "The portfolio was opened through a share link"
    ),
    "bundle.imported": lambda who, d, t, n: (
        f"{who} imported this record from another installation"
    ),
    "fya.sitting_recorded": lambda who, d, t, n: (
        f"{who} recorded a final assessment sitting"
    ),
    "fya.result_recorded": lambda who, d, t, n: (
        f"{who} recorded a final assessment result"
    ),
    "stp.msc_recorded": lambda who, d, t, n: f"{who} recorded the MSc's status",
    "stp.portfolio_signed_off": lambda who, d, t, n: (
        f"{who} signed off the training portfolio as complete"
    ),
    "stp.extension_recorded": lambda who, d, t, n: f"{who} recorded an extension",
    "stp.progression_recorded": lambda who, d, t, n: (
        f"{who} recorded a progression decision"
    ),
}


def _fallback(who: str, action: str) -> str:
    """An action without a phrase yet: its words, never the dotted key."""
    subject, _, verb = action.partition(".")
    return f"{who}: {_words(subject)} {_words(verb)}".strip()


def describe(event: AuditEvent, title: str = "", name=lambda _id: "") -> str:
    who = event.actor_name or "The system"
    data = event.data if isinstance(event.data, dict) else {}
    phrase = PHRASES.get(event.action)
    return phrase(who, data, title, name) if phrase else _fallback(who, event.action)


def lines(events: Iterable[AuditEvent], titles: dict[str, str]) -> list[Line]:
    """The events in words; names of people they mention read in one query."""
    events = list(events)
    ids = {
        str(e.data.get(key))
        for e in events
        if isinstance(e.data, dict)
        for key in ("assessor", "supervisor")
        if e.data.get(key)
    }
    names: dict[str, str] = {}
    if ids:
        for user_id, name in db.session.execute(
            sa.select(User.id, User.name).where(User.id.in_(ids))
        ):
            names[user_id] = name
    return [
        Line(
            seq=e.seq,
            when=f"{e.occurred_at:%d %b %Y %H:%M} UTC",
            text=describe(
                e,
                titles.get(e.object_id, "") if e.object_type == "evidence" else "",
                lambda user_id: names.get(user_id, ""),
            ),
            hash=e.hash[:16],
        )
        for e in events
    ]
