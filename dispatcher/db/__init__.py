"""Postgres: typed models, engine and sessions, and the queries the services use."""
