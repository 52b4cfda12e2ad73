"""Governance views: staff pages for delivery plans and the board view."""
