"""Sending stored files (attachments, exports): a file gone from disk is a 404.

The row says the file exists; if the disk disagrees (a lost volume, a restore
without the files directory) the person gets a clear "missing" answer, the
operator a log line naming the file, and nobody a 500.
"""

import logging
from pathlib import Path

from flask import send_file

from portfolio.rules import NotFound

log = logging.getLogger(__name__)
MISSING = (
    "The file is missing from storage. The problem has been logged; "
    "ask an administrator to restore it."
)


def send_stored(path: Path, what: str, **options):
    """``send_file(path, **options)``; a missing file is logged and a NotFound."""
    try:
        return send_file(path, **options)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        log.error("stored file missing: %s is not on disk at %s", what, path)
        raise NotFound(MISSING) from None
