"""The curriculum browser: list, tree, search and an outcome's page."""

from flask import Blueprint
from flask import abort
from flask import render_template
from flask import request
from flask_login import login_required

from portfolio.curriculum import services
from portfolio.curriculum.presenters import KIND_LABELS
from portfolio.curriculum.presenters import build_tree
from portfolio.curriculum.presenters import describe_rules

bp = Blueprint("curriculum", __name__, url_prefix="/curricula")


@bp.get("/")
@login_required
def index():
    query = request.args.get("q", "").strip()[:200]
    results = services.search_outcomes(query) if query else []
    groups: dict[str, list] = {}
    for curriculum, count in services.list_curricula():
        groups.setdefault(curriculum.kind, []).append((curriculum, count))
    return render_template(
        "curriculum/index.jinja",
        title="Curricula",
        groups=[(KIND_LABELS.get(kind, kind), items) for kind, items in groups.items()],
        query=query,
        results=results,
    )


@bp.get("/<slug>/")
@login_required
def show(slug: str):
    curriculum = services.get_curriculum(slug, request.args.get("version"))
    if curriculum is None:
        abort(404)
    query = request.args.get("q", "").strip()[:200]
    results = services.search_outcomes(query, [slug]) if query else []
    if curriculum.is_current is False:
        results = [o for o in results if o.curriculum_id == curriculum.id]
    outcomes = services.outcomes_of(curriculum)
    return render_template(
        "curriculum/show.jinja",
        title=curriculum.title,
        curriculum=curriculum,
        tree=build_tree(outcomes),
        retired=[o for o in outcomes if o.retired],
        versions=services.versions_of(slug),
        query=query,
        results=results,
        back_href="/curricula/",
    )


@bp.get("/<slug>/<code>")
@login_required
def outcome(slug: str, code: str):
    curriculum = services.get_curriculum(slug, request.args.get("version"))
    if curriculum is None:
        abort(404)
    outcomes = services.outcomes_of(curriculum)
    by_code = {o.code: o for o in outcomes}
    item = by_code.get(code)
    if item is None:
        abort(404)
    ancestors: list = []
    parent = by_code.get(item.parent_code) if item.parent_code else None
    while parent is not None:
        ancestors.insert(0, parent)
        parent = by_code.get(parent.parent_code) if parent.parent_code else None
    return render_template(
        "curriculum/outcome.jinja",
        title=f"{item.code} {item.title}",
        curriculum=curriculum,
        item=item,
        ancestors=ancestors,
        children=[o for o in outcomes if o.parent_code == item.code],
        links=[by_code[c] for c in item.links if c in by_code],
        linked_from=[o for o in outcomes if item.code in (o.links or [])],
        rules=describe_rules(item),
        crosswalks=services.crosswalks_for(item),
    )
