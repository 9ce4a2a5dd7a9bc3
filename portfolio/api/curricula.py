"""Curriculum endpoints: list, one curriculum with its outcomes, and CASE export."""

from flask import jsonify
from flask import request

from portfolio.api.base import ApiProblem
from portfolio.api.base import bp
from portfolio.api.openapi import document
from portfolio.api.openapi import schema
from portfolio.curriculum import services

STRING = {"type": "string"}
NULLABLE = {"type": ["string", "null"]}


def _get(curriculum_id: str):
    curriculum = services.get_curriculum(curriculum_id, request.args.get("version"))
    if curriculum is None:
        raise ApiProblem(404, f"No curriculum {curriculum_id!r}.")
    return curriculum


def outcome_json(outcome) -> dict:
    return {
        "code": outcome.code,
        "title": outcome.title,
        "type": outcome.type,
        "parent": outcome.parent_code,
        "level": outcome.level,
        "description": outcome.description or None,
        "source_ref": outcome.source_ref,
        "provenance": outcome.provenance,
        "credits": outcome.credits,
        "evidence": outcome.evidence_rules or None,
        "assessments": outcome.assessments or None,
        "links": outcome.links or [],
        "retired": outcome.retired,
    }


@bp.get("/curricula")
def curricula_list():
    return jsonify(
        [
            {
                "id": c.slug,
                "kind": c.kind,
                "title": c.title,
                "version": c.version,
                "outcome_count": count,
            }
            for c, count in services.list_curricula()
        ]
    )


@bp.get("/curricula/<curriculum_id>")
def curriculum_detail(curriculum_id: str):
    curriculum = _get(curriculum_id)
    return jsonify(
        {
            "id": curriculum.slug,
            "kind": curriculum.kind,
            "title": curriculum.title,
            "version": curriculum.version,
            "effective_from": curriculum.effective_from.isoformat(),
            "source": curriculum.source,
            "includes": curriculum.includes,
            "versions": [v.version for v in services.versions_of(curriculum.slug)],
            "outcomes": [outcome_json(o) for o in services.outcomes_of(curriculum)],
        }
    )


@bp.get("/curricula/<curriculum_id>/case")
def curriculum_case(curriculum_id: str):
    curriculum = _get(curriculum_id)
    return jsonify(services.case_package(curriculum))


SUMMARY = schema(
    {
        "id": STRING,
        "kind": STRING,
        "title": STRING,
        "version": STRING,
        "outcome_count": {"type": "integer"},
    }
)
document(
    "/curricula",
    "get",
    "Current curricula and frameworks",
    response={"type": "array", "items": SUMMARY},
)
document(
    "/curricula/{curriculum_id}",
    "get",
    "One curriculum (current version, or ?version=) with its outcome tree",
    response=schema(
        {
            "id": STRING,
            "kind": STRING,
            "title": STRING,
            "version": STRING,
            "outcomes": {
                "type": "array",
                "items": schema(
                    {
                        "code": STRING,
                        "title": STRING,
                        "type": STRING,
                        "parent": NULLABLE,
                    }
                ),
            },
        }
    ),
    errors=(401, 404),
)
document(
    "/curricula/{curriculum_id}/case",
    "get",
    "The curriculum as a 1EdTech CASE 1.1 CFPackage",
    response=schema(
        {
            "CFDocument": {"type": "object"},
            "CFItems": {"type": "array", "items": {"type": "object"}},
            "CFAssociations": {"type": "array", "items": {"type": "object"}},
        }
    ),
    errors=(401, 404),
)
