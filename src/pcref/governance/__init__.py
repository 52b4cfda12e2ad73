"""Governance: delivery plans, workstreams, actions, progress and RAG, and the board view."""
