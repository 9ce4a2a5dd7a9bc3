"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import gc

from portfolio import create_app

app = create_app()
# Move the ~150k long-lived objects made at start-up out of the collector's reach:
# otherwise about one request in ten pays a 100 ms full collection walking them
# (measured in bench/README.md).
gc.freeze()
