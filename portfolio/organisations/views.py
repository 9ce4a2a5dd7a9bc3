"""The organisations list and import page."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired

from portfolio import policy
from portfolio.csvimport import CsvImportError
from portfolio.errors import too_large_form
from portfolio.organisations import services
from portfolio.organisations.models import NATIONS

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        description="Columns: code, name, kind, nation, region",
        validators=[FileRequired("Choose a CSV file to import")],
    )


@bp.get("/")
@policy.requires(policy.can_see_organisations)
def index():
    nation = (
        request.args.get("nation") if request.args.get("nation") in NATIONS else None
    )
    organisations = services.list_organisations(
        policy.visible_organisations(current_user), nation
    )
    return render_template(
        "organisations/index.jinja",
        title="Organisations",
        organisations=organisations,
        nations=NATIONS,
        nation=nation,
        form=ImportForm() if policy.can_manage_organisations(current_user) else None,
    )


@bp.post("/import")
@policy.requires(policy.can_manage_organisations)
def import_csv():
    form = ImportForm()
    line_errors = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8")
            counts = services.import_organisations(
                text, upload.filename or "upload.csv"
            )
        except UnicodeDecodeError:
            form.file.errors.append("The file must be a UTF-8 CSV file")
        except CsvImportError as error:
            form.file.errors.append(
                f"{len(error.errors)} problem(s) in the file; nothing was imported"
            )
            line_errors = error.errors
        else:
            flash(
                f"Imported {counts['created']} new and updated {counts['updated']} "
                "organisations.",
                "success",
            )
            return redirect(url_for("organisations.index"))
    organisations = services.list_organisations(
        policy.visible_organisations(current_user)
    )
    return render_template(
        "organisations/index.jinja",
        title="Organisations",
        organisations=organisations,
        nations=NATIONS,
        nation=None,
        form=form,
        line_errors=line_errors,
    ), 422


@too_large_form("organisations.import_csv")
def import_too_large(message: str):
    """The import form again, the size limit said on its file field."""
    if not policy.can_manage_organisations(current_user):
        return None
    form = ImportForm(formdata=None)
    form.file.errors = [message]
    return render_template(
        "organisations/index.jinja",
        title="Organisations",
        organisations=services.list_organisations(
            policy.visible_organisations(current_user)
        ),
        nations=NATIONS,
        nation=None,
        form=form,
        line_errors=[],
    )
