"""``flask cpd remind``: renewal reminders for the registers people recorded."""

from datetime import date

import click
from flask.cli import AppGroup

from portfolio.registration import cpd

cpd_cli = AppGroup("cpd", help="CPD after registration: renewal reminders.")


@cpd_cli.command("remind")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Check as of this date (YYYY-MM-DD) instead of today.",
)
def remind(today):
    """Remind registrants whose HCPC or RCT renewal is due within CPD_REMINDER_DAYS
    (each once per renewal). Run it daily, for example from cron."""
    sent = cpd.send_reminders(today.date() if today else date.today())
    click.echo(f"{sent} renewal reminder{'s' if sent != 1 else ''} sent.")
