"""Capacity rules: who sees and changes which figures, input checks, the CSV import
and the projection entry point.

Who may do what (``policy.py`` holds the general rules; these are capacity's own):

- an organisation's figures (training places, workforce records, its live
  trainee and supervisor counts): a training lead of that organisation, or an
  admin. Anyone else gets 403: organisations themselves are public reference
  data, so the page exists for them but is not theirs to see.
- national and regional totals: admins, and training leads (totals only: no
  other organisation is named and nobody's name appears).
- the projection: any signed-in user (it is a model with no stored data).

Figures arrive as text (a form field or a CSV cell). ``parse_place`` and
``parse_workforce`` check them and raise ``Invalid`` with every problem as
``[{field, message}]``; the same checks serve the web forms and the import.
"""

import math
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import PurePath
from typing import Any
from typing import cast

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.audit import services as audit
from portfolio.capacity import projection
from portfolio.capacity import specialisms
from portfolio.capacity.models import FUNDING_MAX
from portfolio.capacity.models import MAX_YEAR
from portfolio.capacity.models import MIN_YEAR
from portfolio.capacity.models import PROGRAMMES
from portfolio.capacity.models import SPECIALISMS
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.csvimport import CsvImportError
from portfolio.csvimport import LineError
from portfolio.csvimport import read_rows
from portfolio.extensions import db
from portfolio.organisations import services as organisations
from portfolio.organisations.models import Organisation
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden
from portfolio.rules import Invalid
from portfolio.rules import NotFound

# A given vacancy figure may differ from establishment - in post by this much
# (rounding in the source spreadsheet); the stored figure is always the exact one.
VACANCY_TOLERANCE = Decimal("0.05")
MAX_WTE = Decimal("999999.99")
MAX_COUNT = 1_000_000

# ---- who may see and do what ------------------------------------------------------


def managed_organisations(user: User) -> list[Organisation]:
    """The organisations whose figures ``user`` may change, by name."""
    query = sa.select(Organisation).order_by(Organisation.name)
    if not policy.is_admin(user):
        query = query.where(
            Organisation.id.in_(sorted(policy.lead_organisation_ids(user)) or [""])
        )
    return list(db.session.scalars(query))


def organisation_for(user: User, code: str) -> Organisation:
    """The organisation with ``code`` if ``user`` may manage its figures.

    NotFound when there is no such organisation; Forbidden when there is, but
    it is not theirs.
    """
    organisation = organisations.by_code(code)
    if organisation is None:
        raise NotFound(f"There is no organisation with code {code!r}.")
    if not policy.can_manage_capacity(user, organisation.id):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can see "
            "and change its capacity figures."
        )
    return organisation


# ---- checking figures -------------------------------------------------------------


@dataclass(frozen=True)
class PlaceFigures:
    specialism: str
    programme: str
    intake_year: int
    commissioned: int
    filled: int
    funding_source: str = ""


@dataclass(frozen=True)
class WorkforceFigures:
    specialism: str
    as_of: date
    establishment_wte: Decimal
    in_post_wte: Decimal
    vacancies_wte: Decimal
    retiring_5y: int | None = None
    retiring_15y: int | None = None


PLACE_FIELDS = tuple(PlaceFigures.__dataclass_fields__)
WORKFORCE_FIELDS = tuple(WorkforceFigures.__dataclass_fields__)


def specialism_label(code: str) -> str:
    return SPECIALISMS.get(code, code) if code else "Specialism not recorded"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _specialism(
    raw: Mapping, errors: FieldErrors, allowed: Mapping[str, str] | None
) -> str | None:
    """The controlled code of the specialism given (``specialisms.resolve``)."""
    allowed = specialisms.controlled() if allowed is None else allowed
    text = " ".join(_text(raw.get("specialism")).split())
    if not allowed:
        errors.add(
            "specialism",
            "No curricula with specialisms are loaded, so no figures can be "
            "recorded yet: load the curricula first (flask curricula load)",
        )
        return None
    if not text:
        errors.add("specialism", "Choose the specialism")
        return None
    code = specialisms.resolve(text, allowed)
    if code is None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        errors.add(
            "specialism",
            f"{shown!r} is not one of the specialisms of the curricula: "
            f"{specialisms.listing(allowed)}",
        )
    return code


