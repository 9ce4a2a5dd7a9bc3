"""What every test's fresh app may share without sharing any state: compiled code.

Each test builds its own app, and with it Jinja compiles every template it renders
again (tens of milliseconds a page) and Werkzeug compiles a URL builder for every
route (half of ``create_app``). The compiled code depends only on the template
source and on the route, so the tests keep one copy of each for the session:

- templates: a Jinja bytecode cache in memory, keyed (as Jinja does) on the
  template's name and checked against a hash of its source
  (https://jinja.palletsprojects.com/en/stable/api/#bytecode-cache);
- URL builders: the function Werkzeug generates for a rule, reused for another
  rule with the same pattern (each is still bound to its own rule and converters).
"""

import jinja2
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
