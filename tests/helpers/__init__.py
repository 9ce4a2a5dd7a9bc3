"""Helpers shared by the test modules: import them from here, never from a test file.

- ``snapshots``: build a test's starting data once per session, restore it per test.
- ``reuse``: compiled templates and URL builders shared by every test's app.
- ``factory``: ``Factory`` (rows made the way the services make them), ``PASSWORD``.
- ``curricula``: load the curriculum subset, or every shipped curriculum.
- ``world``: the API tests' world (``World``, ``build_world``) and ``REFLECTION``.
- ``api``: ``As`` (call the API as one of the world's people) and ``sign_off``.
- ``people``: the web tests' people and evidence made through the services.
- ``html``: reading a rendered form's state; date fields.
- ``capacity``: the capacity report tests' seeded figures and report readers.
- ``workers``: the environment of a real ``flask worker`` process.

The fixtures (``app``, ``client``, ``world``, ``as_``, ``people``, ...) are in
tests/conftest.py and tests/world.py.
"""
