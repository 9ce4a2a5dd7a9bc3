"""Rows made the way the services make them, and the password every test user has."""

import sqlalchemy as sa

from portfolio.accounts import services as accounts
from portfolio.extensions import db

PASSWORD = "correct-horse-battery"


class Factory:
    """Create rows the way the services do (the caller's app context is used)."""

    def __init__(self, app):
        self.app = app
        self.counter = 0

    def organisation(self, code="RBV", name=None, nation="England", kind="trust"):
        from portfolio.organisations.models import Organisation

        with self.app.app_context():
            existing = db.session.scalar(
                sa.select(Organisation).where(Organisation.code == code)
            )
            if existing:
                return existing.id
            org = Organisation(
                code=code,
                name=name or f"Trust {code}",
                kind=kind,
                nation=nation,
                region="North West",
            )
            db.session.add(org)
            db.session.commit()
            return org.id

    def user(self, role="trainee", org="RBV", email=None, name=None):
        """Create a user with a role and return their email."""
        self.counter += 1
        email = email or f"{role}{self.counter}@example.org"
        with self.app.app_context():
            if org:
                self.organisation(org)
            accounts.create_user(
                email,
                name or f"{role.title()} {self.counter}",
                PASSWORD,
                role,
                org if role != "admin" else None,
            )
            db.session.commit()
        return email

    def user_id(self, email):
        with self.app.app_context():
            return accounts.find_user(email).id

    def token(self, email):
        with self.app.app_context():
            return accounts.create_api_token(accounts.find_user(email)).secret
