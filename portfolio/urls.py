"""Absolute URLs, all from ``BASE_URL`` and never from the request's ``Host``.

A link in an email, a PDF, a QR code, a share link or a CASE ``uri`` outlives the
request that made it; if it were built from the request's host, anyone able to send
a request with ``Host: evil.example`` could have the real service mail a real user a
link to their own site (password-reset poisoning, OWASP ASVS 5.0 V3). So the one way
to make an absolute URL is here, and it reads ``BASE_URL`` only.
"""

from urllib.parse import urlsplit

from flask import current_app
from flask import has_request_context
from flask import url_for


def base_url() -> str:
    """The configured public address, without a trailing slash."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def absolute(path: str) -> str:
    """``BASE_URL`` followed by an app path such as ``/verify/ABC``."""
    if not path.startswith("/"):
        path = "/" + path
    return base_url() + path


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under ``BASE_URL``.

    Works with or without a request (jobs and the CLI build links too).
    """
    if has_request_context():
        path = url_for(endpoint, **values)
        # url_for includes the mount point (SCRIPT_NAME); BASE_URL already does.
        from flask import request

        root = request.script_root
        if root and path.startswith(root):
            path = path[len(root) :]
    else:
        adapter = current_app.url_map.bind("localhost", url_scheme="http")
        path = adapter.build(endpoint, values)
    return absolute(path)


def trusted_hosts(base: str, extra: list[str] | None = None) -> list[str]:
    """The hosts the app answers to: BASE_URL's host and any configured extras."""
    host = urlsplit(base).hostname
    hosts = [host] if host else []
    for name in extra or []:
        if name and name not in hosts:
            hosts.append(name)
    return hosts
