"""Flask CLI commands: users, organisations, demo data and the worker."""

from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext

from portfolio.accounts import services as accounts
from portfolio.accounts.models import ROLES
from portfolio.csvimport import CsvImportError
from portfolio.extensions import db
from portfolio.rules import RuleError

users_cli = AppGroup("users", help="Create users, add roles and issue API tokens.")
orgs_cli = AppGroup("orgs", help="Import organisations (trusts and health boards).")
demo_cli = AppGroup("demo", help="Demo data for trying the portfolio out.")
signoff_cli = AppGroup("signoff", help="Sign-off reminders.")
audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")


@signoff_cli.command("remind")
@click.option(
    "--days",
    default=7,
    show_default=True,
    help="Remind about requests older than this.",
)
def remind(days):
    """Email each supervisor a digest of sign-off requests older than --days."""
    from portfolio.signoff.services import remind as send_reminders

    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    sent = send_reminders(days)
    for supervisor, count in sent:
        click.echo(f"{supervisor.email}: {count} request(s)")
    click.echo(f"{len(sent)} reminder email(s) queued")


def _verified_chain(refused: str = ""):
    """Verify the audit trail; exit 1 naming the first problem in plain words."""
    from portfolio.audit.services import verify

    result = verify()
    if not result.ok:
        where = f" at event {result.first_bad_event}" if result.first_bad_event else ""
        raise click.ClickException(
            f"audit chain broken{where}: {result.problem} "
            f"({result.events} events checked){refused}"
        )
    return result


def _kept_copy(ctx, param, values):
    kept = []
    for value in values:
        seq, _, prefix = value.partition(":")
        if (
            not (seq.isascii() and seq.isdigit())
            or len(prefix) < 8
            or any(c not in "0123456789abcdef" for c in prefix.lower())
        ):
            raise click.BadParameter(
                f"{value!r} is not SEQ:HASH (an event number, a colon and at least "
                "the first 8 hex digits of its hash, as a checkpoint prints them)"
            )
        kept.append((int(seq), prefix))
    return kept


@audit_cli.command("verify")
@click.option(
    "--expect",
    "kept",
    multiple=True,
    metavar="SEQ:HASH",
    callback=_kept_copy,
    help="A checkpoint kept outside the database (cron output, a PDF cover): "
    "event SEQ must still exist with a hash starting HASH. Repeatable.",
)
def verify_audit(kept):
    """Recompute the audit chain and check its checkpoints; exit 1 naming the first problem."""
    from portfolio.audit.services import kept_copy_problem

    result = _verified_chain()
    for seq, prefix in kept:
        problem = kept_copy_problem(seq, prefix)
        if problem:
            raise click.ClickException(f"audit chain broken at event {seq}: {problem}")
    last = result.last_checkpoint
    anchored = (
        f", {result.checkpoints} checkpoint(s), the last at event {last['head_seq']} "
        f"on {last['created_at']}"
        if last
        else ", no checkpoint yet (run flask audit checkpoint)"
    )
    click.echo(
        f"audit chain ok: {result.events} events ({result.keyed_events} with an HMAC)"
        + anchored
        + (f"; {len(kept)} kept checkpoint(s) match" if kept else "")
    )


@audit_cli.command("checkpoint")
def checkpoint_audit():
    """Verify the chain, then sign its head into audit_checkpoint (run from cron)."""
    from portfolio.audit.services import describe
    from portfolio.audit.services import write_checkpoint

    _verified_chain("; no checkpoint written")
    checkpoint = write_checkpoint("flask audit checkpoint", commit=True)
    click.echo(
        f"{describe(checkpoint)}: {checkpoint.events} events; keep this line, and "
        "check the chain still holds it with: flask audit verify --expect "
        f"{checkpoint.head_seq}:{checkpoint.head_hash[:16]}"
    )


export_cli = AppGroup("export", help="Portfolio exports and bundles.")


