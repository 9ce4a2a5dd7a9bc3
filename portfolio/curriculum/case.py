"""1EdTech CASE 1.1: export a curriculum as a CFPackage, and read one back.

Identifiers are UUIDv5 of (slug) for the document and (origin slug, code) for items,
so they are stable across loads and installations. The tree is ``isChildOf``
associations; crosswalks are ``exactMatchOf`` / ``isRelatedTo`` to items of the other
framework. Fields CASE has no place for (our outcome type, evidence rules, module
assessments) travel in each item's ``extensions`` so that a round trip is lossless.
"""

import bisect
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from functools import cache
from json.decoder import JSONArray  # type: ignore[attr-defined]  # CPython helper, not in typeshed
from json.decoder import JSONObject  # type: ignore[attr-defined]  # CPython helper, not in typeshed
from json.scanner import py_make_scanner  # type: ignore[attr-defined]  # CPython helper, not in typeshed
from pathlib import Path

import jsonschema
from referencing import Registry
from referencing import Resource

from portfolio.curriculum import files
from portfolio.curriculum.files import FileError
from portfolio.curriculum.models import CrosswalkLink
from portfolio.curriculum.models import Curriculum
from portfolio.curriculum.models import Outcome
from portfolio.curriculum.models import case_uuid

CASE_ASSOCIATION_TYPES = ("isChildOf", "exactMatchOf", "isRelatedTo")
CROSSWALK_TYPES = ("exactMatchOf", "isRelatedTo")
# Where the CASE 1.1 REST binding puts its endpoints (portfolio/api/case.py serves
# them), so every ``uri`` in an export resolves.
CASE_PATH = "/ims/case/v1p1"
Uri = Callable[[str], str]
# Bounds on what an admin's file may make the importer do (size, depth of nesting):
# far beyond any real framework, far below what would exhaust memory or the stack.
MAX_PACKAGE_BYTES = 32 * 1024 * 1024
MAX_NESTING = 64
MAX_TREE_DEPTH = 30  # isChildOf levels; about what MAX_NESTING allows a YAML file


class CaseImportError(files.CurriculumFileError):
    """The file is not a usable CASE CFPackage; nothing was loaded."""


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def document_json(curriculum: Curriculum, uri: Uri) -> dict:
    """The CFDocument of a curriculum (CASE 1.1 CFPckgDocument)."""
    doc_id = curriculum.case_identifier
    return {
        "identifier": doc_id,
        "uri": uri(f"{CASE_PATH}/CFDocuments/{doc_id}"),
        "caseVersion": "1.1",
        "creator": (curriculum.source or {}).get("title", "MPCE Portfolio"),
        "title": curriculum.title,
        "lastChangeDateTime": _stamp(curriculum.loaded_at),
        "officialSourceURL": (curriculum.source or {}).get("url", ""),
        "description": curriculum.description or curriculum.title,
        "language": "en",
        "version": curriculum.version,
        "adoptionStatus": "Adopted",
        "statusStartDate": curriculum.effective_from.isoformat(),
        "extensions": {
            "mpce": {
                "slug": curriculum.slug,
                "kind": curriculum.kind,
                "effective_from": curriculum.effective_from.isoformat(),
                "source": curriculum.source,
                "specialism": curriculum.specialism,
                "programme": curriculum.programme,
                "includes": list(curriculum.includes or []),
            }
        },
    }


def document_link(curriculum: Curriculum, uri: Uri) -> dict:
    """A LinkURI to the curriculum's CFDocument."""
    doc_id = curriculum.case_identifier
    return {
        "title": curriculum.title,
        "identifier": doc_id,
        "uri": uri(f"{CASE_PATH}/CFDocuments/{doc_id}"),
    }


