"""PCREF analytics: pure Python, never imports Django."""
