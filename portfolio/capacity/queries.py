"""Capacity figures as SQL aggregates, for the pages, the API and the report job.

Every function runs one query (GROUP BY in the database, never a loop over ORM
rows) and returns plain dicts, one per group, keyed by column name, so a page, a
CSV writer or a PDF template can use them as they are. ``by`` names the columns
to group by, in order; an empty ``by`` gives one row of national totals.
``organisation_ids`` limits the figures to those organisations (None: all).

Grouping columns (each function lists the ones it accepts):

- ``organisation``: ``organisation_code`` and ``organisation_name``
- ``region``, ``nation``: the organisation's region ("" when not recorded) and nation
- ``specialism``: the specialism code ("" for programmes that have none, such as
  the healthcare science apprenticeships)
- ``programme`` (training places), ``kind`` (the enrolment's curriculum kind),
  ``intake_year`` (training places), ``year`` (expected completions)

Trainees are people on a programme at an organisation whose enrolment is
``active`` or ``break_in_learning``; extension curricula taken alongside a
programme (digital, sustainability, registration standards, STP shared modules)
are not counted.
"""

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from portfolio.accounts.models import User
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.curriculum import kinds as curriculum_kinds
from portfolio.curriculum.models import Curriculum
from portfolio.enrolments.models import Enrolment
from portfolio.enrolments.models import SupervisionAssignment
from portfolio.extensions import db
from portfolio.organisations.models import Organisation
from portfolio.rules import Invalid

EXTENSION_KINDS = curriculum_kinds.EXTENSIONS
DEFAULT_SOFT_CAP = 3

_ORGANISATION_DIMENSIONS = {
    "organisation": (
        Organisation.code.label("organisation_code"),
        Organisation.name.label("organisation_name"),
    ),
    "region": (Organisation.region.label("region"),),
    "nation": (Organisation.nation.label("nation"),),
}


class UnknownDimension(Invalid, ValueError):
    """A caller asked to group by a column the capacity queries do not offer."""


def _columns(by: Iterable[str], dimensions: dict) -> list:
    columns = []
    for name in by:
        if name not in dimensions:
            raise UnknownDimension(
                f"cannot group by {name!r}; choose from {', '.join(dimensions)}"
            )
        columns += dimensions[name]
    return columns


def _scoped(query: sa.Select, column, organisation_ids) -> sa.Select:
    if organisation_ids is None:
        return query
    return query.where(column.in_(sorted(organisation_ids) or [""]))


def _rows(query: sa.Select) -> list[dict]:
    result = db.session.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def _grouped(query: sa.Select, columns: list) -> sa.Select:
    if not columns:
        return query
    return query.group_by(*columns).order_by(*columns)


# ---- training places ----------------------------------------------------------------


def place_totals(
    by: Iterable[str] = ("specialism",),
    organisation_ids: Iterable[str] | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
) -> list[dict]:
    """Places commissioned and filled: ``commissioned``, ``filled``, ``organisations``.

    Groups: organisation, region, nation, specialism, programme, intake_year.
    """
    columns = _columns(
        by,
        {
            **_ORGANISATION_DIMENSIONS,
            "specialism": (TrainingPlace.specialism.label("specialism"),),
            "programme": (TrainingPlace.programme.label("programme"),),
            "intake_year": (TrainingPlace.intake_year.label("intake_year"),),
        },
    )
    query = _places(columns, organisation_ids, from_year, to_year)
    return _rows(_grouped(query, columns))


def _places(
    columns: Iterable,
    organisation_ids: Iterable[str] | None,
    from_year: int | None,
    to_year: int | None,
) -> sa.Select:
    """The places' figures (commissioned, filled, organisations) beside ``columns``,
    for these organisations and intake years; the caller groups them."""
    query = sa.select(
        *columns,
        sa.func.coalesce(sa.func.sum(TrainingPlace.commissioned), 0).label(
            "commissioned"
        ),
        sa.func.coalesce(sa.func.sum(TrainingPlace.filled), 0).label("filled"),
        sa.func.count(sa.distinct(TrainingPlace.organisation_id)).label(
            "organisations"
        ),
    ).join(Organisation, Organisation.id == TrainingPlace.organisation_id)
    query = _scoped(query, TrainingPlace.organisation_id, organisation_ids)
    if from_year is not None:
        query = query.where(TrainingPlace.intake_year >= from_year)
    if to_year is not None:
        query = query.where(TrainingPlace.intake_year <= to_year)
    return query


