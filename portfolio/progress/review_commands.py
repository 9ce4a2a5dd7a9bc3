"""``flask progress remind-reviews``: reminders of reviews booked and reviews unsigned."""

from datetime import date

import click
from flask.cli import with_appcontext


@click.command("remind-reviews")
@click.option(
    "--days-before",
    default=7,
    show_default=True,
    type=click.IntRange(0, 60),
    help="Remind of a booked review this many days before it (once per booking).",
)
@click.option(
    "--every",
    "every_days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 60),
    help="Remind the people still to sign a review at most this often, in days.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Run as if today were this date (YYYY-MM-DD).",
)
@with_appcontext
def remind_reviews_command(days_before: int, every_days: int, today) -> None:
    """Remind everyone who signs a progress review booked in the next days, and the
    people who have not yet signed a recorded review (in the app and by email)."""
    from portfolio.enrolments.services import remind_reviews

    booked, unsigned = remind_reviews(
        today.date() if today else date.today(), days_before, every_days
    )
    click.echo(
        f"{booked} booked review{'s' if booked != 1 else ''} and {unsigned} unsigned "
        f"review{'s' if unsigned != 1 else ''} reminded."
    )