def export_package(
    curriculum: Curriculum,
    outcomes: list[Outcome],
    links: list[CrosswalkLink],
    uri: Uri,
    targets: dict[tuple[str, str], str] | None = None,
) -> dict:
    """Return the curriculum as a CASE 1.1 CFPackage dict.

    ``uri`` makes an absolute URL of a path under CASE_PATH; ``targets`` gives the
    CASE identifier of crosswalk targets, by (curriculum slug, code), where they
    differ from the derived one (an imported framework's own identifiers).
    """
    targets = targets or {}
    changed = _stamp(curriculum.loaded_at)
    document = document_json(curriculum, uri)
    doc_ref = document_link(curriculum, uri)
    items, associations = [], []
    item_refs = {}
    for outcome in outcomes:
        item = item_json(curriculum, outcome, uri)
        item_refs[outcome.code] = {
            "title": outcome.title[:60],
            "identifier": item["identifier"],
            "uri": item["uri"],
        }
        items.append(item)
    by_identifier = {ref["identifier"]: ref for ref in item_refs.values()}
    by_identifier[doc_ref["identifier"]] = doc_ref
    for position, outcome in enumerate(outcomes, start=1):
        parent = item_refs.get(outcome.parent_code) if outcome.parent_code else doc_ref
        if parent is None:
            parent = doc_ref
        sequence = position if outcome.case_sequence is None else outcome.case_sequence
        associations.append(
            _association(
                "isChildOf", item_refs[outcome.code], parent, uri, changed, sequence
            )
        )
    for link in links:
        origin = item_refs.get(link.from_code)
        if origin is None:
            continue
        target_id = targets.get((link.to_slug, link.to_code)) or case_uuid(
            link.to_slug, link.to_code
        )
        destination = {
            "title": f"{link.to_slug} {link.to_code}",
            "identifier": target_id,
            "uri": uri(f"{CASE_PATH}/CFItems/{target_id}"),
        }
        association = _association(
            link.relation, origin, destination, uri, changed, None
        )
        extension: dict[str, object] = {
            "crosswalk": link.crosswalk,
            "from": link.from_slug,
            "to": {"curriculum": link.to_slug, "code": link.to_code},
        }
        if link.provenance:
            extension["provenance"] = link.provenance
        association["extensions"] = {"mpce": extension}
        associations.append(association)
    for kept in curriculum.case_associations or []:
        associations.append(_kept_association(kept, by_identifier, uri, changed))
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def item_json(curriculum: Curriculum, outcome: Outcome, uri: Uri) -> dict:
    """One outcome as a CASE 1.1 CFPckgItem."""
    item_id = outcome.case_identifier
    item = {
        "identifier": item_id,
        "fullStatement": outcome.title,
        "CFItemType": outcome.type,
        "uri": uri(f"{CASE_PATH}/CFItems/{item_id}"),
        "humanCodingScheme": outcome.code,
        "language": "en",
        "lastChangeDateTime": _stamp(curriculum.loaded_at),
        "extensions": {"mpce": _item_extension(outcome)},
    }
    if outcome.description:
        item["notes"] = outcome.description
    if outcome.level:
        item["educationLevel"] = [outcome.level]
    if outcome.retired:
        item["statusEndDate"] = curriculum.effective_from.isoformat()
    return item


def _kept_association(kept: dict, by_identifier: dict, uri: Uri, changed: str) -> dict:
    """An imported association that is neither tree nor crosswalk, as it came, its
    ends pointing at our items (and their URIs) where they are ours."""
    association = {
        "identifier": kept["identifier"],
        "associationType": kept["associationType"],
        "uri": uri(f"{CASE_PATH}/CFAssociations/{kept['identifier']}"),
    }
    for end in ("originNodeURI", "destinationNodeURI"):
        node = kept[end]
        ours = by_identifier.get(node["identifier"])
        association[end] = dict(ours) if ours else _node_link(node, uri)
    association["lastChangeDateTime"] = changed
    for key in ("sequenceNumber", "notes", "CFAssociationGroupingURI", "extensions"):
        if key in kept:  # checked on import
            association[key] = kept[key]
    return association


def _node_link(node: dict, uri: Uri) -> dict:
    """A LinkGenURI to something not in this package, completed where the importer
    was given only an identifier."""
    link = {
        "title": node.get("title") or node["identifier"],
        "identifier": node["identifier"],
        "uri": node.get("uri") or f"urn:case:{node['identifier']}",
    }
    if node.get("targetType"):
        link["targetType"] = node["targetType"]
    return link


def _item_extension(outcome: Outcome) -> dict:
    extension: dict[str, object] = {"type": outcome.type, "origin": outcome.origin_slug}
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


def association_identifier(kind: str, origin: str, destination: str) -> str:
    """The identifier of an association we make: UUIDv5 of its type and ends."""
    return case_uuid("association", kind, origin, destination)


def _association(kind, origin, destination, uri: Uri, changed, sequence) -> dict:
    identifier = association_identifier(
        kind, origin["identifier"], destination["identifier"]
    )
    association = {
        "identifier": identifier,
        "associationType": kind,
        "uri": uri(f"{CASE_PATH}/CFAssociations/{identifier}"),
        "originNodeURI": origin,
        "destinationNodeURI": destination,
        "lastChangeDateTime": changed,
    }
    if sequence is not None:
        association["sequenceNumber"] = sequence
    return association