# ---- workforce ------------------------------------------------------------------------


def workforce_totals(
    by: Iterable[str] = ("specialism",),
    organisation_ids: Iterable[str] | None = None,
    as_of: date | None = None,
) -> list[dict]:
    """The latest workforce figures for each organisation and specialism, summed.

    Only each organisation's latest record per specialism (on or before
    ``as_of`` when given) counts. Columns: ``establishment_wte``, ``in_post_wte``,
    ``vacancies_wte`` (Decimal), ``vacancy_rate`` (vacancies / establishment, or
    None), ``retiring_5y``, ``retiring_15y`` (of those that gave a figure),
    ``organisations`` (how many reported), ``oldest`` and ``newest`` as-of dates.
    Groups: organisation, region, nation, specialism.
    """
    columns = _columns(
        by,
        {
            **_ORGANISATION_DIMENSIONS,
            "specialism": (WorkforceRecord.specialism.label("specialism"),),
        },
    )
    query = _workforce(columns, organisation_ids, as_of)
    rows = _rows(_grouped(query, columns))
    for row in rows:
        _add_vacancy_rate(row)
    return rows


def _workforce(
    columns: Iterable, organisation_ids: Iterable[str] | None, as_of: date | None
) -> sa.Select:
    """The workforce figures beside ``columns``, from each organisation's latest
    record per specialism (on or before ``as_of`` when given); the caller groups
    them."""
    record = WorkforceRecord
    newest = sa.select(
        record.organisation_id,
        record.specialism,
        sa.func.max(record.as_of).label("as_of"),
    )
    if as_of is not None:
        newest = newest.where(record.as_of <= as_of)
    newest = _scoped(newest, record.organisation_id, organisation_ids)
    latest = newest.group_by(record.organisation_id, record.specialism).subquery()
    return (
        sa.select(
            *columns,
            sa.func.coalesce(sa.func.sum(record.establishment_wte), 0).label(
                "establishment_wte"
            ),
            sa.func.coalesce(sa.func.sum(record.in_post_wte), 0).label("in_post_wte"),
            sa.func.coalesce(sa.func.sum(record.vacancies_wte), 0).label(
                "vacancies_wte"
            ),
            sa.func.sum(record.retiring_5y).label("retiring_5y"),
            sa.func.sum(record.retiring_15y).label("retiring_15y"),
            sa.func.count(sa.distinct(record.organisation_id)).label("organisations"),
            sa.func.min(record.as_of).label("oldest"),
            sa.func.max(record.as_of).label("newest"),
        )
        .join(
            latest,
            sa.and_(
                record.organisation_id == latest.c.organisation_id,
                record.specialism == latest.c.specialism,
                record.as_of == latest.c.as_of,
            ),
        )
        .join(Organisation, Organisation.id == record.organisation_id)
    )


def _add_vacancy_rate(row: dict) -> None:
    establishment = row["establishment_wte"]
    row["vacancy_rate"] = (
        float(row["vacancies_wte"] / establishment) if establishment else None
    )


# ---- trainees, completions and supervisors (live from the portfolio) -----------------

_SPECIALISM = sa.func.coalesce(Curriculum.specialism, "")


def _enrolment_dimensions() -> dict:
    return {
        **_ORGANISATION_DIMENSIONS,
        "specialism": (_SPECIALISM.label("specialism"),),
        "kind": (Curriculum.kind.label("kind"),),
    }


def _in_training(query: sa.Select, organisation_ids) -> sa.Select:
    query = (
        query.join(Curriculum, Curriculum.id == Enrolment.curriculum_id)
        .join(Organisation, Organisation.id == Enrolment.organisation_id)
        .where(
            Enrolment.in_training(),
            Curriculum.kind.not_in(EXTENSION_KINDS),
        )
    )
    return _scoped(query, Enrolment.organisation_id, organisation_ids)


