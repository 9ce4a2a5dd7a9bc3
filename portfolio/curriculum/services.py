"""Load curricula and crosswalks into the database, and query them."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from portfolio.curriculum import files
from portfolio.curriculum.models import CrosswalkFile
from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.curriculum.models import case_uuid
from portfolio.extensions import db

OUTCOME_FIELDS = (
    "type",
    "title",
    "description",
    "source_ref",
    "provenance",
    "module_type",
    "phase",
    "credits",
)


@dataclass
class LoadReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    crosswalks: int
    # Claims moved from a retired code to its same-meaning successor (mappings.py).
    claims_moved: int = 0

    def summary(self) -> str:
        parts = [
            f"{len(self.created)} new",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{self.crosswalks} crosswalk file(s) loaded",
        ]
        if self.claims_moved:
            parts.append(f"{self.claims_moved} claim(s) moved to renamed codes")
        return "curricula: " + ", ".join(parts)


def current_curricula() -> dict[str, Curriculum]:
    rows = db.session.scalars(
        sa.select(Curriculum).where(Curriculum.is_current.is_(True))
    )
    return {c.slug: c for c in rows}


def _known_codes() -> tuple[dict[str, set[str]], dict[str, str]]:
    """Codes of the installed curricula, which crosswalks in the files may name.

    Before the database is set up (``flask curricula validate`` on a fresh
    checkout), nothing is installed: the files are checked against each other.
    """
    if not sa.inspect(db.engine).has_table(Curriculum.__tablename__):
        return {}, {}
    rows = db.session.execute(
        sa.select(Curriculum.slug, Curriculum.kind, Outcome.code)
        .join(Outcome, Outcome.curriculum_id == Curriculum.id)
        .where(Curriculum.is_current.is_(True), Outcome.retired.is_(False))
    )
    codes: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    for slug, kind, code in rows:
        codes.setdefault(slug, set()).add(code)
        kinds[slug] = kind
    return codes, kinds


def validate_paths(paths: list[Path] | None = None) -> list[files.ParsedFile]:
    """Validate files (default: all shipped ones); raise CurriculumFileError listing all."""
    found = files.discover(paths)
    if not found:
        raise files.CurriculumFileError(
            [files.FileError(str(paths), None, "", "no .yaml files found")]
        )
    parsed, errors = files.read_files(found)
    if not errors:
        codes, kinds = _known_codes()
        errors = files.cross_file_errors(parsed, codes, kinds)
    if not errors:
        errors = _mapping_rows(parsed, every_file=paths is None)[1]
    if errors:
        raise files.CurriculumFileError(errors)
    return parsed


def _mapping_rows(
    parsed: list[files.ParsedFile], every_file: bool
) -> tuple[list[dict], list[files.FileError]]:
    """The code mappings for the curricula in ``parsed`` (see mappings.py).

    Loading every file checks every mapping file; loading some files applies only
    the mappings of the curricula among them.
    """
    from portfolio.curriculum import mappings

    known = {
        p.slug: {n["code"] for n, *_ in files.walk(p.data["outcomes"])}
        for p in parsed
        if not p.is_crosswalk
    }
    paths = mappings.discover()
    if not every_file:
        paths = [p for p in paths if _mapping_slug(p) in known]
    return mappings.read(paths, known)


def _mapping_slug(path: Path) -> str | None:
    parsed = files.parse_text(path.read_text(encoding="utf-8"), str(path))
    return (
        None if isinstance(parsed, files.FileError) else parsed.data.get("curriculum")
    )


def load_paths(paths: list[Path] | None = None) -> LoadReport:
    """Validate then load files in one transaction: every file, or none of them."""
    parsed = validate_paths(paths)
    return load_parsed(parsed, _mapping_rows(parsed, every_file=paths is None)[0])


def load_parsed(
    parsed: list[files.ParsedFile], code_mappings: list[dict] | None = None
) -> LoadReport:
    report = LoadReport([], [], [], 0)
    by_slug = {p.slug: p for p in parsed if not p.is_crosswalk}
    try:
        # Components first: curricula that include them copy their outcomes.
        for p in sorted(by_slug.values(), key=lambda p: p.kind != "stp-component"):
            _load_curriculum(p, by_slug, report)
        for p in parsed:
            if p.is_crosswalk and _load_crosswalk(p):
                report.crosswalks += 1
            if p.case and p.case.get("links"):
                _load_case_links(p.case["links"])
        if code_mappings:
            from portfolio.curriculum.mappings import store_and_apply

            report.claims_moved = store_and_apply(code_mappings)
        if report.created or report.updated or report.claims_moved:
            from portfolio.progress.tracking import refresh_progress

            refresh_progress()  # outcomes changed: recount every enrolment
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _outcome_rows(
    p: files.ParsedFile, by_slug: dict[str, files.ParsedFile]
) -> list[dict]:
    """Flatten the file's tree (and included components) into outcome dicts."""
    rows = []
    for include in p.data.get("includes", []):
        component = by_slug.get(include)
        if component is not None:
            rows += _outcome_rows(component, by_slug)
        else:
            rows += _stored_component_rows(include)
    for node, parent, _, depth in files.walk(p.data["outcomes"]):
        level = node.get("level")
        rows.append(
            {
                "code": node["code"],
                "parent_code": parent,
                "origin_slug": p.slug,
                "depth": depth,
                "level": str(level) if level is not None else None,
                "assessments": node.get("assessments", {}),
                "evidence_rules": node.get("evidence", {}),
                "links": node.get("links", []),
                "provenance": node.get("provenance") or p.data.get("provenance"),
                **{k: node.get(k) for k in OUTCOME_FIELDS if k != "provenance"},
            }
        )
        rows[-1]["description"] = rows[-1]["description"] or ""
    return rows


