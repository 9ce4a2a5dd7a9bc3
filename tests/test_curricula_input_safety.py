"""Curriculum and CASE input from admins: hostile or mistyped files give a clear error
naming file, line and field, never a traceback, and write nothing."""

import copy
import json
import signal
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from portfolio.curriculum import files
from portfolio.curriculum import services
from portfolio.curriculum.models import Curriculum
from portfolio.extensions import db
from tests.curricula_helpers import CURRICULA

MINIMAL = """id: tiny
kind: other
title: Tiny framework
version: '1'
effective_from: '2024-01-01'
source: {title: test}
provenance: proposal
outcomes:
  - {code: T1, type: statement, title: Do a thing}
"""


def refused(runner, *args):
    result = runner.invoke(args=["curricula", *map(str, args)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit), result.exception
    return result.output


def curricula_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Curriculum))


# ---- YAML: aliases, tags, size, depth --------------------------------------------

BILLION_LAUGHS = """id: lol
kind: other
title: Lots of laughs
version: '1'
effective_from: '2024-01-01'
source: {title: test}
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
outcomes: [*i]
"""


@contextmanager
def within(seconds: int):
    """Fail (rather than hang for minutes and eat memory) if the block takes too long."""

    def give_up(*_):
        raise TimeoutError(f"took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_alias_bomb_is_refused_with_file_and_line(app, runner, tmp_path):
    path = tmp_path / "lol.yaml"
    path.write_text(BILLION_LAUGHS)  # 9**9 strings once expanded
    with within(5):
        out = refused(runner, "load", path)
    assert f"{path}:7: aliases are not allowed in curriculum files" in out
    assert "nothing loaded" in out and curricula_count(app) == 0


def test_a_lone_alias_of_a_harmless_anchor_is_refused_too(runner, tmp_path):
    text = MINIMAL.replace("source: {title: test}", "source: &src {title: test}")
    text += "  - {code: T2, type: statement, title: Again, source: *src}\n"
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    out = refused(runner, "validate", path)
    assert f"{path}:6: aliases are not allowed in curriculum files" in out


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!python/object/apply:os.system [echo]", "!!python/object/apply:os.system"),
        ("!custom thing", "!custom"),
        ("!!set {a, b}", "!!set"),
        ("!!timestamp 2024-01-01", "!!timestamp"),
    ],
)
def test_non_core_yaml_tags_are_refused(runner, tmp_path, value, shown):
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL.replace("title: Tiny framework", f"title: {value}"))
    out = refused(runner, "validate", path)
    assert f"{path}:3: YAML tag {shown} is not allowed in curriculum files" in out
    path.write_text(MINIMAL.replace("version: '1'", "version: !!str 1"))
    plain = runner.invoke(args=["curricula", "validate", str(path)])
    assert plain.exit_code == 0, plain.output  # the core tags are still fine


def test_huge_file_is_refused_before_parsing(app, runner, tmp_path):
    path = tmp_path / "huge.yaml"
    padding = "# " + "x" * 1000 + "\n"
    path.write_text(MINIMAL + padding * 3 * 1024)  # 3 MiB of comments
    out = refused(runner, "load", path)
    assert f"{path}: the file is {path.stat().st_size} bytes" in out
    assert "at most 2 MiB" in out and curricula_count(app) == 0


def test_deeply_nested_yaml_is_refused_not_a_recursion_error(runner, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(MINIMAL + "description: " + "[" * 100_000 + "]" * 100_000 + "\n")
    out = refused(runner, "validate", path)
    assert f"{path}:10: nested more than {files.MAX_NESTING} levels deep" in out


def test_control_character_is_a_yaml_error_with_line(runner, tmp_path):
    path = tmp_path / "bell.yaml"
    path.write_text(MINIMAL.replace("Tiny framework", "Tiny \a framework"))
    out = refused(runner, "validate", path)
    assert f"{path}:3: not valid YAML: special characters are not allowed" in out


# ---- URLs: only http(s) --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "https://",
        "https://example.org/a b",
    ],
)
def test_curriculum_source_url_must_be_http(app, runner, tmp_path, url):
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL.replace("{title: test}", f"{{title: test, url: '{url}'}}"))
    out = refused(runner, "load", path)
    assert f"{path}:6: source.url: must be an http:// or https:// URL" in out
    assert curricula_count(app) == 0