# ---- import ---------------------------------------------------------------------


class _Pairs(list):
    """A JSON object as parsed: its (key, value) pairs, duplicates kept."""


class _Refused(ValueError):
    def __init__(self, offset: int, message: str):
        self.offset = offset
        super().__init__(message)


def read_package(path: Path, shown: str | None = None) -> tuple[object, dict]:
    """Read a CASE JSON file: (the value, the line of every location in it)."""
    shown = shown or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise _error(
                shown,
                f"the file is {size} bytes; CASE packages may be at most "
                f"{MAX_PACKAGE_BYTES // (1024 * 1024)} MiB",
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise _error(
            shown, f"not a JSON file: not UTF-8 text ({error.reason})"
        ) from None
    except OSError as error:
        raise _error(shown, f"cannot read the file: {error}") from None
    return parse_json(text, shown)


def _error(shown: str, message: str, line=None, where="") -> CaseImportError:
    return CaseImportError([FileError(shown, line, where, message)])


def parse_json(text: str, shown: str) -> tuple[object, dict]:
    """Parse JSON as the standard library does, but keep the line of every value, refuse
    duplicate keys, NaN/Infinity and nesting deeper than MAX_NESTING (Python's parser
    would otherwise overflow the stack), and raise CaseImportError naming the line."""
    newlines = [match.start() for match in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    starts: list[int] = []  # where each value begins, in document order
    depth = 0

    def tracked(scan_once):
        def scan(string, index):
            starts.append(index)
            return scan_once(string, index)

        return scan

    def nested(parse, index):
        nonlocal depth
        depth += 1
        try:
            if depth > MAX_NESTING:
                raise _Refused(index, f"nested more than {MAX_NESTING} levels deep")
            return parse()
        finally:
            depth -= 1

    def parse_object(s_and_end, strict, scan_once, *rest):
        return nested(
            lambda: JSONObject(s_and_end, strict, tracked(scan_once), *rest),
            s_and_end[1] - 1,
        )

    def parse_array(s_and_end, scan_once):
        return nested(
            lambda: JSONArray(s_and_end, tracked(scan_once)), s_and_end[1] - 1
        )

    def no_constant(name):
        raise _Refused(starts[-1] if starts else 0, f"{name} is not allowed in JSON")

    decoder = json.JSONDecoder(object_pairs_hook=_Pairs, parse_constant=no_constant)
    # The hooks are plain attributes the C-less scanner reads; typeshed omits them.
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.parse_array = parse_array  # type: ignore[attr-defined]
    decoder.scan_once = py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        raw = decoder.decode(text)
    except _Refused as error:
        raise _error(shown, str(error), line_at(error.offset)) from None
    except json.JSONDecodeError as error:
        raise _error(shown, f"not a JSON file: {error.msg}", error.lineno) from None
    except RecursionError:
        raise _error(shown, "not a JSON file: nested too deeply to read") from None

    lines = {(): line_at(len(text) - len(text.lstrip()))}
    duplicates: list[FileError] = []
    position = iter(starts)

    def build(value, where):
        if isinstance(value, _Pairs):
            result = {}
            for key, item in value:
                here = (*where, key)
                lines[here] = line_at(next(position))
                if key in result:
                    duplicates.append(
                        FileError(shown, lines[here], json_path(here), "duplicate key")
                    )
                result[key] = build(item, here)
            return result
        if isinstance(value, list):
            result = []
            for index, item in enumerate(value):
                lines[(*where, index)] = line_at(next(position))
                result.append(build(item, (*where, index)))
            return result
        return value

    data = build(raw, ())
    if duplicates:
        raise CaseImportError(duplicates)
    return data, lines


def json_path(where: tuple) -> str:
    """``("CFItems", 3, "sequenceNumber")`` -> ``$.CFItems[3].sequenceNumber``."""
    text = "$"
    for part in where:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _line_of(lines: dict, where: tuple) -> int | None:
    while where:
        if where in lines:
            return lines[where]
        where = where[:-1]
    return lines.get(())


_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"
)
_FORMATS = jsonschema.FormatChecker(formats=("date",))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    datetime.fromisoformat(value)  # a real date and time, not 2025-13-45T99:00:00
    return True


@cache
def _validator() -> jsonschema.Draft202012Validator:
    importer, curriculum = files.schema("case-import"), files.schema("curriculum")
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in (importer, curriculum)
    )
    return jsonschema.Draft202012Validator(
        importer, registry=registry, format_checker=_FORMATS
    )