def trainee_totals(
    by: Iterable[str] = ("specialism", "kind"),
    organisation_ids: Iterable[str] | None = None,
) -> list[dict]:
    """People in training: ``trainees`` (distinct people), ``active``, ``on_break``.

    ``active`` and ``on_break`` count enrolments. Groups: organisation, region,
    nation, specialism, kind.
    """
    columns = _columns(by, _enrolment_dimensions())
    query = sa.select(
        *columns,
        sa.func.count(sa.distinct(Enrolment.trainee_id)).label("trainees"),
        sa.func.coalesce(
            sa.func.sum(sa.case((Enrolment.status == "active", 1), else_=0)), 0
        ).label("active"),
        sa.func.coalesce(
            sa.func.sum(sa.case((Enrolment.status == "break_in_learning", 1), else_=0)),
            0,
        ).label("on_break"),
    ).select_from(Enrolment)
    return _rows(_grouped(_in_training(query, organisation_ids), columns))


def completion_totals(
    by: Iterable[str] = ("specialism", "year"),
    organisation_ids: Iterable[str] | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
) -> list[dict]:
    """Expected completions (``completions``) by the year of the expected end date.

    Counts enrolments in training. Groups: organisation, region, nation,
    specialism, kind, year.
    """
    year = sa.cast(sa.extract("year", Enrolment.expected_end_date), sa.Integer)
    columns = _columns(by, {**_enrolment_dimensions(), "year": (year.label("year"),)})
    query = sa.select(*columns, sa.func.count().label("completions")).select_from(
        Enrolment
    )
    query = _in_training(query, organisation_ids)
    if from_year is not None:
        query = query.where(year >= from_year)
    if to_year is not None:
        query = query.where(year <= to_year)
    return _rows(_grouped(query, columns))


def _assignments_in_force(query: sa.Select, today: date) -> sa.Select:
    return query.where(SupervisionAssignment.in_force_on(today))


def supervisor_totals(
    by: Iterable[str] = ("organisation",),
    organisation_ids: Iterable[str] | None = None,
    today: date | None = None,
    soft_cap: int = DEFAULT_SOFT_CAP,
) -> list[dict]:
    """Supervisors of trainees in training and their load.

    A supervisor's load is the number of distinct trainees they supervise
    through assignments in force ``today``, counted within each group.
    Columns: ``supervisors``, ``supervised`` (the sum of their loads),
    ``max_load``, ``over_soft_cap`` (supervisors with more than ``soft_cap``).
    Groups: organisation, region, nation.
    """
    return _supervisor_totals(
        _columns(by, _ORGANISATION_DIMENSIONS), organisation_ids, today, soft_cap
    )


def supervisor_totals_by_specialism(
    by: Iterable[str],
    organisation_ids: Iterable[str] | None = None,
    today: date | None = None,
    soft_cap: int = DEFAULT_SOFT_CAP,
) -> list[dict]:
    """``supervisor_totals``, able to group by specialism and kind too.

    A supervisor counts once in each specialism they supervise trainees in, so
    the specialisms' counts can add up to more than the organisation's (which is
    why ``supervisor_totals`` does not offer these groups). Groups: organisation,
    region, nation, specialism, kind.
    """
    return _supervisor_totals(
        _columns(by, _enrolment_dimensions()), organisation_ids, today, soft_cap
    )


def _supervisor_totals(
    columns: list, organisation_ids, today: date | None, soft_cap: int
) -> list[dict]:
    today = today or date.today()
    # Each (group, supervisor, trainee) once, then counted per supervisor, then per
    # group: PostgreSQL hashes at every step, where count(DISTINCT) sorted every
    # assignment (and each supervisor is one row of a group, so counted plainly).
    pairs = (
        sa.select(
            *columns,
            SupervisionAssignment.supervisor_id.label("supervisor_id"),
            SupervisionAssignment.trainee_id.label("trainee_id"),
        )
        .select_from(SupervisionAssignment)
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
    )
    pairs = _assignments_in_force(_in_training(pairs, organisation_ids), today)
    paired = pairs.distinct().subquery()
    group_columns = [paired.c[column.name] for column in columns]
    inner = (
        sa.select(
            *group_columns,
            paired.c.supervisor_id,
            sa.func.count().label("load"),
        )
        .group_by(*group_columns, paired.c.supervisor_id)
        .subquery()
    )
    outer_columns = [inner.c[column.name] for column in columns]
    query = sa.select(
        *outer_columns,
        sa.func.count().label("supervisors"),
        sa.func.coalesce(sa.func.sum(inner.c.load), 0).label("supervised"),
        sa.func.coalesce(sa.func.max(inner.c.load), 0).label("max_load"),
        sa.func.coalesce(
            sa.func.sum(sa.case((inner.c.load > soft_cap, 1), else_=0)), 0
        ).label("over_soft_cap"),
    ).select_from(inner)
    return _rows(_grouped(query, outer_columns))