def test_outcome_and_crosswalk_source_urls_must_be_http(runner, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(
        MINIMAL
        + "  - code: T2\n    type: statement\n    title: Two\n"
        + "    source: {title: x, url: 'javascript:alert(1)'}\n"
    )
    out = refused(runner, "validate", path)
    assert (
        f"{path}:13: outcomes[1].source.url: must be an http:// or https:// URL" in out
    )
    crosswalk = tmp_path / "walk.yaml"
    original = 'url: "https://www.ahcs.ac.uk/standards/"'
    text = (CURRICULA / "crosswalks" / "stp-core-gsp.yaml").read_text()
    line = text[: text.index(original)].count("\n") + 1
    crosswalk.write_text(text.replace(original, "url: 'javascript:x'"))
    out = refused(runner, "validate", crosswalk)
    assert f"{crosswalk}:{line}: source.url: must be an http:// or https:// URL" in out
    for url in ("https://www.nshcs.org.uk/x?y=1#z", "HTTP://example.org"):
        path.write_text(MINIMAL.replace("{title: test}", f"{{title: t, url: '{url}'}}"))
        fine = runner.invoke(args=["curricula", "validate", str(path)])
        assert fine.exit_code == 0, fine.output  # while http(s) is still fine


# ---- CASE JSON: depth, types, identifiers, dates, URLs ----------------------------

DOC = "c0ffee00-0000-4000-8000-000000000000"
A, B, C = (f"c0ffee00-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
PACKAGE = {
    "CFDocument": {
        "identifier": DOC,
        "title": "Small Framework",
        "creator": "Example Body",
        "version": "2",
        "statusStartDate": "2024-09-01",
        "lastChangeDateTime": "2024-08-01T10:00:00Z",
        "officialSourceURL": "https://example.org/framework",
        "extensions": {
            "mpce": {"slug": "small-framework", "source": {"title": "Example Body"}}
        },
    },
    "CFItems": [
        {
            "identifier": A,
            "humanCodingScheme": "S1",
            "fullStatement": "Communicate",
            "CFItemType": "Competency",
            "notes": "About talking",
            "educationLevel": ["7"],
            "extensions": {"mpce": {"type": "domain", "credits": 10}},
        },
        {"identifier": B, "humanCodingScheme": "S1.1", "fullStatement": "Explain"},
        {"identifier": C, "humanCodingScheme": "S1.2", "fullStatement": "Listen"},
    ],
    "CFAssociations": [
        {
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": B},
            "destinationNodeURI": {"identifier": A},
            "sequenceNumber": 2,
        },
        {
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": C},
            "destinationNodeURI": {"identifier": A},
            "sequenceNumber": 1,
        },
    ],
}


def package():
    return copy.deepcopy(PACKAGE)


def write(tmp_path, value, name="package.json"):
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return path


def line_of(path, needle, occurrence=1):
    found = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            found += 1
            if found == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {path}")


def jpath(where):
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where)


def codes_of(app, slug):
    with app.app_context():
        curriculum = services.get_curriculum(slug)
        return [
            (o.code, o.parent_code) for o in services.outcomes_of(curriculum, False)
        ]


@pytest.mark.parametrize("depth", [100_000, 65])
def test_deeply_nested_json_is_refused_not_a_recursion_error(
    app, runner, tmp_path, depth
):
    data = package()
    data["CFDocument"]["extensions"]["other"] = "@"
    text = json.dumps(data, indent=2).replace('"@"', "[" * depth + "]" * depth)
    path = write(tmp_path, text)
    out = refused(runner, "import-case", path)
    line = line_of(path, '"other"')
    assert f"{path}:{line}: nested more than 64 levels deep" in out
    assert curricula_count(app) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2]", "{path}:1: $: must be a JSON object (a CASE CFPackage)"),
        (
            '{"CFDocument": {"identifier": "x", "title": "T"},\n "CFItems": {}}',
            "{path}:2: $.CFItems: a CFPackage needs a CFDocument object and a CFItems list",
        ),
        (
            '{\n"CFDocument": "doc", "CFItems": []}',
            "{path}:2: $.CFDocument: a CFPackage needs a CFDocument object and a CFItems list",
        ),
    ],
)
def test_wrong_top_level_shapes_name_the_path_and_line(
    runner, tmp_path, content, expected
):
    path = write(tmp_path, content)
    assert expected.format(path=path) in refused(runner, "import-case", path)


