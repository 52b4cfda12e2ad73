"""Involvement: the register of people who want to help shape services, and opportunities."""
