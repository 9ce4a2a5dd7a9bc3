"""Read and validate curriculum and crosswalk files, with file, path and line in errors.

Validation happens in three passes, all before anything is written:
1. YAML syntax, then the JSON Schema in ``curricula/schema/``;
2. rules inside one file: duplicate codes, links to unknown codes, and provenance:
   every item published (with a source) or a proposal, published codes unique and in
   the publisher's scheme, proposals under the local prefix (``provenance_errors``);
3. rules across files: ``includes`` that resolve to components without cycles, and
   crosswalks whose curricula and codes exist.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from dataclasses import field
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from portfolio.paths import PROJECT_ROOT

CURRICULA_DIR = PROJECT_ROOT / "curricula"
SCHEMA_DIR = CURRICULA_DIR / "schema"
# Not curricula: the apprenticeship funding rules and the outcome code mappings
# (mappings.py) live here too, in their own formats.
SKIPPED_DIRS = ("schema", "rules", "mappings")


@dataclass
class FileError:
    path: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        location = f"{self.path}:{self.line}" if self.line else self.path
        where = f" {self.where}:" if self.where else ""
        return f"{location}:{where} {self.message}"


@dataclass
class ParsedFile:
    path: str
    data: dict
    lines: dict[tuple, int]
    content_hash: str
    kind: str = ""
    slug: str = ""
    nodes: list[dict] = field(default_factory=list)
    # How to name a location in errors when the file came from another format (CASE
    # JSON paths); the YAML path otherwise.
    names: dict[tuple, str] = field(default_factory=dict)
    # What a CASE package carries beyond the curriculum file: identifiers, origins,
    # sequence numbers, crosswalk links and other associations (see case.py).
    case: dict | None = None

    @property
    def is_crosswalk(self) -> bool:
        return self.kind == "crosswalk"

    def line_of(self, where: tuple) -> int | None:
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[:-1]
        return self.lines.get((), 1)

    def where_of(self, where: tuple) -> str:
        return self.names.get(where) or where_text(where)


class CurriculumFileError(ValueError):
    """One or more files are invalid; nothing was loaded."""

    def __init__(self, errors: list[FileError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# Curriculum files are plain data: no anchors or aliases (an alias "bomb" of nested
# aliases expands to gigabytes, https://en.wikipedia.org/wiki/Billion_laughs_attack),
# only the JSON-compatible core tags (https://yaml.org/spec/1.2.2/#1032-tag-resolution),
# and bounded in size and depth.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NESTING = 64
ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


class RefusedYaml(Exception):
    """YAML that is well formed but not allowed in a curriculum file."""

    def __init__(self, mark, message: str):
        self.line = mark.line + 1 if mark else None
        self.message = message
        super().__init__(message)


class _CurriculumLoader(yaml.SafeLoader):
    """A safe loader that keeps dates as strings (as the schema expects) and refuses
    aliases, anchors, non-core tags and deep nesting as it composes, before any
    value is built."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise RefusedYaml(
                event.start_mark,
                f"aliases are not allowed in curriculum files "
                f"(&{event.anchor} / *{event.anchor}: write the value out in full)",
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ALLOWED_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise RefusedYaml(
                event.start_mark,
                f"YAML tag {shown} is not allowed in curriculum files",
            )
        nested = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if nested:
            self._depth += 1
            if self._depth > MAX_NESTING:
                raise RefusedYaml(
                    event.start_mark, f"nested more than {MAX_NESTING} levels deep"
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1


_CurriculumLoader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag != "tag:yaml.org,2002:timestamp"
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _compose_and_construct(text: str):
    loader = _CurriculumLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


@cache
def schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())


def discover(paths: list[Path] | None = None) -> list[Path]:
    """Expand folders into their ``.yaml`` files; default: everything under curricula/."""
    found: list[Path] = []
    for path in paths or [CURRICULA_DIR]:
        if path.is_dir():
            for candidate in sorted(path.rglob("*.yaml")):
                relative = candidate.relative_to(path).parts
                if not any(part in SKIPPED_DIRS for part in relative[:-1]):
                    found.append(candidate)
        else:
            found.append(path)
    return found


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def where_text(where: tuple) -> str:
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _line_map(node, where=(), lines=None) -> dict[tuple, int]:
    lines = {} if lines is None else lines
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _line_map(value, (*where, key.value), lines)
            lines[(*where, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*where, index), lines)
    return lines


