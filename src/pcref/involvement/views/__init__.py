"""Involvement pages: public (sign up, withdraw) and staff (register, opportunities)."""
