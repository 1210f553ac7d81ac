"""Alembic's environment for the judge's SQLAlchemy app: online migrations only, the URL
from CUTOVER_SA_URL (or sqlalchemy.url), the models' metadata for autogenerate."""

import os

from alembic import context
from sqlalchemy import create_engine

from models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = os.environ.get("CUTOVER_SA_URL") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
