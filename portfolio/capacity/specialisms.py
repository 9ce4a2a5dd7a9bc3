"""The specialisms capacity figures are recorded against: a controlled list.

The list is the specialisms of the loaded curricula (``curriculum.specialism``: RP,
NM, DR, IN, CE and CSC for the shipped STP curricula), so an installation's
curricula decide it, in one place; the names come from ``models.SPECIALISMS`` (the
NSHCS's names, https://nshcs.hee.nhs.uk/programmes/stp/applicants/stp-specialisms/).

What people type or import is matched to the list by ``resolve``: the code in any
case (``rp``), the name (``Radiotherapy physics``) or both (``Radiotherapy Physics
(RP)``, ``RP - Radiotherapy Physics``), ignoring case, punctuation and spacing.
Figures recorded before the list existed were merged by a migration; ``unmapped``
lists what is left for an admin (``flask capacity specialisms``), and ``merge``
maps what can be mapped now (``--fix``).
"""

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import cast

import sqlalchemy as sa

from portfolio.capacity.models import SPECIALISMS
from portfolio.capacity.models import TrainingPlace
from portfolio.capacity.models import WorkforceRecord
from portfolio.curriculum.models import Curriculum
from portfolio.extensions import db
from portfolio.organisations.models import Organisation


def controlled() -> dict[str, str]:
    """``{code: name}`` of the loaded curricula's specialisms, in the usual order."""
    codes = db.session.scalars(
        sa.select(Curriculum.specialism)
        .where(Curriculum.specialism.is_not(None), Curriculum.specialism != "")
        .distinct()
    )
    known = list(SPECIALISMS)
    ordered = sorted(
        {code for code in codes if code},
        key=lambda c: (known.index(c) if c in known else len(known), c),
    )
    return {code: SPECIALISMS.get(code, code) for code in ordered}


def _plain(text: str) -> str:
    """Lower case, '&' as 'and', every run of other characters one space."""
    text = (text or "").lower().replace("&", " and ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def spellings(allowed: Mapping[str, str]) -> dict[str, str]:
    """Every accepted spelling (made plain) of each code: ``{spelling: code}``."""
    accepted: dict[str, str] = {}
    for code, name in allowed.items():
        for text in (code, name, f"{name} ({code})", f"{code} {name}"):
            accepted.setdefault(_plain(text), code)
    return accepted


def resolve(text: str, allowed: Mapping[str, str] | None = None) -> str | None:
    """The controlled code ``text`` stands for, or None."""
    allowed = controlled() if allowed is None else allowed
    return spellings(allowed).get(_plain(text))


def listing(allowed: Mapping[str, str]) -> str:
    """'RP (Radiotherapy Physics), NM (Nuclear Medicine), ...' for messages."""
    return ", ".join(
        f"{code} ({name})" if name != code else code for code, name in allowed.items()
    )


# ---- figures recorded before the list: what is left, and merging it -----------------


@dataclass(frozen=True)
class Unmapped:
    """Rows of one table, at one organisation, with a specialism not in the list."""

    table: str  # training_place or workforce_record
    organisation_code: str
    specialism: str
    rows: int
    suggestion: str | None  # the code it would be merged into, if one matches
    clashes: int  # rows that could not be merged: the same key exists under the code


def _models() -> tuple[tuple[str, Any], ...]:
    return (("training_place", TrainingPlace), ("workforce_record", WorkforceRecord))


def _clash(model, row, code: str) -> bool:
    """Whether ``row`` with ``code`` would take a key another row already has."""
    key = [
        getattr(model, name) == (code if name == "specialism" else getattr(row, name))
        for name in model.KEY_FIELDS
    ]
    found = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(model)
        .where(model.organisation_id == row.organisation_id, *key)
    )
    return bool(found)


def unmapped(allowed: Mapping[str, str] | None = None) -> list[Unmapped]:
    """Specialisms recorded that are not in the list, with what each would become."""
    allowed = controlled() if allowed is None else allowed
    found = []
    for table, model in _models():
        query = (
            sa.select(Organisation.code, model.specialism, sa.func.count())
            .join(Organisation, Organisation.id == model.organisation_id)
            .where(model.specialism.not_in(list(allowed) or [""]))
            .group_by(Organisation.code, model.specialism)
            .order_by(Organisation.code, model.specialism)
        )
        for code, specialism, count in db.session.execute(query):
            suggestion = resolve(str(specialism), allowed)
            clashes = 0
            if suggestion is not None:
                rows: Sequence[Any] = db.session.scalars(
                    sa.select(model)
                    .join(Organisation, Organisation.id == model.organisation_id)
                    .where(Organisation.code == code, model.specialism == specialism)
                ).all()
                clashes = sum(_clash(model, row, suggestion) for row in rows)
            found.append(
                Unmapped(
                    table,
                    str(code),
                    str(specialism),
                    int(cast(int, count)),
                    suggestion,
                    clashes,
                )
            )
    return found


def merge(allowed: Mapping[str, str] | None = None) -> int:
    """Give every row whose specialism matches a code that code, unless another row
    already has the key it would take (those stay, listed by ``unmapped``).
    Returns the rows changed; the caller commits."""
    allowed = controlled() if allowed is None else allowed
    changed = 0
    for _table, model in _models():
        rows: Sequence[Any] = db.session.scalars(
            sa.select(model).where(model.specialism.not_in(list(allowed) or [""]))
        ).all()
        for row in rows:
            code = resolve(row.specialism, allowed)
            if code is None or _clash(model, row, code):
                continue
            row.specialism = code
            db.session.flush()
            changed += 1
    return changed