def test_sequence_number_may_be_a_numeric_string(app, runner, tmp_path):
    data = package()
    data["CFAssociations"][0]["sequenceNumber"] = "1"
    data["CFAssociations"][1]["sequenceNumber"] = " 2 "
    result = runner.invoke(
        args=["curricula", "import-case", str(write(tmp_path, data))]
    )
    assert result.exit_code == 0, result.output
    assert codes_of(app, "small-framework") == [
        ("S1", None),
        ("S1.1", "S1"),
        ("S1.2", "S1"),
    ]


@pytest.mark.parametrize("value", ["three", "3.5", 2.5, True, None, [1]])
def test_sequence_number_that_is_not_an_integer_is_refused(
    app, runner, tmp_path, value
):
    data = package()
    data["CFAssociations"][1]["sequenceNumber"] = value
    path = write(tmp_path, data)
    out = refused(runner, "import-case", path)
    line = line_of(path, '"sequenceNumber"', 2)
    assert (
        f"{path}:{line}: $.CFAssociations[1].sequenceNumber: must be an integer" in out
    )
    assert "nothing loaded" in out and curricula_count(app) == 0


# (where to put the bad value, the value, the line to look for, the message)
WRONG_TYPES = [
    (("CFDocument", "title"), 5, "must be a string, not 5"),
    (("CFDocument", "title"), "", "must not be empty"),
    (("CFDocument", "identifier"), None, "must be a non-empty string"),
    (("CFDocument", "version"), ["2"], "must be a string, not ['2']"),
    (("CFDocument", "creator"), 7, "must be a string, not 7"),
    (("CFDocument", "extensions"), "x", "must be a mapping (an object), not 'x'"),
    (
        ("CFDocument", "extensions", "mpce", "slug"),
        "Not A Slug",
        "'Not A Slug' does not match",
    ),
    (("CFDocument", "extensions", "mpce", "kind"), "wibble", "unknown kind 'wibble'"),
    (("CFItems", 0), "S1", "must be a mapping (an object), not 'S1'"),
    (("CFItems", 0, "fullStatement"), 5, "must be a string, not 5"),
    (("CFItems", 0, "humanCodingScheme"), 12, "must be a code"),
    (("CFItems", 0, "humanCodingScheme"), "S 1", "must be a code"),
    (("CFItems", 0, "notes"), ["x"], "must be a string, not ['x']"),
    (("CFItems", 0, "CFItemType"), {}, "must be a string, not {}"),
    (("CFItems", 0, "educationLevel"), "7", "must be a list, not '7'"),
    (("CFItems", 0, "extensions", "mpce"), [], "must be a mapping (an object)"),
    (("CFItems", 0, "extensions", "mpce", "credits"), "ten", "must be an integer"),
    (("CFItems", 0, "extensions", "mpce", "retired"), "no", "must be true or false"),
    (("CFItems", 0, "extensions", "mpce", "links"), "S1.1", "must be a list"),
    (("CFAssociations",), {}, "must be a list, not {}"),
    (("CFAssociations", 0, "associationType"), 3, "must be a string, not 3"),
    (("CFAssociations", 0, "originNodeURI"), B, "must be a mapping (an object)"),
    (("CFAssociations", 0, "destinationNodeURI", "identifier"), 9, "must be a non"),
]