def _stored_component_rows(slug: str) -> list[dict]:
    component = current_curricula().get(slug)
    if component is None:
        return []
    outcomes = db.session.scalars(
        sa.select(Outcome)
        .where(Outcome.curriculum_id == component.id, Outcome.retired.is_(False))
        .order_by(Outcome.position)
    )
    keys = (
        "code",
        "case_id",
        "parent_code",
        "origin_slug",
        "depth",
        "level",
        "assessments",
        "evidence_rules",
        "links",
        *OUTCOME_FIELDS,
    )
    return [{k: getattr(o, k) for k in keys} for o in outcomes]


def _load_curriculum(
    p: files.ParsedFile, by_slug, report: LoadReport, imported_from: str | None = None
) -> Curriculum:
    """Create or update one version. ``imported_from`` marks a bundle's version,
    which is never made current; loading the same version from a file clears it."""
    data = p.data
    case = p.case or {}
    rows = _case_rows(_outcome_rows(p, by_slug), case)
    content_hash = _hash_with_includes(p, by_slug)
    existing = db.session.scalar(
        sa.select(Curriculum).where(
            Curriculum.slug == p.slug, Curriculum.version == data["version"]
        )
    )
    if existing is not None and existing.content_hash == content_hash:
        if existing.imported_from and not imported_from:
            existing.imported_from = None  # now loaded from its own file here
            _make_current(existing)
        report.unchanged.append(p.slug)
        return existing
    if existing is None:
        previous = None if imported_from else current_curricula().get(p.slug)
        curriculum = Curriculum(slug=p.slug, version=data["version"])
        db.session.add(curriculum)
        report.created.append(f"{p.slug} {data['version']}")
    else:
        curriculum, previous = existing, None
        report.updated.append(f"{p.slug} {data['version']}")
    curriculum.kind = data["kind"]
    curriculum.title = data["title"]
    curriculum.description = data.get("description", "")
    curriculum.effective_from = date.fromisoformat(data["effective_from"])
    curriculum.source = data["source"]
    curriculum.provenance = data.get("provenance")
    curriculum.specialism = data.get("specialism")
    curriculum.programme = data.get("programme", {})
    curriculum.includes = data.get("includes") or case.get("includes") or []
    curriculum.case_id = case.get("identifier") or case_uuid(p.slug)
    curriculum.case_associations = case.get("associations", [])
    curriculum.content_hash = content_hash
    curriculum.source_file = p.path
    curriculum.imported_from = imported_from
    db.session.flush()
    _sync_outcomes(curriculum, rows, previous)
    _make_current(curriculum)
    return curriculum


