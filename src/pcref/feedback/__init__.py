"""Feedback: public feedback, staff triage, themes, actions, and "You said, we did"."""