def supervisor_loads(
    organisation_ids: Iterable[str],
    today: date | None = None,
) -> list[dict]:
    """Each supervisor at these organisations with their load, heaviest first.

    Columns: ``supervisor_id``, ``name``, ``trainees`` (distinct trainees in
    training they supervise today), ``assignments`` (assignments in force).
    Names people, so it is for an organisation's own page, never for totals.
    """
    today = today or date.today()
    trainees = sa.func.count(sa.distinct(SupervisionAssignment.trainee_id))
    query = (
        sa.select(
            SupervisionAssignment.supervisor_id.label("supervisor_id"),
            User.name.label("name"),
            trainees.label("trainees"),
            sa.func.count(SupervisionAssignment.id).label("assignments"),
        )
        .select_from(SupervisionAssignment)
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
        .join(User, User.id == SupervisionAssignment.supervisor_id)
    )
    query = _assignments_in_force(_in_training(query, organisation_ids), today)
    query = query.group_by(SupervisionAssignment.supervisor_id, User.name).order_by(
        trainees.desc(), User.name
    )
    return _rows(query)


# ---- people at several levels at once (the capacity report) --------------------------

# The levels people_at_levels can give, and the columns each names.
_LEVEL_COLUMNS = {
    ("organisation", "specialism"): ("organisation", "specialism"),
    ("organisation",): ("organisation",),
    ("specialism",): ("specialism",),
    (): (),
    ("region",): ("region",),
}
# The columns GROUPING() may be asked about, in order: a level's bit is 1 for each
# of those it does not group by (PostgreSQL's GROUPING, most significant first).
_GROUPING_ORDER = ("organisation", "region", "specialism")


def _grouping_id(level: tuple[str, ...], present: list[str]) -> int:
    bits = [0 if name in level else 1 for name in present]
    return int("".join(map(str, bits)) or "0", 2)