def parse_text(text: str, path: str) -> ParsedFile | FileError:
    """Parse YAML text, keeping the line of every value for error messages."""
    if len(text) > MAX_FILE_BYTES:
        return FileError(path, None, "", _too_large(len(text)))
    try:
        node, data = _compose_and_construct(text)
    except RefusedYaml as error:
        return FileError(path, error.line, "", error.message)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        return FileError(path, line, "", f"not valid YAML: {error.problem or error}")
    except yaml.reader.ReaderError as error:  # a control character, not marked
        line = text.count("\n", 0, error.position) + 1
        return FileError(path, line, "", f"not valid YAML: {error.reason}")
    if not isinstance(data, dict):
        return FileError(
            path, 1, "", "the file must be a YAML mapping (id, kind, title, ...)"
        )
    digest = hashlib.sha256(text.encode()).hexdigest()
    parsed = ParsedFile(path, data, _line_map(node), digest)
    parsed.kind = str(data.get("kind", ""))
    parsed.slug = str(data.get("id", ""))
    return parsed


def _too_large(size: int) -> str:
    return (
        f"the file is {size} bytes; curriculum files may be at most "
        f"{MAX_FILE_BYTES // (1024 * 1024)} MiB"
    )


def schema_errors(parsed: ParsedFile) -> list[FileError]:
    name = "crosswalk" if parsed.is_crosswalk else "curriculum"
    validator = jsonschema.Draft202012Validator(
        schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = []
    for error in sorted(
        validator.iter_errors(parsed.data), key=lambda e: list(e.absolute_path)
    ):
        where = tuple(error.absolute_path)
        errors.append(
            FileError(
                parsed.path,
                parsed.line_of(where),
                parsed.where_of(where),
                schema_message(error),
            )
        )
    return errors


TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (an object)",
    "array": "a list",
    "null": "null",
}


def schema_message(error: jsonschema.ValidationError) -> str:
    """One plain sentence for a JSON Schema error."""
    # A schema may say what a value must be in plain words, as ajv-errors does
    # (https://ajv.js.org/packages/ajv-errors.html).
    if isinstance(error.schema, dict) and "errorMessage" in error.schema:
        return error.schema["errorMessage"]
    if error.validator == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        shown = repr(error.instance)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        words = " or ".join(TYPE_WORDS.get(t, t) for t in expected)
        return f"must be {words}, not {shown}"
    if error.validator == "minLength":
        count = error.validator_value
        return (
            "must not be empty" if count == 1 else f"needs at least {count} characters"
        )
    if error.validator == "minItems":
        count = error.validator_value
        return "must not be empty" if count == 1 else f"needs at least {count} items"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        field = error.absolute_path[-1] if error.absolute_path else "value"
        return f"unknown {field} {error.instance!r}: use one of {allowed}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties", "unknown field(s)")
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return error.message


def walk(outcomes: list[dict], parent=None, where=("outcomes",), depth=0):
    """Yield (node, parent code, location, depth) for every node, in document order."""
    for index, node in enumerate(outcomes):
        location = (*where, index)
        yield node, parent, location, depth
        yield from walk(
            node.get("children", []),
            node.get("code"),
            (*location, "children"),
            depth + 1,
        )


def file_rule_errors(parsed: ParsedFile) -> list[FileError]:
    """Duplicate codes and links to codes that are not in the file."""
    if parsed.is_crosswalk:
        return []
    errors = []
    first_seen: dict[str, tuple] = {}
    nodes = list(walk(parsed.data["outcomes"]))
    for node, _, location, _ in nodes:
        code = node["code"]
        if code in first_seen:
            line = parsed.line_of(first_seen[code])
            errors.append(
                FileError(
                    parsed.path,
                    parsed.line_of((*location, "code")),
                    parsed.where_of((*location, "code")),
                    f"duplicate code {code!r} (first used on line {line})",
                )
            )
        else:
            first_seen[code] = (*location, "code")
    for node, _, location, _ in nodes:
        for index, link in enumerate(node.get("links", [])):
            if link == node["code"]:
                message = f"{node['code']} links to itself"
            elif link not in first_seen and not parsed.data.get("includes"):
                message = f"link to unknown code {link!r}"
            else:
                continue
            where = (*location, "links", index)
            errors.append(
                FileError(
                    parsed.path, parsed.line_of(where), parsed.where_of(where), message
                )
            )
    return errors


@dataclass(frozen=True)
class CodeScheme:
    """How a publisher writes its codes, for the curriculum kinds whose publisher
    has a scheme. Items of our own carry ``LOCAL_PREFIX`` instead."""

    publisher: str
    pattern: re.Pattern
    examples: str

    def matches(self, code: str) -> bool:
        return bool(self.pattern.fullmatch(code))