def _case_rows(rows: list[dict], case: dict) -> list[dict]:
    """Give each outcome its CASE identifier, origin and sequence number: those an
    imported package gave it, else the derived identifier and its position."""
    items = case.get("items", {})
    for position, row in enumerate(rows, start=1):
        kept = items.get(row["code"])
        if kept:
            row["origin_slug"] = kept["origin"]
            row["case_id"] = kept["identifier"]
        sequence = kept["sequence"] if kept else None
        row["case_sequence"] = None if sequence == position else sequence
        row["case_id"] = row.get("case_id") or case_uuid(
            row["origin_slug"], row["code"]
        )
    return rows


def _hash_with_includes(p: files.ParsedFile, by_slug) -> str:
    import hashlib

    digest = hashlib.sha256(p.content_hash.encode())
    for include in p.data.get("includes", []):
        component = by_slug.get(include)
        stored = current_curricula().get(include)
        digest.update(
            (
                component.content_hash
                if component
                else stored.content_hash
                if stored
                else include
            ).encode()
        )
    return digest.hexdigest()


def _sync_outcomes(
    curriculum: Curriculum, rows: list[dict], previous: Curriculum | None
) -> None:
    """Upsert outcomes by code; codes no longer in the file are retired, never deleted.

    For a new version, codes of the previous version that are gone are carried over
    as retired outcomes, so evidence claimed against them keeps a meaning.
    """
    existing = {
        o.code: o
        for o in db.session.scalars(
            sa.select(Outcome).where(Outcome.curriculum_id == curriculum.id)
        )
    }
    position = 0
    for position, row in enumerate(rows):
        outcome = existing.pop(row["code"], None)
        if outcome is None:
            outcome = Outcome(curriculum_id=curriculum.id, code=row["code"])
            db.session.add(outcome)
        for key, value in row.items():
            setattr(outcome, key, value)
        outcome.position = position
        outcome.retired = False
        outcome.search_text = (
            f"{row['code']} {row['title']} {row['description']}".lower()
        )
    for outcome in existing.values():
        outcome.retired = True
    if previous is not None and previous.id != curriculum.id:
        new_codes = {row["code"] for row in rows}
        gone = db.session.scalars(
            sa.select(Outcome).where(
                Outcome.curriculum_id == previous.id, Outcome.code.not_in(new_codes)
            )
        )
        for offset, old in enumerate(gone, start=position + 1):
            db.session.add(
                Outcome(
                    curriculum_id=curriculum.id,
                    code=old.code,
                    parent_code=old.parent_code
                    if old.parent_code in new_codes
                    else None,
                    origin_slug=old.origin_slug,
                    type=old.type,
                    title=old.title,
                    description=old.description,
                    level=old.level,
                    source_ref=old.source_ref,
                    provenance=old.provenance,
                    assessments=old.assessments,
                    evidence_rules=old.evidence_rules,
                    links=[],
                    case_id=old.case_id,
                    position=offset,
                    depth=0 if old.parent_code not in new_codes else old.depth,
                    retired=True,
                    search_text=old.search_text,
                )
            )


def _make_current(curriculum: Curriculum) -> None:
    """The latest effective version is current; older ones stay for their enrolments.

    Versions imported with a bundle never count: a bundle cannot change what is current.
    """
    db.session.flush()
    versions = list(
        db.session.scalars(
            sa.select(Curriculum).where(Curriculum.slug == curriculum.slug)
        )
    )
    local = [c for c in versions if c.imported_from is None]
    latest = (
        max(local, key=lambda c: (c.effective_from, c.loaded_at is None, c.loaded_at))
        if local
        else None
    )
    for version in versions:
        version.is_current = version is latest


def _load_crosswalk(p: files.ParsedFile) -> bool:
    record = db.session.get(CrosswalkFile, p.slug)
    if record is not None and record.content_hash == p.content_hash:
        return False
    if record is None:
        record = CrosswalkFile(slug=p.slug)
        db.session.add(record)
    data = p.data
    record.title = data["title"]
    record.version = data["version"]
    record.from_slug = data["from_curriculum"]
    record.to_slug = data["to_curriculum"]
    record.source = data["source"]
    record.content_hash = p.content_hash
    db.session.execute(
        sa.delete(CrosswalkLink).where(CrosswalkLink.crosswalk == p.slug)
    )
    default_relation = data.get("relation", "isRelatedTo")
    for link in data["links"]:
        for to in link["to"]:
            db.session.add(
                CrosswalkLink(
                    crosswalk=p.slug,
                    from_slug=data["from_curriculum"],
                    from_code=link["from"],
                    to_slug=data["to_curriculum"],
                    to_code=to,
                    relation=link.get("relation", default_relation),
                    provenance=link.get("provenance") or data.get("provenance"),
                )
            )
    return True


