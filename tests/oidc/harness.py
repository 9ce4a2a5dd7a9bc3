"""A real OpenID Provider for tests (tests/oidc/provider.mjs, node-oidc-provider)
and a person's browser at its pages, driven with requests.

``running_provider(tmp_path, clients, accounts)`` starts the provider on a free
loopback port and stops it afterwards; nothing here imitates the protocol: every
authorization, login, consent, code and token comes from the provider itself.
"""

import base64
import contextlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
import requests

from portfolio.paths import PROJECT_ROOT

SCRIPT = Path(__file__).with_name("provider.mjs")
SECRET = "test-client-secret"

# People the provider knows, by the login name typed on its login page.
ACCOUNTS = {
    "trainee": {
        "email": "trainee@example.org",
        "email_verified": True,
        "name": "Aisha Rahman",
    },
    "unverified": {
        "email": "trainee@example.org",
        "email_verified": False,
    },
    "stranger": {
        "email": "stranger@example.org",
        "email_verified": True,
    },
}


def client(
    client_id: str,
    redirect_uris: list[str],
    post_logout: list[str] = (),
    public_jwk: dict | None = None,
):
    """oidc-provider client metadata for a confidential web client: with a client
    secret, or (given ``public_jwk``) signing its token requests (private_key_jwt)."""
    metadata = {
        "client_id": client_id,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": list(post_logout),
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    }
    if public_jwk is None:
        return metadata | {
            "client_secret": SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
        }
    return metadata | {
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [public_jwk]},
    }


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen

    def setting(self, key: str, client_id: str, name: str = "Test ID") -> dict:
        """An OIDC_PROVIDERS entry for this provider and client."""
        return {
            "key": key,
            "name": name,
            "issuer": self.issuer,
            "client_id": client_id,
            "client_secret": SECRET,
        }


@contextlib.contextmanager
def running_provider(
    tmp_path: Path,
    clients: list[dict],
    accounts=None,
    short=(),
    claims_in_id_token: bool = True,
):
    node = shutil.which("node")
    if node is None or not (PROJECT_ROOT / "node_modules" / "oidc-provider").exists():
        pytest.fail("node and node_modules/oidc-provider are needed (npm ci)")
    config = tmp_path / "oidc-provider.json"
    config.write_text(
        json.dumps(
            {
                "clients": clients,
                "accounts": ACCOUNTS if accounts is None else accounts,
                "short_lived_clients": list(short),
                "claims_in_id_token": claims_in_id_token,
            }
        )
    )
    process = subprocess.Popen(
        [node, str(SCRIPT), str(config)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the OpenID provider did not start (exit {process.wait(5)})")
        yield RunningProvider(json.loads(line)["issuer"], process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
PROMPT = re.compile(r'name="prompt" value="(\w+)"')


def sign_in_at_provider(
    browser: requests.Session, url: str, login: str, back_to: str
) -> str:
    """Follow ``url`` at the provider as a person would: its login page (typing
    ``login`` and a password), then its consent page; return the address it sends
    the browser back to (the first one starting with ``back_to``)."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(back_to):
                return target
            response = browser.get(target, allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, response.text[:500]
        action = FORM_ACTION.search(response.text)
        prompt = PROMPT.search(response.text)
        assert action and prompt, response.text[:500]
        data = {"prompt": prompt.group(1)}
        if data["prompt"] == "login":
            data |= {"login": login, "password": "any password"}
        response = browser.post(
            urljoin(response.url, action.group(1)),
            data=data,
            allow_redirects=False,
            timeout=10,
        )
    raise AssertionError("the provider never sent the browser back")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def tamper(id_token: str, **changes) -> str:
    """The same token with claims changed and the provider's signature kept."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"{header}.{forged.decode()}.{signature}"