# Items proposed by this installation: never in a publisher's scheme.
LOCAL_PREFIX = "P-"
SCHEMES = {
    # NSHCS Curriculum Library: modules S-C1 (core), S-NM-S1 (specialist), S-XX-R1
    # (rotation), with the published numbering of their learning outcomes and
    # training activities (S-NM-S1-LO1, S-NM-S1-TA3); legacy (2011-2021) module
    # codes such as SPE303, SBI101, SCC110 and sub-modules such as SPE151c1.
    # https://curriculumlibrary.nshcs.org.uk/stp/module/S-NM-S1
    "stp": CodeScheme(
        "NSHCS",
        re.compile(
            r"S-(?:[A-Z]{2,4}-)?[CRS]\d+(?:-(?:LO|TA)\d+)?"
            r"|S[A-Z]{2}\d{3}(?:c\d+)?(?:-(?:LO|TA)\d+)?"
        ),
        "S-C1, S-NM-S1, S-NM-S1-LO1, S-NM-S1-TA3",
    ),
    # Apprenticeship standards (IfATE / Skills England): duties and the knowledge,
    # skills and behaviours as numbered in the standard.
    "apprenticeship": CodeScheme(
        "IfATE", re.compile(r"(?:ST\d{4} v\d+\.\d+ )?[DKSB]\d+"), "D1, K1, S1, B1"
    ),
}
SCHEMES["stp-component"] = SCHEMES["stp"]


def provenance_errors(parsed: ParsedFile) -> list[FileError]:
    """Every item is ``published`` (with a source) or ``proposal``; where the
    publisher has a code scheme, published codes follow it and are unique, and
    proposals carry the local prefix, never a code in the publisher's scheme."""
    if parsed.is_crosswalk:
        return []
    data = parsed.data
    scheme = SCHEMES.get(parsed.kind)
    errors: list[FileError] = []
    seen_refs: dict[str, int | None] = {}
    sources: dict[str | None, bool] = {None: bool(data.get("source"))}

    def error(location: tuple, key: str, message: str) -> None:
        where = (*location, key)
        errors.append(
            FileError(
                parsed.path, parsed.line_of(where), parsed.where_of(where), message
            )
        )

    for node, parent, location, _ in walk(data["outcomes"]):
        code = node["code"]
        sources[code] = bool(node.get("source")) or sources.get(parent, False)
        provenance = node.get("provenance") or data.get("provenance")
        if provenance not in ("published", "proposal"):
            error(
                location,
                "code",
                f"{code}: mark it 'provenance: published' (with a source) or "
                "'provenance: proposal'",
            )
            continue
        if provenance == "published" and not sources[code]:
            error(
                location, "provenance", f"{code} is marked published but has no source"
            )
        if scheme is None:
            continue
        local = code.startswith(LOCAL_PREFIX)
        if provenance == "proposal":
            if not local:
                error(
                    location,
                    "code",
                    f"{code} is a proposal: give it a local code starting "
                    f"'{LOCAL_PREFIX}', never a code in the {scheme.publisher} scheme",
                )
            continue
        ref = node.get("source_ref") or (None if local else code)
        if ref is None:
            if not node.get("source"):
                error(
                    location,
                    "code",
                    f"{code} is published under a local code: give its own source "
                    f"(the publisher gives it no code) or its {scheme.publisher} "
                    f"code ({scheme.examples})",
                )
            continue
        if not scheme.matches(ref):
            key = "source_ref" if node.get("source_ref") else "code"
            error(
                location,
                key,
                f"published code {ref!r} does not follow the {scheme.publisher} "
                f"scheme ({scheme.examples}); mark the item 'provenance: proposal' "
                f"with a '{LOCAL_PREFIX}' code if it is our own",
            )
        elif ref in seen_refs:
            key = "source_ref" if node.get("source_ref") else "code"
            error(
                location,
                key,
                f"published code {ref!r} is used twice (first on line "
                f"{seen_refs[ref]})",
            )
        else:
            key = "source_ref" if node.get("source_ref") else "code"
            seen_refs[ref] = parsed.line_of((*location, key))
    return errors


