"""In-app notifications: the list, opening one (marks it read), marking one or all
read, and the count in the header."""

import sqlalchemy as sa
from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_login import current_user
from flask_login import login_required

from portfolio.extensions import db
from portfolio.notifications import services
from portfolio.notifications.models import Notification
from portfolio.notifications.services import unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 50


@bp.app_context_processor
def header_count() -> dict:
    """Let the layout ask for the unread count only when it draws the header."""

    def count() -> int:
        return unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": count}


def is_local_link(link: str) -> bool:
    return link.startswith("/") and not link.startswith("//") and "\\" not in link


@bp.get("/")
@login_required
def index():
    """List the user's notifications, newest first."""
    query = (
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id)
    )
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template(
        "notifications/index.jinja",
        title="Notifications",
        page=page,
        unread=unread_count(current_user),
        is_local_link=is_local_link,
    )


@bp.post("/read")
@login_required
def mark_all_read():
    """Mark every unread notification of the user as read."""
    services.mark_all_read(current_user)
    flash("All notifications are marked as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.get("/<notification_id>")
@login_required
def open_one(notification_id: str):
    """Open a notification: mark it read and go to its item."""
    notification = services.mark_read(current_user, notification_id)
    if notification.link and is_local_link(notification.link):
        return redirect(notification.link)
    return redirect(url_for("notifications.index"))


@bp.post("/<notification_id>/read")
@login_required
def mark_read(notification_id: str):
    """Mark one notification as read without opening it."""
    services.mark_read(current_user, notification_id)
    return redirect(url_for("notifications.index"))
