"""Persistence: SQLAlchemy models, sessions, repositories and the embedded PostgreSQL."""
