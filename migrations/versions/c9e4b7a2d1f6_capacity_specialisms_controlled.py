"""capacity figures' specialisms: free text merged into the curricula's codes

Training places and workforce records used to take any text as the specialism, so
"Radiotherapy Physics (RP)" and "RP" were two rows in the pages, the PDF and the CSV
file. Every row whose text is a known spelling of a specialism (its code, its name or
both, in any case or punctuation) gets the code; a row whose key the code would
repeat (the same organisation and intake, or date) keeps its text, and so does any
text that matches nothing: `flask capacity specialisms` lists those for an admin.

The codes are the loaded curricula's (curriculum.specialism) and the six STP MPCE
specialisms (https://nshcs.hee.nhs.uk/programmes/stp/applicants/stp-specialisms/),
so an installation whose curricula are not loaded yet is merged too. This is a copy
of portfolio/capacity/specialisms.py's matching as it was when written (a migration
must not change when the app does). Nothing is removed, and the schema does not
change, so downgrading changes nothing.

Revision ID: c9e4b7a2d1f6
Revises: c4d1f7a9e2b3
Create Date: 2026-12-02 00:10:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c9e4b7a2d1f6'
down_revision = 'c4d1f7a9e2b3'
branch_labels = None
depends_on = None

NAMES = {
    "RP": "Radiotherapy Physics",
    "NM": "Nuclear Medicine",
    "DR": "Radiation Safety and Diagnostic Radiology",
    "IN": "Imaging with Non-Ionising Radiation",
    "CE": "Clinical Engineering",
    "CSC": "Clinical Scientific Computing",
}
KEYS = {
    "training_place": ("programme", "intake_year"),
    "workforce_record": ("as_of",),
}


def _plain(text):
    text = (text or "").lower().replace("&", " and ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _spellings(names):
    accepted = {}
    for code, name in names.items():
        for text in (code, name, f"{name} ({code})", f"{code} {name}"):
            accepted.setdefault(_plain(text), code)
    return accepted


def upgrade():
    bind = op.get_bind()
    loaded = bind.execute(
        sa.text(
            "SELECT DISTINCT specialism FROM curriculum "
            "WHERE specialism IS NOT NULL AND specialism <> ''"
        )
    ).scalars()
    names = {**{code: code for code in loaded}, **NAMES}
    spellings = _spellings(names)
    for table, keys in KEYS.items():
        columns = ", ".join(keys)
        rows = bind.execute(
            sa.text(
                f"SELECT id, organisation_id, specialism, {columns} FROM {table} "
                "ORDER BY updated_at, id"
            )
        ).all()
        taken = {(r.organisation_id, r.specialism, *r[3:]) for r in rows}
        for row in rows:
            if row.specialism in names:
                continue
            code = spellings.get(_plain(row.specialism))
            if code is None:
                continue
            key = (row.organisation_id, code, *row[3:])
            if key in taken:
                continue  # the same intake or date under the code: left for an admin
            bind.execute(
                sa.text(f"UPDATE {table} SET specialism = :code WHERE id = :id"),
                {"code": code, "id": row.id},
            )
            taken.discard((row.organisation_id, row.specialism, *row[3:]))
            taken.add(key)


def downgrade():
    # The old spellings are not kept: the rows stay as they are.
    pass
