"""The capacity report tests' seeded figures, and how to read the report back."""

import csv
import io
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.extensions import db
from portfolio.organisations.models import Organisation

PATH = "/api/v1/reports/capacity"
CHRISTIE = "The Christie NHS Foundation Trust"
LEEDS = "Leeds Teaching Hospitals NHS Trust"
MARSDEN = "The Royal Marsden NHS Foundation Trust"
HOSTILE = '=HYPERLINK("http://evil.invalid","x")'
PEOPLE = (
    "Aisha Rahman",
    "Ben Other",
    "Oliver Leeds",
    "Tom Okafor",
    "Helen Walsh",
    "Sam Elsewhere",
    "Priya Shah",
    "Gareth Evans",
    "Morgan Ellis",
)
# (organisation, specialism, programme, intake year, commissioned, filled)
PLACES = [
    *(
        ("RBV", "RP", "stp", year, c, f)
        for year, c, f in zip(
            range(2024, 2029), (3, 4, 4, 5, 4), (3, 3, 4, 4, 2), strict=True
        )
    ),
    *(
        ("RBV", "NM", "stp", y, 2, f)
        for y, f in zip((2025, 2026, 2027), (1, 2, 2), strict=True)
    ),
    ("RBV", "CE", "apprenticeship_l4", 2026, 2, 1),
    ("RBV", "RP", "stp", 2019, 9, 9),  # outside the years asked for: not counted
    *(
        ("RR8", "RP", "stp", year, 2, f)
        for year, f in zip(range(2024, 2029), (2, 2, 1, 1, 0), strict=True)
    ),
    ("RPY", "DR", "stp", 2026, 3, 3),
    ("XF1", "CE", "stp", 2026, 1, 1),
]
# (organisation, specialism, as of, establishment, in post, retiring 5 y, 15 y)
WORKFORCE = [
    ("RBV", "RP", date(2025, 3, 31), "90.00", "85.00", 5, 10),  # older: not used
    ("RBV", "RP", date(2026, 3, 31), "96.40", "86.20", 9, 24),
    ("RBV", "NM", date(2026, 3, 31), "20.00", "17.00", None, None),
    ("RR8", "RP", date(2026, 3, 31), "40.00", "36.00", 2, 5),
    ("RPY", "DR", date(2026, 3, 31), "30.00", "27.50", 1, 3),
]


# The specialisms of the shipped STP curricula (curricula/stp/*.yaml).
STP_SPECIALISMS = ("RP", "NM", "DR", "IN", "CE", "CSC")


def load_specialisms(app, codes=STP_SPECIALISMS) -> None:
    """A curriculum row for each specialism, so the controlled list has them
    (capacity.specialisms.controlled reads the loaded curricula), without loading
    the whole curriculum files."""
    from portfolio.curriculum.models import Curriculum

    with app.app_context():
        for code in codes:
            slug = f"stp-{code.lower()}"
            if db.session.scalar(sa.select(Curriculum).where(Curriculum.slug == slug)):
                continue
            db.session.add(
                Curriculum(
                    slug=slug,
                    version="test",
                    kind="stp",
                    title=f"STP {code}",
                    effective_from=date(2022, 9, 1),
                    specialism=code,
                    content_hash="0" * 64,
                )
            )
        db.session.commit()


def seed_capacity(app) -> None:
    """Name the world's trusts, put them in regions, and record places and figures."""
    with app.app_context():
        for code, name, region in (
            ("RBV", CHRISTIE, "North West"),
            ("RR8", LEEDS, "North East and Yorkshire"),
            ("RPY", MARSDEN, "London"),
            ("XF1", HOSTILE, "London"),
        ):
            org = db.session.scalar(
                sa.select(Organisation).where(Organisation.code == code)
            )
            if org is None:
                org = Organisation(code=code, kind="trust", nation="England")
                db.session.add(org)
            org.name, org.region = name, region
        db.session.flush()
        query = sa.select(Organisation.code, Organisation.id)
        ids = {row.code: row.id for row in db.session.execute(query)}
        for code, specialism, programme, year, commissioned, filled in PLACES:
            db.session.add(
                TrainingPlace(
                    organisation_id=ids[code],
                    specialism=specialism,
                    programme=programme,
                    intake_year=year,
                    commissioned=commissioned,
                    filled=filled,
                )
            )
        for code, specialism, as_of, establishment, in_post, r5, r15 in WORKFORCE:
            establishment, in_post = Decimal(establishment), Decimal(in_post)
            db.session.add(
                WorkforceRecord(
                    organisation_id=ids[code],
                    specialism=specialism,
                    as_of=as_of,
                    establishment_wte=establishment,
                    in_post_wte=in_post,
                    vacancies_wte=establishment - in_post,
                    retiring_5y=r5,
                    retiring_15y=r15,
                )
            )
        db.session.commit()


def sql_place_sums(app, first: int, last: int) -> dict[str, tuple[int, int]]:
    """Commissioned and filled per organisation, straight from the table."""
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT o.code, SUM(p.commissioned), SUM(p.filled) "
                "FROM training_place p JOIN organisation o ON o.id = p.organisation_id "
                "WHERE p.intake_year BETWEEN :first AND :last GROUP BY o.code"
            ),
            {"first": first, "last": last},
        )
        return {code: (int(c), int(f)) for code, c, f in rows}


def csv_place_sums(rows: list[dict]) -> dict[str, tuple[int, int]]:
    sums: dict[str, list[int]] = {}
    for row in rows:
        total = sums.setdefault(row["organisation"], [0, 0])
        total[0] += int(row["commissioned"])
        total[1] += int(row["filled"])
    return {code: (c, f) for code, (c, f) in sums.items() if c or f}


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