def _load_case_links(links: list[dict]) -> None:
    """Crosswalk links an imported CASE package carried (isRelatedTo/exactMatchOf
    with our extension): added, or updated where the same link is here already."""
    names = {link["crosswalk"] for link in links}
    existing = {
        (r.crosswalk, r.from_slug, r.from_code, r.to_slug, r.to_code): r
        for r in db.session.scalars(
            sa.select(CrosswalkLink).where(CrosswalkLink.crosswalk.in_(names))
        )
    }
    for link in links:
        key = tuple(
            link[k]
            for k in ("crosswalk", "from_slug", "from_code", "to_slug", "to_code")
        )
        row = existing.get(key)
        if row is None:
            row = CrosswalkLink(
                **{k: link[k] for k in link if k not in ("relation", "provenance")}
            )
            db.session.add(row)
            existing[key] = row
        row.relation = link["relation"]
        row.provenance = link["provenance"]


# ---- queries -------------------------------------------------------------------


def get_curriculum(slug: str, version: str | None = None) -> Curriculum | None:
    query = sa.select(Curriculum).where(Curriculum.slug == slug)
    if version:
        query = query.where(Curriculum.version == version)
    else:
        query = query.where(Curriculum.is_current.is_(True))
    return db.session.scalar(query)


def list_curricula() -> list[tuple[Curriculum, int]]:
    """Current curricula with their number of live outcomes, in one query."""
    counts = (
        sa.select(Outcome.curriculum_id, sa.func.count().label("n"))
        .where(Outcome.retired.is_(False))
        .group_by(Outcome.curriculum_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Curriculum, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.curriculum_id == Curriculum.id)
        .where(Curriculum.is_current.is_(True))
        .order_by(Curriculum.kind, Curriculum.title)
    )
    # SQLAlchemy types these rows as objects; the select above fixes their types.
    return cast(list[tuple[Curriculum, int]], [(c, n) for c, n in rows])


def versions_of(slug: str) -> list[Curriculum]:
    return list(
        db.session.scalars(
            sa.select(Curriculum)
            .where(Curriculum.slug == slug)
            .order_by(Curriculum.effective_from.desc())
        )
    )


def outcomes_of(curriculum: Curriculum, include_retired: bool = True) -> list[Outcome]:
    query = sa.select(Outcome).where(Outcome.curriculum_id == curriculum.id)
    if not include_retired:
        query = query.where(Outcome.retired.is_(False))
    return list(db.session.scalars(query.order_by(Outcome.position)))


def get_outcome(curriculum: Curriculum, code: str) -> Outcome | None:
    return db.session.scalar(
        sa.select(Outcome).where(
            Outcome.curriculum_id == curriculum.id, Outcome.code == code
        )
    )


def search_outcomes(
    words: str, slugs: list[str] | None = None, limit: int = 50
) -> list[Outcome]:
    """Find live outcomes of current curricula by code or by all of the words given."""
    terms = [t for t in words.lower().split() if t][:8]
    if not terms:
        return []
    query = (
        sa.select(Outcome)
        .join(Curriculum, Curriculum.id == Outcome.curriculum_id)
        .where(Curriculum.is_current.is_(True), Outcome.retired.is_(False))
    )
    if slugs is not None:
        query = query.where(Curriculum.slug.in_(slugs))
    for term in terms:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Outcome.search_text.like(f"%{escaped}%", escape="\\"))
    exact = sa.case((sa.func.lower(Outcome.code) == words.strip().lower(), 0), else_=1)
    return list(
        db.session.scalars(
            query.order_by(exact, Curriculum.slug, Outcome.position).limit(limit)
        )
    )


@dataclass
class CrosswalkView:
    direction: str  # "to" (this outcome maps to) or "from" (mapped from)
    relation: str
    slug: str
    code: str
    title: str | None
    curriculum_title: str | None


