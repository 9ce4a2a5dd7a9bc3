"""Service endpoints: who am I, and the OpenAPI document."""

from flask import current_app
from flask import g
from flask import jsonify

from portfolio.api.base import bp
from portfolio.api.openapi import build
from portfolio.api.openapi import document
from portfolio.api.openapi import schema

STRING = {"type": "string"}


def user_json(user) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": [
            {
                "role": r.role,
                "organisation": r.organisation.code if r.organisation else None,
            }
            for r in user.current_roles
        ],
    }


@bp.get("/me")
def me():
    return jsonify(user_json(g.user))


document(
    "/me",
    "get",
    "The signed-in user and their roles",
    response=schema(
        {
            "id": STRING,
            "email": STRING,
            "name": STRING,
            "roles": {
                "type": "array",
                "items": schema(
                    {"role": STRING, "organisation": {"type": ["string", "null"]}}
                ),
            },
        }
    ),
)


@bp.get("/openapi.json")
def openapi():
    return jsonify(build(current_app.url_map))


document(
    "/openapi.json",
    "get",
    "This OpenAPI 3.1 document",
    response={"type": "object", "description": "An OpenAPI 3.1 document"},
    public=True,
)
