"""Feedback views: the public journey and "You said, we did"; the staff inbox and case pages."""