def read_files(paths: list[Path]) -> tuple[list[ParsedFile], list[FileError]]:
    parsed_files, errors = [], []
    for path in paths:
        shown = display_path(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                errors.append(FileError(shown, None, "", _too_large(size)))
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            errors.append(FileError(shown, None, "", f"cannot read the file: {error}"))
            continue
        result = parse_text(text, shown)
        if isinstance(result, FileError):
            errors.append(result)
            continue
        problems = schema_errors(result)
        if not problems:
            problems = file_rule_errors(result) + provenance_errors(result)
        errors += problems
        if not problems:
            parsed_files.append(result)
    return parsed_files, errors


def cross_file_errors(
    files: list[ParsedFile],
    known_codes: dict[str, set[str]],
    known_kinds: dict[str, str],
) -> list[FileError]:
    """Check includes and crosswalks against the files and what is already loaded.

    ``known_codes`` maps slug -> codes of curricula already in the database (their
    current version); files being loaded take precedence.
    """
    errors: list[FileError] = []
    curricula = {f.slug: f for f in files if not f.is_crosswalk}
    seen_slugs: dict[str, str] = {}
    for f in files:
        if f.slug in seen_slugs:
            errors.append(
                FileError(
                    f.path,
                    f.line_of(("id",)),
                    "id",
                    f"id {f.slug!r} also used by {seen_slugs[f.slug]}",
                )
            )
        seen_slugs.setdefault(f.slug, f.path)
    kinds = {**known_kinds, **{slug: f.kind for slug, f in curricula.items()}}
    own_codes = {
        slug: {n["code"] for n, *_ in walk(f.data["outcomes"])}
        for slug, f in curricula.items()
    }

    def codes_of(slug: str, trail=()) -> set[str]:
        if slug in curricula:
            codes = set(own_codes[slug])
            for inc in curricula[slug].data.get("includes", []):
                if inc not in trail:
                    codes |= codes_of(inc, (*trail, slug))
            return codes
        return known_codes.get(slug, set())

    for slug, f in curricula.items():
        for index, inc in enumerate(f.data.get("includes", [])):
            where: tuple[str | int, ...] = ("includes", index)
            if inc not in kinds:
                errors.append(
                    FileError(
                        f.path,
                        f.line_of(where),
                        where_text(where),
                        f"includes unknown curriculum {inc!r}",
                    )
                )
            elif kinds[inc] != "stp-component":
                errors.append(
                    FileError(
                        f.path,
                        f.line_of(where),
                        where_text(where),
                        f"{inc!r} is a {kinds[inc]}, not an stp-component that can be included",
                    )
                )
            elif _includes_cycle(inc, slug, curricula):
                errors.append(
                    FileError(
                        f.path,
                        f.line_of(where),
                        where_text(where),
                        f"includes cycle: {slug} -> {inc} -> ... -> {slug}",
                    )
                )
        if f.data.get("includes"):
            every_code = codes_of(slug)
            duplicates: set[str] = set()
            included_codes: dict[str, str] = {}
            for inc in f.data["includes"]:
                for code in codes_of(inc, (slug,)):
                    if code in own_codes[slug] or code in included_codes:
                        duplicates.add(code)
                    included_codes[code] = inc
            for code in sorted(duplicates):
                errors.append(
                    FileError(
                        f.path,
                        f.line_of(("includes",)),
                        "includes",
                        f"duplicate code {code!r} between this file and what it includes",
                    )
                )
            for node, _, location, _ in walk(f.data["outcomes"]):
                for index, link in enumerate(node.get("links", [])):
                    if link not in every_code:
                        where = (*location, "links", index)
                        errors.append(
                            FileError(
                                f.path,
                                f.line_of(where),
                                where_text(where),
                                f"link to unknown code {link!r}",
                            )
                        )

    for f in files:
        if not f.is_crosswalk:
            continue
        for side in ("from_curriculum", "to_curriculum"):
            slug = f.data[side]
            if slug not in kinds and slug not in known_codes:
                errors.append(
                    FileError(
                        f.path, f.line_of((side,)), side, f"unknown curriculum {slug!r}"
                    )
                )
        if any(e.path == f.path for e in errors):
            continue
        source, target = (
            codes_of(f.data["from_curriculum"]),
            codes_of(f.data["to_curriculum"]),
        )
        for index, link in enumerate(f.data["links"]):
            if link["from"] not in source:
                where = ("links", index, "from")
                errors.append(
                    FileError(
                        f.path,
                        f.line_of(where),
                        where_text(where),
                        f"{link['from']!r} is not a code in {f.data['from_curriculum']}",
                    )
                )
            for t_index, to in enumerate(link["to"]):
                if to not in target:
                    where = ("links", index, "to", t_index)
                    errors.append(
                        FileError(
                            f.path,
                            f.line_of(where),
                            where_text(where),
                            f"dangling crosswalk target {to!r}: not a code in {f.data['to_curriculum']}",
                        )
                    )
                elif (
                    f.data["from_curriculum"] == f.data["to_curriculum"]
                    and to == link["from"]
                ):
                    where = ("links", index, "to", t_index)
                    errors.append(
                        FileError(
                            f.path,
                            f.line_of(where),
                            where_text(where),
                            f"{to!r} links to itself",
                        )
                    )
    return errors


def _includes_cycle(start: str, origin: str, curricula: dict[str, ParsedFile]) -> bool:
    stack, seen = [start], set()
    while stack:
        slug = stack.pop()
        if slug == origin:
            return True
        if slug in seen or slug not in curricula:
            continue
        seen.add(slug)
        stack.extend(curricula[slug].data.get("includes", []))
    return False
