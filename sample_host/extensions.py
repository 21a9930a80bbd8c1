"""Flask extension objects shared by the whole host, initialised in :func:`sample_host.create_app`.

Flask-Babel is deliberately not here: :mod:`sample_host.i18n` creates one ``Babel`` per
application, because Flask-Babel 4 caches the translation domain on the ``Babel`` object and
two applications with different plug-in catalogs (tests build many) must not share it.
"""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names that are stable on SQLite and PostgreSQL (Alembic needs names to alter).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of the host's own tables (plug-ins keep their own metadata)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
