"""pcref.analytics never imports Django: notebooks and Spark jobs use it without the web app."""

import pkgutil
import subprocess
import sys

import pcref.analytics


def test_no_analytics_module_imports_django():
    modules = [
        info.name
        for info in pkgutil.walk_packages(pcref.analytics.__path__, prefix="pcref.analytics.")
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {['pcref.analytics', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
