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
# Bounds on what an admin's file may make the importer do (size, depth of nesting):
# far beyond any real framework, far below what would exhaust memory or the stack.
MAX_PACKAGE_BYTES = 32 * 1024 * 1024
MAX_NESTING = 64
MAX_TREE_DEPTH = 30  # isChildOf levels; about what MAX_NESTING allows a YAML file


class CaseImportError(files.CurriculumFileError):
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
    document = _document(package, slug, kind, origins, shown, lines)
    text = json.dumps(document, sort_keys=True)
    parsed = files.ParsedFile(
        shown, document, {}, hashlib.sha256(text.encode()).hexdigest()
    )
    parsed.kind, parsed.slug = document["kind"], document["id"]
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


def _document(package, slug, kind, origins, shown, lines) -> dict:
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
    link_of: dict[str, int] = {}
    for index, association in enumerate(associations):
        if association["associationType"] != "isChildOf":
            continue
        child = association["originNodeURI"]["identifier"]
        parent = association["destinationNodeURI"]["identifier"]
        if child in by_id:
            if parent in by_id:
                parent_of[child] = parent
                link_of[child] = index
            sequence = association.get("sequenceNumber")
            order[child] = len(order) + 1 if sequence is None else int(sequence)
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
    for identifier in sorted(by_id, key=lambda i: (i not in order, order.get(i, 0))):
        node = by_id[identifier]
        if node.pop("_retired"):
            continue
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
        "outcomes": build(roots, ("outcomes",)),
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
