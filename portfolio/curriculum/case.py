"""1EdTech CASE 1.1: export a curriculum as a CFPackage, and read one back.

Identifiers are UUIDv5 of (slug) for the document and (origin slug, code) for items,
so they are stable across loads and installations. The tree is ``isChildOf``
associations; crosswalks are ``exactMatchOf`` / ``isRelatedTo`` to items of the other
framework. Fields CASE has no place for (our outcome type, evidence rules, module
assessments) travel in each item's ``extensions`` so that a round trip is lossless.
"""

from datetime import UTC
from datetime import datetime

from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.curriculum.models import case_uuid

CASE_ASSOCIATION_TYPES = ("isChildOf", "exactMatchOf", "isRelatedTo")


class CaseImportError(ValueError):
    """The file is not a usable CASE CFPackage; nothing was loaded."""


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def export_package(
    curriculum: Curriculum,
    outcomes: list[Outcome],
    links: list[CrosswalkLink],
    base_url: str,
) -> dict:
    """Return the curriculum as a CASE 1.1 CFPackage dict."""
    base = base_url.rstrip("/") + "/api/v1/case"
    changed = _stamp(curriculum.loaded_at)
    doc_id = curriculum.case_identifier
    doc_ref = {
        "title": curriculum.title,
        "identifier": doc_id,
        "uri": f"{base}/CFDocuments/{doc_id}",
    }
    document = {
        **doc_ref,
        "creator": (curriculum.source or {}).get("title", "MPCE Portfolio"),
        "lastChangeDateTime": changed,
        "version": curriculum.version,
        "description": curriculum.description or curriculum.title,
        "language": "en",
        "adoptionStatus": "Adopted",
        "statusStartDate": curriculum.effective_from.isoformat(),
        "officialSourceURL": (curriculum.source or {}).get("url", ""),
        "CFPackageURI": {**doc_ref, "uri": f"{base}/CFPackages/{doc_id}"},
        "extensions": {
            "mpce": {
                "slug": curriculum.slug,
                "kind": curriculum.kind,
                "effective_from": curriculum.effective_from.isoformat(),
                "source": curriculum.source,
                "specialism": curriculum.specialism,
                "programme": curriculum.programme,
            }
        },
    }
    items, associations = [], []
    item_refs = {}
    for outcome in outcomes:
        item_id = outcome.case_identifier
        ref = {
            "title": outcome.title[:60],
            "identifier": item_id,
            "uri": f"{base}/CFItems/{item_id}",
        }
        item_refs[outcome.code] = ref
        item = {
            "identifier": item_id,
            "uri": ref["uri"],
            "fullStatement": outcome.title,
            "humanCodingScheme": outcome.code,
            "CFItemType": outcome.type,
            "lastChangeDateTime": changed,
            "CFDocumentURI": doc_ref,
            "language": "en",
            "extensions": {"mpce": _item_extension(outcome)},
        }
        if outcome.description:
            item["notes"] = outcome.description
        if outcome.level:
            item["educationLevel"] = [outcome.level]
        if outcome.retired:
            item["statusEndDate"] = curriculum.effective_from.isoformat()
        items.append(item)
    for sequence, outcome in enumerate(outcomes, start=1):
        parent = item_refs.get(outcome.parent_code) if outcome.parent_code else doc_ref
        if parent is None:
            parent = doc_ref
        associations.append(
            _association(
                "isChildOf", item_refs[outcome.code], parent, doc_ref, changed, sequence
            )
        )
    for link in links:
        origin = item_refs.get(link.from_code)
        if origin is None:
            continue
        target_id = case_uuid(link.to_slug, link.to_code)
        destination = {
            "title": f"{link.to_slug} {link.to_code}",
            "identifier": target_id,
            "uri": f"{base}/CFItems/{target_id}",
        }
        associations.append(
            _association(link.relation, origin, destination, doc_ref, changed, None)
        )
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def _item_extension(outcome: Outcome) -> dict:
    extension = {"type": outcome.type, "origin": outcome.origin_slug}
    for key in ("source_ref", "provenance", "module_type", "phase", "credits"):
        value = getattr(outcome, key)
        if value is not None:
            extension[key] = value
    if outcome.assessments:
        extension["assessments"] = outcome.assessments
    if outcome.evidence_rules:
        extension["evidence"] = outcome.evidence_rules
    if outcome.links:
        extension["links"] = outcome.links
    if outcome.retired:
        extension["retired"] = True
    return extension


def _association(kind, origin, destination, doc_ref, changed, sequence) -> dict:
    identifier = case_uuid(
        "association", kind, origin["identifier"], destination["identifier"]
    )
    association = {
        "identifier": identifier,
        "uri": origin["uri"].rsplit("/CFItems/", 1)[0]
        + f"/CFAssociations/{identifier}",
        "associationType": kind,
        "originNodeURI": origin,
        "destinationNodeURI": destination,
        "CFDocumentURI": doc_ref,
        "lastChangeDateTime": changed,
    }
    if sequence is not None:
        association["sequenceNumber"] = sequence
    return association