def _whole(
    raw: Mapping,
    field: str,
    label: str,
    errors: FieldErrors,
    low: int = 0,
    high: int = MAX_COUNT,
    required: bool = True,
) -> int | None:
    text = _text(raw.get(field)).replace(",", "")
    if not text:
        if required:
            errors.add(field, f"Enter {label}")
        return None
    try:
        value = int(text)
    except ValueError:
        errors.add(field, f"{label[0].upper()}{label[1:]} must be a whole number")
        return None
    name = f"{label[0].upper()}{label[1:]}"
    if value < low and low == 0:
        errors.add(field, f"{name} must not be negative")
        return None
    if value > high and high == MAX_COUNT:
        errors.add(field, f"{name} must be {MAX_COUNT:,} or fewer")
        return None
    if not low <= value <= high:
        errors.add(field, f"{name} must be between {low} and {high}")
        return None
    return value


def _wte(
    raw: Mapping, field: str, label: str, errors: FieldErrors, required: bool = True
) -> Decimal | None:
    text = _text(raw.get(field)).replace(",", "")
    name = f"{label[0].upper()}{label[1:]}"
    if not text:
        if required:
            errors.add(field, f"Enter {label} in whole-time equivalents (WTE)")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors.add(field, f"{name} must be a number of WTE, like 12.5")
        return None
    if value < 0:
        errors.add(field, f"{name} must not be negative")
        return None
    if value > MAX_WTE:
        errors.add(field, f"{name} must be less than 1,000,000 WTE")
        return None
    if value != value.quantize(Decimal("0.01")):
        errors.add(field, f"{name} must have at most 2 decimal places")
        return None
    return value.quantize(Decimal("0.01"))


def _date(raw: Mapping, field: str, label: str, errors: FieldErrors) -> date | None:
    value = raw.get(field)
    if isinstance(value, date):
        parsed = value
    else:
        text = _text(value)
        if not text:
            errors.add(field, f"Enter {label}")
            return None
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            errors.add(
                field,
                f"{label[0].upper()}{label[1:]} must be a date like 2025-03-31",
            )
            return None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        errors.add(field, f"The year must be between {MIN_YEAR} and {MAX_YEAR}")
        return None
    return parsed


def _plain(value: Decimal) -> str:
    """12.50 as 12.5 and 12.00 as 12, for messages."""
    return f"{value.normalize():f}"


def parse_place(raw: Mapping, allowed: Mapping[str, str] | None = None) -> PlaceFigures:
    """Check training-place figures given as text; raise Invalid listing every problem.

    ``allowed`` is the controlled list of specialisms (``specialisms.controlled()``
    when None)."""
    errors = FieldErrors()
    specialism = _specialism(raw, errors, allowed)
    programme = _text(raw.get("programme")).lower()
    if programme not in PROGRAMMES:
        errors.add(
            "programme",
            "Choose the programme"
            if not programme
            else f"The programme must be one of {', '.join(PROGRAMMES)}",
        )
    year = _whole(
        raw,
        "intake_year",
        "the intake year",
        errors,
        MIN_YEAR,
        MAX_YEAR,
    )
    commissioned = _whole(raw, "commissioned", "the places commissioned", errors)
    filled = _whole(raw, "filled", "the places filled", errors)
    if commissioned is not None and filled is not None and filled > commissioned:
        errors.add(
            "filled",
            f"Places filled ({filled}) cannot be more than places commissioned "
            f"({commissioned})",
        )
    funding = _text(raw.get("funding_source"))
    if len(funding) > FUNDING_MAX:
        errors.add(
            "funding_source",
            f"The funding source must be {FUNDING_MAX} characters or fewer",
        )
    errors.raise_if_any()
    # Each check returns None only after adding an error, so none is None here.
    assert specialism is not None and year is not None
    assert commissioned is not None and filled is not None
    return PlaceFigures(specialism, programme, year, commissioned, filled, funding)


