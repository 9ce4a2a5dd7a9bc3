"""The OpenAPI 3.1 document. Each API module documents its operations here."""

PROBLEM = {"$ref": "#/components/responses/Problem"}
SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "MPCE Portfolio API",
        "version": "1",
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
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
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
    errors: tuple[int, ...] = (401,),
    public: bool = False,
) -> None:
    """Add one operation to the document (``path`` as in OpenAPI, e.g. /x/{id})."""
    operation: dict = {
        "summary": summary,
        "responses": {
            str(status): {
                "description": summary,
                "content": {
                    "application/json": {"schema": response or {"type": "object"}}
                },
            },
            **{str(code): PROBLEM for code in errors},
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


def schema(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required)}
