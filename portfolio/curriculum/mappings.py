"""Outcome code mappings: keep claims meaningful when a curriculum's codes change.

A mapping file (``curricula/mappings/*.yaml``) lists, for one curriculum, each old
code and what became of it::

    curriculum: stp-nm
    note: Re-based on the NSHCS Curriculum Library (December 2026).
    mappings:
    - {from: STP-NM-S1-TA01, to: S-NM-S1-TA1, meaning: same}
    - {from: STP-NM-S1-LO3, to: S-NM-S1-LO3, meaning: changed, note: ...}
    - {from: STP-NM-S2-TA05, meaning: removed, note: ...}

``same`` moves every claim on the old (now retired) outcome to the new outcome of the
same curriculum version: the evidence says what it said before. ``changed`` and
``removed`` move nothing: the claim stays on the retired outcome and the trainee is
shown the note (``flags_for``), so a claim never silently takes a new meaning.

This module is shared by every curriculum kind (STP and apprenticeships alike).
"""

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from portfolio.curriculum import files
from portfolio.curriculum.mapping_models import MEANINGS
from portfolio.curriculum.mapping_models import OutcomeCodeMapping
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.evidence.models import OutcomeClaim
from portfolio.extensions import db

MAPPINGS_DIR = files.CURRICULA_DIR / "mappings"


@dataclass(frozen=True)
class Flag:
    """A claim on a code whose meaning changed or that was removed."""

    code: str
    meaning: str
    to_code: str | None
    note: str

    @property
    def message(self) -> str:
        if self.meaning == "removed":
            head = f"{self.code} is no longer in the curriculum."
        else:
            head = (
                f"{self.code} was replaced by {self.to_code}, which means something "
                "different."
            )
        tail = " Check this evidence and link it to the outcome it now supports."
        return f"{head} {self.note}".strip() + tail


def discover() -> list[Path]:
    return sorted(MAPPINGS_DIR.glob("*.yaml")) if MAPPINGS_DIR.is_dir() else []


def read(paths: list[Path], known: dict[str, set[str]]) -> tuple[list[dict], list]:
    """Parse mapping files; ``known`` maps slug -> the codes the new files define.

    Returns (rows, errors); errors are ``files.FileError`` with file and line.
    """
    rows: list[dict] = []
    errors: list[files.FileError] = []
    for path in paths:
        shown = files.display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            errors.append(files.FileError(shown, None, "", f"cannot read: {error}"))
            continue
        parsed = files.parse_text(text, shown)
        if isinstance(parsed, files.FileError):
            errors.append(parsed)
            continue
        data = parsed.data
        slug = data.get("curriculum")
        if not isinstance(slug, str) or slug not in known:
            errors.append(
                files.FileError(
                    shown,
                    parsed.line_of(("curriculum",)),
                    "curriculum",
                    f"unknown curriculum {slug!r}",
                )
            )
            continue
        entries = data.get("mappings")
        if not isinstance(entries, list):
            errors.append(
                files.FileError(shown, 1, "mappings", "mappings must be a list")
            )
            continue
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            where = ("mappings", index)
            line = parsed.line_of(where)
            problem = _entry_problem(entry, known[slug], seen)
            if problem:
                errors.append(
                    files.FileError(shown, line, files.where_text(where), problem)
                )
                continue
            seen.add(entry["from"])
            rows.append(
                {
                    "curriculum_slug": slug,
                    "from_code": entry["from"],
                    "to_code": entry.get("to"),
                    "meaning": entry["meaning"],
                    "note": str(entry.get("note", "")),
                    "source_file": shown,
                }
            )
    return rows, errors


