"""`flask users invite` and `flask users deactivate`: the operator on the server
invites people and deactivates leavers. The services are called with no actor
(the command line, trusted like an admin), and the audit trail says so."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from portfolio.accounts import invitations
from portfolio.accounts import lifecycle
from portfolio.accounts import services as accounts
from portfolio.accounts.models import ROLES
from portfolio.csvimport import CsvImportError
from portfolio.rules import RuleError


@click.command("invite")
@with_appcontext
@click.argument("email", required=False)
@click.option("--name", default="", help="Full name (needed for a new account).")
@click.option("--role", type=click.Choice(ROLES), help="Role to give.")
@click.option("--org", "org_code", help="Organisation code the role is at.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Invite everyone in a CSV (email, name, role, organisation) instead.",
)
def invite_command(email, name, role, org_code, csv_path):
    """Invite a person by email: they get a link to choose a password."""
    try:
        if csv_path is not None:
            report = invitations.invite_csv(
                None, csv_path.read_text(encoding="utf-8"), str(csv_path)
            )
            for line, what in report.lines:
                click.echo(f"{csv_path}:{line}: {what}")
            return
        if not email or not role:
            raise click.UsageError("Give EMAIL and --role (or --csv FILE)")
        sent = invitations.invite(None, email, name, role, org_code)
    except CsvImportError as error:
        raise click.ClickException(error.report()) from error
    except RuleError as error:
        detail = "; ".join(e["message"] for e in error.errors) or error.message
        raise click.ClickException(detail) from error
    invitation = sent.invitation
    if sent.created:
        click.echo(
            f"Invited {invitation.email}; the link works until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    else:
        click.echo(f"{invitation.email} already had an account: the role was added")


@click.command("deactivate")
@with_appcontext
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def deactivate_command(email, reason):
    """Deactivate a leaver: sign-in and API tokens stop at once; sign-offs stay."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}")
    try:
        lifecycle.deactivate(None, user.id, reason)
    except RuleError as error:
        detail = "; ".join(e["message"] for e in error.errors) or error.message
        raise click.ClickException(detail) from error
    click.echo(f"Deactivated {user.email}")