def people_at_levels(
    levels: Iterable[tuple[str, ...]],
    organisation_ids: Iterable[str] | None = None,
    today: date | None = None,
    soft_cap: int = DEFAULT_SOFT_CAP,
) -> dict[tuple[str, ...], tuple[list[dict], list[dict]]]:
    """``{level: (trainee_totals rows, supervisor totals rows)}`` for each level.

    The same rows as ``trainee_totals(level)`` and ``supervisor_totals(level)`` (or
    ``supervisor_totals_by_specialism`` for a level with the specialism), each
    person counted once within each group. On PostgreSQL two queries give every
    level (GROUP BY GROUPING SETS, https://www.postgresql.org/docs/current/queries-table-expressions.html#QUERIES-GROUPING-SETS);
    elsewhere two queries a level. Levels: those of ``_LEVEL_COLUMNS``.
    """
    levels = [tuple(level) for level in levels]
    for level in levels:
        if level not in _LEVEL_COLUMNS:
            raise UnknownDimension(f"people_at_levels cannot give the level {level!r}")
    today = today or date.today()
    if db.session.get_bind().dialect.name != "postgresql":
        return {
            level: (
                trainee_totals(level, organisation_ids),
                supervisor_totals_by_specialism(
                    level, organisation_ids, today, soft_cap
                ),
            )
            for level in levels
        }
    # Plain expressions (no labels, no bound parameters) so that GROUPING() and
    # GROUPING SETS name exactly the same ones.
    specialism = sa.func.coalesce(Curriculum.specialism, sa.literal_column("''"))
    named = {
        "organisation": (Organisation.code, Organisation.name),
        "region": (Organisation.region,),
        "specialism": (specialism,),
    }
    labels = {
        "organisation": ("organisation_code", "organisation_name"),
        "region": ("region",),
        "specialism": ("specialism",),
    }
    # Only the columns some level groups by (GROUPING() may name no others).
    present = [n for n in _GROUPING_ORDER if any(n in level for level in levels)]
    everything: list[sa.Label] = [
        column.label(label)
        for name in present
        for column, label in zip(named[name], labels[name], strict=True)
    ]
    grouping = (
        sa.func.grouping(*(named[name][0] for name in present))
        if present
        else sa.literal_column("0")
    ).label("grouping_id")

    def sets(extra=()):
        return sa.func.grouping_sets(
            *(
                sa.tuple_(
                    *(c for name in level for c in named[name]),
                    *extra,
                )
                for level in levels
            )
        )

    trainees = sa.select(
        *everything,
        grouping,
        sa.func.count(sa.distinct(Enrolment.trainee_id)).label("trainees"),
        sa.func.coalesce(
            sa.func.sum(sa.case((Enrolment.status == "active", 1), else_=0)), 0
        ).label("active"),
        sa.func.coalesce(
            sa.func.sum(sa.case((Enrolment.status == "break_in_learning", 1), else_=0)),
            0,
        ).label("on_break"),
    ).select_from(Enrolment)
    trainees = _in_training(trainees, organisation_ids).group_by(sets())

    # As _supervisor_totals: each (group, supervisor, trainee) once (grouping by
    # them is the DISTINCT), counted per supervisor, then per group.
    pairs = (
        sa.select(
            *everything,
            grouping,
            SupervisionAssignment.supervisor_id.label("supervisor_id"),
        )
        .select_from(SupervisionAssignment)
        .join(Enrolment, Enrolment.id == SupervisionAssignment.enrolment_id)
    )
    pairs = _assignments_in_force(_in_training(pairs, organisation_ids), today)
    paired = pairs.group_by(
        sets((SupervisionAssignment.supervisor_id, SupervisionAssignment.trainee_id))
    ).subquery()
    pair_keys = [paired.c[column.name] for column in everything]
    pair_keys.append(paired.c.grouping_id)
    inner = (
        sa.select(*pair_keys, paired.c.supervisor_id, sa.func.count().label("load"))
        .group_by(*pair_keys, paired.c.supervisor_id)
        .subquery()
    )
    keys = [inner.c[column.name] for column in everything] + [inner.c.grouping_id]
    supervisors = sa.select(
        *keys,
        sa.func.count().label("supervisors"),
        sa.func.coalesce(sa.func.sum(inner.c.load), 0).label("supervised"),
        sa.func.coalesce(sa.func.max(inner.c.load), 0).label("max_load"),
        sa.func.coalesce(
            sa.func.sum(sa.case((inner.c.load > soft_cap, 1), else_=0)), 0
        ).label("over_soft_cap"),
    ).group_by(*keys)

    by_id = {_grouping_id(level, present): level for level in levels}
    found: dict[tuple[str, ...], tuple[list[dict], list[dict]]] = {
        level: ([], []) for level in levels
    }
    for index, query in enumerate((trainees, supervisors)):
        for row in _rows(query):
            level = by_id[row.pop("grouping_id")]
            shown = {label for name in level for label in labels[name]}
            found[level][index].append(
                {k: v for k, v in row.items() if k in shown or k not in _NAMES}
            )
    for trainee_rows, supervisor_rows in found.values():
        for rows in (trainee_rows, supervisor_rows):
            rows.sort(key=lambda r: tuple(str(v) for k, v in r.items() if k in _NAMES))
    return found


_NAMES = {"organisation_code", "organisation_name", "region", "specialism"}


# ---- places, completions and workforce at several levels at once --------------------


