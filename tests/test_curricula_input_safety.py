"""Curriculum and CASE input from admins: hostile or mistyped files give a clear error
naming file, line and field, never a traceback, and write nothing."""

import signal
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from portfolio.curriculum import files
from portfolio.curriculum.models import Curriculum
from portfolio.extensions import db
from tests.curricula_helpers import CURRICULA

GSP = CURRICULA / "frameworks" / "gsp.yaml"

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
    crosswalk.write_text(
        (CURRICULA / "crosswalks" / "stp-core-gsp.yaml")
        .read_text()
        .replace('url: "https://www.ahcs.ac.uk/standards/"', "url: 'javascript:x'")
    )
    out = refused(runner, "validate", crosswalk)
    assert f"{crosswalk}:14: source.url: must be an http:// or https:// URL" in out
    for url in ("https://www.nshcs.org.uk/x?y=1#z", "HTTP://example.org"):
        path.write_text(MINIMAL.replace("{title: test}", f"{{title: t, url: '{url}'}}"))
        fine = runner.invoke(args=["curricula", "validate", str(path)])
        assert fine.exit_code == 0, fine.output  # while http(s) is still fine
