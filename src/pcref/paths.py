"""Where PCREF Hub keeps its files: shared by the web app's settings and the analytics
commands, which must not import Django."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent

#: The running site's files (SQLite database, uploads, dataset versions, reports).
VAR_DIR = Path(os.environ.get("PCREF_VAR_DIR", REPO_DIR / "var"))
