"""Insights: extract uploads, dataset versions and metric runs for an organisation's analysts."""
