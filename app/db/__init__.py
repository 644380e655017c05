"""Persistence: SQLAlchemy models, sessions, queries by domain and the embedded PostgreSQL."""
