"""What a capacity report covers: the request checked (``parse_request``) and read
again when the job runs (``scope_from_params``).

Who may ask: a training lead for their own organisation; an admin for any
organisation, any region and the nation.
"""

import math
from dataclasses import dataclass

import sqlalchemy as sa

from portfolio import policy
from portfolio.accounts.models import User
from portfolio.capacity.models import MAX_YEAR
from portfolio.capacity.models import MIN_YEAR
from portfolio.extensions import db
from portfolio.organisations import services as organisations
from portfolio.organisations.models import Organisation
from portfolio.rules import FieldErrors
from portfolio.rules import Forbidden

MAX_YEARS = 20
FORMATS = ("pdf", "csv")
MAX_UPLIFT = 100_000
REQUEST_FIELDS = {
    "organisation",
    "region",
    "national",
    "scope",
    "from_year",
    "to_year",
    "format",
    "uplift",
}


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: ``kind`` is organisation, region or national."""

    kind: str
    label: str
    organisation_ids: tuple[str, ...] | None  # None: every organisation
    organisation_code: str | None = None
    region: str | None = None

    @property
    def slug(self) -> str:
        if self.kind == "organisation":
            assert self.organisation_code is not None  # an organisation scope has one
            return self.organisation_code
        if self.kind == "region":
            assert self.region is not None  # a region scope names its region
            return "-".join(
                "".join(c if c.isalnum() else " " for c in self.region).lower().split()
            )
        return "national"


def _whole(data: dict, name: str, errors: FieldErrors) -> int | None:
    value = data.get(name)
    if value is None:
        errors.add(name, f"{name} is required: a year such as 2026")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(name, f"{name} must be a whole number, a year such as 2026")
        return None
    if not MIN_YEAR <= value <= MAX_YEAR:
        errors.add(name, f"{name} must be between {MIN_YEAR} and {MAX_YEAR}")
        return None
    return value


def _scope_kind(data: dict, errors: FieldErrors) -> str | None:
    """organisation, region or national, from exactly one of the ways to say it."""
    national = data.get("national")
    if national is not None and not isinstance(national, bool):
        errors.add("national", "national must be true or false")
        return None
    chosen = []
    for name in ("organisation", "region"):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            errors.add(name, f"{name} must be a non-empty string")
            return None
        chosen.append(name)
    if national:
        chosen.append("national")
    scope = data.get("scope")
    if scope is not None:
        if scope not in ("organisation", "region", "national"):
            errors.add("scope", "scope must be organisation, region or national")
            return None
        if scope == "national" and "national" not in chosen:
            chosen.append("national")
        elif scope != "national" and scope not in chosen:
            errors.add(scope, f"Give the {scope} the report is for")
            return None
    if len(chosen) != 1:
        errors.add(
            "organisation",
            "Give exactly one of organisation (a code), region (a name) or "
            'national: true (or scope: "national")'
            if chosen
            else "Say what the report is for: organisation (a code), region "
            '(a name) or national: true (or scope: "national")',
        )
        return None
    return chosen[0]


def _find_organisation(code: str) -> Organisation | None:
    return organisations.by_code(code)


def _find_region(name: str) -> str | None:
    return db.session.scalar(
        sa.select(Organisation.region)
        .where(
            sa.func.lower(Organisation.region) == " ".join(name.split()).lower(),
            Organisation.region != "",
        )
        .group_by(Organisation.region)
        .order_by(sa.func.count().desc(), Organisation.region)
        .limit(1)
    )


def regions() -> list[str]:
    """The regions organisations are in, by name (the report form's choices)."""
    return list(
        db.session.scalars(
            sa.select(Organisation.region)
            .where(Organisation.region != "")
            .distinct()
            .order_by(Organisation.region)
        )
    )


def _means_national(kind: str, value: str) -> bool:
    """``"organisation": "national"`` (or region) asks for the nation, unless an
    organisation or region really has that name."""
    if value.strip().lower() != "national":
        return False
    if kind == "organisation":
        return _find_organisation(value) is None
    return _find_region(value) is None


def parse_request(user: User, data: dict) -> dict:
    """Check a report request and who asks; return the Export's params.

    Raises Forbidden (403) when the user may not have this report, Invalid (422)
    with every field problem otherwise.
    """
    if not policy.can_request_capacity_report(user):
        raise Forbidden("Only training leads and admins can run capacity reports.")
    errors = FieldErrors()
    for key in data:
        if key not in REQUEST_FIELDS:
            errors.add(str(key), f"Unknown field {key!r}")
    kind = _scope_kind(data, errors)
    if kind in ("organisation", "region") and _means_national(kind, data[kind]):
        kind = "national"
    if kind in ("region", "national") and not policy.is_admin(user):
        raise Forbidden(
            "Regional and national capacity reports are for admins; a training "
            "lead can run the report for their own organisation."
        )
    first = _whole(data, "from_year", errors)
    last = _whole(data, "to_year", errors)
    if first is not None and last is not None:
        if last < first:
            errors.add(
                "to_year", f"to_year ({last}) must not be before from_year ({first})"
            )
        elif last - first + 1 > MAX_YEARS:
            errors.add(
                "to_year",
                f"A report covers at most {MAX_YEARS} years; {first} to {last} is "
                f"{last - first + 1}",
            )
    fmt = data.get("format", "pdf")
    if not isinstance(fmt, str) or fmt.strip().lower() not in FORMATS:
        errors.add("format", 'format must be "pdf" or "csv"')
        fmt = None
    else:
        fmt = fmt.strip().lower()
    uplift = data.get("uplift")
    if uplift is not None:
        if (
            isinstance(uplift, bool)
            or not isinstance(uplift, int | float)
            or not math.isfinite(uplift)
        ):
            errors.add("uplift", "uplift must be a number of places a year, like 5")
            uplift = None
        elif not 0 <= uplift <= MAX_UPLIFT:
            errors.add("uplift", f"uplift must be between 0 and {MAX_UPLIFT:,}")
            uplift = None
    params = {
        "scope": kind,
        "from_year": first,
        "to_year": last,
        "format": fmt,
        "uplift": uplift,
    }
    organisation = None
    if kind == "organisation":
        organisation = _find_organisation(data["organisation"])
        if organisation is None:
            errors.add(
                "organisation",
                f"There is no organisation with code {data['organisation'].strip()!r}",
            )
        else:
            params["organisation"] = organisation.code
            params["organisation_id"] = organisation.id
    elif kind == "region":
        region = _find_region(data["region"])
        if region is None:
            known = ", ".join(regions()) or "none recorded"
            errors.add(
                "region",
                f"There is no region called {data['region'].strip()!r}; "
                f"regions: {known}",
            )
        else:
            params["region"] = region
    errors.raise_if_any()
    if organisation is not None and not policy.can_manage_capacity(
        user, organisation.id
    ):
        raise Forbidden(
            "A training lead can run the capacity report for their own organisation "
            "only."
        )
    return params


def scope_from_params(params: dict) -> ReportScope:
    """The scope an Export asked for, read again (the job runs later)."""
    kind = params.get("scope")
    if kind == "organisation":
        organisation = db.session.get(Organisation, params.get("organisation_id") or "")
        if organisation is None:
            organisation = _find_organisation(params.get("organisation") or "")
        if organisation is None:
            raise ValueError(
                f"the organisation {params.get('organisation')!r} no longer exists"
            )
        return ReportScope(
            "organisation",
            f"{organisation.name} ({organisation.code})",
            (organisation.id,),
            organisation_code=organisation.code,
        )
    if kind == "region":
        region = params.get("region") or ""
        ids = tuple(
            db.session.scalars(
                sa.select(Organisation.id)
                .where(Organisation.region == region)
                .order_by(Organisation.id)
            )
        )
        if not ids:
            raise ValueError(f"no organisation is in the region {region!r} any more")
        return ReportScope("region", f"{region} region", ids, region=region)
    if kind == "national":
        return ReportScope("national", "All organisations (national)", None)
    raise ValueError(f"unknown report scope {kind!r}")
