"""The 1EdTech CASE 1.1 read API, at the paths the CASE 1.1 REST binding names
(https://www.imsglobal.org/spec/case/v1p1/), so every ``uri`` in an export resolves.

Public and read-only: curricula and frameworks are published reference data (the
outcome wording, codes and tree; nothing about any person), and CASE consumers fetch
them without an account. GET only, no cookies read, rate-limited per address.
"""

from flask import Blueprint
from flask import jsonify

from portfolio.api.base import ApiProblem
from portfolio.curriculum import services
from portfolio.curriculum.case import CASE_PATH
from portfolio.errors import problem
from portfolio.extensions import limiter

bp = Blueprint("case", __name__, url_prefix=CASE_PATH)
limiter.limit("300 per minute")(bp)


@bp.after_request
def _readable_anywhere(response):
    # Public data read without credentials: any site's script may fetch it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.errorhandler(ApiProblem)
def _not_found(error: ApiProblem):
    return problem(error.status, error.detail, None)


def _found(value, kind: str, identifier: str):
    if value is None:
        raise ApiProblem(404, f"No {kind} {identifier!r}.")
    return jsonify(value)


@bp.get("/CFDocuments")
def documents():
    return jsonify({"CFDocuments": services.case_documents()})


@bp.get("/CFDocuments/<sourced_id>")
def document(sourced_id: str):
    return _found(services.case_document(sourced_id), "CFDocument", sourced_id)


@bp.get("/CFPackages/<sourced_id>")
def package(sourced_id: str):
    curriculum = services.curriculum_by_case_id(sourced_id)
    value = None if curriculum is None else services.case_package(curriculum)
    return _found(value, "CFPackage", sourced_id)


@bp.get("/CFItems/<sourced_id>")
def item(sourced_id: str):
    return _found(services.case_item(sourced_id), "CFItem", sourced_id)


@bp.get("/CFAssociations/<sourced_id>")
def association(sourced_id: str):
    return _found(services.case_association(sourced_id), "CFAssociation", sourced_id)
