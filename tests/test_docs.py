"""Documents that code depends on: ADRs numbered once each, and the README's quick start."""

import re
from pathlib import Path

from django.conf import settings

REPO = Path(settings.REPO_DIR)
SECTIONS = ["## Context", "## Options", "## Decision", "## Consequences", "## How we check it"]


def test_adr_numbers_are_unique_and_records_are_complete():
    records = sorted((REPO / "docs" / "adr").glob("*.md"))
    numbers = [re.match(r"(\d{4})-", path.name).group(1) for path in records]
    assert len(numbers) == len(set(numbers)), f"ADR numbers used twice: {numbers}"
    for path in records:
        text = path.read_text()
        missing = [section for section in SECTIONS if section not in text]
        assert not missing, f"{path.name} lacks {missing}"
        assert re.search(r"Status: (proposed|accepted|superseded)", text), path.name


def test_readme_quick_start_is_two_commands():
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, flags=re.M)
    assert commands == ["make run", "make test"]
