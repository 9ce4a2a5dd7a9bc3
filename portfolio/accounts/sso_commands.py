"""`flask users unlink-sso`: remove an account's single sign-on links, for when a
person's identity at the provider has changed (a new NHSmail account, say) and the
new one is refused because the account is linked to the old one (docs/sso.md)."""

import click
from flask.cli import with_appcontext

from portfolio.accounts import oidc
from portfolio.rules import RuleError


@click.command("unlink-sso")
@with_appcontext
@click.argument("email")
@click.option("--provider", "key", help="Only this provider's link (its key).")
def unlink_sso_command(email, key):
    """Remove EMAIL's single sign-on links; the next sign-in links again by
    verified email."""
    try:
        removed = oidc.unlink(None, email, key)
    except RuleError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"removed {removed} single sign-on link(s) from {email}")