@export_cli.command("portfolio")
@click.argument("enrolment_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--registration", is_flag=True, help="Arrange by registration standards.")
def export_portfolio(enrolment_id, out, registration):
    """Render a portfolio PDF synchronously to --out (as the enrolment's trainee)."""
    from portfolio.enrolments.models import Enrolment
    from portfolio.exports.services import export_path
    from portfolio.exports.services import request_export

    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise click.ClickException(f"No enrolment {enrolment_id}")
    try:
        export = request_export(
            enrolment.trainee,
            "registration" if registration else "portfolio",
            enrolment.id,
            now=True,
        )
    except RuleError as error:
        raise click.ClickException(error.message) from error
    if export.status != "done":
        raise click.ClickException(f"export failed: {export.error}")
    out.write_bytes(export_path(export).read_bytes())
    click.echo(
        f"wrote {out} ({export.size} bytes, sha256 {export.sha256}, code {export.verification_code})"
    )


@export_cli.command("sweep")
def sweep_exports():
    """Mark exports stuck in running (a worker died) as failed."""
    from portfolio.exports.services import sweep_stuck

    click.echo(f"{sweep_stuck()} stuck export(s) marked failed")


@export_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--link-existing",
    "link_existing",
    multiple=True,
    metavar="EMAIL",
    help="Add the bundle's enrolment to this existing account (repeat per account).",
)
@click.option(
    "--link-existing-all",
    is_flag=True,
    help="Add to every existing account the bundle's people match by email.",
)
@click.option(
    "--allow-untrusted",
    is_flag=True,
    help="Import a bundle signed by a key not trusted here; its history is marked "
    "as from an unverified source.",
)
def import_bundle(path, link_existing, link_existing_all, allow_untrusted):
    """Load a portable bundle (zip) exported by another installation (docs/exports.md)."""
    from portfolio.exports.bundle import BundleError
    from portfolio.exports.bundle_import import import_bundle as load

    try:
        summary = load(
            path,
            link_existing=link_existing,
            link_all=link_existing_all,
            allow_untrusted=allow_untrusted,
        )
    except BundleError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"{path}: {error}; nothing was imported") from error
    click.echo(summary)


@export_cli.command("key")
def bundle_key():
    """Print this installation's name and the public key that signs its bundles."""
    from portfolio.exports import signing

    key = signing.own_public_key()
    click.echo(f"installation: {signing.installation_name()}")
    click.echo(f"public key:   {key}")
    click.echo(f"fingerprint:  {signing.fingerprint(key)}")
    click.echo(
        "Installations that import this one's bundles trust it by adding the public "
        f"key to BUNDLE_TRUSTED_KEYS or saving it in instance/{signing.TRUSTED_DIR}/"
        "NAME.pub."
    )


badges_cli = AppGroup("badges", help="Open Badges 3.0 credentials.")


@badges_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_badge(path):
    """Check a VC-JWT credential (a bundle's badges/*.jwt) as a verifier does.

    The signature against this installation's issuer key (as served at /issuer), the
    issuer id, the validity dates, the fields Open Badges 3.0 requires, and its
    revocation bit in the status list it names (this installation's own lists).
    """
    from portfolio.exports import badges
    from portfolio.exports import status_list

    try:
        token = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as error:
        raise click.ClickException(
            f"{path}: cannot be read as text ({error})"
        ) from error
    try:
        credential = badges.verify_credential(
            token, badges.issuer_profile(), status_list=status_list.local_status_list
        )
    except badges.BadgeError as error:
        raise click.ClickException(f"{path}: not valid: {error}") from error
    checked = badges.status_entries(credential)
    click.echo(
        f"{path}: valid OpenBadgeCredential {credential['id']} "
        f"'{credential['name']}', issued by {credential['issuer']['id']} "
        f"from {credential['validFrom']}; "
        + ("not revoked (status list checked)" if checked else "no status list")
    )


curricula_cli = AppGroup(
    "curricula", help="Validate, load, import and export curricula."
)


@curricula_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate_curricula(paths):
    """Check curriculum files (default: all under curricula/); exit 1 on any error."""
    from portfolio.curriculum import services as curricula
    from portfolio.curriculum.files import CurriculumFileError

    try:
        parsed = curricula.validate_paths(list(paths) or None)
    except CurriculumFileError as error:
        raise _file_errors(error, "") from error
    click.echo(f"{len(parsed)} file(s) valid")


SHOWN_FILE_ERRORS = 200


def _file_errors(error, suffix: str) -> click.ClickException:
    """Print each file error (file:line: path: message), then one summary line."""
    for problem in error.errors[:SHOWN_FILE_ERRORS]:
        click.echo(str(problem), err=True)
    if len(error.errors) > SHOWN_FILE_ERRORS:
        hidden = len(error.errors) - SHOWN_FILE_ERRORS
        click.echo(f"... and {hidden} more", err=True)
    return click.ClickException(f"{len(error.errors)} error(s){suffix}")


