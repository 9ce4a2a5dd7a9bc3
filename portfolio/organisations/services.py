"""Organisation rules: the CSV import."""

import re

import sqlalchemy as sa

from portfolio.csvimport import CsvImportError
from portfolio.csvimport import LineError
from portfolio.csvimport import read_rows
from portfolio.extensions import db
from portfolio.organisations.models import CODE_MAX
from portfolio.organisations.models import CODE_SYSTEMS
from portfolio.organisations.models import KINDS
from portfolio.organisations.models import NAME_MAX
from portfolio.organisations.models import NATIONS
from portfolio.organisations.models import Organisation

COLUMNS = ("code", "name", "kind", "nation", "region", "code_system")
CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,12}$")
# A GSS geography code: a letter for the nation (E, W, S, N) and eight digits.
GSS_PATTERN = re.compile(r"^[EWSN]\d{8}$")
# The code_system of a new row without one whose code is not GSS-shaped.
DEFAULT_CODE_SYSTEM = "ODS"


def import_organisations(
    text: str, filename: str = "organisations.csv"
) -> dict[str, int]:
    """Create or update organisations from CSV text, all lines or none.

    Returns counts ``{"created": n, "updated": m}``; raises CsvImportError listing
    every bad line (with its line number) when any line is wrong.
    """
    rows = read_rows(text, filename, required=COLUMNS[:4], optional=COLUMNS[4:])
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        errors += [LineError(line, message) for message in _row_problems(row)]
        code = row["code"].upper()
        if code in seen:
            errors.append(LineError(line, f"code {code} already on line {seen[code]}"))
        seen.setdefault(code, line)
    if errors:
        raise CsvImportError(filename, errors)

    existing = {
        o.code: o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.code.in_(list(seen)))
        )
    }
    counts = {"created": 0, "updated": 0}
    for _, row in rows:
        code = row["code"].upper()
        organisation = existing.get(code)
        if organisation is None:
            organisation = Organisation(code=code)
            db.session.add(organisation)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        organisation.name = row["name"]
        organisation.kind = row["kind"]
        organisation.nation = row["nation"]
        organisation.region = row.get("region", "")
        if (row.get("code_system") or "").strip():
            organisation.code_system = _code_system(row)
        elif organisation.code_system is None:
            # A file without code_system: a new row's scheme follows its code's shape;
            # an existing row keeps its scheme.
            organisation.code_system = _code_system(row)
    db.session.commit()
    return counts


def _code_system(row: dict[str, str]) -> str:
    """The row's code_system; without one, GSS for a GSS-shaped code, else ODS."""
    given = (row.get("code_system") or "").strip().upper()
    if given:
        return given
    return "GSS" if GSS_PATTERN.match(row["code"].upper()) else DEFAULT_CODE_SYSTEM


def _row_problems(row: dict[str, str]) -> list[str]:
    problems = []
    code = row["code"].upper()
    system = _code_system(row)
    if system not in CODE_SYSTEMS:
        problems.append(
            f"code_system {row.get('code_system')!r} is not one of {', '.join(CODE_SYSTEMS)}"
        )
    elif system == "ODS" and GSS_PATTERN.match(code):
        problems.append(
            f"code {code} is a GSS geography code, not an ODS code: set code_system to GSS"
        )
    elif system == "GSS" and code and not GSS_PATTERN.match(code):
        problems.append(
            f"code {code} is not a GSS code (a letter and eight digits, such as S08000015)"
        )
    if not code:
        problems.append("code is empty")
    elif not CODE_PATTERN.match(code) or len(code) > CODE_MAX:
        problems.append(f"code {row['code']!r} must be 2 to 12 letters or digits")
    if not row["name"]:
        problems.append("name is empty")
    elif len(row["name"]) > NAME_MAX:
        problems.append(f"name is longer than {NAME_MAX} characters")
    if row["kind"] not in KINDS:
        problems.append(f"kind {row['kind']!r} is not one of {', '.join(KINDS)}")
    if row["nation"] not in NATIONS:
        problems.append(f"nation {row['nation']!r} is not one of {', '.join(NATIONS)}")
    if len(row.get("region", "")) > 80:
        problems.append("region is longer than 80 characters")
    return problems


def list_organisations(
    query: sa.Select, nation: str | None = None
) -> list[Organisation]:
    if nation:
        query = query.where(Organisation.nation == nation)
    return list(
        db.session.scalars(query.order_by(Organisation.nation, Organisation.name))
    )


def by_code(code: str) -> Organisation | None:
    """The organisation with ``code`` (codes compare case-insensitively, whatever
    their scheme: ODS, GSS or a local placeholder)."""
    return db.session.scalar(
        sa.select(Organisation).where(
            sa.func.upper(Organisation.code) == (code or "").strip().upper()
        )
    )


def not_an_employer(organisation: Organisation) -> str | None:
    """Why no trainee can be enrolled, or be a trainee, at ``organisation``; None when
    they can. A commissioner commissions training and employs no trainee
    (``EMPLOYING_KINDS``)."""
    if organisation.employs_trainees:
        return None
    return (
        f"{organisation.name} commissions training and does not employ trainees: "
        "choose the trainee's employing organisation"
    )
