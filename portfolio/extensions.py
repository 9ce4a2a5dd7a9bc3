"""Extension instances, created unbound here and bound to the app in create_app."""

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portfolio.db import Base

db = SQLAlchemy(model_class=Base)

# Models subclass Model, not db.Model: mypy cannot take a base class from an attribute
# of an instance (it reports "Name 'db.Model' is not defined"). At run time Model *is*
# db.Model (Flask-SQLAlchemy builds it as a subclass of Base); the checker sees Base,
# whose declarative API (Mapped[...], __table__, metadata) is what the models use.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