def _at_levels(
    levels: list[tuple[str, ...]],
    named: dict[str, tuple],
    labels: dict[str, tuple[str, ...]],
    build,
) -> dict[tuple[str, ...], list[dict]]:
    """Run ``build(columns, grouping, grouping_sets)`` (PostgreSQL only) and split its
    rows by level. ``named`` gives each dimension's plain expressions (the same
    objects in GROUPING() and GROUPING SETS), ``labels`` their column names."""
    present = [n for n in named if any(n in level for level in levels)]
    columns = [
        column.label(label)
        for name in present
        for column, label in zip(named[name], labels[name], strict=True)
    ]
    grouping = (
        sa.func.grouping(*(named[name][0] for name in present))
        if present
        else sa.literal_column("0")
    ).label("grouping_id")
    sets = sa.func.grouping_sets(
        *(sa.tuple_(*(c for name in level for c in named[name])) for level in levels)
    )
    by_id = {_grouping_id(level, present): level for level in levels}
    every = {label for name in present for label in labels[name]}
    found: dict[tuple[str, ...], list[dict]] = {level: [] for level in levels}
    for row in _rows(build(columns, grouping, sets)):
        level = by_id[row.pop("grouping_id")]
        shown = {label for name in level for label in labels[name]}
        found[level].append(
            {k: v for k, v in row.items() if k in shown or k not in every}
        )
    return found


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _organisation_named() -> tuple[dict, dict]:
    return (
        {
            "organisation": (Organisation.code, Organisation.name),
            "region": (Organisation.region,),
        },
        {
            "organisation": ("organisation_code", "organisation_name"),
            "region": ("region",),
        },
    )


def place_totals_at(
    levels: Iterable[tuple[str, ...]],
    organisation_ids: Iterable[str] | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
) -> dict[tuple[str, ...], list[dict]]:
    """``{level: place_totals(level) rows}``: one query on PostgreSQL (GROUPING SETS),
    one a level elsewhere."""
    levels = [tuple(level) for level in levels]
    if not _postgresql():
        return {
            level: place_totals(level, organisation_ids, from_year, to_year)
            for level in levels
        }
    named, labels = _organisation_named()
    named |= {
        "specialism": (TrainingPlace.specialism,),
        "programme": (TrainingPlace.programme,),
        "intake_year": (TrainingPlace.intake_year,),
    }
    labels |= {
        "specialism": ("specialism",),
        "programme": ("programme",),
        "intake_year": ("intake_year",),
    }

    def build(columns, grouping, sets):
        return _places(
            [*columns, grouping], organisation_ids, from_year, to_year
        ).group_by(sets)

    return _at_levels(levels, named, labels, build)


def completion_totals_at(
    levels: Iterable[tuple[str, ...]],
    organisation_ids: Iterable[str] | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
) -> dict[tuple[str, ...], list[dict]]:
    """``{level: completion_totals(level) rows}``, as ``place_totals_at``."""
    levels = [tuple(level) for level in levels]
    if not _postgresql():
        return {
            level: completion_totals(level, organisation_ids, from_year, to_year)
            for level in levels
        }
    year = sa.cast(sa.extract("year", Enrolment.expected_end_date), sa.Integer)
    named, labels = _organisation_named()
    named |= {
        "specialism": (
            sa.func.coalesce(Curriculum.specialism, sa.literal_column("''")),
        ),
        "year": (year,),
    }
    labels |= {"specialism": ("specialism",), "year": ("year",)}

    def build(columns, grouping, sets):
        query = sa.select(
            *columns, grouping, sa.func.count().label("completions")
        ).select_from(Enrolment)
        query = _in_training(query, organisation_ids)
        if from_year is not None:
            query = query.where(year >= from_year)
        if to_year is not None:
            query = query.where(year <= to_year)
        return query.group_by(sets)

    return _at_levels(levels, named, labels, build)


def workforce_totals_at(
    levels: Iterable[tuple[str, ...]],
    organisation_ids: Iterable[str] | None = None,
    as_of: date | None = None,
) -> dict[tuple[str, ...], list[dict]]:
    """``{level: workforce_totals(level) rows}``, as ``place_totals_at``."""
    levels = [tuple(level) for level in levels]
    if not _postgresql():
        return {
            level: workforce_totals(level, organisation_ids, as_of) for level in levels
        }
    named, labels = _organisation_named()
    named |= {"specialism": (WorkforceRecord.specialism,)}
    labels |= {"specialism": ("specialism",)}

    def build(columns, grouping, sets):
        return _workforce([*columns, grouping], organisation_ids, as_of).group_by(sets)

    found = _at_levels(levels, named, labels, build)
    for rows in found.values():
        for row in rows:
            _add_vacancy_rate(row)
    return found