@pytest.mark.parametrize(
    ("where", "value", "message"),
    WRONG_TYPES,
    ids=[".".join(map(str, w)) + f"={v!r}" for w, v, _ in WRONG_TYPES],
)
def test_wrong_types_name_file_line_and_json_path(
    app, runner, tmp_path, where, value, message
):
    data = package()
    target = data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = "@@here@@"
    text = json.dumps(data, indent=2)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "@@here@@" in t)
    path = write(tmp_path, text.replace('"@@here@@"', json.dumps(value)))
    out = refused(runner, "import-case", path)
    assert f"{path}:{line}: {jpath(where)}: {message}" in out
    assert "Traceback" not in out and curricula_count(app) == 0


@pytest.mark.parametrize(
    ("where", "missing"),
    [
        (("CFItems", 1), "identifier"),
        (("CFAssociations", 0), "originNodeURI"),
        (("CFAssociations", 1, "destinationNodeURI"), "identifier"),
        (("CFAssociations", 1), "associationType"),
        (("CFDocument",), "title"),
    ],
)
def test_missing_identifiers_and_fields_name_the_object(
    app, runner, tmp_path, where, missing
):
    data = package()
    target = data
    for part in where:
        target = target[part]
    del target[missing]
    path = write(tmp_path, data)
    out = refused(runner, "import-case", path)
    assert f"{jpath(where)}: '{missing}' is required" in out
    assert curricula_count(app) == 0


def test_duplicate_item_identifiers_are_refused(app, runner, tmp_path):
    data = package()
    data["CFItems"][2]["identifier"] = B
    path = write(tmp_path, data)
    out = refused(runner, "import-case", path)
    first, second = line_of(path, f'"identifier": "{B}"', 1), None
    second = line_of(path, f'"identifier": "{B}"', 2)
    assert (
        f"{path}:{second}: $.CFItems[2].identifier: duplicate identifier '{B}' "
        f"(first used on line {first})" in out
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("statusStartDate", "01/09/2024", "must be a date, YYYY-MM-DD"),
        ("statusStartDate", "2024-02-30", "must be a date, YYYY-MM-DD"),
        ("lastChangeDateTime", "yesterday", "must be a date and time"),
        ("lastChangeDateTime", "2024-13-01T10:00:00Z", "must be a date and time"),
        ("lastChangeDateTime", "2024-08-01 10:00", "must be a date and time"),
    ],
)
def test_dates_in_the_wrong_format_are_refused(
    app, runner, tmp_path, field, value, message
):
    data = package()
    data["CFDocument"][field] = value
    path = write(tmp_path, data)
    out = refused(runner, "import-case", path)
    line = line_of(path, f'"{field}"')
    assert f"{path}:{line}: $.CFDocument.{field}: {message}" in out
    assert curricula_count(app) == 0


def test_duplicate_keys_and_nan_are_refused(app, runner, tmp_path):
    text = json.dumps(package(), indent=2).replace(
        '"creator": "Example Body",',
        '"creator": "Example Body",\n    "title": "Other title",',
    )
    path = write(tmp_path, text)
    out = refused(runner, "import-case", path)
    assert (
        f"{path}:{line_of(path, 'Other title')}: $.CFDocument.title: duplicate key"
        in out
    )
    text = json.dumps(package(), indent=2).replace(
        '"sequenceNumber": 1', '"sequenceNumber": NaN'
    )
    path = write(tmp_path, text)
    out = refused(runner, "import-case", path)
    assert f"{path}:{line_of(path, 'NaN')}: NaN is not allowed in JSON" in out
    assert curricula_count(app) == 0


