"""Extracts: the MHSDS-shaped tables a trust sends, their validation, and dataset versions."""