@curricula_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def load_curricula(paths):
    """Load or update curricula and crosswalks (idempotent; all files or none)."""
    from portfolio.curriculum import services as curricula
    from portfolio.curriculum.files import CurriculumFileError

    try:
        report = curricula.load_paths(list(paths) or None)
    except CurriculumFileError as error:
        raise _file_errors(error, "; nothing loaded") from error
    click.echo(report.summary())


@curricula_cli.command("import-case")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "slug", help="Curriculum id to use (default: from the package).")
@click.option("--kind", help="Curriculum kind (default: from the package, else other).")
def import_case(path, slug, kind):
    """Load a 1EdTech CASE 1.1 CFPackage (JSON) as a curriculum."""
    from portfolio.curriculum import services as curricula
    from portfolio.curriculum.case import read_package
    from portfolio.curriculum.files import CurriculumFileError

    try:
        package, lines = read_package(path)
        report = curricula.import_case_package(package, str(path), slug, kind, lines)
    except CurriculumFileError as error:
        raise _file_errors(error, "; nothing loaded") from error
    click.echo(report.summary())


@curricula_cli.command("export-case")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_case(slug, out):
    """Write curriculum SLUG as a CASE 1.1 CFPackage to --out (uris under BASE_URL)."""
    import json

    from portfolio.curriculum import services as curricula

    curriculum = curricula.get_curriculum(slug)
    if curriculum is None:
        raise click.ClickException(f"No curriculum {slug!r}")
    out.write_text(json.dumps(curricula.case_package(curriculum), indent=2))
    click.echo(f"wrote {out}")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="Full name (needed for a new user).")
@click.option("--role", type=click.Choice(ROLES), help="Role to give the user.")
@click.option("--org", "org_code", help="Organisation code the role applies to.")
@click.option("--password", help="Password; prompted for when omitted for a new user.")
def create_user(email, name, role, org_code, password):
    """Create a user, or add a role to an existing one."""
    existing = accounts.find_user(email)
    if existing is None and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = accounts.add_person(email, name, password, role, org_code)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    roles = ", ".join(
        f"{r.role}@{r.organisation.code}" if r.organisation else r.role
        for r in user.roles
    )
    click.echo(
        f"{'Created' if created else 'Updated'} {user.email} ({roles or 'no roles'})"
    )


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="CLI token", help="A name to tell tokens apart.")
@click.option(
    "--days",
    type=click.IntRange(0, accounts.TOKEN_MAX_DAYS),
    help="Days the token works (0: no expiry; default API_TOKEN_DAYS).",
)
def create_token(email, name, days):
    """Print a new API token for EMAIL (shown once)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    new = accounts.create_api_token(user, name, days)
    click.echo(new.secret)
    expiry = (
        f"{new.token.expires_at:%Y-%m-%d %H:%M} UTC"
        if new.token.expires_at
        else "never"
    )
    click.echo(f"expires: {expiry}", err=True)


@orgs_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_orgs(path: Path):
    """Import organisations from a CSV file (code, name, kind, nation, region)."""
    from portfolio.organisations.services import import_organisations

    try:
        counts = import_organisations(path.read_text(encoding="utf-8"), str(path))
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not a UTF-8 text file") from error
    except CsvImportError as error:
        db.session.rollback()
        raise click.ClickException(error.report()) from error
    click.echo(f"{path}: {counts['created']} created, {counts['updated']} updated")


@demo_cli.command("seed")
@click.option("--force", is_flag=True, help="Seed even if users already exist.")
def seed(force):
    """Fill an empty database with a small, believable demo dataset."""
    from portfolio.demo import DemoError
    from portfolio.demo import seed_demo

    try:
        summary = seed_demo(force=force)
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    click.echo(summary)


@click.command("worker")
@with_appcontext
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues, burst):
    """Run an RQ worker for QUEUES (default: all) inside this app."""
    from rq import Worker
    from rq.serializers import JSONSerializer

    from portfolio import jobs

    connection = jobs.redis_connection()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process instead.")
    jobs.set_worker_app(current_app._get_current_object())
    names = queues or jobs.QUEUES
    from portfolio.exports.services import work_horse_killed

    rq_worker = Worker(
        [jobs.get_queue(name) for name in names],
        connection=connection,
        job_class=jobs.AppJob,
        serializer=JSONSerializer,
        work_horse_killed_handler=work_horse_killed,
    )
    rq_worker.work(burst=burst, with_scheduler=True)


capacity_cli = AppGroup(
    "capacity", help="Training places and workforce figures for capacity planning."
)


@capacity_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; import nothing.")
def import_capacity(path: Path, dry_run: bool):
    """Import training places and workforce figures from CSV (docs/capacity.md)."""
    from portfolio.capacity.services import import_capacity as run_import

    try:
        counts = run_import(
            path.read_text(encoding="utf-8"), str(path), commit=not dry_run
        )
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not a UTF-8 text file") from error
    except CsvImportError as error:
        db.session.rollback()
        raise click.ClickException(error.report()) from error
    if dry_run:
        db.session.rollback()
        click.echo(f"{path}: valid; would import {counts.summary()}")
        return
    click.echo(f"{path}: {counts.summary()}")


@capacity_cli.command("specialisms")
@click.option(
    "--fix", is_flag=True, help="Map the values that match a specialism (audited)."
)
def capacity_specialisms(fix: bool):
    """List recorded specialisms that are not in the curricula's list (docs/capacity.md)."""
    from portfolio.capacity import specialisms
    from portfolio.capacity.services import merge_specialisms

    if fix:
        click.echo(f"mapped {merge_specialisms()} row(s) to their specialism")
    allowed = specialisms.controlled()
    listed = specialisms.listing(allowed) or "none"
    click.echo(f"specialisms of the curricula: {listed}")
    left = specialisms.unmapped(allowed)
    if not left:
        click.echo("every training place and workforce record has one of them")
        return
    click.echo(f"{len(left)} value(s) to fix (table, organisation, value, rows):")
    for item in left:
        if item.suggestion is None:
            advice = "no match: choose the specialism on the organisation's page"
        elif item.clashes:
            advice = (
                f"{item.clashes} would clash with existing {item.suggestion} rows "
                "(the same intake or date): merge them by hand"
            )
        else:
            advice = f"matches {item.suggestion}: --fix maps it"
        click.echo(
            f"  {item.table}  {item.organisation_code}  {item.specialism!r}  "
            f"{item.rows}  {advice}"
        )


