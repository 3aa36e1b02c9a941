"""Opening the store: engine, sessions, migrations, and the plugins' indicator definitions."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .db import database_url, make_engine
from .host import registry
from .models import Indicator


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "countypay:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Migrate to the newest schema, then register the installed plugins' indicators. Returns
    the schema revision found and the one now (None: no countypay tables), so that a command
    can say what it did."""
    with engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    with Session(engine) as session:
        sync_indicators(session)
        session.commit()
    return before, after


def open_store(url: str | None = None, migrate: bool = True) -> Engine:
    engine = make_engine(database_url(url))
    if migrate:
        upgrade(engine)
    return engine


def sync_indicators(session: Session) -> None:
    """Bring the store's indicator definitions in line with what the installed plugins declare:
    new ones added, changed ones (a renamed indicator, a new benchmark in the parameter file, a
    value type the import reads texts by) updated. Indicators loaded from bundles that no plugin declares are left as they are."""
    stored = {i.code: i for i in session.exec(select(Indicator)).scalars()}
    for ind in registry().indicators.values():
        row = stored.get(ind.code) or Indicator(code=ind.code)
        fields = dict(name_zh=ind.name_zh, name_en=ind.name_en, unit=ind.unit, entity=ind.entity,
                      period_kind=ind.period, direction=ind.direction, benchmark=ind.benchmark,
                      per_capita=ind.per_capita, reference=ind.reference, value_type=ind.value_type)
        if any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            session.add(row)
