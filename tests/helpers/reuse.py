"""What every test's fresh app may share without sharing any state: compiled code.

Each test builds its own app, and with it Jinja compiles every template it renders
again (tens of milliseconds a page) and Werkzeug compiles a URL builder for every
route (half of ``create_app``). The compiled code depends only on the template
source and on the route, so the tests keep one copy of each for the session:

- templates: a Jinja bytecode cache in memory, keyed (as Jinja does) on the
  template's name and checked against a hash of its source
  (https://jinja.palletsprojects.com/en/stable/api/#bytecode-cache);
- URL builders: the function Werkzeug generates for a rule, reused for another
  rule with the same pattern (each is still bound to its own rule and converters);
- compiled SQL: SQLAlchemy keeps each statement's compiled form in a cache per
  engine, keyed on the engine's dialect object
  (https://docs.sqlalchemy.org/en/20/core/connections.html#sql-compilation-caching),
  so every test's new engine compiled every statement again (a third of the
  suite's time). The tests' engines share one cache per database kind, and the
  dialects of one kind compare equal, so a statement compiled for the first test's
  engine serves the next: the same SQL text for the same dialect and settings.
"""

import jinja2
from sqlalchemy.util import LRUCache
from werkzeug.routing import rules


class MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = MemoryBytecodeCache()


def share_compiled_templates(app) -> None:
    app.jinja_env.bytecode_cache = TEMPLATES


def share_url_builders() -> None:
    """Reuse Werkzeug's generated URL builders across apps (once per session)."""
    original = rules.Rule._compile_builder
    if getattr(original, "shared", False):
        return
    builders: dict[tuple, object] = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        if any(dynamic and data in defaults for dynamic, data in self._trace):
            # A default folded into the URL: the code holds a converted value.
            return original(self, append_unknown)
        # Otherwise the code depends only on the pattern and the defaults' names.
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    compile_builder.shared = True
    rules.Rule._compile_builder = compile_builder


_SQL_CACHES: dict[str, LRUCache] = {}


def share_compiled_sql(engine) -> None:
    """Give ``engine`` the session's compiled-statement cache for its database kind."""
    dialect_class = type(engine.dialect)
    if not getattr(dialect_class, "_tests_share_compiled_sql", False):
        # Equal when of the same class: the cache's keys start with the dialect.
        dialect_class.__hash__ = lambda self: hash(type(self))  # type: ignore[method-assign]
        dialect_class.__eq__ = lambda self, other: type(self) is type(other)  # type: ignore[method-assign]
        dialect_class._tests_share_compiled_sql = True  # type: ignore[attr-defined]
    engine._compiled_cache = _SQL_CACHES.setdefault(engine.dialect.name, LRUCache(5000))