progress_cli = AppGroup(
    "progress", help="The maintained progress summaries, and review reminders."
)


@progress_cli.command("rebuild")
@click.option("--enrolment", "enrolment_id", help="Only this enrolment.")
def rebuild_progress(enrolment_id: str | None):
    """Recompute the progress summaries (all, or one enrolment) from the evidence,
    and give each a new revision (its cohort row is worked out again)."""
    from portfolio.enrolments.models import Enrolment
    from portfolio.progress import revisions
    from portfolio.progress.tracking import refresh_progress

    if enrolment_id is not None and db.session.get(Enrolment, enrolment_id) is None:
        raise click.ClickException(f"No enrolment {enrolment_id}")
    count = refresh_progress(
        enrolment_ids=[enrolment_id] if enrolment_id is not None else None,
        commit=True,
    )
    revisions.renew([enrolment_id] if enrolment_id is not None else None)
    db.session.commit()
    click.echo(f"rebuilt the progress of {count} enrolment(s)")


def _progress_commands() -> None:
    from portfolio.progress.review_commands import remind_reviews_command

    progress_cli.add_command(remind_reviews_command)


_progress_commands()


def _account_commands() -> None:
    from portfolio.accounts.commands import deactivate_command
    from portfolio.accounts.commands import invite_command
    from portfolio.accounts.sso_commands import unlink_sso_command

    users_cli.add_command(invite_command)
    users_cli.add_command(deactivate_command)
    users_cli.add_command(unlink_sso_command)


_account_commands()


def register(app: Flask) -> None:
    from portfolio.registration.cli import cpd_cli

    for command in (
        progress_cli,
        users_cli,
        orgs_cli,
        demo_cli,
        curricula_cli,
        signoff_cli,
        audit_cli,
        export_cli,
        badges_cli,
        capacity_cli,
        cpd_cli,
        worker,
    ):
        app.cli.add_command(command)