def parse_workforce(
    raw: Mapping, allowed: Mapping[str, str] | None = None
) -> WorkforceFigures:
    """Check workforce figures given as text; vacancies are worked out if not given."""
    errors = FieldErrors()
    specialism = _specialism(raw, errors, allowed)
    as_of = _date(raw, "as_of", "the date the figures are for", errors)
    establishment = _wte(raw, "establishment_wte", "the establishment", errors)
    in_post = _wte(raw, "in_post_wte", "the staff in post", errors)
    given = _wte(raw, "vacancies_wte", "the vacancies", errors, required=False)
    vacancies = None
    if establishment is not None and in_post is not None:
        vacancies = establishment - in_post
        if vacancies < 0:
            errors.add(
                "in_post_wte",
                f"Staff in post ({_plain(in_post)} WTE) cannot be more than the "
                f"establishment ({_plain(establishment)} WTE)",
            )
        elif given is not None and abs(given - vacancies) > VACANCY_TOLERANCE:
            errors.add(
                "vacancies_wte",
                f"Vacancies ({_plain(given)} WTE) must be the establishment minus "
                f"staff in post ({_plain(vacancies)} WTE); leave it empty to have it "
                "worked out",
            )
    retiring_5y = _whole(
        raw, "retiring_5y", "the number retiring within 5 years", errors, required=False
    )
    retiring_15y = _whole(
        raw,
        "retiring_15y",
        "the number retiring within 15 years",
        errors,
        required=False,
    )
    if (
        retiring_5y is not None
        and retiring_15y is not None
        and retiring_15y < retiring_5y
    ):
        errors.add(
            "retiring_15y",
            f"Retiring within 15 years ({retiring_15y}) includes those retiring "
            f"within 5 years ({retiring_5y}), so it cannot be fewer",
        )
    errors.raise_if_any()
    # Each check returns None only after adding an error, so none is None here.
    assert specialism is not None and as_of is not None
    assert establishment is not None and in_post is not None and vacancies is not None
    return WorkforceFigures(
        specialism,
        as_of,
        establishment,
        in_post,
        vacancies,
        retiring_5y,
        retiring_15y,
    )


# ---- saving -------------------------------------------------------------------------


def _check_manage(actor: User, organisation: Organisation) -> None:
    if not policy.can_manage_capacity(actor, organisation.id):
        raise Forbidden(
            "Only a training lead of this organisation or an admin can change "
            "its capacity figures."
        )


def _audit_data(figures) -> dict:
    return {k: (str(v) if v is not None else None) for k, v in asdict(figures).items()}


def _flush_or_clash(field: str, message: str) -> None:
    """Flush; a unique key taken since we looked (a race) is a field error too."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise Invalid.field(field, message) from error


@dataclass(frozen=True)
class FiguresKind:
    """One kind of figures record: how it is checked, keyed, named and audited.

    Training places and workforce records are saved, deleted and imported the
    same way; ``PLACE`` and ``WORKFORCE`` say what differs.
    """

    name: str  # in audit events (capacity.NAME.created) and the CSV's record column
    counted_as: str  # in ImportCounts: COUNTED_AS_created, COUNTED_AS_updated
    noun: str  # "the same NOUN as line 3"
    model: type[TrainingPlace] | type[WorkforceRecord]
    target: str  # the audit event's target type
    fields: tuple[str, ...]
    parse: Callable[..., Any]  # (raw, allowed specialisms=None)
    clash_field: str  # the field told when the key is taken
    missing: str  # NotFound's message
    describe: Callable[[Any], str]  # figures or a row, in words

    def key(self, organisation_id: str, figures) -> tuple:
        """The row's unique key (as ``FiguresRecord.key``) for these figures."""
        return (
            organisation_id,
            *(getattr(figures, f) for f in self.model.KEY_FIELDS),
        )


def describe_place(place) -> str:
    """'RP Scientist Training Programme (STP) places for the 2026 intake'."""
    return (
        f"{place.specialism} {PROGRAMMES[place.programme]} places for the "
        f"{place.intake_year} intake"
    )


def describe_workforce(record) -> str:
    """'RP workforce figures for 1 April 2026'."""
    return f"{record.specialism} workforce figures for {record.as_of:%-d %B %Y}"


PLACE = FiguresKind(
    "place",
    "places",
    "training places",
    TrainingPlace,
    "training_place",
    PLACE_FIELDS,
    parse_place,
    "intake_year",
    "There are no such training places at this organisation.",
    describe_place,
)
WORKFORCE = FiguresKind(
    "workforce",
    "workforce",
    "workforce record",
    WorkforceRecord,
    "workforce_record",
    WORKFORCE_FIELDS,
    parse_workforce,
    "as_of",
    "There is no such workforce record at this organisation.",
    describe_workforce,
)


def figures_of(kind: FiguresKind, organisation: Organisation, row_id: str):
    """The ``kind`` row with ``row_id`` at this organisation, or NotFound."""
    found = db.session.get(kind.model, row_id)
    row = cast(TrainingPlace | WorkforceRecord | None, found)
    if row is None or row.organisation_id != organisation.id:
        raise NotFound(kind.missing)
    return row


def _fill(kind: FiguresKind, organisation: Organisation, figures, row, actor_id):
    """``row`` (a new one when None) with the figures, changed by ``actor_id``."""
    if row is None:
        row = kind.model(organisation_id=organisation.id)
        db.session.add(row)
    for field in kind.fields:
        setattr(row, field, getattr(figures, field))
    row.updated_by_id = actor_id
    return row