def _entry_problem(entry, codes: set[str], seen: set[str]) -> str | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("from"), str):
        return "each mapping needs 'from' (the old code) and 'meaning'"
    if entry["from"] in seen:
        return f"{entry['from']!r} is mapped twice"
    meaning = entry.get("meaning")
    if meaning not in MEANINGS:
        return f"meaning must be one of {', '.join(MEANINGS)}, not {meaning!r}"
    to = entry.get("to")
    if meaning == "removed":
        return "a removed code has no 'to'" if to is not None else None
    if not isinstance(to, str):
        return f"'{meaning}' needs 'to': the new code"
    if to not in codes:
        return f"'to' names {to!r}, which is not a code in the curriculum"
    if meaning == "changed" and not entry.get("note"):
        return "a 'changed' mapping needs a 'note' telling the trainee what changed"
    return None


def store_and_apply(rows: list[dict]) -> int:
    """Replace the stored mappings of each curriculum named and apply them.

    Runs inside the caller's transaction (the curriculum load). Returns how many
    claims moved.
    """
    moved_total = 0
    for slug in sorted({r["curriculum_slug"] for r in rows}):
        db.session.execute(
            sa.delete(OutcomeCodeMapping).where(
                OutcomeCodeMapping.curriculum_slug == slug
            )
        )
    for row in rows:
        mapping = OutcomeCodeMapping(**row)
        mapping.claims_moved = 0
        if row["meaning"] == "same":
            mapping.claims_moved = _move_claims(
                row["curriculum_slug"], row["from_code"], row["to_code"]
            )
            moved_total += mapping.claims_moved
        db.session.add(mapping)
    db.session.flush()
    return moved_total


def _move_claims(slug: str, from_code: str, to_code: str) -> int:
    """In every version of the curricula that hold ``from_code`` (the curriculum
    itself and those that include it), move claims on the retired old outcome to the
    new outcome of the same version, unless the evidence already claims it."""
    moved = 0
    pairs = db.session.execute(
        sa.select(Outcome.curriculum_id, Outcome.id)
        .join(Curriculum, Curriculum.id == Outcome.curriculum_id)
        .where(
            Outcome.code == from_code,
            Outcome.retired.is_(True),
            sa.or_(Outcome.origin_slug == slug, Curriculum.slug == slug),
        )
    ).all()
    for curriculum_id, old_id in pairs:
        new_id = db.session.scalar(
            sa.select(Outcome.id).where(
                Outcome.curriculum_id == curriculum_id,
                Outcome.code == to_code,
                Outcome.retired.is_(False),
            )
        )
        if new_id is None:
            continue
        for claim in db.session.scalars(
            sa.select(OutcomeClaim).where(OutcomeClaim.outcome_id == old_id)
        ):
            duplicate = db.session.scalar(
                sa.select(OutcomeClaim.id).where(
                    OutcomeClaim.evidence_id == claim.evidence_id,
                    OutcomeClaim.outcome_id == new_id,
                )
            )
            if duplicate is None:
                # What was signed stays what the content hash covers.
                claim.signed_as = claim.signed_as or claim.key
                claim.outcome_id = new_id
            else:
                db.session.delete(claim)  # the evidence already claims the new code
            moved += 1
    db.session.flush()
    return moved


def flags_for(outcomes: list[Outcome]) -> dict[str, Flag]:
    """Outcome id -> flag, for the retired outcomes among ``outcomes`` whose code
    changed meaning or was removed (what a trainee must check)."""
    retired = [o for o in outcomes if o is not None and o.retired]
    if not retired:
        return {}
    slugs = {o.origin_slug for o in retired} | {o.curriculum.slug for o in retired}
    rows = db.session.scalars(
        sa.select(OutcomeCodeMapping).where(
            OutcomeCodeMapping.curriculum_slug.in_(slugs),
            OutcomeCodeMapping.from_code.in_({o.code for o in retired}),
            OutcomeCodeMapping.meaning != "same",
        )
    )
    by_key = {(m.curriculum_slug, m.from_code): m for m in rows}
    flags: dict[str, Flag] = {}
    for outcome in retired:
        mapping = by_key.get((outcome.origin_slug, outcome.code)) or by_key.get(
            (outcome.curriculum.slug, outcome.code)
        )
        if mapping is not None:
            flags[outcome.id] = Flag(
                outcome.code, mapping.meaning, mapping.to_code, mapping.note
            )
    return flags