def crosswalks_for(outcome: Outcome) -> list[CrosswalkView]:
    """Links from and to an outcome, with the other end's title where it exists."""
    own = {outcome.origin_slug, outcome.curriculum.slug}
    links = db.session.scalars(
        sa.select(CrosswalkLink).where(
            sa.or_(
                sa.and_(
                    CrosswalkLink.from_slug.in_(own),
                    CrosswalkLink.from_code == outcome.code,
                ),
                sa.and_(
                    CrosswalkLink.to_slug.in_(own),
                    CrosswalkLink.to_code == outcome.code,
                ),
            )
        )
    ).all()

    def other_end(link: CrosswalkLink) -> tuple[bool, str, str]:
        outgoing = link.from_slug in own and link.from_code == outcome.code
        if outgoing:
            return True, link.to_slug, link.to_code
        return False, link.from_slug, link.from_code

    ends = [other_end(link) for link in links]
    titles = _titles({(slug, code) for _, slug, code in ends})
    views = []
    for link, (outgoing, slug, code) in zip(links, ends, strict=True):
        title, curriculum_title = titles.get((slug, code), (None, None))
        direction = "to" if outgoing else "from"
        views.append(
            CrosswalkView(direction, link.relation, slug, code, title, curriculum_title)
        )
    return sorted(views, key=lambda v: (v.direction != "to", v.slug, v.code))