def save_figures(
    kind: FiguresKind, actor: User, organisation: Organisation, figures, row=None
):
    """Create (``row`` None) or update one record of ``kind``, then commit."""
    _check_manage(actor, organisation)
    model = kind.model
    clash = db.session.scalar(
        sa.select(model).where(
            model.organisation_id == organisation.id,
            *(getattr(model, f) == getattr(figures, f) for f in model.KEY_FIELDS),
        )
    )
    if clash is not None and clash is not row:
        raise Invalid.field(
            kind.clash_field,
            f"There are already {kind.describe(figures)} here: change those instead",
        )
    created = row is None
    row = _fill(kind, organisation, figures, row, actor.id)
    _flush_or_clash(
        kind.clash_field,
        f"Someone has just saved {kind.describe(figures)} here: change those instead",
    )
    audit.record(
        actor,
        f"capacity.{kind.name}.{'created' if created else 'updated'}",
        kind.target,
        row.id,
        organisation=organisation.code,
        **_audit_data(figures),
    )
    db.session.commit()
    return row


def delete_figures(
    kind: FiguresKind, actor: User, organisation: Organisation, row
) -> None:
    _check_manage(actor, organisation)
    key = {f: getattr(row, f) for f in kind.model.KEY_FIELDS}
    audit.record(
        actor,
        f"capacity.{kind.name}.deleted",
        kind.target,
        row.id,
        organisation=organisation.code,
        **{f: v.isoformat() if isinstance(v, date) else v for f, v in key.items()},
    )
    db.session.delete(row)
    db.session.commit()


def place_of(organisation: Organisation, place_id: str) -> TrainingPlace:
    return figures_of(PLACE, organisation, place_id)


def record_of(organisation: Organisation, record_id: str) -> WorkforceRecord:
    return figures_of(WORKFORCE, organisation, record_id)


def save_place(
    actor: User,
    organisation: Organisation,
    figures: PlaceFigures,
    place: TrainingPlace | None = None,
) -> TrainingPlace:
    """Create (``place`` None) or update one row of training places, then commit."""
    return save_figures(PLACE, actor, organisation, figures, place)


def save_workforce(
    actor: User,
    organisation: Organisation,
    figures: WorkforceFigures,
    record: WorkforceRecord | None = None,
) -> WorkforceRecord:
    """Create (``record`` None) or update one workforce record, then commit."""
    return save_figures(WORKFORCE, actor, organisation, figures, record)


# ---- CSV import ---------------------------------------------------------------------

RECORD_KINDS = {kind.name: kind for kind in (PLACE, WORKFORCE)}
IMPORT_REQUIRED = ("record", "organisation", "specialism")
IMPORT_OPTIONAL = (
    "programme",
    "intake_year",
    "commissioned",
    "filled",
    "funding_source",
    "as_of",
    "establishment_wte",
    "in_post_wte",
    "vacancies_wte",
    "retiring_5y",
    "retiring_15y",
)
# The columns that belong to each kind of row; the other kind's must be empty.
IMPORT_COLUMNS = {
    "place": set(PLACE_FIELDS) - {"specialism"},
    "workforce": set(WORKFORCE_FIELDS) - {"specialism"},
}


@dataclass
class ImportCounts:
    places_created: int = 0
    places_updated: int = 0
    workforce_created: int = 0
    workforce_updated: int = 0

    def count(self, kind: FiguresKind, created: bool) -> None:
        name = f"{kind.counted_as}_{'created' if created else 'updated'}"
        setattr(self, name, getattr(self, name) + 1)

    def summary(self) -> str:
        return (
            f"training places: {self.places_created} created, "
            f"{self.places_updated} updated; workforce records: "
            f"{self.workforce_created} created, {self.workforce_updated} updated"
        )


