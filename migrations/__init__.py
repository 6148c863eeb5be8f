"""Alembic migrations, shipped in the package as ``dispatcher.migrations``."""