def _titles(ends: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    if not ends:
        return {}
    slugs = {slug for slug, _ in ends}
    codes = {code for _, code in ends}
    rows = db.session.execute(
        sa.select(Curriculum.slug, Outcome.code, Outcome.title, Curriculum.title)
        .join(Outcome, Outcome.curriculum_id == Curriculum.id)
        .where(
            Curriculum.is_current.is_(True),
            Curriculum.slug.in_(slugs),
            Outcome.code.in_(codes),
        )
    )
    return {(s, c): (t, ct) for s, c, t, ct in rows if (s, c) in ends}


def import_case_package(
    package, source_name: str, slug=None, kind=None, lines: dict | None = None
) -> LoadReport:
    """Validate a CASE CFPackage as a curriculum and load it (all or nothing).

    ``lines`` (from ``case.read_package``) puts line numbers in the errors.
    """
    return load_parsed([_checked_case(package, source_name, slug, kind, lines)])


def _checked_case(package, source_name: str, slug=None, kind=None, lines=None):
    """The package as a parsed curriculum file, checked like a file on disk.

    Raises CurriculumFileError (``case.CaseImportError`` for what CASE itself gets
    wrong) naming the JSON path and, with ``lines``, the line of each problem.
    """
    from portfolio.curriculum.case import package_to_file

    parsed = package_to_file(package, source_name, slug, kind, lines)
    errors = files.schema_errors(parsed) or files.file_rule_errors(parsed)
    if not errors:
        codes, kinds = _known_codes()
        errors = files.cross_file_errors([parsed], codes, kinds)
    if errors:
        raise files.CurriculumFileError(errors)
    return parsed


def case_package(curriculum: Curriculum, base_url: str | None = None) -> dict:
    """The curriculum as a CASE 1.1 CFPackage. Its ``uri``s are the CASE read API's
    (portfolio/api/case.py) under BASE_URL, or under ``base_url`` when given (a
    bundle names the installation it came from)."""
    from portfolio.curriculum.case import export_package
    from portfolio.urls import absolute

    outcomes = outcomes_of(curriculum)
    links = list(
        db.session.scalars(
            sa.select(CrosswalkLink)
            .where(CrosswalkLink.from_slug.in_({curriculum.slug, *curriculum.includes}))
            .order_by(
                CrosswalkLink.crosswalk,
                CrosswalkLink.from_code,
                CrosswalkLink.to_slug,
                CrosswalkLink.to_code,
            )
        )
    )
    codes = {o.code for o in outcomes}
    links = [link for link in links if link.from_code in codes]
    uri = absolute
    if base_url is not None:
        base = base_url.rstrip("/")

        def uri(path: str) -> str:
            return base + path

    return export_package(curriculum, outcomes, links, uri, _link_targets(links))


def curriculum_by_case_id(identifier: str) -> Curriculum | None:
    """The current curriculum whose CFDocument has this identifier."""
    return db.session.scalars(
        sa.select(Curriculum)
        .where(Curriculum.case_id == identifier, Curriculum.is_current.is_(True))
        .order_by(Curriculum.slug)
    ).first()


def case_documents() -> list[dict]:
    """The CFDocument of every current curriculum, for GET CFDocuments."""
    from portfolio.curriculum.case import document_json
    from portfolio.urls import absolute

    rows = db.session.scalars(
        sa.select(Curriculum)
        .where(Curriculum.is_current.is_(True))
        .order_by(Curriculum.title, Curriculum.slug)
    )
    return [document_json(curriculum, absolute) for curriculum in rows]


def case_document(identifier: str) -> dict | None:
    from portfolio.curriculum.case import document_json
    from portfolio.urls import absolute

    curriculum = curriculum_by_case_id(identifier)
    return None if curriculum is None else document_json(curriculum, absolute)


def case_item(identifier: str) -> dict | None:
    """A live outcome of a current curriculum as a CASE CFItem, with the document it
    belongs to (its own curriculum's, for an outcome an STP specialty includes)."""
    from portfolio.curriculum.case import document_link
    from portfolio.curriculum.case import item_json
    from portfolio.urls import absolute

    outcome = db.session.scalars(
        sa.select(Outcome)
        .join(Curriculum, Curriculum.id == Outcome.curriculum_id)
        .where(
            Outcome.case_id == identifier,
            Outcome.retired.is_(False),
            Curriculum.is_current.is_(True),
        )
        .order_by((Curriculum.slug != Outcome.origin_slug), Curriculum.slug)
    ).first()
    if outcome is None:
        return None
    item = item_json(outcome.curriculum, outcome, absolute)
    item["CFDocumentURI"] = document_link(outcome.curriculum, absolute)
    return item


_association_index: dict[tuple, dict[str, str]] = {}


def case_association(identifier: str) -> dict | None:
    """An association of a current curriculum's package, with its document.

    Associations are not rows (the tree and the crosswalks make them), so which
    package holds an identifier is indexed once per state of the curricula.
    """
    from portfolio.curriculum.case import document_link
    from portfolio.urls import absolute

    stamp = (
        str(db.engine.url),
        *db.session.execute(
            sa.select(sa.func.count(), sa.func.max(Curriculum.loaded_at)).where(
                Curriculum.is_current.is_(True)
            )
        ).one(),
    ) + (
        db.session.scalar(sa.select(sa.func.count()).select_from(CrosswalkLink)),
        db.session.scalar(sa.select(sa.func.max(CrosswalkFile.loaded_at))),
    )
    index = _association_index.get(stamp)
    if index is None:
        index = {}
        for curriculum in current_curricula().values():
            for association in case_package(curriculum)["CFAssociations"]:
                index.setdefault(association["identifier"], curriculum.id)
        _association_index.clear()
        _association_index[stamp] = index
    curriculum_id = index.get(identifier)
    holder = db.session.get(Curriculum, curriculum_id) if curriculum_id else None
    if holder is None:
        return None
    for association in case_package(holder)["CFAssociations"]:
        if association["identifier"] == identifier:
            association["CFDocumentURI"] = document_link(holder, absolute)
            return association
    return None


def _link_targets(links: list[CrosswalkLink]) -> dict[tuple[str, str], str]:
    """The CASE identifiers of the crosswalk targets that are loaded here."""
    if not links:
        return {}
    rows = db.session.execute(
        sa.select(Curriculum.slug, Outcome.code, Outcome.case_id)
        .join(Outcome, Outcome.curriculum_id == Curriculum.id)
        .where(
            Curriculum.is_current.is_(True),
            Curriculum.slug.in_({link.to_slug for link in links}),
            Outcome.code.in_({link.to_code for link in links}),
            Outcome.case_id.is_not(None),
        )
    )
    return {(slug, code): case_id for slug, code, case_id in rows if case_id}


def install_imported_version(
    package: dict, source_name: str, imported_from: str
) -> Curriculum:
    """Load a bundle's CASE package as a version that is never current.

    Checked like ``import_case_package``; the caller owns the transaction (nothing is
    committed here), so a bundle that fails later leaves no curriculum behind.
    """
    parsed = _checked_case(package, source_name)
    return _load_curriculum(parsed, {}, LoadReport([], [], [], 0), imported_from)