def import_capacity(
    text: str,
    filename: str = "capacity.csv",
    actor: User | None = None,
    commit: bool = True,
) -> ImportCounts:
    """Create or update training places and workforce records from CSV, all or none.

    One format: a ``record`` column says what each line is (``place`` or
    ``workforce``); see docs/capacity.md. Rows are matched on their unique keys
    (organisation, specialism, programme, intake year; organisation, specialism,
    as of), so importing the same file twice changes nothing. Raises
    CsvImportError listing every bad line when any line is wrong. With
    ``commit=False`` the changes are only flushed (a dry run rolls them back).
    """
    rows = read_rows(text, filename, IMPORT_REQUIRED, IMPORT_OPTIONAL)
    codes = {row["organisation"].upper() for _, row in rows}
    organisations = {
        o.code.upper(): o
        for o in db.session.scalars(
            sa.select(Organisation).where(
                sa.func.upper(Organisation.code).in_(sorted(codes))
            )
        )
    }
    allowed = specialisms.controlled()
    errors: list[LineError] = []
    places: list[tuple[int, Organisation, PlaceFigures]] = []
    records: list[tuple[int, Organisation, WorkforceFigures]] = []
    seen: dict[tuple, int] = {}
    for line, row in rows:
        kind = row["record"].lower()
        problems = []
        if kind not in RECORD_KINDS:
            problems.append(
                f"record must be place or workforce, not {row['record']!r}"
                if row["record"]
                else "record is empty: write place or workforce"
            )
        organisation = organisations.get(row["organisation"].upper())
        if not row["organisation"]:
            problems.append("organisation is empty: give the organisation's code")
        elif organisation is None:
            problems.append(
                f"no organisation with code {row['organisation']!r} "
                "(import organisations first: flask orgs import)"
            )
        if kind in RECORD_KINDS:
            other = "workforce" if kind == "place" else "place"
            problems += [
                f"{column} is for {other} rows: leave it empty on a {kind} row"
                for column in IMPORT_OPTIONAL
                if row.get(column) and column in IMPORT_COLUMNS[other]
            ]
            record = RECORD_KINDS[kind]
            try:
                figures = record.parse(row, allowed)
            except Invalid as invalid:
                problems += [f"{e['field']}: {e['message']}" for e in invalid.errors]
            else:
                if organisation is not None and not problems:
                    key = (kind, *record.key(organisation.id, figures))
                    (places if record is PLACE else records).append(
                        (line, organisation, figures)
                    )
                    if key in seen:
                        problems.append(f"the same {record.noun} as line {seen[key]}")
                    seen.setdefault(key, line)
        errors += [LineError(line, message) for message in problems]
    if errors:
        raise CsvImportError(filename, errors)
    counts = _upsert(places, records, actor)
    audit.record(
        actor,
        "capacity.imported",
        "capacity_import",
        PurePath(filename).name[:40],
        filename=filename,
        **asdict(counts),
    )
    if commit:
        db.session.commit()
    return counts


def _upsert(places, records, actor: User | None) -> ImportCounts:
    counts = ImportCounts()
    org_ids = sorted({o.id for _, o, _ in places} | {o.id for _, o, _ in records})
    actor_id = getattr(actor, "id", None)
    for kind, items in ((PLACE, places), (WORKFORCE, records)):
        model = kind.model
        rows: sa.ScalarResult[TrainingPlace | WorkforceRecord] = db.session.scalars(
            sa.select(model).where(model.organisation_id.in_(org_ids))
        )
        existing = {row.key: row for row in rows}
        for _, organisation, figures in items:
            row = existing.get(kind.key(organisation.id, figures))
            counts.count(kind, created=row is None)
            _fill(kind, organisation, figures, row, actor_id)
    db.session.flush()
    return counts


# ---- specialisms recorded before the controlled list ---------------------------------


def merge_specialisms(actor: User | None = None) -> int:
    """Map every recorded specialism that matches one of the list to its code
    (``specialisms.merge``), audit it and commit; returns the rows changed."""
    changed = specialisms.merge()
    if changed:
        audit.record(
            actor,
            "capacity.specialisms_merged",
            "capacity_specialisms",
            "all",
            rows=changed,
        )
    db.session.commit()
    return changed


# ---- the projection -----------------------------------------------------------------

# Steps must be in strictly increasing years from MIN_YEAR to MAX_YEAR, so no valid
# schedule is longer than this; a longer one is refused before any work is done.
MAX_SCHEDULE_STEPS = projection.MAX_YEAR - projection.MIN_YEAR + 1


def run_projection(data) -> projection.Projection:
    """Check a scenario (the API's JSON shape) and project it.

    Raises ProjectionError with every problem, as ``parse_scenario`` does; also
    when the figures are so large that the sums overflow, so a caller never gets
    infinite or undefined numbers back.
    """
    if (
        isinstance(data, dict)
        and isinstance(data.get("schedule"), list)
        and len(data["schedule"]) > MAX_SCHEDULE_STEPS
    ):
        raise projection.ProjectionError(
            [
                {
                    "field": "schedule",
                    "message": f"schedule must have at most {MAX_SCHEDULE_STEPS} "
                    "steps (one a year at most)",
                }
            ]
        )
    result = projection.project(projection.parse_scenario(data))
    if not all(
        math.isfinite(value)
        for point in result.series
        for value in (point.added, point.cumulative, point.gap)
    ):
        raise projection.ProjectionError(
            [
                {
                    "field": "gap",
                    "message": "The figures are too large to project: use smaller "
                    "numbers",
                }
            ]
        )
    return result