def package_errors(
    package, lines: dict, shown: str, slug: str | None = None, kind: str | None = None
) -> list[FileError]:
    """Everything wrong with a CFPackage that the importer would trip over, with JSON
    path and line; empty when it can be imported."""

    def error(where: tuple, message: str) -> FileError:
        return FileError(shown, _line_of(lines, where), json_path(where), message)

    errors = _option_errors(shown, slug, kind)
    if not isinstance(package, dict):
        return [*errors, error((), "must be a JSON object (a CASE CFPackage)")]
    for name, kind_of in (("CFDocument", dict), ("CFItems", list)):
        if not isinstance(package.get(name), kind_of):
            return [
                *errors,
                error(
                    (name,), "a CFPackage needs a CFDocument object and a CFItems list"
                ),
            ]
    for problem in sorted(
        _validator().iter_errors(package),
        key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in e.path],
    ):
        errors.append(
            error(tuple(problem.absolute_path), files.schema_message(problem))
        )
    first: dict[str, int] = {}
    for index, item in enumerate(package["CFItems"]):
        identifier = item.get("identifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str):
            continue
        if identifier in first:
            where = ("CFItems", first[identifier], "identifier")
            errors.append(
                error(
                    ("CFItems", index, "identifier"),
                    f"duplicate identifier {identifier!r} (first used on line "
                    f"{_line_of(lines, where)})",
                )
            )
        else:
            first[identifier] = index
    return errors


def _option_errors(shown: str, slug: str | None, kind: str | None) -> list[FileError]:
    curriculum = files.schema("curriculum")
    errors = []
    for option, value, rule in (
        ("--id", slug, curriculum["$defs"]["slug"]),
        ("--kind", kind, curriculum["properties"]["kind"]),
    ):
        if value is not None:
            for problem in jsonschema.Draft202012Validator(rule).iter_errors(value):
                errors.append(
                    FileError(shown, None, option, files.schema_message(problem))
                )
    return errors


def package_to_file(
    package,
    shown: str,
    slug: str | None = None,
    kind: str | None = None,
    lines: dict | None = None,
) -> files.ParsedFile:
    """Check a CFPackage, then turn it into a curriculum file (the YAML structure) whose
    errors name the JSON paths and lines they came from. Raises CaseImportError.

    Works for packages from other publishers too: items become outcomes (type from
    ``CFItemType`` when it is one of ours, else ``statement``), the tree comes from
    ``isChildOf`` associations.
    """
    lines = lines or {}
    errors = package_errors(package, lines, shown, slug, kind)
    if errors:
        raise CaseImportError(errors)
    origins: dict[tuple, tuple] = {}  # curriculum-file location -> CASE location
    case: dict = {}
    document = _document(package, slug, kind, origins, shown, lines, case)
    text = json.dumps([document, case], sort_keys=True)
    parsed = files.ParsedFile(
        shown, document, {}, hashlib.sha256(text.encode()).hexdigest()
    )
    parsed.kind, parsed.slug = document["kind"], document["id"]
    parsed.case = case
    for where, origin in origins.items():
        parsed.names[where] = origin if isinstance(origin, str) else json_path(origin)
        line = None if isinstance(origin, str) else _line_of(lines, origin)
        if line is not None:
            parsed.lines[where] = line
    parsed.lines[()] = _line_of(lines, ("CFDocument",)) or 1
    return parsed


_ITEM_FIELDS = {
    "code": "humanCodingScheme",
    "title": "fullStatement",
    "description": "notes",
    "level": "educationLevel",
    "type": "CFItemType",
}


def _document(package, slug, kind, origins, shown, lines, case) -> dict:
    document = package["CFDocument"]
    items = package["CFItems"]
    associations = package.get("CFAssociations", [])
    known_types = set(
        files.schema("curriculum")["$defs"]["outcome"]["properties"]["type"]["enum"]
    )
    ours = (document.get("extensions") or {}).get("mpce") or {}
    explicit = {
        item["humanCodingScheme"] for item in items if item.get("humanCodingScheme")
    }
    by_id: dict[str, dict] = {}
    index_of: dict[str, int] = {}
    for index, item in enumerate(items):
        extension = (item.get("extensions") or {}).get("mpce") or {}
        item_type = extension.get("type") or item.get("CFItemType")
        node = {
            "code": item.get("humanCodingScheme")
            or _fallback_code(item["identifier"], explicit),
            "type": item_type if item_type in known_types else "statement",
            "title": (
                item.get("fullStatement") or item.get("abbreviatedStatement") or ""
            )[:500]
            or item.get("humanCodingScheme")
            or "untitled",
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
            "assessments",
            "evidence",
        ):
            if key in extension:
                node[key] = extension[key]
        node["_retired"] = bool(extension.get("retired"))
        by_id[item["identifier"]] = node
        index_of[item["identifier"]] = index
    parent_of: dict[str, str] = {}
    order: dict[str, int] = {}
    sequences: dict[str, int] = {}
    link_of: dict[str, int] = {}
    tree: set[int] = set()  # the associations that make the tree
    for index, association in enumerate(associations):
        if association["associationType"] != "isChildOf":
            continue
        child = association["originNodeURI"]["identifier"]
        parent = association["destinationNodeURI"]["identifier"]
        if child in by_id:
            if parent in by_id:
                parent_of[child] = parent
                link_of[child] = index
            if parent in by_id or parent == document["identifier"]:
                tree.add(index)
            sequence = association.get("sequenceNumber")
            order[child] = len(order) + 1 if sequence is None else int(sequence)
            if sequence is not None:
                sequences[child] = int(sequence)
    cycles = [
        FileError(
            shown,
            _line_of(lines, ("CFAssociations", link_of[child])),
            json_path(("CFAssociations", link_of[child])),
            f"isChildOf associations form a cycle at {by_id[child]['code']}",
        )
        for child, parent in parent_of.items()
        if _creates_cycle(child, parent, parent_of)
    ]
    if cycles:
        raise CaseImportError(cycles)
    too_deep = _too_deep(parent_of)
    if too_deep is not None:
        where = ("CFAssociations", link_of[too_deep])
        raise CaseImportError(
            [
                FileError(
                    shown,
                    _line_of(lines, where),
                    json_path(where),
                    f"isChildOf associations nest {by_id[too_deep]['code']} more than "
                    f"{MAX_TREE_DEPTH} levels deep",
                )
            ]
        )
    roots: list[tuple] = []
    children: dict[str, list] = {}
    kept: set[str] = set()  # the items that are loaded (retired ones are not)
    for identifier in sorted(by_id, key=lambda i: (i not in order, order.get(i, 0))):
        node = by_id[identifier]
        if node.pop("_retired"):
            continue
        kept.add(identifier)
        parent = parent_of.get(identifier)
        (children.setdefault(parent, []) if parent else roots).append(
            (identifier, node)
        )

    def build(pairs, where):
        built = []
        for position, (identifier, node) in enumerate(pairs):
            here = (*where, position)
            _record_origins(
                origins, here, node, ("CFItems", index_of[identifier]), items
            )
            if identifier in children:
                node["children"] = build(children[identifier], (*here, "children"))
            built.append(node)
        return built

    final_slug = slug or ours.get("slug") or _slugify(document["title"])
    origin_of = {
        identifier: _mpce(items[index_of[identifier]]).get("origin") or final_slug
        for identifier in kept
    }
    case.update(
        _case_extras(package, by_id, origin_of, sequences, tree, final_slug, ours)
    )
    source = dict(ours.get("source") or {})
    source = source or {"title": document.get("creator") or document["title"]}
    if document.get("officialSourceURL") and "url" not in source:
        source["url"] = document["officialSourceURL"]
    origins[("outcomes",)] = ("CFItems",)
    origins[("source",)] = ("CFDocument",)
    if slug:
        origins[("id",)] = "--id"
    if kind:
        origins[("kind",)] = "--kind"
    return {
        "id": final_slug,
        "kind": kind or ours.get("kind") or "other",
        "title": document["title"][:500],
        **(
            {"description": document["description"]}
            if document.get("description")
            and document["description"] != document["title"]
            else {}
        ),
        "version": str(document.get("version") or "1"),
        "effective_from": ours.get("effective_from")
        or (document.get("statusStartDate") or document.get("lastChangeDateTime", ""))[
            :10
        ]
        or "2000-01-01",
        "source": source,
        **({"specialism": ours["specialism"]} if ours.get("specialism") else {}),
        **({"programme": ours["programme"]} if ours.get("programme") else {}),
        "outcomes": build(roots, ("outcomes",)),
    }


def _case_extras(package, by_id, origin_of, sequences, tree, slug, ours) -> dict:
    """What the curriculum file cannot say but a re-export must: the document's and
    items' identifiers, the origin of included items, sequence numbers, crosswalk
    links (isRelatedTo/exactMatchOf with our extension) and every other association
    as it came."""
    items = {
        by_id[identifier]["code"]: {
            "identifier": identifier,
            "origin": origin,
            "sequence": sequences.get(identifier),
        }
        for identifier, origin in origin_of.items()
    }
    links, others = [], []
    for index, association in enumerate(package.get("CFAssociations", [])):
        if index in tree:
            continue
        kind = association["associationType"]
        origin = association["originNodeURI"]
        destination = association["destinationNodeURI"]
        extension = _mpce(association)
        target = extension.get("to")
        if kind in CROSSWALK_TYPES and target and origin["identifier"] in origin_of:
            from_code = by_id[origin["identifier"]]["code"]
            links.append(
                {
                    "crosswalk": extension.get("crosswalk") or f"case-{slug}",
                    "from_slug": extension.get("from") or items[from_code]["origin"],
                    "from_code": from_code,
                    "to_slug": target["curriculum"],
                    "to_code": target["code"],
                    "relation": kind,
                    "provenance": extension.get("provenance"),
                }
            )
            continue
        other: dict[str, object] = {
            "identifier": association.get("identifier")
            or association_identifier(
                kind, origin["identifier"], destination["identifier"]
            ),
            "associationType": kind,
            "originNodeURI": _node_of(origin),
            "destinationNodeURI": _node_of(destination),
        }
        if association.get("sequenceNumber") is not None:
            other["sequenceNumber"] = int(association["sequenceNumber"])
        for key in ("notes", "extensions"):
            if isinstance(association.get(key), str if key == "notes" else dict):
                other[key] = association[key]
        grouping = association.get("CFAssociationGroupingURI")
        if isinstance(grouping, dict) and all(
            isinstance(grouping.get(key), str) for key in ("title", "identifier", "uri")
        ):
            other["CFAssociationGroupingURI"] = {
                key: grouping[key] for key in ("title", "identifier", "uri")
            }
        others.append(other)
    return {
        "identifier": package["CFDocument"]["identifier"],
        "includes": list(ours.get("includes") or []),
        "items": items,
        "links": links,
        "associations": others,
    }


def _mpce(value) -> dict:
    return ((value.get("extensions") or {}).get("mpce") or {}) if value else {}


def _node_of(node: dict) -> dict:
    """The parts of a LinkGenURI worth keeping."""
    return {
        key: node[key]
        for key in ("identifier", "title", "uri", "targetType")
        if isinstance(node.get(key), str)
    }


def _too_deep(parent_of: dict[str, str]) -> str | None:
    """The first child (in association order) deeper than MAX_TREE_DEPTH, if any."""
    depth_of: dict[str, int] = {}
    for child in parent_of:
        chain, node = [], child
        while node in parent_of and node not in depth_of:
            chain.append(node)
            node = parent_of[node]
        depth = depth_of.get(node, 0)
        for node in reversed(chain):
            depth += 1
            depth_of[node] = depth
        if depth_of[child] > MAX_TREE_DEPTH:
            return child
    return None


def _record_origins(origins, where, node, item_where, items) -> None:
    """Name each field of an outcome by the CASE field it came from, for errors."""
    item = items[item_where[1]]
    origins[where] = item_where
    for key in node:
        field = _ITEM_FIELDS.get(key)
        if field is None:
            field_where = (*item_where, "extensions", "mpce", key)
        elif field in item:
            field_where = (*item_where, field)
        else:
            field_where = (*item_where, "identifier")
        origins[(*where, key)] = field_where
        if key == "links":
            for index in range(len(node["links"])):
                origins[(*where, "links", index)] = (*field_where, index)


def _fallback_code(identifier: str, taken: set[str]) -> str:
    """A code for an item without humanCodingScheme: its whole identifier when that is a
    valid code (so it is unique and stable across versions), else a readable part of
    it plus a digest of all of it."""
    pattern = files.schema("curriculum")["$defs"]["code"]["pattern"]
    if re.fullmatch(pattern, identifier) and identifier not in taken:
        return identifier
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", identifier).strip("._-")[:40]
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:16]
    return f"{readable}-{digest}" if readable else f"item-{digest}"


def _creates_cycle(child: str, parent: str | None, parent_of: dict[str, str]) -> bool:
    seen = set()
    while parent and parent not in seen:
        if parent == child:
            return True
        seen.add(parent)
        parent = parent_of.get(parent)
    return False


def _slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (slug or "imported")[:60]
