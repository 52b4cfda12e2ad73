"""Core: organisations, services and teams, staff users and roles, audit log, reference data."""