def test_huge_case_file_is_refused_before_reading(app, runner, tmp_path):
    path = write(tmp_path, json.dumps(package()) + " " * (33 * 1024 * 1024))
    out = refused(runner, "import-case", path)
    assert f"{path}: the file is {path.stat().st_size} bytes" in out
    assert curricula_count(app) == 0


def test_isChildOf_chain_too_deep_for_the_tree_is_refused(app, runner, tmp_path):
    data = package()
    chain = [f"deep-{n:05d}" for n in range(3000)]
    data["CFItems"] += [
        {"identifier": i, "humanCodingScheme": i, "fullStatement": i} for i in chain
    ]
    data["CFAssociations"] += [
        {
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": child},
            "destinationNodeURI": {"identifier": parent},
        }
        for parent, child in zip(chain, chain[1:], strict=False)
    ]
    out = refused(runner, "import-case", write(tmp_path, data))
    assert (
        "$.CFAssociations[32]: isChildOf associations nest deep-00031 more than 30"
        in out
    )
    assert curricula_count(app) == 0


def test_outcome_errors_after_conversion_name_the_case_field(app, runner, tmp_path):
    data = package()
    data["CFItems"][2]["humanCodingScheme"] = "S1.1"
    path = write(tmp_path, data)
    out = refused(runner, "import-case", path)
    first = line_of(path, '"humanCodingScheme": "S1.1"', 1)
    second = line_of(path, '"humanCodingScheme": "S1.1"', 2)
    assert (
        f"{path}:{first}: $.CFItems[1].humanCodingScheme: duplicate code 'S1.1' "
        f"(first used on line {second})" in out
    ) or (
        f"{path}:{second}: $.CFItems[2].humanCodingScheme: duplicate code 'S1.1' "
        f"(first used on line {first})" in out
    )


def test_thousands_of_errors_print_the_first_200_and_a_count(runner, tmp_path):
    data = package()
    data["CFItems"] = [
        {"identifier": f"i{n}", "humanCodingScheme": n} for n in range(300)
    ]
    result = runner.invoke(
        args=["curricula", "import-case", str(write(tmp_path, data))]
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len([line for line in lines if "must be a code" in line]) == 200
    assert "... and 100 more" in lines and lines[-1] == (
        "Error: 300 error(s); nothing loaded"
    )


# ---- CASE URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,x", "ftp://x.org/"]
)
def test_case_urls_must_be_http(app, runner, tmp_path, url):
    data = package()
    data["CFDocument"]["officialSourceURL"] = url
    data["CFDocument"]["extensions"]["mpce"]["source"]["url"] = url
    path = write(tmp_path, data)
    out = refused(runner, "import-case", path)
    official = line_of(path, '"officialSourceURL"')
    assert (
        f"{path}:{official}: $.CFDocument.officialSourceURL: must be an http:// or "
        "https:// URL" in out
    )
    ours = line_of(path, f'"url": "{url}"')
    assert (
        f"{path}:{ours}: $.CFDocument.extensions.mpce.source.url: must be an http:// "
        "or https:// URL" in out
    )
    assert curricula_count(app) == 0


# ---- CASE codes for items without humanCodingScheme ------------------------------


def test_items_without_coding_scheme_get_distinct_codes(app, runner, tmp_path):
    # All three identifiers start with the same 8 characters ("c0ffee00").
    data = package()
    for item in data["CFItems"]:
        del item["humanCodingScheme"]
    data["CFItems"].append({"identifier": "urn:x:item 4", "fullStatement": "Odd id"})
    path = write(tmp_path, data)
    result = runner.invoke(args=["curricula", "import-case", str(path)])
    assert result.exit_code == 0, result.output
    codes = codes_of(app, "small-framework")
    assert codes[:3] == [(A, None), (C, A), (B, A)]
    odd = codes[3][0]
    assert odd.startswith("urn-x-item-4-") and len(odd) <= 64
    again = runner.invoke(args=["curricula", "import-case", str(path), "--id", "again"])
    assert again.exit_code == 0, again.output
    assert codes_of(app, "again") == codes  # the same codes every time