def package_to_document(
    package: dict, slug: str | None = None, kind: str | None = None
) -> dict:
    """Turn a CFPackage into our curriculum document (the YAML structure) for loading.

    Works for packages from other publishers too: items become outcomes (type from
    ``CFItemType`` when it is one of ours, else ``statement``), the tree comes from
    ``isChildOf`` associations.
    """
    from portfolio.curriculum.files import schema

    if not isinstance(package, dict):
        raise CaseImportError("the file must be a JSON object (a CASE CFPackage)")
    document = package.get("CFDocument")
    items = package.get("CFItems")
    associations = package.get("CFAssociations", [])
    if not isinstance(document, dict) or not isinstance(items, list):
        raise CaseImportError(
            "a CFPackage needs a CFDocument object and a CFItems list"
        )
    for field in ("identifier", "title"):
        if not document.get(field):
            raise CaseImportError(f"CFDocument.{field} is missing")
    known_types = set(
        schema("curriculum")["$defs"]["outcome"]["properties"]["type"]["enum"]
    )
    ours = (document.get("extensions") or {}).get("mpce", {})
    by_id: dict[str, dict] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("identifier"):
            raise CaseImportError(f"CFItems[{index}] has no identifier")
        extension = (item.get("extensions") or {}).get("mpce", {})
        item_type = extension.get("type") or item.get("CFItemType")
        node = {
            "code": item.get("humanCodingScheme") or item["identifier"][:8],
            "type": item_type if item_type in known_types else "statement",
            "title": (
                item.get("fullStatement") or item.get("abbreviatedStatement") or ""
            )[:500]
            or item.get("humanCodingScheme", "untitled"),
        }
        if item.get("notes"):
            node["description"] = item["notes"]
        if item.get("educationLevel"):
            node["level"] = str(item["educationLevel"][0])
        for key in (
            "source_ref",
            "provenance",
            "module_type",
            "phase",
            "credits",
            "links",
        ):
            if key in extension:
                node[key] = extension[key]
        if "assessments" in extension:
            node["assessments"] = extension["assessments"]
        if "evidence" in extension:
            node["evidence"] = extension["evidence"]
        node["_retired"] = bool(extension.get("retired"))
        by_id[item["identifier"]] = node
    parent_of: dict[str, str] = {}
    order: dict[str, int] = {}
    for association in associations:
        if association.get("associationType") != "isChildOf":
            continue
        child = (association.get("originNodeURI") or {}).get("identifier")
        parent = (association.get("destinationNodeURI") or {}).get("identifier")
        if child in by_id:
            if parent in by_id:
                parent_of[child] = parent
            order[child] = association.get("sequenceNumber") or len(order) + 1
    roots: list[dict] = []
    children: dict[str, list] = {}
    for identifier in sorted(by_id, key=lambda i: order.get(i, 10**9)):
        node = by_id[identifier]
        if node.pop("_retired"):
            continue
        parent = parent_of.get(identifier)
        if parent and _creates_cycle(identifier, parent, parent_of):
            raise CaseImportError(
                f"isChildOf associations form a cycle at {node['code']}"
            )
        (children.setdefault(parent, []) if parent else roots).append(
            (identifier, node)
        )

    def build(pairs):
        built = []
        for identifier, node in pairs:
            if identifier in children:
                node["children"] = build(children[identifier])
            built.append(node)
        return built

    source = ours.get("source") or {
        "title": document.get("creator") or document["title"]
    }
    if document.get("officialSourceURL") and "url" not in source:
        source["url"] = document["officialSourceURL"]
    return {
        "id": slug or ours.get("slug") or _slugify(document["title"]),
        "kind": kind or ours.get("kind") or "other",
        "title": document["title"][:500],
        "version": str(document.get("version") or "1"),
        "effective_from": ours.get("effective_from")
        or (document.get("statusStartDate") or document.get("lastChangeDateTime", ""))[
            :10
        ]
        or "2000-01-01",
        "source": source,
        **({"specialism": ours["specialism"]} if ours.get("specialism") else {}),
        **({"programme": ours["programme"]} if ours.get("programme") else {}),
        "outcomes": build(roots),
    }


def _creates_cycle(child: str, parent: str, parent_of: dict[str, str]) -> bool:
    seen = set()
    while parent and parent not in seen:
        if parent == child:
            return True
        seen.add(parent)
        parent = parent_of.get(parent)
    return False


def _slugify(title: str) -> str:
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (slug or "imported")[:60]
