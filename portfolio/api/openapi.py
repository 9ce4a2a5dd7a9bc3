"""The OpenAPI 3.1 document. Each API module documents its operations here.

The request-body schemas published here are the ones the API validates bodies
against (:mod:`portfolio.api.bodies`), so the document cannot drift from what the
API accepts. Each operation's ``operationId`` is its Flask endpoint name in
camelCase (``api.list_evidence`` is ``listEvidence``), filled in by :func:`build`.
"""

import copy
import re

PROBLEM = {"$ref": "#/components/responses/Problem"}
# A value picked from a fixed list or naming a row (a kind, a decision, an id, a
# date): longer than this it cannot match anything, so it is refused unread.
CHOICE_MAX = 100
SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "MPCE Portfolio API",
        "version": "1",
        "license": {"name": "MIT", "identifier": "MIT"},
        "description": (
            "Training and competency e-portfolio for Medical Physics and Clinical "
            "Engineering. Authenticate with a personal token: "
            "`Authorization: Bearer <token>`. A token works for the days chosen when "
            "it was made (or until revoked); an expired or revoked token gets 401 "
            "with a `detail` saying which. Errors are RFC 9457 problem documents."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "An RFC 9457 problem document "
                "(https://www.rfc-editor.org/rfc/rfc9457); errors lists each field "
                "to fix.",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "message"],
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
        "responses": {
            "Problem": {
                "description": "An error, as a problem document",
                "content": {
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}
                    }
                },
            }
        },
    },
}


def document(
    path: str,
    method: str,
    summary: str,
    *,
    response: dict | None = None,
    status: int = 200,
    body: dict | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
) -> None:
    """Add one operation to the document (``path`` as in OpenAPI, e.g. /x/{id}).

    ``errors`` are the problem statuses it can answer with besides those every
    operation shares: 401 unless ``public``, 400 and 422 when it takes a ``body``
    (not JSON; fails the body's schema), and 429 (the API's rate limit).
    """
    shared = {429} | ({400, 422} if body is not None else set())
    if not public:
        shared.add(401)
    codes = sorted(set(errors) | shared)
    operation: dict = {
        "summary": summary,
        "responses": {
            str(status): {
                "description": summary,
                "content": {
                    "application/json": {"schema": response or {"type": "object"}}
                },
            },
            **{str(code): PROBLEM for code in codes},
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if public:
        operation["security"] = []
    parameters = [
        {
            "name": part[1:-1],
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        }
        for part in path.split("/")
        if part.startswith("{")
    ]
    if parameters:
        operation["parameters"] = parameters
    SPEC["paths"].setdefault(path, {})[method.lower()] = operation


def schema(properties: dict, required: tuple[str, ...] | None = None) -> dict:
    """An object in a response: ``required`` lists the fields always present, by
    default every one of them (a field that can be absent is left out of it)."""
    names = list(properties) if required is None else list(required)
    return {"type": "object", "properties": properties, "required": names}


def body_object(properties: dict, required: tuple[str, ...] = ()) -> dict:
    """An object a client sends: only ``required`` must be given, and a field the
    schema does not name is refused (``Unknown field``)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def text(max_length: int, **more) -> dict:
    """A string of at most ``max_length`` characters: the limit the page applies
    to the same field, imported from the module that owns the rule (never a
    copy), so the API accepts what the pages accept; ``CHOICE_MAX`` for a value
    only matched against a list or a row."""
    return {"type": "string", "maxLength": max_length, **more}


def choice(*values: str) -> dict:
    return {"type": "string", "enum": list(values), "maxLength": CHOICE_MAX}


DATE_IN = text(CHOICE_MAX, format="date")


def openapi_path(rule: str) -> str:
    """A Flask rule under the blueprint as an OpenAPI path: /x/<id> is /x/{id}."""
    path = rule.removeprefix("/api/v1")
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)


def operation_id(endpoint: str) -> str:
    head, *rest = endpoint.removeprefix("api.").split("_")
    return head + "".join(word.capitalize() for word in rest)


def operation(rule: str, method: str) -> dict | None:
    """The documented operation for a Flask rule and HTTP method, if any."""
    return SPEC["paths"].get(openapi_path(rule), {}).get(method.lower())


def build(url_map) -> dict:
    """The document as served: each operation named after its endpoint."""
    spec = copy.deepcopy(SPEC)
    for rule in url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found = spec["paths"].get(openapi_path(rule.rule), {}).get(method.lower())
            if found is not None:
                found["operationId"] = operation_id(rule.endpoint)
    return spec
